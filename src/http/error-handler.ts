import type { Context, Middleware } from 'koa';
import type { Views } from './views.js';
import type { Logger } from '../ops/logger.js';
import { ZodError } from 'zod';
import { HttpError, badRequest } from './errors.js';
import { formatZodError } from './guard.js';
import { isConnectionError } from '../db/unavailable.js';

/** JSON for APIs, a page for people. */
export function wantsJson(ctx: Context): boolean {
  return ctx.path.startsWith('/admin') || ctx.path.startsWith('/api/') || ctx.path.startsWith('/passport/') || (ctx.accepts('html', 'json') === 'json');
}

interface Exposed {
  status: number;
  code: string;
  description: string;
  headers: Record<string, string>;
}

function toExposed(error: unknown): Exposed | undefined {
  if (error instanceof HttpError) return error;
  // The database is away (restart, failover): a clean 503 the client may retry, not a 500.
  if (isConnectionError(error)) {
    return { status: 503, code: 'temporarily_unavailable', description: 'the service is temporarily unavailable; try again shortly', headers: { 'Retry-After': '5' } };
  }
  // Input should go through the guard (src/http/guard.ts); a schema parsed outside it still names the parameter.
  if (error instanceof ZodError) return badRequest(formatZodError(error));
  // A body whose Content-Encoding does not match its bytes: zlib fails while the parser inflates it.
  const zlib = (error as { code?: unknown } | undefined)?.code;
  if (zlib === 'Z_DATA_ERROR' || zlib === 'Z_BUF_ERROR') return badRequest('the request body could not be decompressed');
  // Koa and body-parser errors (malformed body, body too large) carry a 4xx status; their
  // message is shown only when marked safe, since a parser's message may quote the body.
  const e = error as { status?: number; expose?: boolean; message?: string };
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    const code = e.status === 413 ? 'request_too_large' : e.status === 415 ? 'unsupported_media_type' : 'invalid_request';
    const description = e.expose && e.message ? e.message : e.status === 413 ? 'the request body is too large' : 'the request could not be read';
    return { status: e.status, code, description, headers: {} };
  }
  return undefined;
}

export function errorHandler(views: Views, logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null && ctx.respond !== false) {
        if (wantsJson(ctx)) {
          ctx.status = 404;
          ctx.body = { error: 'not_found', error_description: 'no such resource' };
        } else {
          await views.render(ctx, 'not-found', {}, { status: 404 });
        }
      }
    } catch (error) {
      const exposed = toExposed(error);
      if (!exposed) logger.error({ err: error, method: ctx.method, path: ctx.path }, 'unhandled error');
      else if (error instanceof ZodError) logger.warn({ err: error, method: ctx.method, path: ctx.path }, 'input parsed outside the guard');
      const { status, code, description, headers } = exposed ?? {
        status: 500,
        code: 'server_error',
        description: 'internal server error',
        headers: {},
      };
      ctx.set(headers);
      if (wantsJson(ctx)) {
        ctx.status = status;
        ctx.body = { error: code, error_description: description };
      } else {
        await views.render(ctx, 'error', { error: code, description }, { status });
      }
    }
  };
}

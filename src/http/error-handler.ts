import type { Context, Middleware } from 'koa';
import type { Views } from './views.js';
import type { Logger } from '../ops/logger.js';
import { HttpError } from './errors.js';

/** JSON for APIs, a page for people. */
export function wantsJson(ctx: Context): boolean {
  return ctx.path.startsWith('/admin') || ctx.path.startsWith('/api/') || (ctx.accepts('html', 'json') === 'json');
}

interface Exposed {
  status: number;
  code: string;
  description: string;
  headers: Record<string, string>;
}

function toExposed(error: unknown): Exposed | undefined {
  if (error instanceof HttpError) return error;
  // Koa and body-parser errors (malformed JSON, body too large) carry status and expose.
  const e = error as { status?: number; expose?: boolean; message?: string; type?: string };
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    const description = e.type === 'entity.parse.failed' ? 'malformed JSON body' : (e.message ?? 'bad request');
    const code = e.status === 413 ? 'request_too_large' : e.status === 415 ? 'unsupported_media_type' : 'invalid_request';
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

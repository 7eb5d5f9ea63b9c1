import { createHash, timingSafeEqual } from 'node:crypto';
import Router, { RouterEvents } from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware, Next } from 'koa';
import type { Services } from '../services.js';
import { badRequest, HttpError, notFound, unauthorized } from '../http/errors.js';
import { parse, query } from '../http/guard.js';
import { adminOperations } from './operations.js';
import { openApiDocument } from './openapi.js';
import { ROUTES, type RouteSpec } from './schemas.js';

export type AdminOptions = { token?: string } | { local: true };

const PREFIX = '/admin';
const JSON_LIMIT = '64kb';

function isAdminPath(path: string): boolean {
  return path === PREFIX || path.startsWith(`${PREFIX}/`);
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Compares fixed-length digests, so neither the token's content nor its length leaks through timing. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  return timingSafeEqual(digest(presented ?? ''), digest(expected)) && presented !== undefined;
}

function bearer(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1];
}

const disabled = () => notFound('the admin API is disabled (set ADMIN_TOKEN)');

/** No-store on every admin answer, then authentication. */
function gate(options: AdminOptions): Middleware {
  const local = 'local' in options && options.local === true;
  const token = 'token' in options ? options.token : undefined;
  return async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    if (!local) {
      if (token === undefined) throw disabled();
      const open = ctx.method === 'GET' && ctx.path === ROUTES.openapi.path;
      if (!open) {
        const presented = bearer(ctx);
        if (presented === undefined) throw unauthorized('a bearer token is required (Authorization: Bearer <ADMIN_TOKEN>)');
        if (!tokenMatches(presented, token)) throw unauthorized('the bearer token is not valid');
      }
    }
    await next();
  };
}

const parseJson = bodyParser({
  enableTypes: ['json'],
  jsonLimit: JSON_LIMIT,
  parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  // Never let the parser's own errors (whose messages may quote the body) reach the client.
  onError(error: Error & { status?: number; type?: string }) {
    if (error.status === 413 || error.type === 'entity.too.large') {
      throw new HttpError(413, 'request_too_large', `the request body is larger than ${JSON_LIMIT}`);
    }
    if (error instanceof SyntaxError) {
      throw badRequest(
        error.message.startsWith('invalid JSON, only supports')
          ? 'malformed JSON body: the body must be a JSON object'
          : 'malformed JSON body: the request body is not valid JSON',
      );
    }
    if (error.type === 'encoding.unsupported') throw new HttpError(415, 'unsupported_media_type', 'unsupported Content-Encoding');
    throw badRequest('the request body could not be read');
  },
});

/** A JSON body parser that refuses other media types with 415 instead of ignoring them. */
async function jsonBody(ctx: Context, next: Next): Promise<void> {
  // DELETE too: a body there is read so the route guard can refuse it, not silently ignored.
  if (ctx.method === 'POST' || ctx.method === 'PUT' || ctx.method === 'PATCH' || ctx.method === 'DELETE') {
    // No body (or an empty one) is fine for POST /admin/keys/rotate; a body of another type is not.
    const empty = ctx.request.length === 0 || (ctx.request.length === undefined && !ctx.get('transfer-encoding'));
    if (!empty && ctx.request.is('application/json') === false) {
      throw new HttpError(415, 'unsupported_media_type', 'the request body must be JSON (Content-Type: application/json)');
    }
    await parseJson(ctx, async () => undefined);
  }
  await next();
}

/** Zod guards for a route's params and query; bodies are read by the handler through its schema. */
function guard(spec: RouteSpec): Middleware {
  return async (ctx, next) => {
    if (spec.params) parse(spec.params, ctx.params);
    if (spec.query) query(ctx, spec.query);
    else if (Object.keys(ctx.query).length > 0) throw badRequest(`${spec.path} takes no query parameters`);
    if (!spec.body) {
      const body = (ctx.request as { body?: unknown }).body;
      const empty = body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0);
      if (!empty) throw badRequest(`${spec.path} takes no request body`);
    }
    await next();
  };
}

/**
 * The admin API under /admin. On the public app it needs `Authorization: Bearer
 * <ADMIN_TOKEN>` (and is switched off without one); on the unix-socket server
 * (`{ local: true }`) the socket's file permissions are the authentication.
 */
export function adminRouter(services: Services, options: AdminOptions): Router {
  const router = new Router();
  const enabled = 'local' in options ? options.local === true : options.token !== undefined;

  // Paths under /admin that match no route: same gate (so unauthenticated callers learn nothing), then 404.
  router.on(RouterEvents.NotFound, async (ctx, next) => {
    if (!isAdminPath(ctx.path)) return next();
    await gate(options)(ctx, async () => undefined);
    // A known path with another method: 405 (or the answer to OPTIONS), in JSON like every other error.
    const layers = (ctx as { matched?: { methods: string[] }[] }).matched ?? [];
    const allowed = [...new Set(layers.flatMap((layer) => layer.methods))];
    if (allowed.length === 0) throw notFound('no such admin endpoint');
    ctx.set('Allow', allowed.join(', '));
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      return;
    }
    throw new HttpError(405, 'method_not_allowed', `${ctx.method} is not allowed here; allowed: ${allowed.join(', ')}`, {
      Allow: allowed.join(', '),
    });
  });
  if (!enabled) return router;

  const ops = adminOperations(services);
  const openapi = openApiDocument();
  router.use(gate(options));
  router.use(jsonBody);

  const handlers: Record<keyof typeof ROUTES, Middleware> = {
    openapi: (ctx) => {
      ctx.body = openapi;
    },
    listClients: async (ctx) => {
      ctx.body = { clients: await ops.listClients() };
    },
    createClient: async (ctx) => {
      ctx.status = 201;
      ctx.body = await ops.createClient((ctx.request as { body?: unknown }).body);
    },
    showClient: async (ctx) => {
      ctx.body = await ops.showClient(ctx.params.id!);
    },
    deleteClient: async (ctx) => {
      await ops.deleteClient(ctx.params.id!);
      ctx.status = 204;
    },
    listUsers: async (ctx) => {
      ctx.body = await ops.listUsers(ctx.query);
    },
    createUser: async (ctx) => {
      ctx.status = 201;
      ctx.body = await ops.createUser((ctx.request as { body?: unknown }).body);
    },
    deleteUser: async (ctx) => {
      await ops.deleteUser(ctx.params.id!);
      ctx.status = 204;
    },
    listKeys: async (ctx) => {
      ctx.body = { keys: await ops.listKeys() };
    },
    rotateKeys: async (ctx) => {
      ctx.body = { keys: await ops.rotateKeys() };
    },
    migrationStatus: async (ctx) => {
      ctx.body = await ops.migrationStatus();
    },
    migrateToLatest: async (ctx) => {
      ctx.body = await ops.migrateToLatest();
    },
  };

  for (const [name, spec] of Object.entries(ROUTES) as [keyof typeof ROUTES, RouteSpec][]) {
    router[spec.method](spec.path, guard(spec), handlers[name]);
  }
  return router;
}

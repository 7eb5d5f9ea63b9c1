import { createHash, timingSafeEqual } from 'node:crypto';
import Router, { RouterEvents } from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware, Next } from 'koa';
import type { Services } from '../services.js';
import { badRequest, HttpError, notFound, unauthorized } from '../http/errors.js';
import { parse, query } from '../http/guard.js';
import { Readable } from 'node:stream';
import { ADMIN_TOKEN_ACTOR, CLI_USER_HEADER, cliActor, type AuditContext } from '../audit/actor.js';
import { adminOperations } from './operations.js';
import { openApiDocument } from './openapi.js';
import { ROUTES, type RouteSpec } from './schemas.js';

export type AdminOptions = { token?: string } | { local: true };

const PREFIX = '/admin';
const JSON_LIMIT = '64kb';

function isAdminPath(path: string): boolean {
  return path === PREFIX || path.startsWith(`${PREFIX}/`);
}

/** Who is calling, for the audit trail: the token on the public app, the CLI on the socket. */
function auditContext(ctx: Context, local: boolean): AuditContext {
  if (local) return { actor: cliActor(ctx.get(CLI_USER_HEADER) || undefined) };
  return { actor: ADMIN_TOKEN_ACTOR, ip: ctx.ip || undefined };
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

  const local = 'local' in options && options.local === true;
  const openapi = openApiDocument();
  router.use(gate(options));
  router.use(jsonBody);
  const opsOf = (ctx: Context) => adminOperations(services, auditContext(ctx, local));
  const bodyOf = (ctx: Context) => (ctx.request as { body?: unknown }).body;

  const handlers: Record<keyof typeof ROUTES, Middleware> = {
    openapi: (ctx) => {
      ctx.body = openapi;
    },
    listClients: async (ctx) => {
      ctx.body = { clients: await opsOf(ctx).listClients() };
    },
    createClient: async (ctx) => {
      ctx.status = 201;
      ctx.body = await opsOf(ctx).createClient(bodyOf(ctx));
    },
    showClient: async (ctx) => {
      ctx.body = await opsOf(ctx).showClient(ctx.params.id!);
    },
    updateClient: async (ctx) => {
      // The version travels in the body with the metadata; the operation takes it apart.
      const body = bodyOf(ctx);
      const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
      const { version, ...fields } = isObject ? (body as { version?: unknown }) : {};
      ctx.body = await opsOf(ctx).updateClient(ctx.params.id!, isObject ? fields : body, version);
    },
    rotateClientSecret: async (ctx) => {
      ctx.body = await opsOf(ctx).rotateClientSecret(ctx.params.id!);
    },
    clientImpact: async (ctx) => {
      ctx.body = await opsOf(ctx).clientImpact(ctx.params.id!);
    },
    deleteClient: async (ctx) => {
      await opsOf(ctx).deleteClient(ctx.params.id!);
      ctx.status = 204;
    },
    listUsers: async (ctx) => {
      ctx.body = await opsOf(ctx).listUsers(ctx.query);
    },
    createUser: async (ctx) => {
      ctx.status = 201;
      ctx.body = await opsOf(ctx).createUser(bodyOf(ctx));
    },
    showUser: async (ctx) => {
      ctx.body = await opsOf(ctx).showUser(ctx.params.id!);
    },
    disableUser: async (ctx) => {
      ctx.body = await opsOf(ctx).disableUser(ctx.params.id!);
    },
    enableUser: async (ctx) => {
      ctx.body = await opsOf(ctx).enableUser(ctx.params.id!);
    },
    signOutUser: async (ctx) => {
      ctx.body = await opsOf(ctx).signOutUserEverywhere(ctx.params.id!);
    },
    listOperators: async (ctx) => {
      ctx.body = { operators: await opsOf(ctx).listOperators() };
    },
    grantOperator: async (ctx) => {
      ctx.body = await opsOf(ctx).grantOperator(bodyOf(ctx));
    },
    revokeOperator: async (ctx) => {
      ctx.body = await opsOf(ctx).revokeOperator(bodyOf(ctx));
    },
    exportAudit: async (ctx) => {
      // The filter is checked here, before the first line: a bad one is a 400 in JSON, not a broken stream.
      const lines = opsOf(ctx).exportAudit(ctx.query);
      ctx.type = 'application/x-ndjson; charset=utf-8';
      ctx.body = Readable.from(lines);
    },
    deleteUser: async (ctx) => {
      await opsOf(ctx).deleteUser(ctx.params.id!);
      ctx.status = 204;
    },
    listKeys: async (ctx) => {
      ctx.body = { keys: await opsOf(ctx).listKeys() };
    },
    rotateKeys: async (ctx) => {
      ctx.body = { keys: await opsOf(ctx).rotateKeys() };
    },
    migrationStatus: async (ctx) => {
      ctx.body = await opsOf(ctx).migrationStatus();
    },
    migrateToLatest: async (ctx) => {
      ctx.body = await opsOf(ctx).migrateToLatest();
    },
  };

  for (const [name, spec] of Object.entries(ROUTES) as [keyof typeof ROUTES, RouteSpec][]) {
    router[spec.method](spec.path, guard(spec), handlers[name]);
  }
  return router;
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type Router from '@koa/router';
import Koa from 'koa';
import { z } from 'zod';
import * as oidc from 'openid-client';
import { createApp } from '../../src/app.js';
import { ROUTES } from '../../src/admin/schemas.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { PROVIDER_ROUTES } from '../../src/oidc/routes.js';
import { createLogger } from '../../src/ops/logger.js';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { signInToAccount } from '../helpers/account.js';
import { httpEngines } from '../helpers/db.js';
import { authorizationRequest, discover, POST_LOGOUT_URI, REDIRECT_URI, signInAndConsent } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Every route of the app, taken from its routers, plus oidc-provider's endpoints, fed
 * malformed input with and without authentication: nothing may answer 5xx; APIs answer
 * JSON errors and pages answer the readable error page.
 */

const ADMIN_TOKEN = randomBytes(32).toString('base64url');
const INITIAL_ACCESS_TOKEN = randomBytes(32).toString('base64url');
const HUGE = 3 * 1024 * 1024;
const LONG = 'x'.repeat(4000);

interface Route {
  method: string;
  path: string;
}

/** Parameters a route knows, by where they go; routes not listed get the generic inputs only. */
interface Known {
  query?: string[];
  form?: string[];
  json?: string[];
}

const AUTH_PARAMS = ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt', 'ui_locales', 'claims', 'passport_scope', 'max_age', 'login_hint', 'request', 'request_uri', 'response_mode'];
// The client authenticates with HTTP Basic (signed-in runs), so its credentials are not form fields here.
const TOKEN_PARAMS = ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope'];
const INTROSPECT_PARAMS = ['token', 'token_type_hint'];
const LOGOUT_PARAMS = ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id', 'ui_locales', 'logout_hint'];
const CREDENTIALS = ['csrf', 'email', 'password'];

const KNOWN: Record<string, Known> = {
  'GET /account/login': { query: ['lang'] },
  'GET /account/callback': { query: ['state', 'code', 'error', 'iss'] },
  'POST /interaction/:uid/login': { form: CREDENTIALS },
  'POST /interaction/:uid/signup': { form: [...CREDENTIALS, 'password_confirm'] },
  'POST /interaction/:uid/consent': { form: ['csrf', 'decision'] },
  'POST /interaction/:uid/passport': { json: ['csrf', 'jwe', 'file_ids', 'element_types'] },
  'POST /interaction/:uid/abort': { form: ['csrf'] },
  'POST /interaction/:uid/switch': { form: ['csrf'] },
  'POST /api/vault': { json: ['vault_id', 'kdf', 'wrapped_mk', 'recovery_wrapped_mk'] },
  'PUT /api/vault/key': { json: ['kdf', 'wrapped_mk', 'recovery_wrapped_mk', 'vault_version'] },
  'PUT /api/vault/elements/:id': { json: ['type', 'version', 'wrapped_key', 'ciphertext', 'file_ids'] },
  'DELETE /api/vault/elements/:id': { query: ['version'] },
  'POST /api/vault/files': { query: ['id', 'media_type', 'wrapped_key'] },
  'GET /auth': { query: AUTH_PARAMS },
  'POST /request': { form: AUTH_PARAMS },
  'POST /token': { form: TOKEN_PARAMS },
  'GET /me': { query: ['access_token'] },
  'POST /me': { form: ['access_token'] },
  'POST /token/introspection': { form: INTROSPECT_PARAMS },
  'POST /token/revocation': { form: INTROSPECT_PARAMS },
  'GET /session/end': { query: LOGOUT_PARAMS },
  'POST /session/end/confirm': { form: ['xsrf', 'logout'] },
  'POST /reg': { json: ['redirect_uris', 'client_name', 'jwks', 'token_endpoint_auth_method', 'passport_release_alg'] },
};

// The admin routes describe themselves (src/admin/schemas.ts).
for (const spec of Object.values(ROUTES) as { method: string; path: string; query?: z.ZodObject; body?: z.ZodType }[]) {
  const known: Known = {};
  if (spec.query) known.query = Object.keys(spec.query.shape);
  if (spec.body && 'shape' in spec.body) known.json = Object.keys((spec.body as z.ZodObject).shape);
  KNOWN[`${spec.method.toUpperCase()} ${spec.path}`] = known;
}

/**
 * oidc-provider's endpoints, with the methods it serves on each (its router is not ours to
 * walk). Token-spending endpoints last, so the access token is still good for the others.
 */
const PROVIDER: Route[] = [
  { method: 'GET', path: PROVIDER_ROUTES.discovery },
  { method: 'GET', path: PROVIDER_ROUTES.jwks },
  { method: 'GET', path: PROVIDER_ROUTES.userinfo },
  { method: 'POST', path: PROVIDER_ROUTES.userinfo },
  { method: 'POST', path: PROVIDER_ROUTES.introspection },
  { method: 'GET', path: PROVIDER_ROUTES.authorization },
  { method: 'GET', path: `${PROVIDER_ROUTES.authorization}/:uid` },
  { method: 'POST', path: PROVIDER_ROUTES.pushed_authorization_request },
  { method: 'GET', path: PROVIDER_ROUTES.end_session },
  { method: 'POST', path: `${PROVIDER_ROUTES.end_session}/confirm` },
  { method: 'GET', path: `${PROVIDER_ROUTES.end_session}/success` },
  { method: 'POST', path: PROVIDER_ROUTES.registration },
  { method: 'GET', path: `${PROVIDER_ROUTES.registration}/:id` },
  { method: 'POST', path: PROVIDER_ROUTES.token },
  { method: 'POST', path: PROVIDER_ROUTES.revocation },
];

/** Every method + path the app's routers answer, read from the routers' own layers. */
function appRoutes(app: Koa): Route[] {
  // `router.routes()` hands Koa a dispatch function that carries its router.
  const routers = app.middleware.flatMap((m) => (m as { router?: Router }).router ?? []);
  const routes = new Map<string, Route>();
  for (const router of routers) {
    for (const layer of router.stack) {
      for (const method of layer.methods) {
        if (method === 'HEAD' || typeof layer.path !== 'string') continue;
        routes.set(`${method} ${layer.path}`, { method, path: layer.path });
      }
    }
  }
  return [...routes.values()];
}

const isApi = (path: string) => /^\/(api|admin|passport)(\/|$)/.test(path);
const isProvider = (path: string) => PROVIDER.some((r) => r.path === path);
/** oidc-provider's endpoints a browser visits: they answer errors with our error page. */
const PROVIDER_PAGES = ['/auth', '/auth/:uid', '/session/end', '/session/end/success'];
const isPage = (path: string) => !isApi(path) && (!isProvider(path) || PROVIDER_PAGES.includes(path));
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const OIDC_CODES = new Set([
  'invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope',
  'invalid_token', 'insufficient_scope', 'invalid_client_metadata', 'invalid_redirect_uri', 'invalid_request_uri',
  'invalid_request_object', 'request_not_supported', 'request_uri_not_supported', 'registration_not_supported',
  'unsupported_response_type', 'unsupported_response_mode', 'invalid_dpop_proof', 'not_found', 'access_denied', 'login_required',
  'consent_required', 'interaction_required', 'invalid_target', 'unmet_authentication_requirements',
]);

interface Attempt {
  label: string;
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

type Caller = 'anonymous' | 'signed-in' | 'signing-in';

interface Answer {
  status: number;
  type: string;
  text: string;
}

describe.each(httpEngines())('bad input on every route (%s)', (engine) => {
  let server: TestServer;
  const errors: string[] = [];
  let routes: Route[];
  const ctx = {
    clientId: '',
    clientSecret: '',
    accessToken: '',
    refreshToken: '',
    vaultCsrf: '',
    holder: new FormAgent(),
    visitor: new FormAgent(),
    consentUid: '',
    consentCsrf: '',
    loginUid: '',
    loginCsrf: '',
    adminClientId: '',
  };

  beforeAll(async () => {
    // Collect what the server logs at error level, to show the stack next to a 5xx.
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        errors.push(chunk.toString());
        done();
      },
    });
    server = await startTestServer(engine, { ADMIN_TOKEN, INITIAL_ACCESS_TOKEN }, { logger: createLogger('error', sink) });
    routes = [...appRoutes(createApp(server.services)), ...PROVIDER];

    const client = await server.services.clients.create({
      client_name: 'Bad input RP',
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [POST_LOGOUT_URI],
      scope: 'openid email offline_access',
    });
    ctx.clientId = client.client_id;
    ctx.clientSecret = client.client_secret!;
    // The admin routes get a client of their own: a bad request that deleted it would show at the end.
    ctx.adminClientId = (await server.services.clients.create({ client_name: 'Admin target', redirect_uris: [REDIRECT_URI] })).client_id;

    // A signed-in holder with a token set, and a consent interaction left open.
    const { agent, csrf } = await signInToAccount(server, 'holder@example.com', ctx.holder);
    ctx.vaultCsrf = csrf;
    const config = await discover(server.url, ctx.clientId, ctx.clientSecret);
    const auth = await authorizationRequest(config);
    const callback = await signInAndConsent(agent, auth.url, { email: 'holder@example.com' });
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    ctx.accessToken = tokens.access_token;
    ctx.refreshToken = tokens.refresh_token!;
    const pending = await authorizationRequest(config);
    const consent = await agent.follow(pending.url, {}, REDIRECT_URI);
    ctx.consentUid = consent.url.pathname.split('/')[2]!;
    ctx.consentCsrf = hiddenField(await consent.response.text(), 'csrf');

    // Someone on the sign-in page, not signed in.
    const login = await ctx.visitor.follow((await authorizationRequest(config)).url, {}, REDIRECT_URI);
    ctx.loginUid = login.url.pathname.split('/')[2]!;
    ctx.loginCsrf = hiddenField(await login.response.text(), 'csrf');
  });
  afterAll(() => server?.close());

  /** Sends as the caller: a browser keeps the cookies it is given (oidc-provider rotates the session's). */
  async function send(a: Attempt, who: Caller = 'anonymous'): Promise<Answer> {
    const url = `${server.url}${a.path}${a.query ? `?${a.query}` : ''}`;
    const init = { method: a.method, headers: a.headers, body: a.body as BodyInit | undefined, redirect: 'manual' as const };
    const response = await (who === 'signed-in' ? ctx.holder.request(url, init) : who === 'signing-in' ? ctx.visitor.request(url, init) : fetch(url, init));
    return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
  }

  /** A plausible value for a parameter, so the request gets past the checks before the one under test. */
  function valueOf(name: string): string {
    const values: Record<string, string> = {
      client_id: ctx.clientId,
      client_secret: ctx.clientSecret,
      redirect_uri: REDIRECT_URI,
      post_logout_redirect_uri: POST_LOGOUT_URI,
      response_type: 'code',
      scope: 'openid email',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
      code_challenge_method: 'S256',
      prompt: 'consent',
      ui_locales: 'ar',
      lang: 'ar',
      claims: '{"userinfo":{"email":null}}',
      passport_scope: '{"v":1,"data":["email"]}',
      max_age: '60',
      grant_type: 'refresh_token',
      refresh_token: ctx.refreshToken,
      token: ctx.accessToken,
      access_token: ctx.accessToken,
      token_type_hint: 'access_token',
      iss: server.url,
      error: 'access_denied',
      version: '1',
      id: randomUUID(),
      vault_id: randomUUID(),
      media_type: 'image/jpeg',
      csrf: ctx.vaultCsrf,
      email: 'holder@example.com',
      decision: 'allow',
      limit: '10',
      offset: '0',
      redirect_uris: REDIRECT_URI,
    };
    return values[name] ?? 'value';
  }

  /** The route's path with its parameters filled in. */
  function fill(path: string, id: string, uid: string): string {
    return path.replace(':uid', uid).replace(':id', id);
  }

  /** The headers of a caller: nobody, or the signed-in holder with the credentials the route takes. */
  function authHeaders(path: string, who: Caller): Record<string, string> {
    const accept = isPage(path) ? BROWSER_ACCEPT : 'application/json';
    if (who !== 'signed-in') return { accept };
    const headers: Record<string, string> = { accept, 'x-csrf-token': ctx.vaultCsrf };
    if (path.startsWith('/admin')) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
    else if (path === '/me' || path.startsWith('/passport/')) headers.authorization = `Bearer ${ctx.accessToken}`;
    else if (path === '/reg') headers.authorization = `Bearer ${INITIAL_ACCESS_TOKEN}`;
    else if (path.startsWith('/token') || path === '/request') {
      headers.authorization = `Basic ${Buffer.from(`${ctx.clientId}:${ctx.clientSecret}`).toString('base64')}`;
    }
    return headers;
  }

  const form = (pairs: [string, string][]) => new URLSearchParams(pairs).toString();
  const doubled = (names: string[], twice: string[], value: (name: string) => string) =>
    names.flatMap((n): [string, string][] => (twice.includes(n) ? [[n, value(n)], [n, `${value(n)}2`]] : [[n, value(n)]]));

  /** Every malformed request for one route, for one caller. */
  function attempts(route: Route, who: Caller): Attempt[] {
    const known = KNOWN[`${route.method} ${route.path}`] ?? {};
    const uid = who === 'signed-in' ? ctx.consentUid : who === 'signing-in' ? ctx.loginUid : 'no-such-interaction';
    // The sign-in pages' forms carry the page's own CSRF token, so the field under test is what fails.
    const interactionCsrf = who === 'signed-in' ? ctx.consentCsrf : who === 'signing-in' ? ctx.loginCsrf : 'no-token';
    const value = (n: string) => (n === 'csrf' && route.path.startsWith('/interaction') ? interactionCsrf : valueOf(n));
    const id = route.path.startsWith('/admin/clients') ? ctx.adminClientId : route.path.startsWith('/reg') ? ctx.clientId : randomUUID();
    const base = { method: route.method, headers: authHeaders(route.path, who) };
    const path = fill(route.path, id, uid);
    const list: Attempt[] = [{ ...base, label: 'generic duplicate', path, query: 'a=1&a=2' }];

    if (route.path.includes(':')) {
      for (const bad of ['not-a-uuid', LONG, '%00', '%E0%A4%A', `${randomUUID()}%20`, '..%2F..%2Fetc']) {
        list.push({ ...base, label: `path parameter ${bad.slice(0, 20)}`, path: fill(route.path, bad, bad) });
      }
    }
    const query = known.query ?? [];
    list.push({ ...base, label: 'malformed query encoding', path, query: `${query[0] ?? 'a'}=%E0%A4%A&b[c]=1&=&&` });
    if (query.length) {
      list.push({ ...base, label: 'every query parameter doubled', path, query: form(doubled(query, query, value)) });
      for (const name of query) {
        list.push({ ...base, label: `query ${name} doubled`, path, query: form(doubled(query, [name], value)) });
        list.push({ ...base, label: `query ${name} overlong`, path, query: form([...doubled(query.filter((n) => n !== name), [], value), [name, LONG]]) });
      }
    }
    if (route.method === 'GET') return list;

    const json = { ...base.headers, 'content-type': 'application/json' };
    const withType = (type: string) => ({ ...base.headers, 'content-type': type });
    const bodies: [string, Record<string, string>, string | Uint8Array][] = [
      ['invalid JSON', json, '{"a":'],
      ['JSON array', json, '[]'],
      ['JSON array of objects', json, '[{"csrf":"x"}]'],
      ['JSON number', json, '42'],
      ['JSON string', json, '"text"'],
      ['JSON null', json, 'null'],
      ['JSON true', json, 'true'],
      ['empty JSON body', json, ''],
      ['deeply nested JSON', json, `${'['.repeat(5000)}${']'.repeat(5000)}`],
      ['JSON in UTF-16', withType('application/json; charset=utf-16'), '{"a":1}'],
      ['JSON with an unknown charset', withType('application/json; charset=klingon'), '{"a":1}'],
      ['JSON with a bogus content-encoding', { ...json, 'content-encoding': 'gzip' }, '{"not":"gzip"}'],
      ['JSON with an unknown content-encoding', { ...json, 'content-encoding': 'zstd-ish' }, '{"a":1}'],
      ['text/plain', withType('text/plain'), 'hello'],
      ['XML', withType('application/xml'), '<a/>'],
      ['multipart without boundary', withType('multipart/form-data'), '--x\r\n'],
      ['no content type', base.headers, new TextEncoder().encode('{"a":1}')],
      ['malformed content type', withType('application/json;;;=='), '{"a":1}'],
      ['form with malformed encoding', withType('application/x-www-form-urlencoded'), 'a=%E0%A4%A&b[c]=1&=&&'],
      ['form with a generic duplicate', withType('application/x-www-form-urlencoded'), 'a=1&a=2'],
      ['octet stream', withType('application/octet-stream'), new Uint8Array(64)],
      ['huge JSON', json, `{"a":"${'x'.repeat(HUGE)}"}`],
      ['huge form', withType('application/x-www-form-urlencoded'), `a=${'x'.repeat(HUGE)}`],
      ['huge octet stream', withType('application/octet-stream'), new Uint8Array(HUGE)],
    ];
    for (const [label, headers, body] of bodies) {
      if (label === 'empty JSON body' && route.method === 'DELETE') continue; // no body is a DELETE's normal form
      list.push({ ...base, label, path, headers, body });
    }

    const formNames = known.form ?? [];
    const formType = withType('application/x-www-form-urlencoded');
    if (formNames.length) {
      list.push({ ...base, label: 'every form field doubled', path, headers: formType, body: form(doubled(formNames, formNames, value)) });
      for (const name of formNames) {
        list.push({ ...base, label: `form ${name} doubled`, path, headers: formType, body: form(doubled(formNames, [name], value)) });
        list.push({ ...base, label: `form ${name} overlong`, path, headers: formType, body: form([...doubled(formNames.filter((n) => n !== name), [], value), [name, LONG]]) });
        list.push({ ...base, label: `form ${name} as JSON`, path, headers: json, body: JSON.stringify({ [name]: value(name) }) });
      }
    }
    for (const name of known.json ?? []) {
      for (const [kind, value] of [['number', 12345], ['array', ['a', 'b']], ['object', { a: 1 }], ['null', null], ['overlong string', 'x'.repeat(100_000)]] as const) {
        list.push({ ...base, label: `JSON ${name} as ${kind}`, path, headers: json, body: JSON.stringify({ [name]: value }) });
      }
    }
    return list;
  }

  /** The first error the server logged for the request: its message and where it was thrown. */
  function logged(): string {
    if (!errors.length) return '';
    const entry = JSON.parse(errors[0]!) as { err?: { type?: string; message?: string; stack?: string } };
    const at = entry.err?.stack?.split('\n').find((l) => l.includes('/src/')) ?? '';
    return ` — ${entry.err?.type}: ${entry.err?.message?.replace(/\s+/g, ' ').slice(0, 160)} ${at.trim()}`;
  }

  /** What is wrong with an answer, if anything. */
  function problem(route: Route, answer: Answer): string | undefined {
    if (answer.status >= 500) return `${answer.status}`;
    if (answer.status < 400) return undefined;
    const json = answer.type.startsWith('application/json');
    if (!isPage(route.path)) {
      if (!json) return `${answer.status} answered ${answer.type || 'no content type'}, not JSON`;
      const body = JSON.parse(answer.text) as { error?: unknown; error_description?: unknown };
      if (typeof body.error !== 'string') return `${answer.status} JSON without an error code`;
      if (isProvider(route.path) && !OIDC_CODES.has(body.error)) return `${answer.status} with a code that is not OpenID's: ${body.error}`;
      if (isApi(route.path) && typeof body.error_description !== 'string') return `${answer.status} JSON without error_description`;
      return undefined;
    }
    if (route.path === '/interaction/:uid/passport' && json) return undefined; // the consent page's own fetch
    if (!answer.type.startsWith('text/html') || !/<h1>/.test(answer.text)) return `${answer.status} answered ${answer.type}, not a page`;
    // A 400 is the error page, or the form shown again with its alert (a sign-up whose passwords differ).
    if (answer.status === 400 && !answer.text.includes('class="details"') && !answer.text.includes('role="alert"')) return '400 without the error page';
    return undefined;
  }

  it('finds every route in the routers, and every described route exists', () => {
    const keys = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const expected of ['GET /account/callback', 'GET /interaction/:uid', 'POST /api/vault/files', 'POST /api/releases/:id/revoke', 'GET /passport/files/:id', 'DELETE /admin/users/:id', 'GET /readyz', 'GET /']) {
      expect(keys).toContain(expected);
    }
    expect(Object.keys(KNOWN).filter((k) => !keys.has(k))).toEqual([]);
  });

  it.each(['anonymous', 'signed-in', 'signing-in'] as const)('no route answers 5xx, and errors keep their format (%s)', async (who) => {
    const failures: string[] = [];
    const targets = who === 'signing-in' ? routes.filter((r) => r.path.startsWith('/interaction')) : routes;
    for (const route of targets) {
      for (const a of attempts(route, who)) {
        errors.length = 0;
        const answer = await send(a, who);
        const wrong = problem(route, answer);
        if (wrong) {
          failures.push(`${a.method} ${route.path} [${a.label}]: ${wrong}${logged()}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('answers a duplicated state on the account callback with the readable error page', async () => {
    const answer = await send({ label: 'issue', method: 'GET', path: '/account/callback', query: 'state=a&state=b' });
    expect(answer.status).toBe(400);
    expect(answer.type).toMatch(/^text\/html/);
    expect(answer.text).toContain('class="details"');
    expect(answer.text).toContain('invalid_request');
    expect(answer.text).toContain('state: must be given once');
  });

  it('changed nothing: the session and both clients are still there', async () => {
    const answer = await send({ label: 'session', method: 'GET', path: '/api/vault' }, 'signed-in');
    expect(answer.status).toBe(200);
    expect(await server.services.clients.show(ctx.clientId)).toBeTruthy();
    expect(await server.services.clients.show(ctx.adminClientId)).toBeTruthy();
  });
});

describe('a ZodError that escapes a handler', () => {
  it('becomes a 400 invalid_request naming the parameter, in JSON and as a page', async () => {
    const server = await startTestServer('pglite');
    try {
      const app = new Koa();
      app.use(errorHandler(server.services.views, createLogger('silent')));
      app.use((ctx) => {
        z.object({ state: z.string() }).parse(ctx.query);
      });
      const listener = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => listener.once('listening', resolve));
      const base = `http://127.0.0.1:${(listener.address() as { port: number }).port}`;
      try {
        const api = await fetch(`${base}/api/x?state=a&state=b`);
        expect(api.status).toBe(400);
        const body = (await api.json()) as { error: string; error_description: string };
        expect(body.error).toBe('invalid_request');
        expect(body.error_description).toMatch(/^state: /);
        const page = await fetch(`${base}/page?state=a&state=b`);
        expect(page.status).toBe(400);
        const html = await page.text();
        expect(html).toContain('class="details"');
        expect(html).toContain('state: ');
      } finally {
        await new Promise((resolve) => listener.close(resolve));
      }
    } finally {
      await server.close();
    }
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type Koa from 'koa';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/app.js';
import { createServices, type Services } from '../../src/services.js';
import { createLogger } from '../../src/ops/logger.js';
import { tokenMatches } from '../../src/admin/routes.js';
import { httpEngines, testDatabase, type TestDatabase } from '../helpers/db.js';
import { testSecrets } from '../helpers/server.js';

const TOKEN = 'x'.repeat(40);
const auth = { Authorization: `Bearer ${TOKEN}` };
const REDIRECT_URI = 'http://localhost:4000/cb';
const PASSWORD = 'correct horse battery staple 42';

describe('tokenMatches', () => {
  it('compares whole tokens of any length', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN.slice(1), TOKEN)).toBe(false);
    expect(tokenMatches(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(tokenMatches('', TOKEN)).toBe(false);
    expect(tokenMatches(undefined, TOKEN)).toBe(false);
  });
});

describe.each(httpEngines())('admin API (%s)', (engine) => {
  let database: TestDatabase;
  let services: Services;
  let server: ReturnType<Koa['callback']>;

  beforeAll(async () => {
    const config = loadConfig(
      {},
      {
        NODE_ENV: 'test',
        DATABASE_URL: 'memory://',
        ADMIN_TOKEN: TOKEN,
        LOG_LEVEL: 'silent',
        ARGON2_MEMORY_KIB: 8192,
        ARGON2_TIME_COST: 1,
        CLEANUP_INTERVAL_SECONDS: 0,
        ...testSecrets(),
      },
    );
    database = await testDatabase(engine);
    services = await createServices(config, database, createLogger('silent'));
    server = createApp(services).callback();
  });
  afterAll(() => database?.close());
  beforeEach(() => database.reset());

  const createClient = (body: unknown = { client_name: 'Demo', redirect_uris: [REDIRECT_URI] }) =>
    request(server).post('/admin/clients').set(auth).send(body as object);

  describe('authentication', () => {
    it('refuses a request without a token, with WWW-Authenticate', async () => {
      const res = await request(server).get('/admin/clients');
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('unauthorized');
      expect(res.body.error_description).toMatch(/bearer/i);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('refuses a wrong token, one of another length, and another scheme', async () => {
      for (const header of [`Bearer ${'y'.repeat(40)}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`]) {
        const res = await request(server).get('/admin/clients').set('Authorization', header);
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('unauthorized');
        expect(JSON.stringify(res.body)).not.toContain(TOKEN.slice(0, 10));
      }
    });

    it('refuses unknown admin paths and writes before authentication', async () => {
      expect((await request(server).get('/admin/nope')).status).toBe(401);
      expect((await request(server).post('/admin/clients').send({ client_name: 'x' })).status).toBe(401);
      expect(await services.clients.list()).toEqual([]);
    });

    it('answers unknown paths with 404 and other methods with 405, in JSON, once authenticated', async () => {
      const missing = await request(server).get('/admin/nope').set(auth);
      expect(missing.status).toBe(404);
      expect(missing.body.error).toBe('not_found');
      const method = await request(server).put('/admin/clients').set(auth).send({});
      expect(method.status).toBe(405);
      expect(method.body.error).toBe('method_not_allowed');
      expect(method.headers.allow).toContain('POST');
    });

    it('is disabled (404 everywhere) when ADMIN_TOKEN is unset', async () => {
      const disabled = createApp({ ...services, config: { ...services.config, adminToken: undefined } }).callback();
      for (const path of ['/admin/clients', '/admin/openapi.json', '/admin', '/admin/anything/else']) {
        const res = await request(disabled).get(path).set(auth);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ error: 'not_found', error_description: 'the admin API is disabled (set ADMIN_TOKEN)' });
      }
      expect((await request(disabled).post('/admin/clients').set(auth).send({ client_name: 'x' })).status).toBe(404);
    });

    it('serves the OpenAPI document without a token', async () => {
      const res = await request(server).get('/admin/openapi.json');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      const doc = res.body;
      expect(doc.openapi).toMatch(/^3\.1\./);
      expect(doc.info.title).toBeTruthy();
      expect(doc.components.securitySchemes.adminToken).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
      expect(Object.keys(doc.paths).sort()).toEqual(
        [
          '/admin/audit',
          '/admin/clients',
          '/admin/clients/{id}',
          '/admin/clients/{id}/impact',
          '/admin/clients/{id}/secret',
          '/admin/keys',
          '/admin/keys/rotate',
          '/admin/migrations',
          '/admin/migrations/latest',
          '/admin/openapi.json',
          '/admin/operators',
          '/admin/operators/grant',
          '/admin/operators/revoke',
          '/admin/users',
          '/admin/users/{id}',
          '/admin/users/{id}/disable',
          '/admin/users/{id}/enable',
          '/admin/users/{id}/signout',
        ].sort(),
      );
      expect(Object.keys(doc.paths['/admin/clients']).sort()).toEqual(['get', 'post']);
      expect(Object.keys(doc.paths['/admin/clients/{id}']).sort()).toEqual(['delete', 'get', 'put']);
      expect(Object.keys(doc.paths['/admin/audit'].get.responses['200'].content)).toEqual(['application/x-ndjson']);
      const create = doc.paths['/admin/clients'].post;
      expect(create.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ClientInput' });
      expect(create.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Client' });
      const input = doc.components.schemas.ClientInput;
      expect(input.type).toBe('object');
      expect(input.required).toEqual(expect.arrayContaining(['client_name', 'redirect_uris']));
      expect(input.additionalProperties).toBe(false);
      expect(doc.paths['/admin/users/{id}'].delete.parameters[0]).toEqual(
        expect.objectContaining({ name: 'id', in: 'path', required: true }),
      );
      expect(doc.paths['/admin/users'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['email', 'limit', 'offset']);
      expect(doc.paths['/admin/openapi.json'].get.security).toEqual([]);
      // Every $ref resolves.
      for (const [, name] of JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([A-Za-z]+)"/g)) {
        expect(doc.components.schemas[name!]).toBeDefined();
      }
    });
  });

  describe('request bodies', () => {
    it('answers malformed JSON with 400 and a description that does not quote the body', async () => {
      const res = await request(server)
        .post('/admin/users')
        .set(auth)
        .set('Content-Type', 'application/json')
        .send('{"email": "a@example.com", "password": "hunter2-secret-value",');
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.error_description).toMatch(/malformed JSON/);
      expect(JSON.stringify(res.body)).not.toContain('hunter2');
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('answers a JSON scalar with 400', async () => {
      const res = await request(server).post('/admin/clients').set(auth).set('Content-Type', 'application/json').send('"hello"');
      expect(res.status).toBe(400);
      expect(res.body.error_description).toMatch(/JSON object/);
    });

    it('answers a non-JSON body with 415', async () => {
      const res = await request(server)
        .post('/admin/clients')
        .set(auth)
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('client_name=Demo');
      expect(res.status).toBe(415);
      expect(res.body.error).toBe('unsupported_media_type');
      const untyped = await request(server).post('/admin/users').set(auth).set('Content-Type', '').send(Buffer.from('{}'));
      expect(untyped.status).toBe(415);
    });

    it('answers a body over 64 kB with 413', async () => {
      const res = await createClient({ client_name: 'x'.repeat(70 * 1024), redirect_uris: [REDIRECT_URI] });
      expect(res.status).toBe(413);
      expect(res.body.error).toBe('request_too_large');
    });

    it('names the field with the wrong type', async () => {
      const res = await createClient({ client_name: 42, redirect_uris: [REDIRECT_URI] });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.body.error_description).toMatch(/client_name/);
    });

    it('names unknown fields', async () => {
      const res = await createClient({ client_name: 'Demo', redirect_uris: [REDIRECT_URI], is_admin: true });
      expect(res.status).toBe(400);
      expect(res.body.error_description).toMatch(/is_admin/);
    });

    it('refuses a bad redirect URI', async () => {
      for (const uri of ['not a url', 'http://localhost:4000/cb#fragment']) {
        const res = await createClient({ client_name: 'Demo', redirect_uris: [uri] });
        expect(res.status).toBe(400);
        expect(res.body.error).toBe('invalid_request');
        expect(res.body.error_description).toMatch(/redirect_uri/);
      }
      const none = await createClient({ client_name: 'Demo', redirect_uris: [] });
      expect(none.status).toBe(400);
      expect(none.body.error_description).toMatch(/redirect_uris/);
      expect(await services.clients.list()).toEqual([]);
    });

    it('refuses a body on routes that take none, and query parameters where none are defined', async () => {
      expect((await request(server).post('/admin/keys/rotate').set(auth).send({ force: true })).status).toBe(400);
      expect((await request(server).get('/admin/clients?x=1').set(auth)).status).toBe(400);
    });
  });

  describe('clients', () => {
    it('creates, lists, shows and deletes a client', async () => {
      const created = await createClient({
        client_name: 'Demo',
        redirect_uris: [REDIRECT_URI],
        post_logout_redirect_uris: ['http://localhost:4000/'],
        policy_uri: 'https://rp.example/privacy',
      });
      expect(created.status).toBe(201);
      expect(created.headers['cache-control']).toBe('no-store');
      const client = created.body;
      expect(client.client_id).toMatch(/^[A-Za-z0-9_-]{16,}$/);
      expect(client.client_secret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
      expect(client).toEqual(
        expect.objectContaining({
          client_name: 'Demo',
          redirect_uris: [REDIRECT_URI],
          token_endpoint_auth_method: 'client_secret_basic',
          policy_uri: 'https://rp.example/privacy',
        }),
      );

      const list = await request(server).get('/admin/clients').set(auth);
      expect(list.status).toBe(200);
      expect(list.body.clients.map((c: { client_id: string }) => c.client_id)).toEqual([client.client_id]);
      expect(JSON.stringify(list.body)).not.toContain(client.client_secret);

      const shown = await request(server).get(`/admin/clients/${client.client_id}`).set(auth);
      expect(shown.status).toBe(200);
      expect(shown.body.client_id).toBe(client.client_id);
      expect(shown.body.client_secret).toBeUndefined();

      const deleted = await request(server).delete(`/admin/clients/${client.client_id}`).set(auth);
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expect((await request(server).get(`/admin/clients/${client.client_id}`).set(auth)).status).toBe(404);
      const again = await request(server).delete(`/admin/clients/${client.client_id}`).set(auth);
      expect(again.status).toBe(404);
      expect(again.body.error).toBe('not_found');
    });

    it('creates a public client without a secret', async () => {
      const res = await createClient({ client_name: 'SPA', redirect_uris: [REDIRECT_URI], public: true });
      expect(res.status).toBe(201);
      expect(res.body.client_secret).toBeUndefined();
      expect(res.body.token_endpoint_auth_method).toBe('none');
    });

    it('validates the client id parameter', async () => {
      const res = await request(server).get('/admin/clients/not%20an%20id').set(auth);
      expect(res.status).toBe(400);
      expect(res.body.error_description).toMatch(/^id:/);
    });
  });

  describe('users', () => {
    const createUser = (body: object) => request(server).post('/admin/users').set(auth).send(body);

    it('creates, lists and deletes a user', async () => {
      const res = await createUser({ email: ' Alice@Example.com ', password: PASSWORD });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), email: 'alice@example.com', created_at: expect.any(String) });
      expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
      expect(Number.isNaN(Date.parse(res.body.created_at))).toBe(false);

      await createUser({ email: 'bob@example.com', password: PASSWORD });
      const list = await request(server).get('/admin/users').set(auth);
      expect(list.status).toBe(200);
      expect(list.body.users.map((u: { email: string }) => u.email)).toEqual(['alice@example.com', 'bob@example.com']);
      expect(list.body).toEqual(expect.objectContaining({ limit: 100, offset: 0 }));
      const page = await request(server).get('/admin/users?limit=1&offset=1').set(auth);
      expect(page.body.users.map((u: { email: string }) => u.email)).toEqual(['bob@example.com']);

      expect((await request(server).delete(`/admin/users/${res.body.id}`).set(auth)).status).toBe(204);
      expect((await request(server).delete(`/admin/users/${res.body.id}`).set(auth)).status).toBe(404);
      const after = await request(server).get('/admin/users').set(auth);
      expect(after.body.users.map((u: { email: string }) => u.email)).toEqual(['bob@example.com']);
    });

    it('refuses a too common password with too_common, without echoing it', async () => {
      const res = await createUser({ email: 'carol@example.com', password: 'password123' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('too_common');
      expect(res.body.error_description).toMatch(/common/);
      expect(JSON.stringify(res.body)).not.toContain('password123');
    });

    it('refuses short passwords and bad emails with their codes', async () => {
      const short = await createUser({ email: 'dave@example.com', password: 'short' });
      expect(short.status).toBe(400);
      expect(short.body.error).toBe('too_short');
      const email = await createUser({ email: 'not-an-email', password: PASSWORD });
      expect(email.status).toBe(400);
      expect(email.body.error).toBe('invalid_email');
    });

    it('answers a duplicate email with 409', async () => {
      expect((await createUser({ email: 'erin@example.com', password: PASSWORD })).status).toBe(201);
      const res = await createUser({ email: 'ERIN@example.com', password: `${PASSWORD}!` });
      expect(res.status).toBe(409);
      expect(res.body.error).toBe('email_taken');
    });

    it('validates ids and paging', async () => {
      const id = await request(server).delete('/admin/users/12345').set(auth);
      expect(id.status).toBe(400);
      expect(id.body.error_description).toMatch(/^id:/);
      const limit = await request(server).get('/admin/users?limit=0').set(auth);
      expect(limit.status).toBe(400);
      expect(limit.body.error_description).toMatch(/limit/);
      const unknown = await request(server).get('/admin/users?sort=email').set(auth);
      expect(unknown.status).toBe(400);
      expect(unknown.body.error_description).toMatch(/sort/);
      const missing = await createUser({ email: 'frank@example.com' });
      expect(missing.status).toBe(400);
      expect(missing.body.error_description).toMatch(/password/);
    });
  });

  describe('keys and migrations', () => {
    it('rotates the signing keys and keeps the old ones listed as retired', async () => {
      const before = await request(server).get('/admin/keys').set(auth);
      expect(before.status).toBe(200);
      const activeBefore = before.body.keys.filter((k: { status: string }) => k.status === 'active');
      expect(activeBefore.map((k: { alg: string }) => k.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
      expect(JSON.stringify(before.body)).not.toMatch(/"d"|sealed/);

      const rotated = await request(server).post('/admin/keys/rotate').set(auth);
      expect(rotated.status).toBe(200);
      const keys = rotated.body.keys as { kid: string; status: string; retired_at: string | null }[];
      const active = keys.filter((k) => k.status === 'active').map((k) => k.kid);
      const retired = keys.filter((k) => k.status === 'retired').map((k) => k.kid);
      expect(active).toHaveLength(3);
      for (const old of activeBefore) {
        expect(active).not.toContain(old.kid);
        expect(retired).toContain(old.kid);
      }
      expect(keys.filter((k) => k.status === 'retired').every((k) => k.retired_at !== null)).toBe(true);

      const after = await request(server).get('/admin/keys').set(auth);
      expect(after.body.keys.filter((k: { status: string }) => k.status === 'active').map((k: { kid: string }) => k.kid).sort()).toEqual(
        [...active].sort(),
      );
      // The provider signs with the new keys at once and still publishes the old ones.
      const jwks = await request(server).get('/jwks');
      expect(jwks.status).toBe(200);
      const published = (jwks.body.keys as { kid: string }[]).map((k) => k.kid);
      expect(published).toEqual(expect.arrayContaining([...active, ...activeBefore.map((k: { kid: string }) => k.kid)]));
    });

    it('lists applied and pending migrations, and migrating again runs nothing', async () => {
      const status = await request(server).get('/admin/migrations').set(auth);
      expect(status.status).toBe(200);
      expect(status.body.applied).toContain('0001_initial');
      expect(status.body.pending).toEqual([]);
      const latest = await request(server).post('/admin/migrations/latest').set(auth);
      expect(latest.status).toBe(200);
      expect(latest.body).toEqual({ executed: [], applied: status.body.applied, pending: [] });
    });
  });
});

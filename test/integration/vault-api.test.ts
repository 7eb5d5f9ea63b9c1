import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { FormAgent } from '../helpers/agent.js';
import { signInToAccount } from '../helpers/account.js';
import { engines } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { decodeStateRecord, nextStateRecord, signState, stateRecord, type StateChange, type StateRecord } from '../../src/protocol/index.js';

const b64 = (n: number) => randomBytes(n).toString('base64url');
const wrapped = () => b64(72); // a 32-byte key in a 24 + 16 byte envelope
const kdf = () => ({ alg: 'argon2id', m: 65536, t: 3, p: 1, salt: b64(16), v: 1 });
const setup = () => ({ vault_id: randomUUID(), kdf: kdf(), wrapped_mk: wrapped(), recovery_wrapped_mk: wrapped() });
const element = (version = 1, extra: Record<string, unknown> = {}) => ({
  type: 'passport',
  version,
  wrapped_key: wrapped(),
  ciphertext: b64(200),
  ...extra,
});

describe.each(engines())('vault API (%s)', (engine) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(engine, { VAULT_MAX_ELEMENTS: 3, VAULT_MAX_BYTES: 3 * 1024 * 1024 });
  });
  afterAll(() => server?.close());
  beforeEach(() => server.database.reset());

  /** A signed-in holder with JSON helpers bound to their cookies and CSRF token. */
  async function holder(email = 'holder@example.com') {
    const { agent, csrf, accountId } = await signInToAccount(server, email);
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await agent.request(`${server.url}/api/vault${path}`, {
        method,
        headers: { 'x-csrf-token': csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    const upload = async (bytes: Uint8Array, meta: Record<string, string> = {}) => {
      const id = meta.id ?? randomUUID();
      const query = new URLSearchParams({ id, media_type: 'image/jpeg', wrapped_key: wrapped(), ...meta });
      const response = await agent.request(`${server.url}/api/vault/files?${query}`, {
        method: 'POST',
        headers: { 'x-csrf-token': csrf, 'content-type': 'application/octet-stream' },
        body: bytes as Uint8Array<ArrayBuffer>,
      });
      return { id, status: response.status, body: await response.json() };
    };
    return { agent, csrf, accountId, call, upload };
  }

  it('answers 401 without a session, and 403 without the CSRF token', async () => {
    const anonymous = await new FormAgent().request(`${server.url}/api/vault`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'unauthorized' });

    const { call } = await holder();
    expect((await call('POST', '/', setup(), { 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await call('POST', '/', setup(), { 'x-csrf-token': '' })).status).toBe(403);
  });

  it('sets up once, then reads back exactly what was stored', async () => {
    const { call } = await holder();
    expect(await call('GET', '/')).toEqual({ status: 200, body: { vault: null } });
    const input = setup();
    expect((await call('POST', '/', input)).status).toBe(201);
    expect((await call('POST', '/', setup())).status).toBe(409);
    const { body } = await call('GET', '/');
    expect(body.vault).toMatchObject({ ...input, version: 1, elements: [], usage: { elements: 0, bytes: 0 } });
  });

  it('creates, replaces and deletes elements with the expected version; stale writes change nothing', async () => {
    const { call } = await holder();
    await call('POST', '/', setup());
    const id = randomUUID();
    expect((await call('PUT', `/elements/${id}`, element(2))).status).toBe(409); // must start at 1
    const first = element(1);
    expect(await call('PUT', `/elements/${id}`, first)).toEqual({ status: 200, body: { id, version: 1, vault_version: 2 } });
    expect((await call('PUT', `/elements/${id}`, element(1))).status).toBe(409); // stale
    expect((await call('PUT', `/elements/${id}`, element(3))).status).toBe(409); // skipped a version
    expect((await call('PUT', `/elements/${id}`, element(2, { type: 'identity_card' }))).status).toBe(400);

    let vault = (await call('GET', '/')).body.vault;
    expect(vault.version).toBe(2);
    expect(vault.elements).toHaveLength(1);
    expect(vault.elements[0]).toMatchObject({ id, version: 1, ciphertext: first.ciphertext, wrapped_key: first.wrapped_key });

    const second = element(2);
    expect((await call('PUT', `/elements/${id}`, second)).body).toEqual({ id, version: 2, vault_version: 3 });
    expect((await call('DELETE', `/elements/${id}?version=1`)).status).toBe(409);
    expect((await call('DELETE', `/elements/${id}?version=2`)).status).toBe(200);
    vault = (await call('GET', '/')).body.vault;
    expect(vault.elements).toEqual([]);
    expect(vault.version).toBe(4);
  });

  it('refuses malformed envelopes with a description', async () => {
    const { call } = await holder();
    await call('POST', '/', setup());
    const cases: [unknown, RegExp][] = [
      [{ ...setup(), wrapped_mk: 'short' }, /wrapped_mk/],
      [{ ...setup(), kdf: { ...kdf(), salt: 'x' } }, /kdf\.salt/],
      [{ ...setup(), extra: 1 }, /Unrecognized key|extra/],
    ];
    for (const [body, description] of cases) {
      const response = await call('POST', '/', body);
      expect(response.status).toBe(400);
      expect(response.body.error_description).toMatch(description);
    }
    const id = randomUUID();
    for (const [body, description] of [
      [element(1, { ciphertext: 'not base64url!' }), /ciphertext/],
      [element(1, { ciphertext: b64(70 * 1024) }), /ciphertext/],
      [element(1, { type: 'diary' }), /type/],
      [element(1, { wrapped_key: b64(71) }), /wrapped_key/],
      [element(1, { version: 0 }), /version/],
    ] as const) {
      const response = await call('PUT', `/elements/${id}`, body);
      expect(response.status).toBe(400);
      expect(response.body.error_description).toMatch(description);
    }
    expect((await call('PUT', '/elements/NOT-A-UUID', element(1))).status).toBe(400);
    expect((await call('PUT', `/elements/${id}`, '{"broken"')).status).toBe(400);
    expect((await call('GET', '/')).body.vault.elements).toEqual([]); // nothing written
  });

  it('stores scans as ciphertext, attaches them to elements and removes them with their element', async () => {
    const { call, upload, agent } = await holder();
    await call('POST', '/', setup());
    const bytes = new Uint8Array(randomBytes(100_000));
    const file = await upload(bytes);
    expect(file.status).toBe(201);
    expect(file.body).toMatchObject({ id: file.id, size: 100_000 });

    const download = await agent.request(`${server.url}/api/vault/files/${file.id}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('cache-control')).toBe('no-store');
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);

    const id = randomUUID();
    expect((await call('PUT', `/elements/${id}`, element(1, { file_ids: [file.id] }))).status).toBe(200);
    const vault = (await call('GET', '/')).body.vault;
    expect(vault.elements[0].files).toEqual([expect.objectContaining({ id: file.id, media_type: 'image/jpeg', size: 100_000 })]);

    // A new version without the scan drops it.
    expect((await call('PUT', `/elements/${id}`, element(2, { file_ids: [] }))).status).toBe(200);
    expect((await agent.request(`${server.url}/api/vault/files/${file.id}`)).status).toBe(404);

    const kept = await upload(bytes);
    await call('PUT', `/elements/${id}`, element(3, { file_ids: [kept.id] }));
    await call('DELETE', `/elements/${id}?version=3`);
    expect((await agent.request(`${server.url}/api/vault/files/${kept.id}`)).status).toBe(404);
  });

  it('refuses an oversized scan while it streams, keeping nothing', async () => {
    const { call, upload } = await holder();
    await call('POST', '/', setup());
    const tooBig = await upload(new Uint8Array(10 * 1024 * 1024 + 41));
    expect(tooBig.status).toBe(413);
    const count = await server.database.db.selectFrom('vault_files').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
    expect((await upload(new Uint8Array(10)).then((r) => r.status))).toBe(400); // shorter than an envelope
    expect((await upload(new Uint8Array(100), { media_type: 'text/html' })).status).toBe(400);
  });

  it('enforces the quotas', async () => {
    const { call, upload } = await holder();
    await call('POST', '/', setup());
    for (let i = 0; i < 3; i++) expect((await call('PUT', `/elements/${randomUUID()}`, element(1))).status).toBe(200);
    const over = await call('PUT', `/elements/${randomUUID()}`, element(1));
    expect(over.status).toBe(403);
    expect(over.body.error).toBe('quota_exceeded');

    await upload(new Uint8Array(1_500_000));
    await upload(new Uint8Array(1_400_000));
    expect((await upload(new Uint8Array(1_000_000))).status).toBe(403);
  });

  it("hides other holders' vaults: their elements and scans are 404", async () => {
    const alice = await holder('alice@example.com');
    await alice.call('POST', '/', setup());
    const id = randomUUID();
    const file = await alice.upload(new Uint8Array(1000));
    await alice.call('PUT', `/elements/${id}`, element(1, { file_ids: [file.id] }));

    const mallory = await holder('mallory@example.com');
    await mallory.call('POST', '/', setup());
    expect((await mallory.agent.request(`${server.url}/api/vault/files/${file.id}`)).status).toBe(404);
    expect((await mallory.call('DELETE', `/files/${file.id}`)).status).toBe(404);
    expect((await mallory.call('DELETE', `/elements/${id}?version=1`)).status).toBe(404);
    expect((await mallory.call('PUT', `/elements/${id}`, element(2))).status).toBe(404);
    expect((await mallory.call('PUT', `/elements/${id}`, element(1))).status).toBe(404);
    const mfile = await mallory.upload(new Uint8Array(1000));
    expect((await mallory.call('PUT', `/elements/${randomUUID()}`, element(1, { file_ids: [file.id] }))).status).toBe(404);
    expect((await mallory.call('GET', '/')).body.vault.elements).toEqual([]);
    expect(mfile.status).toBe(201);
    expect((await alice.call('GET', '/')).body.vault.elements).toHaveLength(1);
  });

  it('re-wraps the master key in one step, and refuses a stale vault version', async () => {
    const { call } = await holder();
    await call('POST', '/', setup());
    const rewrap = { kdf: kdf(), wrapped_mk: wrapped(), vault_version: 1 };
    expect((await call('PUT', '/key', rewrap)).body).toEqual({ vault_version: 2 });
    expect((await call('PUT', '/key', { ...rewrap, wrapped_mk: wrapped() })).status).toBe(409);
    const vault = (await call('GET', '/')).body.vault;
    expect(vault).toMatchObject({ kdf: rewrap.kdf, wrapped_mk: rewrap.wrapped_mk, version: 2 });
  });

  describe('the state record (DESIGN 5.8)', () => {
    const mk = new Uint8Array(randomBytes(32));
    type Setup = ReturnType<typeof setup>;
    const first = (input: Setup) =>
      stateRecord({ vaultId: input.vault_id, vaultVersion: 1, keys: { kdf: input.kdf, wrappedMk: input.wrapped_mk, recoveryWrappedMk: input.recovery_wrapped_mk }, elements: [] });
    const next = (base: StateRecord, change: StateChange) => signState(mk, nextStateRecord(base, change));

    it('is stored with every write, returned with the vault, and refused when stale or wrong', async () => {
      const { call, upload } = await holder();
      const input = setup();
      const signed = signState(mk, first(input));
      expect((await call('POST', '/', { ...input, state: signed.state.replace('"vault_version":1', '"vault_version":2'), state_mac: signed.state_mac })).status).toBe(400);
      expect((await call('POST', '/', { ...input, state: signed.state })).status).toBe(400); // no MAC
      expect((await call('POST', '/', { ...input, ...signed })).status).toBe(201);
      let vault = (await call('GET', '/')).body.vault;
      expect(vault).toMatchObject({ version: 1, ...signed });

      // An upload is not part of the state: the version stays.
      const file = await upload(new Uint8Array(1000));
      expect(file.body.vault_version).toBe(1);
      const id = randomUUID();
      let base = first(input);
      const put = next(base, { kind: 'put', id, version: 1, files: [file.id] });
      // A record that does not describe the write, or one for a version the write does not produce.
      const wrong = next(base, { kind: 'put', id, version: 1, files: [] });
      expect((await call('PUT', `/elements/${id}`, element(1, { file_ids: [file.id], ...wrong }))).status).toBe(400);
      const stale = signState(mk, { ...decodeStateRecord(put.state)!, vault_version: 3 });
      expect((await call('PUT', `/elements/${id}`, element(1, { file_ids: [file.id], ...stale }))).status).toBe(409);
      expect((await call('PUT', `/elements/${id}`, element(1, { file_ids: [file.id], state: '{"v":1}', state_mac: put.state_mac }))).body).toMatchObject({ error: 'invalid_request' });
      expect((await call('GET', '/')).body.vault).toMatchObject({ version: 1, elements: [], ...signed }); // nothing written
      expect(await call('PUT', `/elements/${id}`, element(1, { file_ids: [file.id], ...put }))).toEqual({ status: 200, body: { id, version: 1, vault_version: 2 } });
      vault = (await call('GET', '/')).body.vault;
      expect(vault).toMatchObject({ version: 2, ...put });
      base = decodeStateRecord(put.state)!;

      // Re-wrap, then delete with the record in the body.
      const keys = { kdf: kdf(), wrapped_mk: wrapped() };
      const rewrap = next(base, { kind: 'keys', keys: { kdf: keys.kdf, wrappedMk: keys.wrapped_mk, recoveryWrappedMk: input.recovery_wrapped_mk } });
      expect((await call('PUT', '/key', { ...keys, vault_version: 2, ...rewrap })).body).toEqual({ vault_version: 3 });
      base = decodeStateRecord(rewrap.state)!;
      const removed = next(base, { kind: 'delete', id });
      expect((await call('DELETE', `/elements/${id}?version=1`, { ...removed, extra: 1 })).status).toBe(400);
      expect((await call('DELETE', `/elements/${id}?version=1`, removed)).body).toEqual({ vault_version: 4 });
      expect((await call('GET', '/')).body.vault).toMatchObject({ version: 4, elements: [], ...removed });
    });

    it('is cleared by a write without one; a vault without one gets its first with PUT /state', async () => {
      const { call, upload } = await holder();
      const input = setup();
      await call('POST', '/', input);
      expect((await call('GET', '/')).body.vault).toMatchObject({ state: null, state_mac: null });
      const file = await upload(new Uint8Array(1000));
      const id = randomUUID();
      await call('PUT', `/elements/${id}`, element(1, { file_ids: [file.id] }));
      const now = stateRecord({
        vaultId: input.vault_id,
        vaultVersion: 2,
        keys: { kdf: input.kdf, wrappedMk: input.wrapped_mk, recoveryWrappedMk: input.recovery_wrapped_mk },
        elements: [{ id, version: 1, files: [file.id] }],
      });
      const signed = next(now, { kind: 'none' });
      expect((await call('PUT', '/state', { vault_version: 1, ...signed })).status).toBe(409);
      expect((await call('PUT', '/state', { vault_version: 2 })).status).toBe(400);
      expect((await call('PUT', '/state', { vault_version: 2, ...signed })).body).toEqual({ vault_version: 3 });
      expect((await call('GET', '/')).body.vault).toMatchObject({ version: 3, ...signed });

      // Unattached scans come and go without touching the state; removing an attached one clears it.
      const loose = await upload(new Uint8Array(1000));
      expect((await call('DELETE', `/files/${loose.id}`)).body).toEqual({ vault_version: 3 });
      expect((await call('GET', '/')).body.vault).toMatchObject({ version: 3, ...signed });
      expect((await call('DELETE', `/files/${file.id}`)).body).toEqual({ vault_version: 4 });
      expect((await call('GET', '/')).body.vault).toMatchObject({ version: 4, state: null, state_mac: null });
    });
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { signInToAccount } from '../helpers/account.js';
import { engines } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  createHolderKeys,
  holderKeyIds,
  nextStateRecord,
  signState,
  stateRecord,
  type StoredHolderKey,
} from '../../src/protocol/index.js';

/**
 * Holder keys through the vault API (DESIGN 5.5): stored at set-up or once
 * later with the state record that names them, returned with the vault, shapes
 * checked, another holder's never visible.
 */
const b64 = (n: number) => randomBytes(n).toString('base64url');
const wrapped = () => b64(72);
const kdf = () => ({ alg: 'argon2id', m: 65536, t: 3, p: 1, salt: b64(16), v: 1 });
const setup = () => ({ vault_id: randomUUID(), kdf: kdf(), wrapped_mk: wrapped(), recovery_wrapped_mk: wrapped() });
type Setup = ReturnType<typeof setup>;

describe.each(engines())('holder keys in the vault API (%s)', (engine) => {
  let server: TestServer;
  const mk = new Uint8Array(randomBytes(32));

  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server?.close());
  beforeEach(() => server.database.reset());

  async function holder(email = 'holder@example.com') {
    const { agent, csrf } = await signInToAccount(server, email);
    return async (method: string, path: string, body?: unknown) => {
      const response = await agent.request(`${server.url}/api/vault${path}`, {
        method,
        headers: { 'x-csrf-token': csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
  }
  const record = (input: Setup, holderKeys: string[] = []) =>
    stateRecord({
      vaultId: input.vault_id,
      vaultVersion: 1,
      keys: { kdf: input.kdf, wrappedMk: input.wrapped_mk, recoveryWrappedMk: input.recovery_wrapped_mk },
      elements: [],
      holderKeys,
    });

  it('stores them at set-up, with a record naming their kids, and returns them with the vault', async () => {
    const call = await holder();
    const input = setup();
    const keys = await createHolderKeys(mk, input.vault_id);
    // A record that leaves the kids out does not describe the new vault.
    expect((await call('POST', '/', { ...input, holder_keys: keys, ...signState(mk, record(input)) })).status).toBe(400);
    const signed = signState(mk, record(input, holderKeyIds(keys)));
    expect((await call('POST', '/', { ...input, holder_keys: keys, ...signed })).status).toBe(201);
    const { vault } = (await call('GET', '/')).body;
    expect(vault).toMatchObject({ version: 1, ...signed });
    expect(vault.holder_keys).toEqual(keys);
    // Set once: the API cannot replace them.
    const other = await createHolderKeys(mk, input.vault_id);
    const replace = signState(mk, nextStateRecord(record(input, holderKeyIds(keys)), { kind: 'holder_keys', ids: holderKeyIds(other) }));
    expect(await call('PUT', '/holder-keys', { holder_keys: other, vault_version: 1, ...replace })).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect((await call('GET', '/')).body.vault.holder_keys).toEqual(keys);
  });

  it('adds them once to a vault that has none, as a state-changing write; then 409', async () => {
    const call = await holder();
    const input = setup();
    const base = record(input);
    expect((await call('POST', '/', { ...input, ...signState(mk, base) })).status).toBe(201);
    expect((await call('GET', '/')).body.vault.holder_keys).toEqual([]);

    const keys = await createHolderKeys(mk, input.vault_id);
    const signed = signState(mk, nextStateRecord(base, { kind: 'holder_keys', ids: holderKeyIds(keys) }));
    // The record is required, must name the kids, and must be for the next version.
    expect((await call('PUT', '/holder-keys', { holder_keys: keys, vault_version: 1 })).status).toBe(400);
    const without = signState(mk, nextStateRecord(base, { kind: 'none' }));
    expect((await call('PUT', '/holder-keys', { holder_keys: keys, vault_version: 1, ...without })).status).toBe(400);
    expect((await call('PUT', '/holder-keys', { holder_keys: keys, vault_version: 2, ...signed })).status).toBe(409);
    expect((await call('GET', '/')).body.vault).toMatchObject({ version: 1, holder_keys: [] }); // nothing written

    expect(await call('PUT', '/holder-keys', { holder_keys: keys, vault_version: 1, ...signed })).toEqual({ status: 200, body: { vault_version: 2 } });
    expect((await call('GET', '/')).body.vault).toMatchObject({ version: 2, holder_keys: keys, ...signed });

    const again = signState(mk, nextStateRecord(nextStateRecord(base, { kind: 'holder_keys', ids: holderKeyIds(keys) }), { kind: 'none' }));
    expect((await call('PUT', '/holder-keys', { holder_keys: keys, vault_version: 2, ...again })).status).toBe(409);

    // Later writes must keep the kids in their record.
    const id = randomUUID();
    const element = { type: 'email', version: 1, wrapped_key: wrapped(), ciphertext: b64(200), file_ids: [] };
    const after = nextStateRecord(base, { kind: 'holder_keys', ids: holderKeyIds(keys) });
    const dropped = signState(mk, nextStateRecord({ ...after, holder_keys: [] }, { kind: 'put', id, version: 1, files: [] }));
    expect((await call('PUT', `/elements/${id}`, { ...element, ...dropped })).status).toBe(400);
    const kept = signState(mk, nextStateRecord(after, { kind: 'put', id, version: 1, files: [] }));
    expect((await call('PUT', `/elements/${id}`, { ...element, ...kept })).status).toBe(200);
  });

  it('refuses malformed keys with 400, naming the member', async () => {
    const call = await holder();
    const input = setup();
    expect((await call('POST', '/', input)).status).toBe(201);
    const [enc, sig] = (await createHolderKeys(mk, input.vault_id)) as [StoredHolderKey, StoredHolderKey];
    const jwk = (key: StoredHolderKey, extra: Record<string, unknown>) => ({ ...key, public_jwk: { ...key.public_jwk, ...extra } });
    const cases: [string, unknown, RegExp][] = [
      ['a private key', [jwk(enc, { d: b64(32) }), sig], /holder_keys\.0\.public_jwk/],
      ['a wrong kid', [enc, jwk(sig, { kid: b64(32) })], /holder_keys\.1\.public_jwk\.kid/],
      ['another curve', [jwk(enc, { crv: 'P-384' }), sig], /crv/],
      ['an RSA key', [jwk(enc, { kty: 'RSA' }), sig], /kty/],
      ['a short sealed key', [{ ...enc, sealed_private: b64(100) }, sig], /sealed_private/],
      ['a huge sealed key', [{ ...enc, sealed_private: b64(100_000) }, sig], /sealed_private/],
      ['one key', [enc], /holder_keys/],
      ['two sig keys', [sig, sig], /holder_keys/],
      ['use against the JWK', [{ ...enc, use: 'sig' }, sig], /holder_keys/],
      ['not an array', { enc, sig }, /holder_keys/],
    ];
    for (const [name, holderKeys, description] of cases) {
      const response = await call('PUT', '/holder-keys', { holder_keys: holderKeys, vault_version: 1, state: '{}', state_mac: b64(32) });
      expect({ name, status: response.status, error: response.body.error }).toEqual({ name, status: 400, error: 'invalid_request' });
      expect(response.body.error_description).toMatch(description);
      const setUp = await call('POST', '/', { ...setup(), holder_keys: holderKeys });
      expect({ name, status: setUp.status }).toEqual({ name, status: 400 });
    }
    expect((await call('GET', '/')).body.vault).toMatchObject({ version: 1, holder_keys: [] });
  });

  it("keeps another holder's keys out of reach: 404 without a vault, never in another vault", async () => {
    const alice = await holder('alice@example.com');
    const input = setup();
    const keys = await createHolderKeys(mk, input.vault_id);
    await alice('POST', '/', { ...input, holder_keys: keys });
    const bob = await holder('bob@example.com');
    const bobsKeys = await createHolderKeys(mk, input.vault_id);
    const signed = signState(mk, nextStateRecord(record(input), { kind: 'holder_keys', ids: holderKeyIds(bobsKeys) }));
    expect(await bob('PUT', '/holder-keys', { holder_keys: bobsKeys, vault_version: 1, ...signed })).toMatchObject({ status: 404, body: { error: 'no_vault' } });
    expect((await bob('GET', '/')).body).toEqual({ vault: null });
    const bobs = setup();
    await bob('POST', '/', bobs);
    expect((await bob('GET', '/')).body.vault.holder_keys).toEqual([]);
    expect((await alice('GET', '/')).body.vault.holder_keys).toEqual(keys);
  });
});

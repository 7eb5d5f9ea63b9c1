import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import { signInToAccount } from '../helpers/account.js';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { engines } from '../helpers/db.js';
import { discover, PASSWORD, REDIRECT_URI } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { generateHolderKeys, holderKeyIds, sealHolderKeys, signState, stateRecord, type HolderPrivateJwk, type StoredHolderKey } from '../../src/protocol/index.js';
import { INBOX_CAP_PER_VERIFIER } from '../../src/attestations/service.js';

/**
 * Attestation delivery (DESIGN 5.6, "Delivery") over HTTP: a verifier that received a
 * release posts a JWE to the holder's HE key with that grant's access token; the
 * holder lists and deletes inbox items with the session cookie. The release is
 * posted through the consent interaction exactly as test/integration/passport.test.ts
 * does it; the page's part (opening and sealing the item) is not tested here.
 */
const SCOPE = { v: 1, data: ['email'] };
const CTY = 'wathiqa-attestation+sd-jwt';
const SECRET_MARKER = 'Amal-Saleh-X1234567';
const b64 = (n: number) => randomBytes(n).toString('base64url');

interface PageData {
  uid: string;
  issuer: string;
  client_id: string;
  sub: string;
  nonce: string;
  alg: string;
  key: JWK;
  vault_csrf: string;
}

interface Holder {
  agent: FormAgent;
  email: string;
  vaultCsrf: string;
  keys?: { stored: StoredHolderKey[]; private: HolderPrivateJwk[] };
}

interface Delivery {
  accessToken: string;
  releaseId: string;
  clientId: string;
}

describe.each(engines())('attestation delivery and the holder inbox (%s)', (engine) => {
  let server: TestServer;
  let rpEnc: JWK;
  let verifierSig: JWK;
  const mk = new Uint8Array(randomBytes(32));

  beforeAll(async () => {
    server = await startTestServer(engine);
    const enc = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    rpEnc = { ...(await exportJWK(enc.publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid: 'rp-enc' };
    const sig = await generateKeyPair('ES256', { extractable: true });
    verifierSig = { ...(await exportJWK(sig.publicKey)), use: 'sig', alg: 'ES256', kid: 'verifier-sig' };
  });
  afterAll(() => server?.close());
  beforeEach(() => server.database.reset());

  /** A passport client; a verifier (the role, an enc and a sig key) unless `verifier` is false. */
  async function client(verifier = true) {
    const metadata: Record<string, unknown> = {
      client_name: verifier ? `KYC ${randomUUID().slice(0, 6)}` : 'Plain RP',
      redirect_uris: [REDIRECT_URI],
      scope: 'openid passport',
      jwks: { keys: verifier ? [rpEnc, verifierSig] : [rpEnc] },
      ...(verifier ? { verifier: true, verifier_attested_types: ['passport'], verifier_trust_framework: 'eidas', policy_uri: 'https://kyc.example/policy' } : {}),
    };
    const created = await server.services.clients.create(metadata as never);
    return { clientId: created.client_id, name: metadata.client_name as string, config: await discover(server.url, created.client_id, created.client_secret) };
  }

  /** Follows the authorization to the passport consent page, signing up or in on the way. */
  async function consentPage(agent: FormAgent, url: URL, email: string, signUp: boolean): Promise<{ csrf: string; data: PageData }> {
    let { response, url: at } = await agent.follow(url, {}, REDIRECT_URI);
    let html = await response.text();
    if (html.includes('name="password"')) {
      const uid = at.pathname.split('/')[2]!;
      if (signUp) {
        const page = new URL(`/interaction/${uid}/signup`, at);
        const csrf = hiddenField(await (await agent.request(page)).text(), 'csrf');
        ({ response } = await agent.submit(page, `/interaction/${uid}/signup`, { csrf, email, password: PASSWORD, password_confirm: PASSWORD }, REDIRECT_URI));
      } else {
        ({ response } = await agent.submit(at, `/interaction/${uid}/login`, { csrf: hiddenField(html, 'csrf'), email, password: PASSWORD }, REDIRECT_URI));
      }
      html = await response.text();
    }
    const csrf = /id="passport-consent"[^>]*data-csrf="([^"]+)"/.exec(html)?.[1];
    const block = /<script type="application\/json" id="passport-release">([^<]*)<\/script>/.exec(html)?.[1];
    if (!csrf || !block) throw new Error(`not the passport consent page: ${html.slice(0, 300)}`);
    return { csrf, data: JSON.parse(block) as PageData };
  }

  /** The vault, with holder keys unless `keys` is false (set up through the vault API, as the page does). */
  async function setUpVault(holder: Holder, keys = true) {
    const input = {
      vault_id: randomUUID(),
      kdf: { alg: 'argon2id', m: 65536, t: 3, p: 1, salt: b64(16), v: 1 },
      wrapped_mk: b64(72),
      recovery_wrapped_mk: b64(72),
    };
    const priv = keys ? await generateHolderKeys() : [];
    const stored = keys ? sealHolderKeys(mk, input.vault_id, priv) : [];
    const record = stateRecord({
      vaultId: input.vault_id,
      vaultVersion: 1,
      keys: { kdf: input.kdf, wrappedMk: input.wrapped_mk, recoveryWrappedMk: input.recovery_wrapped_mk },
      elements: [],
      holderKeys: holderKeyIds(stored),
    });
    const response = await holder.agent.request(`${server.url}/api/vault`, {
      method: 'POST',
      headers: { 'x-csrf-token': holder.vaultCsrf, 'content-type': 'application/json' },
      body: JSON.stringify({ ...input, ...(keys ? { holder_keys: stored } : {}), ...signState(mk, record) }),
    });
    expect(response.status).toBe(201);
    if (keys) holder.keys = { stored, private: priv };
  }

  /**
   * The holder releases their email to `to` through the consent interaction; the
   * client redeems the code. The first call for a holder signs up and sets up the vault.
   */
  async function release(to: Awaited<ReturnType<typeof client>>, holder: Holder | string, vaultKeys = true): Promise<{ holder: Holder; delivery: Delivery }> {
    const first = typeof holder === 'string';
    const agent = first ? new FormAgent() : holder.agent;
    const email = first ? holder : holder.email;
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(to.config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid passport',
      passport_scope: JSON.stringify(SCOPE),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const { csrf, data } = await consentPage(agent, url, email, first);
    const h: Holder = first ? { agent, email, vaultCsrf: data.vault_csrf } : holder;
    if (first) await setUpVault(h, vaultKeys);
    const payload = { v: 1, iss: data.issuer, aud: data.client_id, sub: data.sub, nonce: data.nonce, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), elements: [{ type: 'email', data: { email }, files: {}, attestations: [] }] };
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: data.alg, enc: 'A256GCM', kid: data.key.kid, cty: 'wathiqa-release+json' })
      .encrypt(await importJWK(data.key, data.alg));
    const posted = await agent.request(`${server.url}/interaction/${data.uid}/passport`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ csrf, jwe, file_ids: [], element_types: ['email'] }),
    });
    expect(posted.status).toBe(200);
    const { url: callback } = await agent.follow(((await posted.json()) as { redirect_to: string }).redirect_to, {}, REDIRECT_URI);
    const tokens = await oidc.authorizationCodeGrant(to.config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const row = await server.database.db.selectFrom('releases').select('id').where('client_id', '=', to.clientId).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    return { holder: h, delivery: { accessToken: tokens.access_token, releaseId: row.id, clientId: to.clientId } };
  }

  const he = (holder: Holder) => holder.keys!.stored.find((k) => k.use === 'enc')!.public_jwk;
  const hs = (holder: Holder) => holder.keys!.stored.find((k) => k.use === 'sig')!.public_jwk;

  /** An attestation JWE as a verifier makes it: to the holder's HE key; `header` overrides members. */
  async function attestation(holder: Holder, header: Record<string, unknown> = {}) {
    const key = he(holder);
    const protectedHeader = Object.fromEntries(
      Object.entries({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: CTY, kid: key.kid, ...header }).filter(([, v]) => v !== undefined),
    ) as { alg: string; enc: string };
    const sdJwt = `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify({ given_name: SECRET_MARKER })).toString('base64url')}.sig~disclosure~`;
    return new CompactEncrypt(new TextEncoder().encode(sdJwt)).setProtectedHeader(protectedHeader).encrypt(await importJWK(key, 'ECDH-ES+A256KW'));
  }

  /** A good JWE with its protected header replaced by `headerText` (the server cannot check the tag). */
  function withHeader(jwe: string, headerText: string) {
    const parts = jwe.split('.');
    parts[0] = Buffer.from(headerText).toString('base64url');
    return parts.join('.');
  }

  const deliver = (accessToken: string | undefined, body: unknown, contentType = 'application/json') =>
    fetch(`${server.url}/passport/attestations`, {
      method: 'POST',
      headers: { ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}), 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  async function answer(response: Response) {
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  }

  const inbox = (holder: Holder, method = 'GET', path = '', csrf: string | undefined = holder.vaultCsrf) =>
    holder.agent.request(`${server.url}/api/attestations${path}`, { method, headers: csrf ? { 'x-csrf-token': csrf } : {} });

  const stored = async () => (await server.database.db.selectFrom('attestation_inbox').selectAll().execute()).length;

  it('stores a good attestation in the holder’s inbox, lists it for the holder, and the holder’s key opens it', async () => {
    const kyc = await client();
    const { holder, delivery } = await release(kyc, 'amal@example.com');
    const jwe = await attestation(holder);
    const response = await deliver(delivery.accessToken, { jwe });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { id } = (await response.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const listed = await inbox(holder);
    expect(listed.status).toBe(200);
    const { attestations } = (await listed.json()) as { attestations: Record<string, unknown>[] };
    expect(attestations).toEqual([{ id, client_id: kyc.clientId, verifier_name: kyc.name, release_id: delivery.releaseId, jwe, created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);

    // Zero knowledge: the row is the JWE and who sent it on which release, nothing more.
    const rows = await server.database.db.selectFrom('attestation_inbox').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]!).sort()).toEqual(['account_id', 'client_id', 'created_at', 'id', 'jwe', 'release_id']);
    expect(rows[0]!.jwe).toBe(jwe);
    expect(JSON.stringify(rows)).not.toContain(SECRET_MARKER);
    // Only the holder's HE private key (sealed in the vault, never on the server) opens it.
    const hePrivate = holder.keys!.private[0]!;
    const opened = await compactDecrypt(jwe, await importJWK({ ...hePrivate }, 'ECDH-ES+A256KW'));
    expect(new TextDecoder().decode(opened.plaintext)).toContain('~disclosure~');

    // The holder deletes it after sealing it into the element.
    const deleted = await inbox(holder, 'DELETE', `/${id}`);
    expect(deleted.status).toBe(204);
    expect(await stored()).toBe(0);
    expect((await inbox(holder, 'DELETE', `/${id}`)).status).toBe(404);
  });

  it('refuses bad tokens, non-verifiers and releases that are gone, with typed errors; stores nothing', async () => {
    const kyc = await client();
    const plain = await client(false);
    const { holder, delivery } = await release(kyc, 'amal@example.com');
    const { delivery: plainDelivery } = await release(plain, holder);
    const jwe = await attestation(holder);

    expect(await answer(await deliver(undefined, { jwe }))).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    const unknown = await deliver(b64(32), { jwe });
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await answer(unknown)).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    // A relying party that is not a verifier received a release too; it cannot deliver.
    const notVerifier = await answer(await deliver(plainDelivery.accessToken, { jwe }));
    expect(notVerifier).toMatchObject({ status: 403, body: { error: 'not_a_verifier', error_description: expect.stringMatching(/verifier client/) } });

    // An expired token.
    const db = server.database.db;
    // Tokens are stored as digests: reach this one through its grant.
    const expired = await sql`update oidc_payloads set expires_at = now() - interval '1 second'
      where kind = 'AccessToken' and grant_id = (select grant_id from releases where id = ${delivery.releaseId}::uuid)`.execute(db);
    expect(Number(expired.numAffectedRows)).toBe(1);
    expect(await answer(await deliver(delivery.accessToken, { jwe }))).toMatchObject({ status: 401, body: { error: 'invalid_token' } });

    // A release marked revoked while its token still lives: no_release.
    const second = await release(kyc, holder);
    await db.updateTable('releases').set({ revoked_at: new Date() }).where('id', '=', second.delivery.releaseId).execute();
    expect(await answer(await deliver(second.delivery.accessToken, { jwe }))).toMatchObject({ status: 404, body: { error: 'no_release' } });

    // Revoked by the holder: the grant and its tokens go with it.
    const third = await release(kyc, holder);
    const revoke = await holder.agent.request(`${server.url}/api/releases/${third.delivery.releaseId}/revoke`, { method: 'POST', headers: { 'x-csrf-token': holder.vaultCsrf } });
    expect(revoke.status).toBe(200);
    expect(await answer(await deliver(third.delivery.accessToken, { jwe }))).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    expect(await stored()).toBe(0);
  });

  it('refuses a JWE whose header, key, size or body is wrong; stores nothing', async () => {
    const kyc = await client();
    const { holder, delivery } = await release(kyc, 'amal@example.com');
    const good = await attestation(holder);
    const goodHeader = JSON.parse(Buffer.from(good.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    const headerText = (extra: Record<string, unknown>) => JSON.stringify({ ...goodHeader, ...extra });
    const someone = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    const cases: [string, Promise<string> | string, RegExp][] = [
      ['another alg', attestation(holder, { alg: 'ECDH-ES+A128KW' }), /alg must be ECDH-ES\+A256KW/],
      ['another enc', attestation(holder, { enc: 'A128GCM' }), /enc must be A256GCM/],
      ['no cty', attestation(holder, { cty: undefined }), /cty must be wathiqa-attestation\+sd-jwt/],
      ['the release cty', attestation(holder, { cty: 'wathiqa-release+json' }), /cty must be/],
      ['the HS key’s kid', attestation(holder, { kid: hs(holder).kid }), /kid must name the holder's encryption \(HE\) key/],
      ['another key', new CompactEncrypt(new TextEncoder().encode('x')).setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: CTY, kid: 'someone' }).encrypt(someone.publicKey), /kid must name/],
      ['zip', withHeader(good, headerText({ zip: 'DEF' })), /compression \(zip\) is not allowed/],
      ['crit', withHeader(good, headerText({ crit: ['exp'], exp: 1 })), /Unrecognized key/],
      ['a jku', withHeader(good, headerText({ jku: 'https://evil.example/jwks' })), /Unrecognized key/],
      ['a repeated kid in the header', withHeader(good, headerText({}).replace('"kid":', `"kid":"${hs(holder).kid}","kid":`)), /repeats "kid"/],
      ['a header that is not JSON', withHeader(good, '{"alg":'), /not base64url JSON/],
      ['four parts', good.split('.').slice(1).join('.'), /compact JWE/],
      ['a short tag', good.slice(0, -4), /tag/],
      ['an oversized JWE', `${good}${'A'.repeat(64 * 1024)}`, /jwe: Too big/i],
    ];
    for (const [what, jwe, description] of cases) {
      const { status, body } = await answer(await deliver(delivery.accessToken, { jwe: await jwe }));
      expect({ what, status, error: body?.error }).toEqual({ what, status: 400, error: 'invalid_request' });
      expect({ what, description: body?.error_description }).toEqual({ what, description: expect.stringMatching(description) });
    }

    const raw: [string, string, number, string, RegExp][] = [
      ['malformed JSON', '{"jwe":', 400, 'invalid_request', /malformed JSON/],
      ['a repeated jwe member', `{"jwe":"x.y","jwe":${JSON.stringify(good)}}`, 400, 'invalid_request', /"jwe" is given more than once/],
      ['an escaped repeat', `{"jwe":"x.y","\\u006awe":${JSON.stringify(good)}}`, 400, 'invalid_request', /"jwe" is given more than once/],
      ['an extra member', JSON.stringify({ jwe: good, note: 1 }), 400, 'invalid_request', /note/],
      ['no jwe', '{}', 400, 'invalid_request', /jwe/],
      ['a body over the limit', JSON.stringify({ jwe: 'A'.repeat(100 * 1024) }), 413, 'request_too_large', /larger than/],
    ];
    for (const [what, body, status, error, description] of raw) {
      const got = await answer(await deliver(delivery.accessToken, body));
      expect({ what, status: got.status, error: got.body?.error }).toEqual({ what, status, error });
      expect({ what, description: got.body?.error_description }).toEqual({ what, description: expect.stringMatching(description) });
    }
    expect(await answer(await deliver(delivery.accessToken, `jwe=${good}`, 'application/x-www-form-urlencoded'))).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
    expect(await stored()).toBe(0);
    // The same JWE, well formed, goes through.
    expect((await deliver(delivery.accessToken, { jwe: good })).status).toBe(201);
  });

  it('refuses delivery to a holder without holder keys (no HE key to name)', async () => {
    const kyc = await client();
    const { delivery } = await release(kyc, 'nokeys@example.com', false);
    const someone = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    const jwe = await new CompactEncrypt(new TextEncoder().encode('x')).setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: CTY, kid: 'any' }).encrypt(someone.publicKey);
    expect(await answer(await deliver(delivery.accessToken, { jwe }))).toMatchObject({ status: 400, body: { error_description: expect.stringMatching(/HE/) } });
    expect(await stored()).toBe(0);
  });

  it('keeps another holder out: their list is empty and deleting the item is a 404; the API needs the session and CSRF', async () => {
    const kyc = await client();
    const { holder, delivery } = await release(kyc, 'amal@example.com');
    const { id } = (await (await deliver(delivery.accessToken, { jwe: await attestation(holder) })).json()) as { id: string };

    const bob = await signInToAccount(server, 'bob@example.com');
    const bobHolder: Holder = { agent: bob.agent, email: 'bob@example.com', vaultCsrf: bob.csrf };
    expect(await (await inbox(bobHolder)).json()).toEqual({ attestations: [] });
    expect(await answer(await inbox(bobHolder, 'DELETE', `/${id}`))).toMatchObject({ status: 404, body: { error: 'not_found' } });
    // The holder's own CSRF token is bound to the holder: Bob cannot use it.
    expect((await inbox(bobHolder, 'DELETE', `/${id}`, holder.vaultCsrf)).status).toBe(403);
    expect((await fetch(`${server.url}/api/attestations`)).status).toBe(401);
    expect((await inbox(holder, 'DELETE', `/${id}`, '')).status).toBe(403);
    expect((await inbox(holder, 'DELETE', '/not-a-uuid')).status).toBe(400);
    expect(await stored()).toBe(1);
    expect(((await (await inbox(holder)).json()) as { attestations: unknown[] }).attestations).toHaveLength(1);
  });

  it(`holds the cap of ${INBOX_CAP_PER_VERIFIER} pending items per verifier and holder under 40 parallel posts`, async () => {
    const kyc = await client();
    const { holder, delivery } = await release(kyc, 'amal@example.com');
    const jwes = await Promise.all(Array.from({ length: 40 }, () => attestation(holder)));
    const statuses = await Promise.all(jwes.map(async (jwe) => (await answer(await deliver(delivery.accessToken, { jwe }))).status));
    expect(statuses.filter((s) => s === 201)).toHaveLength(INBOX_CAP_PER_VERIFIER);
    expect(statuses.filter((s) => s === 409)).toHaveLength(40 - INBOX_CAP_PER_VERIFIER);
    expect(await stored()).toBe(INBOX_CAP_PER_VERIFIER);
    expect(await answer(await deliver(delivery.accessToken, { jwe: jwes[0] }))).toMatchObject({ status: 409, body: { error: 'inbox_full' } });

    // Per verifier: another verifier still delivers to the same holder.
    const other = await client();
    const second = await release(other, holder);
    expect((await deliver(second.delivery.accessToken, { jwe: jwes[0] })).status).toBe(201);
    // Once the holder takes one, there is room for one more.
    const { attestations } = (await (await inbox(holder)).json()) as { attestations: { id: string; client_id: string }[] };
    const first = attestations.find((a) => a.client_id === kyc.clientId)!;
    expect((await inbox(holder, 'DELETE', `/${first.id}`)).status).toBe(204);
    expect((await deliver(delivery.accessToken, { jwe: jwes[1] })).status).toBe(201);
    expect((await deliver(delivery.accessToken, { jwe: jwes[2] })).status).toBe(409);
  });
});

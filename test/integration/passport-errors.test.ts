import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { CompactEncrypt, importJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { engines } from '../helpers/db.js';
import { discover, PASSWORD, REDIRECT_URI } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rpReleaseKey } from '../helpers/rp-key.js';
import { generateKey, newReleaseRef, openSharingRecord, sealSharingRecord } from '../../src/protocol/index.js';
import { reportErrors, ReportErrorsError } from '../../src/rp/index.js';

/**
 * RP feedback over HTTP on a real database (DESIGN 5.7): a release posted with its
 * refs and sealed sharing record, then POST /passport/errors with the grant's
 * access token: who may report, what is refused and how, replacement under
 * concurrency, and what the holder's API serves back.
 */
const SCOPE = { v: 1, data: [{ type: 'personal_details', fields: ['given_name', 'family_name', 'birthdate'] }, 'passport', 'email'] };
const TYPES = ['personal_details', 'passport', 'email'];
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

describe.each(engines())('POST /passport/errors (%s)', (engine) => {
  let server: TestServer;
  let rpKey: { publicJwk: JWK & { kid: string } };

  beforeAll(async () => {
    server = await startTestServer(engine);
    rpKey = { publicJwk: (await rpReleaseKey()).publicJwk };
  });
  afterAll(() => server?.close());
  beforeEach(() => server.database.reset());

  async function client(scope = 'openid passport') {
    const c = await server.services.clients.create({ client_name: 'Bank X', redirect_uris: [REDIRECT_URI], scope, jwks: { keys: [rpKey.publicJwk as never] } });
    return discover(server.url, c.client_id, c.client_secret);
  }

  async function authorize(config: oidc.Configuration, passport = true) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: passport ? 'openid passport' : 'openid',
      ...(passport ? { passport_scope: JSON.stringify(SCOPE) } : {}),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url, verifier, state, nonce };
  }

  /** Signs up (first time) or in, and returns the page reached: the consent page, or the RP's callback. */
  async function signIn(agent: FormAgent, url: URL, email: string, signUp: boolean) {
    let { response, url: at } = await agent.follow(url, {}, REDIRECT_URI);
    if (at.href.startsWith(REDIRECT_URI)) return { at, html: '' };
    let html = await response.text();
    if (html.includes('name="password"')) {
      const uid = at.pathname.split('/')[2]!;
      if (signUp) {
        const page = new URL(`/interaction/${uid}/signup`, at);
        const csrf = hiddenField(await (await agent.request(page)).text(), 'csrf');
        ({ response, url: at } = await agent.submit(page, `/interaction/${uid}/signup`, { csrf, email, password: PASSWORD, password_confirm: PASSWORD }, REDIRECT_URI));
      } else {
        ({ response, url: at } = await agent.submit(at, `/interaction/${uid}/login`, { csrf: hiddenField(html, 'csrf'), email, password: PASSWORD }, REDIRECT_URI));
      }
      html = at.href.startsWith(REDIRECT_URI) ? '' : await response.text();
    }
    return { at, html };
  }

  function consentData(html: string): { csrf: string; data: PageData } {
    const csrf = /id="passport-consent"[^>]*data-csrf="([^"]+)"/.exec(html)![1]!;
    const block = /<script type="application\/json" id="passport-release">([^<]*)<\/script>/.exec(html)![1]!;
    return { csrf, data: JSON.parse(block) as PageData };
  }

  async function vaultCall(agent: FormAgent, csrf: string, method: string, path: string, body?: unknown) {
    return agent.request(`${server.url}${path}`, {
      method,
      headers: { 'x-csrf-token': csrf, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** A holder who released three elements to the RP, with refs and a sealed record; the RP's tokens. */
  async function released(email = `holder-${randomUUID()}@example.com`, body: (refs: string[], record: { id: string; sealed: string }) => Record<string, unknown> = (refs, record) => ({ refs, sharing_record: record })) {
    const config = await client();
    const agent = new FormAgent();
    const auth = await authorize(config);
    const { html } = await signIn(agent, auth.url, email, true);
    const { csrf, data } = consentData(html);
    const vaultId = randomUUID();
    expect((await vaultCall(agent, data.vault_csrf, 'POST', '/api/vault', { vault_id: vaultId, kdf: { alg: 'argon2id', m: 65536, t: 3, p: 1, salt: b64(16), v: 1 }, wrapped_mk: b64(72), recovery_wrapped_mk: b64(72) })).status).toBeLessThan(300);
    const jti = randomUUID();
    const refs = TYPES.map(() => newReleaseRef());
    const payload = {
      v: 1, iss: data.issuer, aud: data.client_id, sub: data.sub, nonce: data.nonce, iat: Math.floor(Date.now() / 1000), jti,
      elements: [
        { ref: refs[0], type: 'personal_details', data: { given_name: 'Amal', family_name: 'Saleh', birthdate: '1991-02-03' }, files: {}, attestations: [] },
        { ref: refs[1], type: 'passport', data: { document_number: 'X1234567', issuing_country: 'OM' }, files: {}, attestations: [] },
        { ref: refs[2], type: 'email', data: { email: 'amal@example.com' }, files: {}, attestations: [] },
      ],
    };
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: rpKey.publicJwk.kid, cty: 'wathiqa-release+json' })
      .encrypt(await importJWK(rpKey.publicJwk, 'ECDH-ES+A256KW'));
    const mk = generateKey();
    const elementId = randomUUID();
    const sealed = sealSharingRecord(mk, vaultId, {
      v: 1, jti, client_id: data.client_id, client_name: 'Bank X', sent_at: new Date().toISOString(),
      elements: payload.elements.map((e, i) => ({ ref: refs[i]!, element_id: i === 1 ? elementId : randomUUID(), element_version: 1, type: e.type as never, fields: e.data as unknown as Record<string, string>, scans: [] })),
    });
    const response = await agent.request(`${server.url}/interaction/${data.uid}/passport`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ csrf, jwe, file_ids: [], element_types: TYPES, ...body(refs, { id: jti, sealed }) }),
    });
    if (response.status !== 200) return { response, config, agent, data };
    const { url: callback } = await agent.follow(((await response.json()) as { redirect_to: string }).redirect_to, {}, REDIRECT_URI);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    return { response, config, agent, data, tokens, refs, mk, vaultId, jti, elementId, email };
  }

  const report = (token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/passport/errors`, {
      method: 'POST',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  async function expectError(response: Response, status: number, error: string, description?: RegExp) {
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe(error);
    if (description) expect(body.error_description).toMatch(description);
  }

  const storedErrors = async (jti: string) => (await server.database.db.selectFrom('releases').select(['errors', 'errors_at', 'refs', 'record_id', 'sharing_record']).where('record_id', '=', jti).executeTakeFirstOrThrow());

  it('stores refs and the sealed record with the release; the RP reports, replaces and clears its errors; the holder reads them back', async () => {
    const r = await released();
    const token = r.tokens!.access_token;
    const row = await storedErrors(r.jti!);
    expect(row.refs).toEqual(r.refs);
    expect(row.record_id).toBe(r.jti);
    // The server holds the record sealed: no value of it in clear, and it opens only with MK.
    expect(row.sharing_record).not.toContain('X1234567');
    expect(openSharingRecord(r.mk!, r.vaultId!, r.jti!, row.sharing_record!).elements[1]!.element_id).toBe(r.elementId);

    const errors = [
      { ref: r.refs![1]!, field: 'document_number', message: 'does not match the scan' },
      { ref: r.refs![0]!, field: 'birthdate', message: 'تاريخ الميلاد غير صحيح' },
    ];
    // Through the SDK: the answer is how many are open now; the same report again changes nothing.
    expect(await reportErrors({ issuer: server.url, accessToken: token, errors })).toEqual({ errors: 2 });
    expect(await reportErrors({ issuer: server.url, accessToken: token, errors })).toEqual({ errors: 2 });
    expect((await storedErrors(r.jti!)).errors).toEqual(errors);

    // The holder's API: the list says there is a record and gives the errors; the record is served sealed.
    const list = await vaultCall(r.agent, r.data.vault_csrf, 'GET', '/api/releases');
    const { releases } = (await list.json()) as { releases: Record<string, unknown>[] };
    expect(releases).toEqual([expect.objectContaining({ has_record: true, errors, revoked_at: null })]);
    const record = await vaultCall(r.agent, r.data.vault_csrf, 'GET', `/api/releases/${releases[0]!.id as string}/record`);
    expect(await record.json()).toEqual({ id: releases[0]!.id, client_id: r.data.client_id, record_id: r.jti, sealed: row.sharing_record });
    // Another holder: no such record.
    const other = await released();
    const foreign = await vaultCall(other.agent, other.data.vault_csrf, 'GET', `/api/releases/${releases[0]!.id as string}/record`);
    await expectError(foreign, 404, 'not_found');

    // A new report replaces the old one; an empty one clears them.
    expect(await reportErrors({ issuer: server.url, accessToken: token, errors: [{ ref: r.refs![1]!, file: 'front_side', message: 'too blurry' }] })).toEqual({ errors: 1 });
    expect((await storedErrors(r.jti!)).errors).toEqual([{ ref: r.refs![1]!, file: 'front_side', message: 'too blurry' }]);
    expect(await reportErrors({ issuer: server.url, accessToken: token, errors: [] })).toEqual({ errors: 0 });
    expect((await storedErrors(r.jti!)).errors).toEqual([]);
  });

  it('refuses bad input with JSON errors: 401, 415, 413, 400 naming the problem; stores nothing', async () => {
    const r = await released();
    const token = r.tokens!.access_token;
    const ref = r.refs![1]!;
    await expectError(await report(undefined, { errors: [] }), 401, 'unauthorized');
    await expectError(await report('not-a-token', { errors: [] }), 401, 'invalid_token');
    await expectError(await report(token, 'errors=1', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    await expectError(await report(token, '{"errors": [', {}), 400, 'invalid_request', /malformed JSON/);
    await expectError(await report(token, JSON.stringify({ errors: [{ ref, field: 'email', message: 'x'.repeat(150_000) }] })), 413, 'request_too_large');
    await expectError(await report(token, `{"errors":[],"errors":[{"ref":"${ref}","field":"email","message":"m"}]}`), 400, 'invalid_request', /more than once/);
    const cases: [unknown, RegExp][] = [
      [{}, /errors/],
      [{ errors: [], extra: 1 }, /extra|Unrecognized/],
      [{ errors: [{ ref, field: 'email', file: 'selfie', message: 'm' }] }, /exactly one/],
      [{ errors: [{ ref, message: 'm' }] }, /exactly one/],
      [{ errors: [{ ref: 'abc', field: 'email', message: 'm' }] }, /errors\.0\.ref/],
      [{ errors: [{ ref, field: 'email', message: '' }] }, /empty/],
      [{ errors: [{ ref, field: 'email', message: 'x'.repeat(301) }] }, /300/],
      [{ errors: [{ ref, field: 'email', message: 'a\u0000b' }] }, /control/],
      [{ errors: Array.from({ length: 51 }, () => ({ ref: newReleaseRef(), field: 'email', message: 'm' })) }, /at most 50/],
      [{ errors: [{ ref, field: 'email', message: 'a' }, { ref, field: 'email', message: 'b' }] }, /twice/],
      [{ errors: [{ ref: newReleaseRef(), field: 'email', message: 'm' }] }, /errors\.0\.ref: not one of this release's refs/],
      [{ errors: [{ ref, field: 'street_address', message: 'm' }] }, /errors\.0\.field: not a field/],
      [{ errors: [{ ref, field: 'nickname', message: 'm' }] }, /errors\.0\.field: not a field/],
      [{ errors: [{ ref, file: 'reverse_side', message: 'm' }] }, /errors\.0\.file: not a scan slot/],
    ];
    for (const [body, description] of cases) {
      const response = await report(token, body);
      expect({ body: JSON.stringify(body).slice(0, 80), status: response.status }).toEqual({ body: JSON.stringify(body).slice(0, 80), status: 400 });
      await expectError(response, 400, 'invalid_request', description);
    }
    expect((await storedErrors(r.jti!)).errors).toEqual([]);
    // The SDK surfaces the server's answer.
    const refused = await reportErrors({ issuer: server.url, accessToken: token, errors: [{ ref: newReleaseRef(), field: 'email', message: 'm' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ReportErrorsError);
    expect(refused).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  it('answers 404 for a grant without a release, and refuses a revoked release', async () => {
    const r = await released();
    // The same holder signs in without the passport scope: a token of a grant without a release.
    const plainConfig = await client('openid');
    const auth = await authorize(plainConfig, false);
    const { at, html } = await signIn(r.agent, auth.url, r.email!, false);
    const { url: callback } = await r.agent.submit(at, `/interaction/${at.pathname.split('/')[2]}/consent`, { csrf: hiddenField(html, 'csrf'), decision: 'allow' }, REDIRECT_URI);
    const plain = await oidc.authorizationCodeGrant(plainConfig, callback, { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce });
    await expectError(await report(plain.access_token, { errors: [] }), 404, 'no_release');

    const { id } = await server.database.db.selectFrom('releases').select('id').executeTakeFirstOrThrow();
    expect((await vaultCall(r.agent, r.data.vault_csrf, 'POST', `/api/releases/${id}/revoke`)).status).toBe(200);
    // Revoking deletes the grant's tokens: the RP's token is no longer valid.
    await expectError(await report(r.tokens!.access_token, { errors: [{ ref: r.refs![1]!, field: 'document_number', message: 'm' }] }), 401, 'invalid_token');
    expect((await storedErrors(r.jti!)).errors).toEqual([]);
  });

  it('keeps one whole report under concurrent reports, and none after a revocation that races them', async () => {
    const r = await released();
    const token = r.tokens!.access_token;
    const reports = Array.from({ length: 16 }, (_, i) => [
      { ref: r.refs![1]!, field: 'document_number', message: `report ${i} a` },
      { ref: r.refs![2]!, field: 'email', message: `report ${i} b` },
    ]);
    const answers = await Promise.all(reports.map((errors) => report(token, { errors })));
    expect(answers.map((a) => a.status)).toEqual(reports.map(() => 200));
    const stored = (await storedErrors(r.jti!)).errors;
    // Exactly one of the reports, never a mix of two.
    expect(reports).toContainEqual(stored);

    const { id } = await server.database.db.selectFrom('releases').select('id').executeTakeFirstOrThrow();
    const racing = await Promise.all([
      ...reports.slice(0, 8).map((errors) => report(token, { errors })),
      vaultCall(r.agent, r.data.vault_csrf, 'POST', `/api/releases/${id}/revoke`),
      ...reports.slice(8).map((errors) => report(token, { errors })),
    ]);
    for (const response of racing) expect([200, 401, 404]).toContain(response.status);
    // After the revocation, whatever raced it: no report lands any more.
    await expectError(await report(token, { errors: [] }), 401, 'invalid_token');
    const after = await storedErrors(r.jti!);
    expect(reports).toContainEqual(after.errors);
  });

  it('takes refs and the record together or not at all, one ref per element, none twice', async () => {
    const both = (refs: string[], record: { id: string; sealed: string }) => ({ refs, sharing_record: record });
    for (const [body, description] of [
      [(refs: string[]) => ({ refs }), /give both or neither/],
      [(_: string[], record: { id: string; sealed: string }) => ({ sharing_record: record }), /give both or neither/],
      [(refs: string[], record: { id: string; sealed: string }) => both(refs.slice(0, 2), record), /one ref per released element/],
      [(refs: string[], record: { id: string; sealed: string }) => both([refs[0]!, refs[0]!, refs[1]!], record), /each ref must be different/],
      [(refs: string[], record: { id: string; sealed: string }) => both(['short', ...refs.slice(1)], record), /refs\.0/],
      [(refs: string[], record: { id: string; sealed: string }) => both(refs, { ...record, sealed: 'x'.repeat(80_000) }), /sharing_record\.sealed/],
    ] as const) {
      const r = await released(undefined, body as never);
      await expectError(r.response, 400, 'invalid_request', description);
    }
    expect(await server.database.db.selectFrom('releases').select('id').execute()).toEqual([]);
  });
});

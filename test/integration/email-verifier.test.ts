import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { compactDecrypt, decodeJwt, decodeProtectedHeader } from 'jose';
import { sql } from 'kysely';
import { signInToAccount } from '../helpers/account.js';
import type { FormAgent } from '../helpers/agent.js';
import { engines } from '../helpers/db.js';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.js';
import { dumpDatabase, findNeedles, startRecordingServer, textForms, type RecordingServer } from '../helpers/zero-knowledge.js';
import {
  checkIssuedAttestation,
  decodeIssuedAttestation,
  generateHolderKeys,
  holderCryptoKey,
  holderKeyIds,
  sealHolderKeys,
  signState,
  stateRecord,
  type HolderPrivateJwk,
  type StoredHolderKey,
} from '../../src/protocol/index.js';
import { trustedIssuersFromList } from '../../src/rp/index.js';
import { EMAIL_CODE_MAX_ATTEMPTS } from '../../src/verifiers/email-control.js';

/**
 * Wathiqa as a verifier of email (issue "People's accounts", point 7) over HTTP: a
 * code mailed to a vault email element's address (a real SMTP receiver), typed back,
 * and the attestation it answers with, checked as the holder's page checks it
 * (checkIssuedAttestation against GET /verifiers and the vault's keys). Then the
 * refusals, the limits under concurrency, and the address nowhere server-side.
 */
const b64 = (n: number) => randomBytes(n).toString('base64url');
const BASE = '/api/email-verification';

interface Holder {
  agent: FormAgent;
  csrf: string;
  accountId: string;
  keys?: { stored: StoredHolderKey[]; private: HolderPrivateJwk[] };
}

describe.each(engines())('Wathiqa as an email verifier (%s)', (engine) => {
  let server: RecordingServer;
  let smtp: SmtpReceiver;
  const mk = new Uint8Array(randomBytes(32));

  beforeAll(async () => {
    smtp = await startSmtpReceiver({ refuse: (to) => to.startsWith('refused-') });
    server = await startRecordingServer(engine, { SMTP_URL: smtp.url, MAIL_LINKS_PER_ADDRESS: 3, MAIL_LINKS_PER_IP: 50 });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });
  beforeEach(() => server.database.reset());

  async function holder(keys = true): Promise<Holder> {
    const signedIn = await signInToAccount(server, `holder-${randomUUID().slice(0, 8)}@example.com`);
    const h: Holder = { ...signedIn };
    const input = { vault_id: randomUUID(), kdf: { alg: 'argon2id', m: 65536, t: 3, p: 1, salt: b64(16), v: 1 }, wrapped_mk: b64(72), recovery_wrapped_mk: b64(72) };
    const priv = keys ? await generateHolderKeys() : [];
    const stored = keys ? sealHolderKeys(mk, input.vault_id, priv) : [];
    const record = stateRecord({
      vaultId: input.vault_id,
      vaultVersion: 1,
      keys: { kdf: input.kdf, wrappedMk: input.wrapped_mk, recoveryWrappedMk: input.recovery_wrapped_mk },
      elements: [],
      holderKeys: holderKeyIds(stored),
    });
    const response = await post(h, '/api/vault', { ...input, ...(keys ? { holder_keys: stored } : {}), ...signState(mk, record) });
    expect(response.status).toBe(201);
    if (keys) h.keys = { stored, private: priv };
    return h;
  }

  function post(h: Holder, path: string, body: unknown, headers: Record<string, string> = {}) {
    return h.agent.request(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'x-csrf-token': h.csrf, 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  }

  async function start(h: Holder, email: string): Promise<string> {
    const response = await post(h, `${BASE}/start`, { email });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  /** The code in the newest mail to `email`. */
  async function codeFor(email: string): Promise<string> {
    const mail = await smtp.next(email, /Wathiqa verification code/);
    const match = /^(\d{6})$/m.exec(mail.text ?? '');
    if (!match) throw new Error('no code in the mail');
    return match[1]!;
  }

  const confirm = (h: Holder, id: string, email: string, code: string) => post(h, `${BASE}/confirm`, { id, email, code });

  async function errorOf(response: Response) {
    return { status: response.status, ...((await response.json()) as { error: string }) };
  }

  it('mails a code and answers the typed-back code with an attestation the holder’s checks accept', async () => {
    const h = await holder();
    const email = `Vault.Address-${randomUUID().slice(0, 6)}@example.org`;
    const id = await start(h, email);
    const code = await codeFor(email);
    const response = await confirm(h, id, email, code);
    expect(response.status).toBe(200);
    const { jwe } = (await response.json()) as { jwe: string };
    expect(Object.keys(JSON.parse(JSON.stringify({ jwe })))).toEqual(['jwe']);

    // Encrypted to the vault's HE key, with the delivery header an external verifier uses.
    const he = h.keys!.stored.find((k) => k.use === 'enc')!;
    expect(decodeProtectedHeader(jwe)).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'wathiqa-attestation+sd-jwt', kid: he.public_jwk.kid });
    const hePrivate = h.keys!.private[h.keys!.stored.indexOf(he)]!;
    const sdJwt = new TextDecoder().decode((await compactDecrypt(jwe, await holderCryptoKey(hePrivate, 'enc'))).plaintext);

    // Checked as the vault page checks it: signature under GET /verifiers, cnf = HS, the disclosure = the element's value.
    const list = (await (await fetch(`${server.url}/verifiers`)).json()) as { verifiers: { client_id: string; jwks: { keys: Record<string, unknown>[] } }[] };
    const hs = h.keys!.stored.find((k) => k.use === 'sig')!.public_jwk;
    const summary = await checkIssuedAttestation(sdJwt, {
      elementType: 'email',
      content: { data: { email }, files: {} } as never,
      holderSig: hs,
      issuers: list.verifiers.map((v) => ({ client_id: v.client_id, jwks: v.jwks })),
    });
    expect(summary.issuer).toBe(server.url);
    // Another address is refused by the same check.
    await expect(
      checkIssuedAttestation(sdJwt, { elementType: 'email', content: { data: { email: 'other@example.org' }, files: {} } as never, holderSig: hs, issuers: list.verifiers.map((v) => ({ client_id: v.client_id, jwks: v.jwks })) }),
    ).rejects.toMatchObject({ code: 'value_mismatch' });

    const decoded = await decodeIssuedAttestation(sdJwt);
    expect(decoded.disclosed).toEqual({ email });
    const payload = decodeJwt(sdJwt.split('~')[0]!);
    expect(payload).toMatchObject({ iss: server.url, vct: 'urn:wathiqa:element:email:1', cnf: { jwk: hs } });
    expect(payload.exp! - payload.iat!).toBe(365 * 24 * 3600);
    const verification = payload.verification as { trust_framework: string; time: string; evidence: Record<string, unknown>[] };
    expect(verification.trust_framework).toBe('wathiqa_email_control');
    expect(verification.evidence).toEqual([{ type: 'electronic_record', check_details: [{ check_method: 'auth', organization: 'Wathiqa', txn: id }], time: expect.any(String), record: { type: 'email_control' } }]);
    expect(JSON.stringify(payload)).not.toContain(email);
    // The RP SDK's trust list takes Wathiqa like any verifier.
    expect(trustedIssuersFromList(list).find((t) => t.issuer === server.url)).toMatchObject({ types: ['email'], name: 'Wathiqa', trustFramework: 'wathiqa_email_control' });

    // Single use: the row went with the success.
    expect(await errorOf(await confirm(h, id, email, code))).toMatchObject({ status: 404, error: 'code_used' });
    expect(await server.database.db.selectFrom('email_control_codes').selectAll().execute()).toEqual([]);
  });

  it('lists Wathiqa in GET /verifiers, signing key only, policy at its home page', async () => {
    const { verifiers } = (await (await fetch(`${server.url}/verifiers`)).json()) as { verifiers: Record<string, unknown>[] };
    const [own] = verifiers;
    expect(own).toEqual({
      client_id: server.url,
      name: 'Wathiqa',
      attested_types: ['email'],
      trust_framework: 'wathiqa_email_control',
      policy_uri: `${server.url}/`,
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: expect.any(String), use: 'sig', alg: 'ES256' }] },
    });
    // The private key is sealed under OPERATOR_KEY; the same key after a restart of the services.
    const rows = await server.database.db.selectFrom('wathiqa_verifier_keys').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sealed_jwk.split('.')).toHaveLength(5);
    expect(rows[0]!.sealed_jwk).not.toContain('"d"');
    expect((own as { jwks: { keys: { kid: string }[] } }).jwks.keys[0]!.kid).toBe(rows[0]!.kid);
  });

  it('refuses a wrong code, then a sixth attempt even with the right code', async () => {
    const h = await holder();
    const email = `five-${randomUUID().slice(0, 6)}@example.org`;
    const id = await start(h, email);
    const code = await codeFor(email);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 1; i <= EMAIL_CODE_MAX_ATTEMPTS; i++) {
      expect(await errorOf(await confirm(h, id, email, wrong))).toMatchObject({ status: 400, error: 'invalid_code', error_description: expect.stringContaining(`${EMAIL_CODE_MAX_ATTEMPTS - i} attempt`) });
    }
    expect(await errorOf(await confirm(h, id, email, code))).toMatchObject({ status: 410, error: 'too_many_attempts' });
    // The right code with another address is a wrong code too.
    const id2 = await start(h, email);
    const code2 = await codeFor(email);
    expect(await errorOf(await confirm(h, id2, `x${email}`, code2))).toMatchObject({ status: 400, error: 'invalid_code' });
    expect((await confirm(h, id2, email, code2)).status).toBe(200);
  });

  it('counts attempts before comparing, under concurrency: at most five are compared', async () => {
    const h = await holder();
    const email = `race-${randomUUID().slice(0, 6)}@example.org`;
    const id = await start(h, email);
    const code = await codeFor(email);
    const wrong = code === '999999' ? '888888' : '999999';
    const answers = await Promise.all(Array.from({ length: 12 }, () => confirm(h, id, email, wrong).then(errorOf)));
    expect(answers.filter((a) => a.error === 'invalid_code')).toHaveLength(EMAIL_CODE_MAX_ATTEMPTS);
    expect(answers.filter((a) => a.error === 'too_many_attempts')).toHaveLength(12 - EMAIL_CODE_MAX_ATTEMPTS);
    // And the right code, sent many times at once, is taken once.
    const id2 = await start(h, email);
    const code2 = await codeFor(email);
    const taken = await Promise.all(Array.from({ length: 4 }, () => confirm(h, id2, email, code2)));
    expect(taken.map((r) => r.status).sort()).toEqual([200, 404, 404, 404]);
  });

  it('refuses an expired code, another account’s code and a vault without holder keys', async () => {
    const h = await holder();
    const email = `late-${randomUUID().slice(0, 6)}@example.org`;
    const id = await start(h, email);
    const code = await codeFor(email);
    await sql`update email_control_codes set expires_at = now() - interval '1 second' where id = ${id}::uuid`.execute(server.database.db);
    expect(await errorOf(await confirm(h, id, email, code))).toMatchObject({ status: 410, error: 'code_expired' });

    const other = await holder();
    const id2 = await start(h, email);
    const code2 = await codeFor(email);
    expect(await errorOf(await confirm(other, id2, email, code2))).toMatchObject({ status: 404, error: 'code_used' });

    const keyless = await holder(false);
    expect(await errorOf(await post(keyless, `${BASE}/start`, { email }))).toMatchObject({ status: 409, error: 'no_holder_keys' });
    expect(smtp.received.filter((m) => m.to.includes(email))).toHaveLength(2);

    // The session and the CSRF header, like the vault API; a malformed body names the member.
    expect((await fetch(`${server.url}${BASE}/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) })).status).toBe(401);
    expect((await post(h, `${BASE}/start`, { email }, { 'x-csrf-token': 'nope' })).status).toBe(403);
    expect(await errorOf(await post(h, `${BASE}/start`, { email: 'not an address' }))).toMatchObject({ status: 400, error: 'invalid_request' });
    expect(await errorOf(await post(h, `${BASE}/start`, { email, extra: 1 }))).toMatchObject({ status: 400, error: 'invalid_request' });
  });

  it('limits mails per account under concurrency, with Retry-After', async () => {
    const h = await holder();
    const email = `limit-${randomUUID().slice(0, 6)}@example.org`;
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(h, `${BASE}/start`, { email })));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    const refused = answers.find((r) => r.status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: string }).error).toBe('mail_limited');
    await new Promise((r) => setTimeout(r, 500));
    expect(smtp.received.filter((m) => m.to.includes(email))).toHaveLength(3);
  });

  it('answers 503 mail_failed when the relay refuses the code, keeps no code row and logs no address', async () => {
    const h = await holder();
    const email = `refused-${randomUUID().slice(0, 8)}@example.org`;
    const logsBefore = server.logs.length;
    const response = await post(h, `${BASE}/start`, { email });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('60');
    expect(await response.json()).toEqual({ error: 'mail_failed', error_description: 'the code could not be mailed; try again later' });
    expect(await server.database.db.selectFrom('email_control_codes').selectAll().execute()).toEqual([]);
    const logged = server.logs.slice(logsBefore).join('');
    expect(logged).toContain('email control code not mailed');
    expect(logged).not.toContain(email.split('@')[0]!);
  });

  it('keeps a keyed digest of the code: a copy of the database alone cannot test a guessed address', async () => {
    const h = await holder();
    const email = `keyed-${randomUUID().slice(0, 8)}@example.org`;
    const id = await start(h, email);
    const code = await codeFor(email);
    const row = await server.database.db.selectFrom('email_control_codes').select(['salt', 'digest']).where('id', '=', id).executeTakeFirstOrThrow();
    // Knowing the salt, the address and the code is not enough without OPERATOR_KEY.
    expect(createHash('sha256').update(`${row.salt}|${email}|${code}`, 'utf8').digest('base64url')).not.toBe(row.digest);
    expect(Buffer.from(row.digest, 'base64url')).toHaveLength(32);
    expect((await confirm(h, id, email, code)).status).toBe(200);
  });

  it('keeps the address in no table and no log line', async () => {
    const h = await holder();
    const email = `secret.${randomUUID().slice(0, 8)}@zk-example.org`;
    const logsBefore = server.logs.length;
    const id = await start(h, email);
    const code = await codeFor(email);
    const during = await dumpDatabase(server.database.db);
    expect((await confirm(h, id, email, code)).status).toBe(200);
    const after = await dumpDatabase(server.database.db);
    const needles = [...textForms('address', email), ...textForms('address (lower case)', email.toLowerCase()), ...textForms('local part', email.split('@')[0]!), ...textForms('code', code)];
    expect(findNeedles([...during.parts, ...after.parts, { label: 'logs', bytes: Buffer.from(server.logs.slice(logsBefore).join('')) }], needles)).toEqual([]);
    // The logs do say that a code went out and an attestation was issued.
    expect(server.logs.slice(logsBefore).join('')).toContain('email control code mailed');
    expect(server.logs.slice(logsBefore).join('')).toContain('email attestation issued');
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { sql } from 'kysely';
import { FormAgent, hiddenField } from '../helpers/agent.js';
import { ensureBuilt } from '../helpers/build.js';
import { freePort, startExample, type ExampleProcess } from '../helpers/example.js';
import { httpEngines } from '../helpers/db.js';
import { PASSWORD } from '../helpers/flow.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ROOT } from '../../src/paths.js';
import {
  base64urlEncode,
  checkIssuedAttestation,
  encryptFile,
  generateHolderKeys,
  generateKey,
  holderCryptoKey,
  holderKeyIds,
  releaseHolder,
  scanDigest,
  sealHolderKeys,
  signState,
  stateRecord,
  wrapFileKey,
  type FileLink,
  type HolderPrivateJwk,
  type StoredHolderKey,
} from '../../src/protocol/index.js';
import { AttestationRevokedError, trustedIssuersFromList } from '../../src/rp/index.js';
import { checkAttestationStatus } from '../../src/rp/status.js';

/**
 * The example verifier (examples/verifier/) as a real child process against a
 * Wathiqa test server, driven without a browser: the holder signs in at the
 * verifier and releases passports through the consent interaction (the release
 * built with jose as the page builds it, the scans really encrypted); the
 * reviewer pages (behind REVIEWER_PASSWORD) show the automatic checks, take an
 * MRZ (the ICAO 9303 "UTOPIA" specimen, then one with a broken check digit),
 * refuse to approve an expired document, approve a good one, and revoke it in the
 * status list. The delivered attestation is opened with the holder's key and
 * checked as the holder's page checks it; the status list is checked with the RP
 * SDK. Bad input gets clear 4xx pages, never a 500.
 */
const MAKE_KEY = join(ROOT, 'examples', 'verifier', 'make-key.mjs');
const TRUST_FRAMEWORK = 'wathiqa_example';
const REVIEWER_PASSWORD = 'Zq7 reviewer lantern';
const REVIEWER = { authorization: `Basic ${Buffer.from(`reviewer:${REVIEWER_PASSWORD}`).toString('base64')}` };

/** ICAO 9303 part 4, the TD3 specimen (Anna Maria Eriksson, Utopia). */
const SPECIMEN = {
  mrz: 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10',
  number: 'L898902C3',
  expiry: '2012-04-15',
};
/** The same with the document number's check digit changed from 6 to 7. */
const BROKEN_MRZ = SPECIMEN.mrz.replace('L898902C36', 'L898902C37');

const b64 = (n: number) => randomBytes(n).toString('base64url');
/** A file the scan checks take for a JPEG (its signature), with random content. */
const jpeg = () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(600), Buffer.from([0xff, 0xd9])]);
const inYears = (n: number) => `${new Date().getUTCFullYear() + n}-06-30`;


interface PageData {
  uid: string;
  issuer: string;
  client_id: string;
  sub: string;
  nonce: string;
  alg: string;
  key: JWK & { kid: string };
  vault_csrf: string;
}

interface Holder {
  agent: FormAgent;
  vaultCsrf?: string;
  stored?: StoredHolderKey[];
  keys?: HolderPrivateJwk[];
}

interface Passport {
  data: Record<string, string>;
  links: { front_side: FileLink; selfie: FileLink };
  scans: { front_side: Buffer; selfie: Buffer };
}

describe.each(httpEngines())('the example verifier (%s)', (engine) => {
  let server: TestServer;
  let verifier: ExampleProcess;
  let keyDir: string;
  let clientId: string;
  let sigKid: string;
  const holder: Holder = { agent: new FormAgent() };
  const mk = new Uint8Array(randomBytes(32));
  /** Every status the verifier answered with, to check that none was a 5xx. */
  const statuses: number[] = [];

  beforeAll(async () => {
    ensureBuilt(join(ROOT, 'dist', 'src', 'rp', 'index.js'));
    server = await startTestServer(engine);
    keyDir = mkdtempSync(join(tmpdir(), 'wathiqa-verifier-'));
    const made = spawnSync(process.execPath, [MAKE_KEY, '--dir', keyDir], { encoding: 'utf8' });
    expect(made.status).toBe(0);
    const jwks = JSON.parse(readFileSync(join(keyDir, 'public.jwks.json'), 'utf8')) as { keys: JWK[] };
    expect(JSON.parse(made.stdout)).toEqual(jwks);
    expect(jwks.keys.map((k) => [k.use, k.alg, k.crv])).toEqual([['enc', 'ECDH-ES+A256KW', 'P-256'], ['sig', 'ES256', 'P-256']]);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    sigKid = jwks.keys[1]!.kid!;
    // make-key refuses to overwrite keys without --force.
    expect(spawnSync(process.execPath, [MAKE_KEY, '--dir', keyDir], { encoding: 'utf8' }).status).toBe(1);

    const port = await freePort();
    const publicUrl = `http://localhost:${port}`;
    const client = await server.services.clients.create({
      client_name: 'Example verifier',
      redirect_uris: [`${publicUrl}/callback`],
      scope: 'openid passport',
      jwks: jwks as never,
      verifier: true,
      verifier_attested_types: ['passport', 'identity_card', 'driver_license'],
      verifier_trust_framework: TRUST_FRAMEWORK,
      policy_uri: 'https://verifier.example/policy',
    } as never);
    clientId = client.client_id;
    verifier = await startExample('verifier', port, {
      WATHIQA_ISSUER: server.url,
      CLIENT_ID: client.client_id,
      CLIENT_SECRET: client.client_secret!,
      VERIFIER_KEY_DIR: keyDir,
      REVIEWER_PASSWORD,
    });
  });

  afterAll(async () => {
    await verifier?.stop();
    await server?.close();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  /** A request to the verifier as the reviewer (the holder's agent: one browser plays both). */
  async function atVerifier(path: string, init: RequestInit & { reviewer?: boolean } = {}): Promise<Response> {
    const { reviewer = true, ...rest } = init;
    const response = await holder.agent.request(`${verifier.url}${path}`, { ...rest, headers: { ...(reviewer ? REVIEWER : {}), ...(rest.headers as Record<string, string>) } });
    statuses.push(response.status);
    return response;
  }

  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    atVerifier(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });

  async function page(path: string): Promise<string> {
    const response = await atVerifier(path);
    expect(response.status).toBe(200);
    return response.text();
  }

  /** The automatic checks as the review page shows them: id → status. */
  const checks = (html: string) => Object.fromEntries([...html.matchAll(/<li data-check="([^"]+)" data-status="([^"]+)">/g)].map((m) => [m[1]!, m[2]!]));
  const checkText = (html: string, id: string) => new RegExp(`<li data-check="${id}"[^>]*>(.*?)</li>`).exec(html)?.[1] ?? '';

  /** The vault (once), with holder keys, set up through the vault API as the page does. */
  async function setUpVault(vaultCsrf: string) {
    const input = { vault_id: randomUUID(), kdf: { alg: 'argon2id', m: 65536, t: 3, p: 1, salt: b64(16), v: 1 }, wrapped_mk: b64(72), recovery_wrapped_mk: b64(72) };
    const keys = await generateHolderKeys();
    const stored = sealHolderKeys(mk, input.vault_id, keys);
    const record = stateRecord({
      vaultId: input.vault_id,
      vaultVersion: 1,
      keys: { kdf: input.kdf, wrappedMk: input.wrapped_mk, recoveryWrappedMk: input.recovery_wrapped_mk },
      elements: [],
      holderKeys: holderKeyIds(stored),
    });
    const response = await holder.agent.request(`${server.url}/api/vault`, {
      method: 'POST',
      headers: { 'x-csrf-token': vaultCsrf, 'content-type': 'application/json' },
      body: JSON.stringify({ ...input, holder_keys: stored, ...signState(mk, record) }),
    });
    expect(response.status).toBe(201);
    Object.assign(holder, { vaultCsrf, stored, keys });
  }

  /** Uploads a scan encrypted under a fresh file key; returns its link and the key (for the release). */
  async function upload(bytes: Buffer): Promise<{ link: FileLink; key: string }> {
    const id = randomUUID();
    const fk = generateKey();
    const ciphertext = encryptFile(fk, { id, mediaType: 'image/jpeg' }, bytes);
    const query = new URLSearchParams({ id, media_type: 'image/jpeg', wrapped_key: wrapFileKey(mk, fk, id) });
    const response = await holder.agent.request(`${server.url}/api/vault/files?${query}`, {
      method: 'POST',
      headers: { 'x-csrf-token': holder.vaultCsrf!, 'content-type': 'application/octet-stream' },
      body: ciphertext as Uint8Array<ArrayBuffer>,
    });
    expect(response.status).toBeLessThan(300);
    return { link: { id, media_type: 'image/jpeg', size: bytes.length, sha256: scanDigest(bytes) }, key: base64urlEncode(fk) };
  }

  /**
   * The holder signs in at the verifier (signing up the first time) and shares a
   * passport with a front side and a selfie. Returns the submission's id and the
   * passport as the vault holds it.
   */
  async function shareAPassport(data: Record<string, string>): Promise<{ caseId: string; passport: Passport }> {
    const agent = holder.agent;
    let { response, url } = await agent.follow(`${verifier.url}/login`);
    statuses.push(response.status);
    let html = await response.text();
    if (html.includes('name="password"')) {
      const uid = url.pathname.split('/')[2]!;
      const signup = new URL(`/interaction/${uid}/signup`, url);
      const csrf = hiddenField(await (await agent.request(signup)).text(), 'csrf');
      ({ response } = await agent.submit(signup, `/interaction/${uid}/signup`, { csrf, email: `holder-${engine}@example.com`, password: PASSWORD, password_confirm: PASSWORD }));
      html = await response.text();
    }
    const csrf = /id="passport-consent"[^>]*data-csrf="([^"]+)"/.exec(html)?.[1];
    const block = /<script type="application\/json" id="passport-release">([^<]*)<\/script>/.exec(html)?.[1];
    if (!csrf || !block) throw new Error(`not the passport consent page: ${html.slice(0, 300)}`);
    const page = JSON.parse(block) as PageData;
    expect(page.client_id).toBe(clientId);
    if (!holder.stored) await setUpVault(page.vault_csrf);

    const scans = { front_side: jpeg(), selfie: jpeg() };
    const front = await upload(scans.front_side);
    const selfie = await upload(scans.selfie);
    const elementId = randomUUID();
    const put = await agent.request(`${server.url}/api/vault/elements/${elementId}`, {
      method: 'PUT',
      headers: { 'x-csrf-token': holder.vaultCsrf!, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'passport', version: 1, wrapped_key: b64(72), ciphertext: b64(300), file_ids: [front.link.id, selfie.link.id] }),
    });
    expect(put.status).toBeLessThan(300);

    const payload = {
      v: 1,
      iss: page.issuer,
      aud: page.client_id,
      sub: page.sub,
      nonce: page.nonce,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      holder: releaseHolder(holder.stored!),
      elements: [
        {
          type: 'passport',
          data,
          files: { front_side: { ...front.link, key: front.key }, selfie: { ...selfie.link, key: selfie.key } },
          attestations: [],
        },
      ],
    };
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: page.alg, enc: 'A256GCM', kid: page.key.kid, cty: 'wathiqa-release+json' })
      .encrypt(await importJWK(page.key, page.alg));
    const posted = await agent.request(`${server.url}/interaction/${page.uid}/passport`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ csrf, jwe, file_ids: [front.link.id, selfie.link.id], element_types: ['passport'] }),
    });
    expect(posted.status).toBe(200);
    // Back to the verifier's callback, which redeems the code, opens the release and fetches the scans.
    ({ response, url } = await agent.follow(((await posted.json()) as { redirect_to: string }).redirect_to));
    statuses.push(response.status);
    const landed = await response.text();
    expect({ status: response.status, at: url.pathname }).toEqual({ status: 200, at: expect.stringMatching(/^\/submitted\//) });
    expect(landed).toContain('data-state="pending"');
    return { caseId: url.pathname.split('/')[2]!, passport: { data, links: { front_side: front.link, selfie: selfie.link }, scans } };
  }

  async function verifiersList() {
    const response = await fetch(`${server.url}/verifiers`);
    expect(response.status).toBe(200);
    return response.json();
  }

  async function statusListJwt(): Promise<string> {
    const response = await fetch(`${verifier.url}/status-list`);
    statuses.push(response.status);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/statuslist+jwt');
    return response.text();
  }

  let expiredCase: string;
  let good: { caseId: string; passport: Passport };
  let issued: { sdJwt: string; idx: number; uri: string };
  let stillOpen: string;

  it('opens the release, fetches the scans and runs the automatic checks; the reviewer pages ask for the password', async () => {
    good = await shareAPassport({ document_number: 'ZQ7VERIFY1', issuing_country: 'BH', date_of_expiry: inYears(3) });
    // Without the reviewer's password: 401 with a Basic challenge.
    const anonymous = await atVerifier(`/review/${good.caseId}`, { reviewer: false });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const wrong = await atVerifier(`/review/${good.caseId}`, { reviewer: false, headers: { authorization: `Basic ${Buffer.from('reviewer:guess').toString('base64')}` } });
    expect(wrong.status).toBe(401);

    const html = await page(`/review/${good.caseId}`);
    expect(checks(html)).toEqual({ expiry: 'pass', scans: 'pass', selfie: 'pass' });
    expect(html).toContain('data-field="document_number">ZQ7VERIFY1<');
    expect(html).toMatch(/<button type="submit" class="approve">Approve<\/button>/);

    // The scans, as released: served to the reviewer with a sandboxing CSP; the page's CSP allows only its own images.
    expect((await atVerifier(`/review/${good.caseId}`)).headers.get('content-security-policy')).toMatch(/img-src 'self'/);
    const front = await atVerifier(`/review/${good.caseId}/scans/0`);
    expect(front.status).toBe(200);
    expect(front.headers.get('content-type')).toBe('image/jpeg');
    expect(front.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(Buffer.from(await front.arrayBuffer()).equals(good.passport.scans.front_side)).toBe(true);
    expect((await atVerifier(`/review/${good.caseId}/scans/0`, { reviewer: false })).status).toBe(401);
    expect((await atVerifier(`/review/${good.caseId}/scans/7`)).status).toBe(404);
  });

  it('checks an MRZ with the mrz package: the ICAO specimen, a broken check digit, garbage; refuses to approve an expired passport', async () => {
    ({ caseId: expiredCase } = await shareAPassport({ document_number: SPECIMEN.number, issuing_country: 'BH', date_of_expiry: SPECIMEN.expiry }));
    let html = await page(`/review/${expiredCase}`);
    expect(checks(html).expiry).toBe('fail');
    expect(checkText(html, 'expiry')).toContain(`Expired on ${SPECIMEN.expiry}`);
    expect(html).toMatch(/class="approve" disabled/);
    const csrf = hiddenField(html, 'csrf');

    // The specimen: every check digit right; number and expiry as released; "UTO" is no ISO 3166 country.
    let response = await post(`/review/${expiredCase}/mrz`, { csrf, mrz: SPECIMEN.mrz });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/review/${expiredCase}#checks`);
    html = await page(`/review/${expiredCase}`);
    expect(checks(html)).toMatchObject({
      'mrz-format': 'pass',
      'mrz-check-digits': 'pass',
      'mrz-document-code': 'pass',
      'mrz-document-number': 'pass',
      'mrz-expiry': 'pass',
      'mrz-issuing-country': 'fail',
    });
    expect(checkText(html, 'mrz-check-digits')).toContain('All 5 check digits are right');
    expect(checkText(html, 'mrz-issuing-country')).toContain('&quot;UTO&quot; has no ISO 3166-1 country code');
    expect(html).toContain('Name in the MRZ: ERIKSSON, ANNA MARIA');

    // Lower case and spaces, as people type it, read the same.
    response = await post(`/review/${expiredCase}/mrz`, { csrf, mrz: SPECIMEN.mrz.toLowerCase().replace('l898902c36', 'L898 902C3 6') });
    expect(checks(await page(`/review/${expiredCase}`))['mrz-check-digits']).toBe('pass');

    // One digit off: the document number's check digit and the composite one fail.
    response = await post(`/review/${expiredCase}/mrz`, { csrf, mrz: BROKEN_MRZ });
    expect(response.status).toBe(303);
    html = await page(`/review/${expiredCase}`);
    expect(checks(html)['mrz-check-digits']).toBe('fail');
    expect(checkText(html, 'mrz-check-digits')).toMatch(/Document number check digit: invalid check digit: 7\. Must be 6.*Composite check digit/);
    expect(checks(html)['mrz-document-number']).toBe('pass');

    // Not an MRZ at all: a clear result, not an error page.
    response = await post(`/review/${expiredCase}/mrz`, { csrf, mrz: 'hello world' });
    expect(response.status).toBe(303);
    html = await page(`/review/${expiredCase}`);
    expect(checks(html)['mrz-format']).toBe('fail');
    expect(checkText(html, 'mrz-format')).toContain('Not a readable MRZ');

    // Approve is refused while a check fails (expired), whatever the button says.
    response = await post(`/review/${expiredCase}/approve`, { csrf });
    expect(response.status).toBe(409);
    expect(await response.text()).toMatch(/Approve refused[\s\S]*Document not expired \(Expired on 2012-04-15\.\)/);

    // Reject: decided, and the scans are forgotten.
    response = await post(`/review/${expiredCase}/reject`, { csrf });
    expect(response.status).toBe(303);
    html = await page(`/review/${expiredCase}`);
    expect(html).toContain('<section id="result" data-state="rejected">');
    expect(html).toContain('The scans were discarded after the decision.');
    expect((await atVerifier(`/review/${expiredCase}/scans/0`)).status).toBe(404);
    response = await post(`/review/${expiredCase}/approve`, { csrf });
    expect(response.status).toBe(409);
    expect(await response.text()).toContain('This submission was rejected already.');
    // The holder's own page says so.
    expect(await (await atVerifier(`/submitted/${expiredCase}`, { reviewer: false })).text()).toContain('data-state="rejected"');
  });

  it('approves: issues an SD-JWT VC the holder’s checks accept, encrypted to the holder and delivered to the inbox', async () => {
    let html = await page(`/review/${good.caseId}`);
    const response = await post(`/review/${good.caseId}/approve`, { csrf: hiddenField(html, 'csrf') });
    expect(response.status).toBe(303);
    html = await page(`/review/${good.caseId}`);
    expect(html).toContain('<section id="result" data-state="approved">');
    const sdJwt = /<pre>([^<]+)<\/pre>/.exec(html)![1]!;
    expect(sdJwt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+(~[\w-]+)+~$/);
    expect((await atVerifier(`/review/${good.caseId}/scans/0`)).status).toBe(404); // forgotten after the decision
    expect(await (await atVerifier(`/submitted/${good.caseId}`, { reviewer: false })).text()).toContain('data-state="approved"');

    // In the holder's inbox, encrypted to HE; the holder's key opens it.
    const inbox = await holder.agent.request(`${server.url}/api/attestations`, { headers: { 'x-csrf-token': holder.vaultCsrf! } });
    const { attestations } = (await inbox.json()) as { attestations: { client_id: string; jwe: string }[] };
    expect(attestations).toHaveLength(1);
    expect(attestations[0]!.client_id).toBe(clientId);
    const he = holder.keys![holder.stored!.findIndex((k) => k.use === 'enc')]!;
    const opened = await compactDecrypt(attestations[0]!.jwe, await holderCryptoKey(he, 'enc'));
    expect(opened.protectedHeader).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'wathiqa-attestation+sd-jwt' });
    expect(new TextDecoder().decode(opened.plaintext)).toBe(sdJwt);

    // The holder page's check: issuer and key from GET /verifiers, cnf, every disclosure against the element.
    const list = (await verifiersList()) as { verifiers: { client_id: string; jwks: { keys: Record<string, unknown>[] } }[] };
    const summary = await checkIssuedAttestation(sdJwt, {
      elementType: 'passport',
      content: { data: good.passport.data, files: good.passport.links } as never,
      holderSig: holder.stored!.find((k) => k.use === 'sig')!.public_jwk,
      issuers: list.verifiers.map((v) => ({ client_id: v.client_id, jwks: v.jwks })),
    });
    expect(summary).toMatchObject({ issuer: clientId, kid: sigKid });
    expect([...summary.fields].sort()).toEqual(['date_of_expiry', 'document_number', 'issuing_country']);
    expect([...summary.scans].sort()).toEqual(['front_side', 'selfie']);
    // The passport is valid for three years: the attestation for VERIFIER_ATTESTATION_DAYS (365).
    expect(summary.expiresAt).toBe(summary.issuedAt! + 365 * 86400);
    expect(summary.verification).toMatchObject({
      trust_framework: TRUST_FRAMEWORK,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      evidence: [{ type: 'document', check_details: [{ check_method: 'vri', txn: good.caseId }], document_details: { type: 'passport' } }],
    });
    // Nothing the holder could leave undisclosed is repeated in the always-visible payload.
    expect(JSON.stringify(summary.verification)).not.toContain('ZQ7VERIFY1');
    const status = summary.status as { status_list: { idx: number; uri: string } };
    expect(status.status_list.uri).toBe(`${verifier.url}/status-list`);
    issued = { sdJwt, ...status.status_list };

    // A held attestation for an element whose number changed no longer fits.
    await expect(
      checkIssuedAttestation(sdJwt, {
        elementType: 'passport',
        content: { data: { ...good.passport.data, document_number: 'ZQ7OTHER' }, files: good.passport.links } as never,
        holderSig: holder.stored!.find((k) => k.use === 'sig')!.public_jwk,
        issuers: list.verifiers.map((v) => ({ client_id: v.client_id, jwks: v.jwks })),
      }),
    ).rejects.toMatchObject({ code: 'value_mismatch' });
  });

  it('publishes a status list the RP SDK verifies, and revoking flips the attestation’s bit', async () => {
    const list = await verifiersList();
    const trusted = trustedIssuersFromList(list).find((t) => t.issuer === clientId)!;
    expect(trusted).toBeDefined();
    const options = () => ({ allowHttp: true, nowSeconds: Math.floor(Date.now() / 1000), clockToleranceSeconds: 30 });
    const statusClaim = { status_list: { idx: issued.idx, uri: issued.uri } };

    let jwt = await statusListJwt();
    expect(decodeProtectedHeader(jwt)).toMatchObject({ typ: 'statuslist+jwt', alg: 'ES256', kid: sigKid });
    const key = (list as { verifiers: { client_id: string; jwks: { keys: JWK[] } }[] }).verifiers.find((v) => v.client_id === clientId)!.jwks.keys[0]!;
    const { payload } = await jwtVerify(jwt, await importJWK(key, 'ES256'), { typ: 'statuslist+jwt', issuer: clientId, subject: issued.uri });
    expect(payload.ttl).toBe(300);
    expect(payload.exp).toBe(payload.iat! + 300);
    await expect(checkAttestationStatus(statusClaim, trusted, options())).resolves.toEqual({ uri: issued.uri, idx: issued.idx });

    const before = await page('/attestations');
    const row = new RegExp(`<tr data-attestation="([\\w-]+)" data-state="valid">(?:(?!</tr>).)*<td>${issued.idx}</td>`).exec(before);
    expect(row).not.toBeNull();
    const id = row![1]!;
    const csrf = hiddenField(before, 'csrf');

    // Bad requests first: no CSRF token, a wrong one, an unknown attestation, a foreign origin, a GET.
    let response = await post(`/attestations/${id}/revoke`, {});
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('CSRF token');
    response = await post(`/attestations/${id}/revoke`, { csrf: `${csrf}x` });
    expect(response.status).toBe(403);
    response = await post('/attestations/AAAAAAAAAAAAAAAAAAAAAAAA/revoke', { csrf });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('There is no attestation with this id.');
    response = await post(`/attestations/${id}/revoke`, { csrf }, { origin: 'https://attacker.example' });
    expect(response.status).toBe(403);
    response = await atVerifier(`/attestations/${id}/revoke`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    await expect(checkAttestationStatus(statusClaim, trusted, options())).resolves.toBeDefined();

    response = await post(`/attestations/${id}/revoke`, { csrf });
    expect(response.status).toBe(303);
    expect(await page('/attestations')).toContain(`<tr data-attestation="${id}" data-state="revoked">`);
    jwt = await statusListJwt();
    const bits = getListFromStatusListJWT(jwt);
    expect(bits.getStatus(issued.idx)).toBe(1);
    expect(bits.getStatus((issued.idx + 1) % 16384)).toBe(0);
    await expect(checkAttestationStatus(statusClaim, trusted, options())).rejects.toBeInstanceOf(AttestationRevokedError);
    // Revoking again changes nothing and is no error.
    expect((await post(`/attestations/${id}/revoke`, { csrf })).status).toBe(303);
  });

  it('shows the server’s error when delivery fails, and lets the reviewer try again', async () => {
    const { caseId } = await shareAPassport({ document_number: 'ZQ7VERIFY3', issuing_country: 'OM', date_of_expiry: inYears(2) });
    stillOpen = caseId;
    // The holder revokes the release at Wathiqa before the reviewer gets to it.
    await sql`update releases set revoked_at = now() where client_id = ${clientId} and revoked_at is null`.execute(server.database.db);
    let html = await page(`/review/${caseId}`);
    const response = await post(`/review/${caseId}/approve`, { csrf: hiddenField(html, 'csrf') });
    expect(response.status).toBe(303);
    html = await page(`/review/${caseId}`);
    expect(html).toContain('<section id="result" data-state="delivery_failed">');
    expect(html).toMatch(/Wathiqa refused the attestation: the attestation was not delivered \(no_release, HTTP 404\): the grant of this access token has no live release/);
    // Still open: the scans are kept and Approve is offered again.
    expect((await atVerifier(`/review/${caseId}/scans/1`)).status).toBe(200);
    expect(html).toMatch(/<button type="submit" class="approve">Approve<\/button>/);
    // The failed attempt issued nothing that is listed.
    expect((await page('/attestations')).match(/<tr data-attestation=/g)).toHaveLength(1);
  });

  it('answers bad input with clear 4xx pages', async () => {
    const html = await page(`/review/${stillOpen}`);
    const csrf = hiddenField(html, 'csrf');
    const cases: [string, Promise<Response>, number, string][] = [
      ['unknown submission', atVerifier('/review/AAAAAAAAAAAAAAAAAAAAAAAA'), 404, 'There is no submission with this id'],
      ['malformed id', atVerifier('/review/..%2F..%2Fetc'), 404, 'There is nothing here.'],
      ['approve without CSRF', post(`/review/${expiredCase}/approve`, {}), 403, 'CSRF token'],
      ['MRZ without CSRF', post(`/review/${expiredCase}/mrz`, { mrz: SPECIMEN.mrz }), 403, 'CSRF token'],
      ['approve twice', post(`/review/${good.caseId}/approve`, { csrf }), 409, 'This submission was approved already.'],
      ['approve, unknown', post('/review/AAAAAAAAAAAAAAAAAAAAAAAA/approve', { csrf }), 404, 'There is no submission with this id'],
      ['a JSON body', atVerifier(`/review/${good.caseId}/reject`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ csrf }) }), 415, 'application/x-www-form-urlencoded'],
      ['a huge form', post(`/review/${good.caseId}/mrz`, { csrf, mrz: 'P'.repeat(20_000) }), 413, 'at most 8192 bytes'],
      ['someone else’s submission page', new FormAgent().request(`${verifier.url}/submitted/${good.caseId}`), 404, 'No submission with this id in this browser session.'],
      ['a callback without a sign-in', new FormAgent().request(`${verifier.url}/callback?code=x&state=y`), 400, 'No sign-in is in progress'],
      ['nothing there', atVerifier('/admin'), 404, 'There is nothing here.'],
    ];
    for (const [what, request, status, text] of cases) {
      const response = await request;
      statuses.push(response.status);
      expect({ what, status: response.status }).toEqual({ what, status });
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect({ what, body: await response.text() }).toEqual({ what, body: expect.stringContaining(text) });
    }
    // A stray answer to a sign-in in progress is refused without cancelling it.
    const start = await atVerifier('/login', { reviewer: false });
    expect(start.status).toBe(302);
    const state = new URL(start.headers.get('location')!).searchParams.get('state');
    expect((await atVerifier('/callback?code=x&state=forged', { reviewer: false })).status).toBe(400);
    const late = await atVerifier(`/callback?error=access_denied&state=${state}`, { reviewer: false });
    expect(late.status).toBe(400);
    expect(await late.text()).toContain('You did not share a document.');
  });

  it('never answered with a 5xx, and logged no unexpected error', () => {
    expect(statuses.length).toBeGreaterThan(40);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(verifier.output()).not.toMatch(/example verifier: (?!approving \S+ failed: Wathiqa refused)[A-Z]?\w*Error/);
  });
});

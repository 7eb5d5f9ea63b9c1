import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { decodeJwt, exportJWK, generateKeyPair, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { t, type Locale } from '../../src/i18n/index.js';
import { sdJwtHasher } from '../../src/protocol/index.js';
import {
  deliverAttestation,
  encryptAttestation,
  issueAttestation,
  loadReleaseKeys,
  openRelease,
  releaseFileHashes,
  trustedIssuersFromList,
  type Release,
} from '../../src/rp/index.js';
import { Browsers, openWatchedPage, type WatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { discover, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { dumpDatabase, findNeedles, startRecordingServer, textForms, type Part, type RecordingServer } from '../helpers/zero-knowledge.js';
import { addElement, heading, randomJpeg, screenshots, setUpVault, signUpToAccount, ui, unlock } from '../helpers/vault-ui.js';

/**
 * Attestations (DESIGN 5.6) through the holder's pages, in a real Chromium: the
 * holder releases a passport to a verifier; the test, as that verifier (the RP
 * SDK's issueAttestation, encryptAttestation, deliverAttestation), delivers an
 * attestation and one for a passport number the holder does not have; the vault
 * page takes the first in (sealed in the element, "Verified by …") and shows the
 * second as failed until discarded; a delivery already sealed is not sealed
 * twice; an RP asking for a verified passport gets a presentation the RP SDK
 * verifies, disclosing only what was released (one optional field unticked);
 * editing the attested number warns and, once confirmed, drops the verification.
 * In English and in Arabic. SCREENSHOT_DIR=/tmp/shots saves each screen.
 */
const PASSPHRASE = 'Zq7 amber lantern quiet harbour';
const POLICY = 'https://verifier.example/policy';

interface EncKey {
  publicJwk: JWK & { kid: string };
  privateJwk: JWK;
}

async function encKey(): Promise<EncKey> {
  const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
  const kid = `enc-${randomUUID()}`;
  return {
    publicJwk: { ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid },
    privateJwk: { ...(await exportJWK(privateKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid },
  };
}

const sdjwt = new SDJwtVcInstance({ hasher: sdJwtHasher, hashAlg: 'sha-256' });
/** The claim names a (presented or issued) SD-JWT discloses. */
async function disclosedKeys(token: string): Promise<string[]> {
  const decoded = await sdjwt.decode(token);
  return (decoded.disclosures ?? []).map((d) => String(d.key)).sort();
}

describe.each(e2eEngines())('attestations in the holder’s pages, in Chromium (%s)', (engine) => {
  let server: RecordingServer;
  let rp: CallbackListener;
  const browsers = new Browsers();

  beforeAll(async () => {
    // Recording: every request body, every row and every log line is searched for attested values at the end.
    server = await startRecordingServer(engine);
    rp = await startCallbackListener();
  });
  afterAll(async () => {
    await server?.close();
    await rp?.close();
  });
  afterEach(() => browsers.closeAll());

  async function client(name: string) {
    const key = await encKey();
    const created = await server.services.clients.create({
      client_name: name,
      redirect_uris: [rp.redirectUri],
      scope: 'openid passport',
      policy_uri: POLICY,
      jwks: { keys: [key.publicJwk] as never },
    } as never);
    return { key, id: created.client_id, config: await discover(server.url, created.client_id, created.client_secret) };
  }

  /** A verifier client registered in the test: it receives releases (enc) and signs attestations (sig, ES256). */
  async function verifierClient(name: string) {
    const key = await encKey();
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = `sig-${randomUUID()}`;
    const sig = { ...(await exportJWK(publicKey)), use: 'sig', alg: 'ES256', kid };
    const created = await server.services.clients.create({
      client_name: name,
      redirect_uris: [rp.redirectUri],
      scope: 'openid passport',
      policy_uri: POLICY,
      jwks: { keys: [key.publicJwk, sig] as never },
      verifier: true,
      verifier_attested_types: ['passport'],
      verifier_trust_framework: 'eidas',
    } as never);
    const signingKey: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
    return { key, signingKey, id: created.client_id, config: await discover(server.url, created.client_id, created.client_secret) };
  }

  /** Asks through the real consent page, unlocks there, shares; returns the release (opened with the RP SDK) and the access token. */
  async function release(
    page: WatchedPage,
    locale: Locale,
    rpClient: Awaited<ReturnType<typeof client>>,
    clientName: string,
    scope: { v: 1; data: unknown[] },
    review: () => Promise<void> = async () => {},
    verifiers?: Parameters<typeof openRelease>[1]['verifiers'],
  ): Promise<{ release: Release; accessToken: string }> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(rpClient.config, {
      redirect_uri: rp.redirectUri,
      scope: 'openid passport',
      passport_scope: JSON.stringify(scope),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ui_locales: locale,
    });
    await page.goto(url.href);
    await unlock(page, locale, PASSPHRASE, 'consent');
    await review();
    const callback = page.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await page.getByRole('button', { name: ui(locale, 'passport.share', { client: clientName }) }).click();
    const back = new URL((await callback).url());
    await page.waitForURL((u) => u.href.startsWith(rp.redirectUri));
    const tokens = await oidc.authorizationCodeGrant(rpClient.config, back, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const opened = await openRelease(tokens.claims()!.passport as string, {
      keys: await loadReleaseKeys(rpClient.key.privateJwk),
      issuer: server.url,
      clientId: rpClient.id,
      subject: tokens.claims()!.sub,
      nonce,
      requested: scope,
      ...(verifiers ? { verifiers } : {}),
    });
    return { release: opened, accessToken: tokens.access_token };
  }

  async function inbox(page: WatchedPage): Promise<{ id: string; client_id: string }[]> {
    const response = await page.request.get(`${server.url}/api/attestations`);
    expect(response.status()).toBe(200);
    return ((await response.json()) as { attestations: { id: string; client_id: string }[] }).attestations;
  }

  /** The stored version of the holder's passport (the server sees versions, never content). */
  async function passportVersion(email: string): Promise<number> {
    const row = await server.database.db
      .selectFrom('vault_elements as e')
      .innerJoin('accounts as a', 'a.id', 'e.account_id')
      .select('e.version')
      .where('a.email', '=', email)
      .where('e.type', '=', 'passport')
      .executeTakeFirstOrThrow();
    return Number(row.version);
  }

  /** Waits until `read` gives `expected` (the page works in the background after unlocking). */
  async function eventually<V>(read: () => Promise<V>, expected: V, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    let last = await read();
    while (JSON.stringify(last) !== JSON.stringify(expected) && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      last = await read();
    }
    expect(last).toEqual(expected);
  }

  /** "12 May 2030" as the page writes it (Intl in the browser, the page's language). */
  async function pageDate(page: WatchedPage, locale: Locale, epochSeconds: number): Promise<string> {
    return page.evaluate(({ locale, ms }) => new Intl.DateTimeFormat(locale, { dateStyle: 'long' }).format(new Date(ms)), { locale, ms: epochSeconds * 1000 });
  }

  it.each<Locale>(['en', 'ar'])('delivered, checked, sealed, shown, presented and dropped on edit (%s)', async (locale) => {
    const shot = screenshots(`attestations-${engine}-${locale}-`);
    const page = await openWatchedPage(browsers, { locale: locale === 'ar' ? 'ar' : 'en-US', viewport: { width: 1100, height: 900 } });
    const passportNo = locale === 'ar' ? 'ZQ7ATTAR1' : 'ZQ7ATTEN1';
    const email = `attest-${locale}-${engine}@example.com`;
    await signUpToAccount(page, server.url, locale, email, locale === 'ar' ? '?lang=ar' : '');
    await setUpVault(page, locale, PASSPHRASE);
    await addElement(
      page,
      locale,
      'passport',
      { document_number: passportNo, issuing_country: 'BH', date_of_issuance: '2021-05-02', date_of_expiry: '2031-05-01' },
      { front_side: await randomJpeg(page) },
    );

    // 1. The holder releases the passport to a verifier, through the real consent page.
    const verifierName = locale === 'ar' ? 'فحص جوازات زد' : 'Zq Passport Checks';
    const kyc = await verifierClient(verifierName);
    const toVerifier = await release(page, locale, kyc, verifierName, { v: 1, data: [{ type: 'passport' }] });
    const element = toVerifier.release.elements[0]!;
    const holder = toVerifier.release.holder!;
    expect(element.type).toBe('passport');
    expect(holder.sig.kid).toBeTruthy();

    // 2. As the verifier: one attestation of what it received, one of a number the holder does not have.
    const issue = (data: Record<string, unknown>) =>
      issueAttestation({
        issuer: kyc.id,
        signingKey: kyc.signingKey,
        elementType: 'passport',
        data,
        fileHashes: releaseFileHashes(element),
        holder: holder as never,
        verification: { trust_framework: 'eidas', evidence: [{ type: 'document', method: 'pipp' }] },
      });
    const deliver = async (sdJwt: string) =>
      deliverAttestation({ issuer: server.url, accessToken: toVerifier.accessToken, jwe: await encryptAttestation(sdJwt, holder.enc as unknown as JWK) });
    const good = await issue(element.data);
    expect(await disclosedKeys(good)).toEqual(['date_of_expiry', 'date_of_issuance', 'document_number', 'front_side', 'issuing_country']);
    await deliver(good);
    await deliver(await issue({ ...element.data, document_number: 'NOTMINE99' }));
    expect(await inbox(page)).toHaveLength(2);
    const versionBefore = await passportVersion(email);

    // 3. The vault page takes the inbox in at unlock: "Verified by …" on the passport, the other one failed.
    await page.goto(`${server.url}/account`);
    await unlock(page, locale, PASSPHRASE);
    const issuedOn = await pageDate(page, locale, decodeJwt(good.split('~')[0]!).iat!);
    const card = page.locator('.element-card[data-type="passport"]');
    const verified = ui(locale, 'vault.attest.verified', { verifier: verifierName, date: issuedOn });
    await card.getByText(verified).waitFor();
    const failedText = ui(locale, 'vault.attest.failed', {
      verifier: verifierName,
      reason: ui(locale, 'vault.attest.reason.value_mismatch', { type: t(locale, 'element.passport') }),
    });
    const failure = page.locator('.attest-failure').filter({ hasText: failedText });
    await failure.waitFor();
    await shot(page, '1-vault-verified');
    expect(await passportVersion(email)).toBe(versionBefore + 1);
    // Sealed, then deleted from the inbox; the failed one stays there until discarded.
    expect(await inbox(page)).toHaveLength(1);

    // 4. The same attestation delivered again (as after a reload between sealing and deleting): deleted, not sealed twice.
    await deliver(good);
    await page.reload();
    await unlock(page, locale, PASSPHRASE);
    await card.getByText(verified).waitFor();
    await failure.waitFor(); // still shown: a failure is never hidden
    await eventually(() => inbox(page).then((items) => items.length), 1);
    expect(await passportVersion(email)).toBe(versionBefore + 1);
    expect(await card.locator('.verified').count()).toBe(1);

    // 5. Discard deletes the failed item, on the page and on the server.
    await failure.getByRole('button', { name: ui(locale, 'vault.attest.discard_label', { verifier: verifierName }) }).click();
    await failure.waitFor({ state: 'detached' });
    expect(await inbox(page)).toEqual([]);

    // 6. An RP asking for a verified passport: the consent page shows who verified it; one optional field unticked.
    const bankName = locale === 'ar' ? 'بنك زد' : 'Zq Bank';
    const bank = await client(bankName);
    const trusted = trustedIssuersFromList(await (await fetch(`${server.url}/verifiers`)).json());
    const toBank = await release(
      page,
      locale,
      bank,
      bankName,
      { v: 1, data: [{ type: 'passport', verified: true }] },
      async () => {
        await page.locator('.share-req').getByText(verified).waitFor();
        await page.locator('input[data-field="date_of_expiry"]').uncheck();
        await shot(page, '2-consent-verified');
      },
      { trusted },
    );
    const shared = toBank.release.elements[0]!;
    expect(Object.keys(shared.data).sort()).toEqual(['date_of_issuance', 'document_number', 'issuing_country']);
    expect(shared.attestations).toHaveLength(1);
    // Verified by the RP SDK against GET /verifiers: the released fields and the scan are attested, nothing else disclosed.
    expect(shared.verification!.attestations.map((a) => a.issuer)).toEqual([kyc.id]);
    expect(Object.keys(shared.verification!.attested).sort()).toEqual(['date_of_issuance', 'document_number', 'issuing_country']);
    expect(Object.keys(shared.verification!.attestedScans)).toEqual(['front_side']);
    expect(shared.verification!.selfAsserted).toEqual([]);
    expect(await disclosedKeys(shared.attestations[0]!)).toEqual(['date_of_issuance', 'document_number', 'front_side', 'issuing_country']);

    // 7. Editing the attested number warns, names the verifier and the field, and asks again before saving.
    await page.goto(`${server.url}/account`);
    await unlock(page, locale, PASSPHRASE);
    await card.getByText(verified).waitFor();
    await card.getByRole('button', { name: t(locale, 'vault.edit'), exact: true }).click();
    await heading(page, t(locale, 'element.passport')).waitFor();
    await page.getByLabel(t(locale, 'field.document_number'), { exact: true }).fill(`${passportNo}X`);
    await page.getByRole('button', { name: t(locale, 'vault.save'), exact: true }).click();
    const warning = page.locator('.attest-drop');
    await warning.getByText(ui(locale, 'vault.attest.drop_warning', { verifier: verifierName, changes: t(locale, 'field.document_number') })).waitFor();
    await shot(page, '3-edit-warning');
    expect(await passportVersion(email)).toBe(versionBefore + 1); // nothing saved yet
    await warning.getByRole('button', { name: t(locale, 'vault.attest.drop_confirm'), exact: true }).click();
    await page.getByText(ui(locale, 'vault.attest.removed', { verifier: verifierName })).waitFor();
    expect(await passportVersion(email)).toBe(versionBefore + 2);
    await card.locator('dd').filter({ hasText: `${passportNo}X` }).waitFor();
    expect(await card.locator('.verified').count()).toBe(0);
    await shot(page, '4-verification-removed');

    // After a reload the verification is still gone (it was sealed out, not only hidden).
    await page.reload();
    await unlock(page, locale, PASSPHRASE);
    await card.locator('dd').filter({ hasText: `${passportNo}X` }).waitFor();
    expect(await card.locator('.verified').count()).toBe(0);
    expect(page.errors).toEqual([]);

    // 8. Zero knowledge, attestations included: after the verification, the release to the bank and the edit, no
    //    attested value, no disclosure and no SD-JWT is in any request the server received, any row, or any log line.
    const parts: Part[] = [
      ...server.requests.flatMap((r, i) => [
        { label: `request ${i} ${r.method} ${r.url.split('?')[0]} (line, headers)`, bytes: Buffer.from(`${r.method} ${r.url}\r\n${r.rawHeaders.join('\r\n')}`) },
        { label: `request ${i} ${r.method} ${r.url.split('?')[0]} (body)`, bytes: r.body },
      ]),
      ...(await dumpDatabase(server.database.db)).parts,
      { label: 'logs', bytes: Buffer.from(server.logs.join('')) },
    ];
    expect(server.requests.some((r) => r.method === 'POST' && r.url.startsWith('/passport/attestations'))).toBe(true);
    const disclosures = good.split('~').slice(1, -1);
    expect(disclosures).toHaveLength(5);
    const needles = [
      ...textForms('passport number', passportNo),
      ...textForms('edited passport number', `${passportNo}X`),
      ...textForms('date of issuance', '2021-05-02'),
      ...textForms('date of expiry', '2031-05-01'),
      ...disclosures.flatMap((d, i) => textForms(`disclosure ${i}`, d)),
      ...textForms('issuer-signed JWT', good.split('~')[0]!),
      ...textForms('presentation to the bank', shared.attestations[0]!),
    ];
    expect(findNeedles(parts, needles)).toEqual([]);
  });
});

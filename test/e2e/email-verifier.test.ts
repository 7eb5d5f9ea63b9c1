import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { t, type Locale } from '../../src/i18n/index.js';
import { loadReleaseKeys, openRelease, trustedIssuersFromList } from '../../src/rp/index.js';
import { Browsers, openWatchedPage, type WatchedPage } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { discover, startCallbackListener, type CallbackListener } from '../helpers/flow.js';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp.js';
import { dumpDatabase, findNeedles, startRecordingServer, textForms, type RecordingServer } from '../helpers/zero-knowledge.js';
import { addElement, screenshots, setUpVault, signUpToAccount, ui, unlock } from '../helpers/vault-ui.js';

/**
 * Wathiqa verifying a vault email element, in a real Chromium (issue "People's
 * accounts", point 7): the holder adds an address, asks Wathiqa to verify it, reads
 * the consent step, types back the code the SMTP receiver got, and the element shows
 * "Verified by Wathiqa, <date>" (sealed through the inbox's own path). An RP asking
 * for a verified email then gets a presentation the RP SDK verifies against GET
 * /verifiers. The address is in no row and no log line. English and Arabic; with
 * SCREENSHOT_DIR set, desktop (1280×800) and phone (390×844) pictures of each step.
 */
const PASSPHRASE = 'Zq7 amber lantern quiet harbour';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

describe.each(e2eEngines())('Wathiqa verifies a vault email address, in Chromium (%s)', (engine) => {
  let server: RecordingServer;
  let smtp: SmtpReceiver;
  let rp: CallbackListener;
  const browsers = new Browsers();

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    server = await startRecordingServer(engine, { SMTP_URL: smtp.url });
    rp = await startCallbackListener();
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
    await rp?.close();
  });
  afterEach(() => browsers.closeAll());

  async function rpClient(name: string) {
    const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    const kid = `enc-${randomUUID()}`;
    const publicJwk = { ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid };
    const privateJwk: JWK = { ...(await exportJWK(privateKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid };
    const created = await server.services.clients.create({
      client_name: name,
      redirect_uris: [rp.redirectUri],
      scope: 'openid passport',
      policy_uri: 'https://rp.example/policy',
      jwks: { keys: [publicJwk] as never },
    } as never);
    return { privateJwk, id: created.client_id, config: await discover(server.url, created.client_id, created.client_secret) };
  }

  async function codeFor(email: string): Promise<string> {
    const mail = await smtp.next(email, new RegExp(t('en', 'mail.email_code.subject') + '|' + t('ar', 'mail.email_code.subject')));
    const match = /^(\d{6})$/m.exec(mail.text ?? '');
    if (!match) throw new Error('no code in the mail');
    return match[1]!;
  }

  /** The screen at both sizes, `focus` scrolled into view, then back to the desktop. */
  async function shots(page: WatchedPage, shot: ReturnType<typeof screenshots>, name: string, focus: string) {
    for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      await page.setViewportSize(viewport);
      await page.locator(focus).first().evaluate((el) => el.scrollIntoView({ block: 'center' }));
      await shot(page, `${name}-${size}`, false);
    }
    await page.setViewportSize(DESKTOP);
  }

  it.each<Locale>(['en', 'ar'])('consent, code, "Verified by Wathiqa", and a verified presentation (%s)', async (locale) => {
    const shot = screenshots(`email-verifier-${engine}-${locale}-`);
    const page = await openWatchedPage(browsers, { locale: locale === 'ar' ? 'ar' : 'en-US', viewport: DESKTOP });
    const account = `acct-${locale}-${engine}-${randomUUID().slice(0, 6)}@example.com`;
    const address = `mailbox.${locale}.${randomUUID().slice(0, 8)}@example.org`;
    await signUpToAccount(page, server.url, locale, account, locale === 'ar' ? '?lang=ar' : '');
    await setUpVault(page, locale, PASSPHRASE);
    await addElement(page, locale, 'email', { email: address });

    // 1. The button, then the consent step: what the server will see, before anything is sent.
    const card = page.locator('.element-card[data-type="email"]');
    const open = card.getByRole('button', { name: t(locale, 'vault.email_verify.open'), exact: true });
    await open.click();
    await card.getByText(ui(locale, 'vault.email_verify.consent_sees', { email: address })).waitFor();
    expect(smtp.received.filter((m) => m.to.includes(address))).toHaveLength(0);
    await shots(page, shot, '1-consent', '.email-verify-step');

    // Cancel goes back without sending anything.
    await card.getByRole('button', { name: t(locale, 'vault.email_verify.cancel'), exact: true }).click();
    await open.waitFor();
    await open.click();

    // 2. Send: the code arrives at the address; a wrong code is refused on the field, the right one verifies.
    await card.getByRole('button', { name: t(locale, 'vault.email_verify.send'), exact: true }).click();
    const codeField = card.getByLabel(t(locale, 'vault.email_verify.code_label'), { exact: true });
    await codeField.waitFor();
    const code = await codeFor(address);
    await codeField.fill(code === '000000' ? '111111' : '000000');
    await card.getByRole('button', { name: t(locale, 'vault.email_verify.verify'), exact: true }).click();
    await card.getByText(t(locale, 'vault.email_verify.error.invalid_code')).waitFor();
    await codeField.fill(code);
    await shots(page, shot, '2-code', '.email-verify-step');
    await card.getByRole('button', { name: t(locale, 'vault.email_verify.verify'), exact: true }).click();

    // 3. Sealed into the element: "Verified by Wathiqa, <date>", and no button any more.
    const today = await page.evaluate((l) => new Intl.DateTimeFormat(l, { dateStyle: 'long' }).format(new Date()), locale);
    const verified = ui(locale, 'vault.attest.verified', { verifier: 'Wathiqa', date: today });
    await card.getByText(verified).waitFor();
    await page.getByText(ui(locale, 'vault.email_verify.done', { email: address })).waitFor();
    expect(await open.count()).toBe(0);
    await shots(page, shot, '3-verified', '.element-card[data-type="email"]');

    // Still there after a reload (sealed in the element, not only shown).
    await page.reload();
    await unlock(page, locale, PASSPHRASE);
    await card.getByText(verified).waitFor();
    expect(await open.count()).toBe(0);

    // 4. An RP asking for a verified email address gets a presentation the RP SDK verifies.
    const bankName = locale === 'ar' ? 'بنك زد' : 'Zq Bank';
    const bank = await rpClient(bankName);
    const scope = { v: 1 as const, data: [{ type: 'email', verified: true }] };
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(bank.config, {
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
    await page.locator('.share-req').getByText(verified).waitFor();
    await shots(page, shot, '4-consent-verified', '.share-req');
    const callback = page.waitForRequest((r) => r.url().startsWith(rp.redirectUri));
    await page.getByRole('button', { name: ui(locale, 'passport.share', { client: bankName }) }).click();
    const back = new URL((await callback).url());
    await page.waitForURL((u) => u.href.startsWith(rp.redirectUri)); // settled there: a next navigation would interrupt it
    const tokens = await oidc.authorizationCodeGrant(bank.config, back, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const trusted = trustedIssuersFromList(await (await fetch(`${server.url}/verifiers`)).json(), { only: [server.url] });
    const release = await openRelease(tokens.claims()!.passport as string, {
      keys: await loadReleaseKeys(bank.privateJwk),
      issuer: server.url,
      clientId: bank.id,
      subject: tokens.claims()!.sub,
      nonce,
      requested: scope,
      verifiers: { trusted },
    });
    const shared = release.elements[0]!;
    expect(shared.type).toBe('email');
    expect(shared.data).toEqual({ email: address });
    expect(shared.verification!.attestations.map((a) => a.issuer)).toEqual([server.url]);
    expect(shared.verification!.attested).toEqual({ email: [server.url] });
    expect(shared.verification!.selfAsserted).toEqual([]);
    // The one 400 is the wrong code's answer, which the browser reports as a failed resource.
    expect(page.errors).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);

    // 5. The server forgot the address: no row, no log line (the mail itself went to the receiver).
    const needles = [...textForms('address', address), ...textForms('code', code)];
    expect(findNeedles([...(await dumpDatabase(server.database.db)).parts, { label: 'logs', bytes: Buffer.from(server.logs.join('')) }], needles)).toEqual([]);
  });
});

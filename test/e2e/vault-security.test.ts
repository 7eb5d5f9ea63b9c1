import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { t } from '../../src/i18n/index.js';
import {
  createVault,
  deriveKek,
  deriveRecoveryKey,
  deriveRoot,
  fileLinkFor,
  formatRecoveryCode,
  openElement,
  openFile,
  parseRecoveryCode,
  recoverVault,
  sealElement,
  sealFile,
  unwrapElementKey,
  unwrapFileKey,
  unwrapMasterKey,
  type ElementToSeal,
  type ElementType,
  type FileLink,
  type KdfParams,
} from '../../src/protocol/index.js';
import { Browsers, launchBrowser, type LaunchedBrowser } from '../helpers/browser.js';
import { e2eEngines } from '../helpers/db.js';
import { PASSWORD } from '../helpers/flow.js';
import { alterServedVault, heading, randomJpeg, setUpVault, signUpToAccount, unlock } from '../helpers/vault-ui.js';
import {
  byteForms,
  dumpDatabase,
  findNeedles,
  findScanRuns,
  recordedHeader,
  startRecordingServer,
  textForms,
  WindowIndex,
  type Needle,
  type Part,
  type RecordingServer,
} from '../helpers/zero-knowledge.js';

/**
 * DESIGN 2, the trust model, in a real Chromium with the real Argon2id cost:
 *  - zero knowledge: everything the server receives, stores and logs during a
 *    full life of a vault holds no passphrase, recovery code, typed value, key
 *    or scan bytes, in any encoding;
 *  - a malicious server: weak KDF parameters are refused before deriving, and
 *    altered, swapped or moved ciphertext (key wraps, elements, scans) fails
 *    closed with one uniform message, never showing wrong data.
 * (A rolled-back vault version is covered by test/e2e/vault.test.ts.)
 */
const en = (key: string, vars?: Record<string, string>) => t('en', key, vars);

const button = (page: Page, key: string, vars?: Record<string, string>) => page.getByRole('button', { name: en(key, vars), exact: true });
const field = (page: Page, key: string) => page.getByLabel(en(key), { exact: true });
const card = (page: Page, type: string) => page.locator(`article.element-card[data-type="${type}"]`);

async function lock(page: Page) {
  await button(page, 'vault.lock').click();
  await heading(page, en('vault.unlock.heading')).waitFor();
}

/** Flips one bit of a base64url envelope, inside its ciphertext (after the 24-byte nonce). */
function flipText(text: string): string {
  const bytes = Buffer.from(text, 'base64url');
  bytes[Math.min(bytes.length - 1, 30)]! ^= 0x01;
  return bytes.toString('base64url');
}

describe.each(e2eEngines())('the vault against its own server, in Chromium (%s)', (engine) => {
  let server: RecordingServer;

  beforeAll(async () => {
    server = await startRecordingServer(engine);
  });
  afterAll(() => server?.close());

  describe('zero knowledge', () => {
    const browsers = new Browsers();
    afterEach(() => browsers.closeAll());

    it('requests, database and logs hold no passphrase, recovery code, typed value, key or scan bytes', async () => {
      const browser = await browsers.launch();
      const page = await browser.context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      const first = server.requests.length;

      // Compatibility characters (full-width, an Arabic presentation form): NFKC differs from what is typed.
      const passphrase1 = 'Ｚｑ７ orbit velvet ﻻ canyon lantern 42';
      const passphrase2 = 'Zq7 harbor quilt سنونو meadow sparrow 7';
      const typed = {
        given: 'Zq7Given',
        family: 'Zq7Family',
        native: 'زقسبعةليلى',
        place: 'Zq7Place',
        birthdate: '1911-11-11',
        document: 'Zq7Doc-123456',
        edited: 'Zq7Doc-654321',
      };

      await signUpToAccount(page, server.url, 'en', `zk-${engine}@example.com`);

      // Set-up; the recovery code is read from the page and confirmed.
      const code = await setUpVault(page, 'en', passphrase1);

      // Personal details.
      await button(page, 'vault.add.personal_details').click();
      await field(page, 'field.given_name').fill(typed.given);
      await field(page, 'field.family_name').fill(typed.family);
      await field(page, 'field.given_name_native').fill(typed.native);
      await field(page, 'field.birthdate').fill(typed.birthdate);
      await field(page, 'field.gender').selectOption('female');
      await field(page, 'field.nationality').selectOption('BH');
      await field(page, 'field.country_of_residence').selectOption('OM');
      await field(page, 'field.place_of_birth').fill(typed.place);
      await button(page, 'vault.save').click();
      await page.getByText(en('vault.saved', { type: en('element.personal_details') })).waitFor();

      // A passport with a front-side scan of about 200 KB.
      const scan = await randomJpeg(page, { width: 200, minBytes: 200_000, quality: 0.92 });
      await button(page, 'vault.add.passport').click();
      await field(page, 'field.document_number').fill(typed.document);
      await field(page, 'field.issuing_country').selectOption('BH');
      await field(page, 'slot.front_side').setInputFiles({ name: 'passport.jpg', mimeType: 'image/jpeg', buffer: scan });
      await page.getByText('passport.jpg', { exact: true }).waitFor();
      await button(page, 'vault.save').click();
      await page.getByText(en('vault.saved', { type: en('element.passport') })).waitFor();
      await button(page, 'vault.scan.show', { slot: en('slot.front_side') }).click();
      await page.getByRole('img', { name: en('vault.scan.alt', { slot: en('slot.front_side') }) }).waitFor();

      // Lock, unlock, edit, reload, unlock.
      await lock(page);
      await unlock(page, 'en', passphrase1);
      await card(page, 'passport').getByRole('button', { name: en('vault.edit') }).click();
      await field(page, 'field.document_number').fill(typed.edited);
      await button(page, 'vault.save').click();
      await page.getByText(en('vault.saved', { type: en('element.passport') })).waitFor();
      await page.reload();
      await unlock(page, 'en', passphrase1);
      await expect(card(page, 'passport').textContent()).resolves.toContain(typed.edited);

      // Recover with the code and choose a new passphrase; unlock with it.
      await lock(page);
      await button(page, 'vault.unlock.forgot').click();
      await field(page, 'vault.recover.code').fill(code);
      await button(page, 'vault.recover.submit').click();
      await heading(page, en('vault.recover.new_heading')).waitFor();
      await field(page, 'vault.passphrase_new').fill(passphrase2);
      await page.getByLabel(en('vault.passphrase_confirm')).fill(passphrase2);
      await button(page, 'vault.recover.save').click();
      await page.getByText(en('vault.recover.done')).waitFor();
      await lock(page);
      await unlock(page, 'en', passphrase2);
      const details = await card(page, 'personal_details').textContent();
      for (const value of [typed.given, typed.family, typed.native, typed.place]) expect(details).toContain(value);
      expect(pageErrors).toEqual([]);
      await browsers.close(browser); // nothing more reaches the server from this page

      // ---- What the server received: every request, from the listener, before the app.
      const requests = server.requests.slice(first);
      const pathOf = (url: string) => url.split('?')[0]!;
      for (const r of requests) {
        const length = recordedHeader(r, 'content-length');
        if (length !== undefined) expect({ request: `${r.method} ${pathOf(r.url)}`, bytes: r.body.length }).toEqual({ request: `${r.method} ${pathOf(r.url)}`, bytes: Number(length) });
        else expect(recordedHeader(r, 'transfer-encoding')).toBeUndefined(); // no body we could have missed
      }
      const writes = requests.filter((r) => r.method !== 'GET' && pathOf(r.url).startsWith('/api/vault'));
      const count = (method: string, pattern: RegExp) => writes.filter((r) => r.method === method && pattern.test(pathOf(r.url))).length;
      expect(count('POST', /^\/api\/vault$/)).toBe(1);
      expect(count('PUT', /^\/api\/vault\/elements\/[0-9a-f-]{36}$/)).toBe(3);
      expect(count('POST', /^\/api\/vault\/files$/)).toBe(1);
      expect(count('PUT', /^\/api\/vault\/key$/)).toBe(1);
      const upload = writes.find((r) => pathOf(r.url) === '/api/vault/files')!;
      expect(upload.body.length).toBe(scan.length + 40);

      const signInForm = (r: (typeof requests)[number]) => r.method === 'POST' && /^\/interaction\/[^/]+\/(login|signup)$/.test(pathOf(r.url));
      expect(requests.filter(signInForm).length).toBeGreaterThanOrEqual(1);
      const requestParts = requests.flatMap((r, i) => [
        { label: `request ${i} ${r.method} ${pathOf(r.url)} (request line, headers)`, bytes: Buffer.from(`${r.method} ${r.url}\r\n${r.rawHeaders.join('\r\n')}`), signIn: false },
        { label: `request ${i} ${r.method} ${pathOf(r.url)} (body)`, bytes: r.body, signIn: signInForm(r) },
      ]);
      const dump = await dumpDatabase(server.database.db);
      for (const table of ['accounts', 'oidc_payloads', 'vaults', 'vault_elements', 'vault_files']) expect(dump.tables[table]?.length).toBeGreaterThan(0);
      const logs = server.logs.join('');
      expect(server.logs.length).toBeGreaterThan(requests.length / 2);
      const parts: Part[] = [...requestParts, ...dump.parts, { label: 'logs', bytes: Buffer.from(logs) }];

      // ---- Every key the vault ever had, derived here from the secrets, to search for too.
      const vault = dump.tables.vaults![0]! as { vault_id: string; kdf: KdfParams; wrapped_mk: string; recovery_wrapped_mk: string };
      const mk = recoverVault({ recoveryCode: code, vaultId: vault.vault_id, recoveryWrappedMk: vault.recovery_wrapped_mk });
      const setup = JSON.parse(writes.find((r) => r.method === 'POST' && pathOf(r.url) === '/api/vault')!.body.toString()) as { kdf: KdfParams; wrapped_mk: string };
      const root1 = await deriveRoot(passphrase1, setup.kdf);
      const root2 = await deriveRoot(passphrase2, vault.kdf);
      const [kek1, kek2] = [deriveKek(root1), deriveKek(root2)];
      // The keys are the real ones: they open what the server holds.
      expect(Buffer.from(unwrapMasterKey(kek1, setup.wrapped_mk, vault.vault_id, setup.kdf)).equals(mk)).toBe(true);
      expect(Buffer.from(unwrapMasterKey(kek2, vault.wrapped_mk, vault.vault_id, vault.kdf)).equals(mk)).toBe(true);
      const keys: [string, Uint8Array][] = [
        ['MK', mk],
        ['RK', deriveRecoveryKey(parseRecoveryCode(code))],
        ['recovery code bytes', parseRecoveryCode(code)],
        ['Argon2id root (passphrase 1)', root1],
        ['KEK (passphrase 1)', kek1],
        ['Argon2id root (passphrase 2)', root2],
        ['KEK (passphrase 2)', kek2],
      ];
      const opened: string[] = [];
      for (const r of writes.filter((w) => w.method === 'PUT' && pathOf(w.url).startsWith('/api/vault/elements/'))) {
        const id = pathOf(r.url).split('/').pop()!;
        const body = JSON.parse(r.body.toString()) as { type: ElementType; version: number; wrapped_key: string; ciphertext: string };
        keys.push([`EK ${body.type} v${body.version}`, unwrapElementKey(mk, body.wrapped_key, id)]);
        opened.push(JSON.stringify(openElement(mk, { wrappedKey: body.wrapped_key, ciphertext: body.ciphertext }, { id, type: body.type, version: body.version })));
      }
      expect(opened.join()).toContain(typed.native);
      expect(opened.join()).toContain(typed.edited);
      const query = new URLSearchParams(upload.url.split('?')[1]);
      const fileId = query.get('id')!;
      keys.push(['FK front side', unwrapFileKey(mk, query.get('wrapped_key')!, fileId)]);
      const decrypted = openFile(mk, { wrappedKey: query.get('wrapped_key')!, ciphertext: upload.body }, { id: fileId, mediaType: 'image/jpeg' });
      expect(Buffer.from(decrypted).equals(scan)).toBe(true);

      // ---- The needles.
      const secrets: Needle[] = [
        ...textForms('vault passphrase 1', passphrase1),
        ...textForms('vault passphrase 2', passphrase2),
        ...[code, code.replace(/-/g, ''), code.toLowerCase(), code.replace(/-/g, '').toLowerCase()].flatMap((form, i) => textForms(`recovery code, form ${i}`, form)),
        ...Object.entries(typed).flatMap(([name, value]) => textForms(`typed ${name}`, value)),
        ...keys.flatMap(([name, bytes]) => byteForms(name, bytes)),
      ];
      expect(secrets.length).toBeGreaterThan(150);
      // The search sees a secret wherever an encoding would have put it (planted: base64url at each alignment, percent, hex).
      for (const prefix of ['', 'x', 'xy']) {
        const planted = Buffer.from(Buffer.from(`${prefix}{"p":"${passphrase1.normalize('NFKC')}"}`).toString('base64url'));
        expect(findNeedles([{ label: 'planted', bytes: planted }], secrets).length).toBeGreaterThan(0);
      }
      expect(findNeedles([{ label: 'planted', bytes: Buffer.from(`/x?q=${encodeURIComponent(typed.native)}`) }], secrets).length).toBeGreaterThan(0);
      expect(findNeedles([{ label: 'planted', bytes: Buffer.from(`"k":"${Buffer.from(mk).toString('hex')}"`) }], secrets).length).toBeGreaterThan(0);
      expect(findNeedles(parts, secrets)).toEqual([]);

      // The sign-in password travels in the sign-in and sign-up forms by design; nowhere else.
      const password = textForms('sign-in password', PASSWORD);
      expect(findNeedles(requestParts.filter((p) => p.signIn), password).length).toBeGreaterThan(0); // the search sees it where it is
      expect(findNeedles([...parts.filter((p) => !(p as { signIn?: boolean }).signIn)], password)).toEqual([]);

      // No 32-byte run of the scan, raw or text-encoded, anywhere; the search finds a planted run.
      const planted = new WindowIndex([{ label: 'planted', bytes: Buffer.concat([randomBytes(100), scan.subarray(5000, 5032), randomBytes(100)]) }]);
      expect(planted.findRun(scan, 32)).toEqual({ offset: 5000, part: 'planted' });
      const index = new WindowIndex(parts);
      expect(findScanRuns(index, scan)).toEqual([]);
      const searched = parts.reduce((n, p) => n + p.bytes.length, 0);
      console.log(
        `[vault-security ${engine}] searched ${requests.length} requests, ${Object.values(dump.tables).flat().length} rows of ${Object.keys(dump.tables).length} tables, ` +
          `${server.logs.length} log lines: ${searched} bytes, ${index.size} distinct 16-byte windows; ${secrets.length + password.length} needles, a ${scan.length}-byte scan`,
      );
    });
  });

  describe('a malicious server', () => {
    let browser: LaunchedBrowser;
    let page: Page;
    const passphrase = 'tamarind glacier oboe pylon 58';
    let recoveryCode: string;
    const ids = { personal: randomUUID(), passport: randomUUID(), email: randomUUID(), phone: randomUUID(), address: randomUUID() };
    const fileIds = { front: randomUUID(), selfie: randomUUID() };
    /** What each element shows when it opens; none of it may show when it must not open. */
    const shown = {
      personal: ['Zq8Given', 'Zq8Family'],
      passport: ['Zq8Passport'],
      email: ['zq8mail@example.org'],
      phone: ['+97336001234'],
      address: ['Zq8Street', 'Zq8Town'],
    };
    const everything = Object.values(shown).flat();

    /** Seals the vault here, with the protocol module, and stores it through the real API as the page would. */
    async function seed() {
      const csrf = (await page.locator('#vault-app').getAttribute('data-csrf'))!;
      const api = `${server.url}/api/vault`;
      const headers = { 'X-CSRF-Token': csrf };
      const check = async (response: import('playwright-core').APIResponse) => {
        if (!response.ok()) throw new Error(`${response.url()}: ${response.status()} ${await response.text()}`);
      };
      const vaultId = randomUUID();
      const created = await createVault({ passphrase, vaultId });
      recoveryCode = created.recoveryCode;
      await check(await page.request.post(api, { headers, data: { vault_id: vaultId, kdf: created.kdf, wrapped_mk: created.wrappedMk, recovery_wrapped_mk: created.recoveryWrappedMk } }));
      const links: Record<string, FileLink> = {};
      for (const [slot, id] of Object.entries(fileIds)) {
        const sealed = sealFile(created.mk, { id, mediaType: 'image/jpeg', bytes: await randomJpeg(page, { width: 200, minBytes: 5_000, quality: 0.92 }) });
        const query = new URLSearchParams({ id, media_type: 'image/jpeg', wrapped_key: sealed.wrappedKey });
        await check(await page.request.post(`${api}/files?${query}`, { headers: { ...headers, 'Content-Type': 'application/octet-stream' }, data: Buffer.from(sealed.ciphertext) }));
        links[slot] = fileLinkFor(sealed);
      }
      const put = async (id: string, type: ElementType, data: Record<string, string>, files: Record<string, FileLink> = {}) => {
        const sealed = sealElement(created.mk, { id, type, version: 1, data, files } as unknown as ElementToSeal<ElementType>);
        const body = { type, version: 1, wrapped_key: sealed.wrappedKey, ciphertext: sealed.ciphertext, file_ids: Object.values(files).map((l) => l.id) };
        await check(await page.request.put(`${api}/elements/${id}`, { headers, data: body }));
      };
      await put(ids.personal, 'personal_details', { given_name: 'Zq8Given', family_name: 'Zq8Family', birthdate: '1922-02-22', gender: 'female', nationality: 'BH', country_of_residence: 'OM' });
      await put(ids.passport, 'passport', { document_number: 'Zq8Passport', issuing_country: 'BH' }, { front_side: links.front!, selfie: links.selfie! });
      await put(ids.email, 'email', { email: 'zq8mail@example.org' });
      await put(ids.phone, 'phone_number', { phone_number: '+97336001234' });
      await put(ids.address, 'address', { street_address: 'Zq8Street', locality: 'Zq8Town', postal_code: '1010', country: 'BH' });
      created.mk.fill(0);
    }

    /** Serves GET /api/vault as the server sent it, altered by `alter`. */
    const serveVault = (alter: (vault: Record<string, any>) => void) => alterServedVault(page, alter);

    const element = (vault: Record<string, any>, id: string) => (vault.elements as Record<string, any>[]).find((e) => e.id === id)!;

    beforeAll(async () => {
      browser = await launchBrowser();
      page = await browser.context.newPage();
      await signUpToAccount(page, server.url, 'en', `malicious-${engine}@example.com`);
      await heading(page, en('vault.setup.heading')).waitFor();
      await seed();
    });
    afterAll(() => browser?.close());
    beforeEach(async () => {
      await page.unrouteAll({ behavior: 'wait' });
      await page.goto(`${server.url}/account`);
      await heading(page, en('vault.unlock.heading')).waitFor();
    });

    it('refuses KDF parameters outside the policy before deriving anything', async () => {
      /**
       * The clock runs in the page, on a fresh load: from the Unlock click (a
       * capturing listener) to the first moment the vault shows `message` (as a
       * heading, with `asHeading`).
       */
      // Every Argon2id run instantiates hash-wasm's module: counting instantiations proves
      // that a refusal came before any derivation, whatever the machine's load.
      await page.addInitScript(() => {
        const w = window as unknown as { wasmRuns: number };
        w.wasmRuns = 0;
        const instantiate = WebAssembly.instantiate.bind(WebAssembly);
        WebAssembly.instantiate = ((...args: Parameters<typeof WebAssembly.instantiate>) => {
          w.wasmRuns++;
          return instantiate(...args);
        }) as typeof WebAssembly.instantiate;
      });
      const wasmRuns = () => page.evaluate(() => (window as unknown as { wasmRuns: number }).wasmRuns);
      const armClock = (message: string, asHeading = false) =>
        page.evaluate(({ message, asHeading }) => {
          const w = window as unknown as { zk: { click: number; shown: number } };
          w.zk = { click: 0, shown: 0 };
          const root = document.getElementById('vault-app')!;
          const shows = () =>
            asHeading ? [...root.querySelectorAll('h1, h2, h3')].some((h) => h.textContent === message) : root.textContent!.includes(message);
          document.addEventListener('click', () => void (w.zk.click ||= performance.now()), true);
          new MutationObserver(() => {
            if (w.zk.click && !w.zk.shown && shows()) w.zk.shown = performance.now();
          }).observe(root, { childList: true, subtree: true, characterData: true });
        }, { message, asHeading });
      const readClock = () => page.evaluate(() => (window as unknown as { zk: { click: number; shown: number } }).zk);

      const weak: [string, (kdf: Record<string, unknown>) => void][] = [
        ['memory below the floor', (k) => void (k.m = 65535)],
        ['passes below the floor', (k) => void (k.t = 2)],
        ['no lanes', (k) => void (k.p = 0)],
        ['an 8-byte salt', (k) => void (k.salt = randomBytes(8).toString('base64url'))],
        ['memory above the ceiling', (k) => void (k.m = 4 * 1048576)],
        ['another algorithm', (k) => void (k.alg = 'argon2i')],
      ];
      const timings: Record<string, number> = {};
      for (const [name, alter] of weak) {
        await serveVault((vault) => alter(vault.kdf));
        await page.reload();
        await heading(page, en('vault.unlock.heading')).waitFor();
        await armClock(en('vault.unlock.unsafe'));
        await field(page, 'vault.passphrase').fill(passphrase);
        const runsBefore = await wasmRuns();
        await button(page, 'vault.unlock.submit').click();
        await page.getByText(en('vault.unlock.unsafe')).waitFor();
        const { click, shown } = await readClock();
        timings[name] = Math.round(shown - click);
        // Refused before deriving anything: no Argon2id ran (times are only logged; they stretch under load).
        expect({ name, refused: shown > click, argon2Runs: (await wasmRuns()) - runsBefore }).toEqual({ name, refused: true, argon2Runs: 0 });
        // The distinct message, not the wrong-passphrase one; nothing opened; the passphrase is gone from the field.
        expect(await page.getByText(en('vault.unlock.failed')).count()).toBe(0);
        expect(await heading(page, en('vault.docs.heading')).count()).toBe(0);
        expect(await field(page, 'vault.passphrase').inputValue()).toBe('');
        await page.unrouteAll({ behavior: 'wait' });
      }

      // For scale: the real unlock, Argon2id included, on the same clock.
      await page.reload();
      await heading(page, en('vault.unlock.heading')).waitFor();
      await armClock(en('vault.docs.heading'), true);
      await field(page, 'vault.passphrase').fill(passphrase);
      const runsBefore = await wasmRuns();
      await button(page, 'vault.unlock.submit').click();
      await heading(page, en('vault.docs.heading')).waitFor();
      const { click, shown } = await readClock();
      const unlockMs = Math.round(shown - click);
      console.log(`[vault-security ${engine}] refused in ms: ${JSON.stringify(timings)}; a real unlock took ${unlockMs} ms`);
      // The counter does see a derivation: the real unlock ran Argon2id.
      expect((await wasmRuns()) - runsBefore).toBeGreaterThan(0);
    });

    it('a flipped byte in either wrap of the master key gets the uniform error', async () => {
      // The reference: a wrong passphrase against the real vault.
      await field(page, 'vault.passphrase').fill(`${passphrase}!`);
      await button(page, 'vault.unlock.submit').click();
      const failed = page.getByRole('alert').filter({ hasText: en('vault.unlock.failed') });
      await failed.waitFor();
      const reference = await failed.textContent();

      await serveVault((vault) => void (vault.wrapped_mk = flipText(vault.wrapped_mk)));
      await page.reload();
      await field(page, 'vault.passphrase').fill(passphrase);
      await button(page, 'vault.unlock.submit').click();
      await failed.waitFor();
      expect(await failed.textContent()).toBe(reference);
      expect(await heading(page, en('vault.docs.heading')).count()).toBe(0);

      // The recovery wrap: the same message as a well-formed code of another vault.
      await page.unrouteAll({ behavior: 'wait' });
      await serveVault((vault) => void (vault.recovery_wrapped_mk = flipText(vault.recovery_wrapped_mk)));
      await page.reload();
      await button(page, 'vault.unlock.forgot').click();
      const wrong = page.getByRole('alert').filter({ hasText: en('vault.recover.wrong') });
      await field(page, 'vault.recover.code').fill(formatRecoveryCode(randomBytes(16)));
      await button(page, 'vault.recover.submit').click();
      await wrong.waitFor();
      const otherCode = await wrong.textContent();
      await field(page, 'vault.recover.code').fill(recoveryCode);
      await button(page, 'vault.recover.submit').click();
      await wrong.waitFor();
      expect(await wrong.textContent()).toBe(otherCode);
      expect(await heading(page, en('vault.recover.new_heading')).count()).toBe(0);
    });

    /** What the vault part of the page shows (not the page's message catalog). */
    const vaultText = async () => (await page.locator('#vault-app').textContent()) ?? '';

    /** After an unlock against an altered vault: these cards are damaged (and show nothing of anyone's data), those are intact. */
    async function expectCards(damaged: { type: string; mustNotShow: string[] }[], intact: { type: string; shows: string[] }[]) {
      const body = await vaultText();
      for (const { type, mustNotShow } of damaged) {
        const c = card(page, type);
        expect(await c.count()).toBe(1);
        const text = (await c.textContent())!;
        expect({ type, unreadable: text.includes(en('vault.unreadable')) }).toEqual({ type, unreadable: true });
        expect(await c.locator('.element-fields, .element-scans').count()).toBe(0);
        expect(await c.getByRole('button', { name: en('vault.edit') }).count()).toBe(0);
        for (const value of mustNotShow) expect({ type, leaked: body.includes(value) ? value : null }).toEqual({ type, leaked: null });
      }
      for (const { type, shows } of intact) {
        const text = (await card(page, type).textContent())!;
        expect(text).not.toContain(en('vault.unreadable'));
        for (const value of shows) expect(text).toContain(value);
      }
    }

    it('altered, swapped or moved elements show as damaged with one message, never as wrong data', async () => {
      // Round 1: a flipped ciphertext; two elements' ciphertexts and wrapped keys swapped; an element under another id.
      await serveVault((vault) => {
        const personal = element(vault, ids.personal);
        personal.ciphertext = flipText(personal.ciphertext);
        const email = element(vault, ids.email);
        const phone = element(vault, ids.phone);
        [email.ciphertext, email.wrapped_key, phone.ciphertext, phone.wrapped_key] = [phone.ciphertext, phone.wrapped_key, email.ciphertext, email.wrapped_key];
        element(vault, ids.address).id = randomUUID();
      });
      await page.reload();
      await unlock(page, 'en', passphrase);
      await expectCards(
        [
          { type: 'personal_details', mustNotShow: shown.personal },
          { type: 'email', mustNotShow: [...shown.email, ...shown.phone] },
          { type: 'phone_number', mustNotShow: [...shown.email, ...shown.phone] },
          { type: 'address', mustNotShow: shown.address },
        ],
        [{ type: 'passport', shows: shown.passport }],
      );
      await lock(page);
      await page.unrouteAll({ behavior: 'wait' });

      // Round 2: another type, another version, a flipped wrapped key, one element's ciphertext in another's slot.
      await serveVault((vault) => {
        element(vault, ids.passport).type = 'internal_passport';
        element(vault, ids.address).version += 1;
        const personal = element(vault, ids.personal);
        personal.wrapped_key = flipText(personal.wrapped_key);
        const phone = element(vault, ids.phone);
        const email = element(vault, ids.email);
        phone.ciphertext = email.ciphertext;
        phone.wrapped_key = email.wrapped_key;
      });
      await page.reload();
      await unlock(page, 'en', passphrase);
      await expectCards(
        [
          { type: 'internal_passport', mustNotShow: shown.passport },
          { type: 'address', mustNotShow: shown.address },
          { type: 'personal_details', mustNotShow: shown.personal },
          { type: 'phone_number', mustNotShow: shown.phone },
        ],
        [{ type: 'email', shows: shown.email }],
      );
      expect(await card(page, 'passport').count()).toBe(0);

      // Control: the same vault, unaltered, opens whole.
      await lock(page);
      await page.unrouteAll({ behavior: 'wait' });
      await page.reload();
      await unlock(page, 'en', passphrase);
      await expectCards([], [
        { type: 'personal_details', shows: shown.personal },
        { type: 'passport', shows: shown.passport },
        { type: 'email', shows: shown.email },
        { type: 'phone_number', shows: shown.phone },
        { type: 'address', shows: shown.address },
      ]);
      const text = await vaultText();
      expect(text).not.toContain(en('vault.unreadable'));
      for (const value of everything) expect(text).toContain(value);
    });

    it('an altered or swapped scan fails with the uniform error and is never shown', async () => {
      await unlock(page, 'en', passphrase);
      const passport = card(page, 'passport');
      const front = en('slot.front_side');
      const selfie = en('slot.selfie');
      const row = (slot: string) => passport.locator('li.scan-row').filter({ has: page.locator('.scan-name', { hasText: slot }) });
      const images = () => passport.locator('img[src^="blob:"]').count();

      // Control: both scans open as they are.
      for (const slot of [front, selfie]) {
        await row(slot).getByRole('button', { name: en('vault.scan.show', { slot }) }).click();
        await row(slot).getByRole('img', { name: en('vault.scan.alt', { slot }) }).waitFor();
        await row(slot).getByRole('button', { name: en('vault.scan.hide', { slot }) }).click();
      }
      expect(await images()).toBe(0);

      const real = async (id: string) => {
        const response = await page.request.get(`${server.url}/api/vault/files/${id}`);
        expect(response.status()).toBe(200);
        return { body: await response.body(), wrappedKey: response.headers()['x-wrapped-key']! };
      };
      const frontFile = await real(fileIds.front);
      const selfieFile = await real(fileIds.selfie);
      const flipped = Buffer.from(frontFile.body);
      flipped[flipped.length - 100]! ^= 0x80;
      const cases: [string, string, string, { body: Buffer; wrappedKey: string }][] = [
        ['front side with a flipped byte', fileIds.front, front, { body: flipped, wrappedKey: frontFile.wrappedKey }],
        ['the selfie served as the front side, with its own wrapped key', fileIds.front, front, selfieFile],
        ['the selfie served as the front side, under the front side\'s wrapped key', fileIds.front, front, { body: selfieFile.body, wrappedKey: frontFile.wrappedKey }],
        ['the front side served as the selfie', fileIds.selfie, selfie, frontFile],
        ['the front side cut short', fileIds.front, front, { body: frontFile.body.subarray(0, frontFile.body.length - 1), wrappedKey: frontFile.wrappedKey }],
      ];
      for (const [name, id, slot, served] of cases) {
        await page.route(`**/api/vault/files/${id}`, async (route) => {
          const response = await route.fetch();
          const headers: Record<string, string> = { ...response.headers(), 'x-wrapped-key': served.wrappedKey };
          delete headers['content-length'];
          await route.fulfill({ status: 200, headers, body: served.body });
        });
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.url().endsWith(`/api/vault/files/${id}`)),
          row(slot).getByRole('button', { name: en('vault.scan.show', { slot }) }).click(),
        ]);
        expect(response.status()).toBe(200);
        const alert = row(slot).getByRole('alert');
        await alert.filter({ hasText: en('vault.scan.bad') }).waitFor();
        expect({ name, message: (await alert.textContent())!.trim() }).toEqual({ name, message: en('vault.scan.bad') });
        expect({ name, images: await images() }).toEqual({ name, images: 0 });
        await page.unrouteAll({ behavior: 'wait' });
      }

      // Unaltered again: it opens.
      await row(front).getByRole('button', { name: en('vault.scan.show', { slot: front }) }).click();
      await row(front).getByRole('img', { name: en('vault.scan.alt', { slot: front }) }).waitFor();
      expect(await row(front).getByRole('alert').isVisible()).toBe(false);
    });
  });
});

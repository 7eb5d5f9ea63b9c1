#!/usr/bin/env node
/**
 * Pictures of the main pages for the README (docs/screenshots/): sign-in, sign-up,
 * the vault (open, with documents) and the passport consent page (open, reviewing),
 * at desktop (1280×800) and phone (390×844) size, in English and Arabic.
 *
 *   npm run build && npm run screenshots
 *
 * It starts the built server (dist/) in this process on a temporary embedded
 * database, registers a demo client, and walks the pages in headless Chromium
 * (CHROMIUM_PATH, default /usr/bin/chromium) the way a person does: fields by
 * their labels and buttons by their names, from the catalogs. Everything it
 * makes (the data directory) is removed at the end. Demo data only.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = process.env.SCREENSHOT_OUT ? join(process.cwd(), process.env.SCREENSHOT_OUT) : join(root, 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];
const LOCALES = ['en', 'ar'];
const CLIENT_NAME = 'Oasis Travel';
const PASSPHRASE = 'orbit velvet canyon lantern 42';
const SCOPE = { v: 1, data: [{ type: 'personal_details', fields: ['given_name', 'family_name', 'birthdate', 'nationality'] }, 'address'] };

async function load(path) {
  try {
    return await import(new URL(`../dist/src/${path}`, import.meta.url).href);
  } catch (error) {
    console.error(`screenshots: cannot load dist/src/${path}: run "npm run build" first (${error.code ?? error.message})`);
    process.exit(1);
  }
}
const { loadConfig } = await load('config.js');
const { startServer } = await load('server.js');
const { createLogger } = await load('ops/logger.js');
const { t } = await load('i18n/index.js');

/** A message as the page shows it: in Arabic, values are bidi-isolated (U+2068 … U+2069). */
const ui = (locale, key, vars = {}) =>
  t(locale, key, Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, locale === 'ar' ? `\u2068${v}\u2069` : v])));

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** The RP's redirect target: a small page, so the browser settles somewhere real. */
async function callbackListener() {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Callback</title><p>Callback received.</p>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { uri: `http://localhost:${server.address().port}/cb`, close: () => new Promise((resolve) => server.close(resolve)) };
}

const dataDir = mkdtempSync(join(tmpdir(), 'wathiqa-shots-'));
const port = await freePort();
const config = loadConfig(
  {},
  {
    NODE_ENV: 'development',
    ISSUER: `http://localhost:${port}`,
    PORT: port,
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    CLEANUP_INTERVAL_SECONDS: 0,
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    OPERATOR_KEY: randomBytes(32).toString('base64url'),
  },
);
const running = await startServer(config, createLogger('silent'));
const callback = await callbackListener();
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const written = [];

try {
  const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), use: 'enc', alg: 'ECDH-ES+A256KW', kid: 'oasis-enc-1' };
  const client = await running.services.clients.create({
    client_name: CLIENT_NAME,
    redirect_uris: [callback.uri],
    scope: 'openid passport',
    policy_uri: 'https://oasis-travel.example/privacy',
    tos_uri: 'https://oasis-travel.example/terms',
    jwks: { keys: [jwk] },
  });
  const rp = await oidc.discovery(new URL(config.issuer), client.client_id, client.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  const authorizationUrl = async (locale) =>
    oidc
      .buildAuthorizationUrl(rp, {
        redirect_uri: callback.uri,
        scope: 'openid passport',
        passport_scope: JSON.stringify(SCOPE),
        ui_locales: locale,
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
      })
      .toString();
  mkdirSync(OUT, { recursive: true });

  for (const locale of LOCALES) {
    const context = await browser.newContext({ locale: locale === 'ar' ? 'ar' : 'en-US', viewport: VIEWPORTS[0], colorScheme: 'light' });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // A stale build (app.css edited after `npm run build`) fails its SRI check: the pictures would be unstyled.
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const noErrors = () => {
      if (errors.length) throw new Error(`the ${locale} pages reported errors (run "npm run build" again?): ${errors.join('; ')}`);
    };
    const heading = (key, vars) => page.getByRole('heading', { name: ui(locale, key, vars), exact: true });
    const label = (key) => page.getByLabel(t(locale, key), { exact: true });
    const button = (key) => page.getByRole('button', { name: t(locale, key), exact: true });

    /** Both sizes; `focus` (a locator) is scrolled to near the top of the picture, else the page top. */
    async function shoot(name, focus) {
      for (const viewport of VIEWPORTS) {
        await page.setViewportSize(viewport);
        if (focus) await focus.evaluate((el) => window.scrollTo(0, Math.max(0, el.getBoundingClientRect().top + window.scrollY - 24)));
        else await page.evaluate(() => window.scrollTo(0, 0));
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
        const file = join(OUT, `${name}-${locale}-${viewport.name}.png`);
        await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
        written.push(file);
      }
      await page.setViewportSize(VIEWPORTS[0]);
    }

    // Sign-in and sign-up, as the RP's request shows them.
    await page.goto(await authorizationUrl(locale));
    await heading('login.heading', { client: CLIENT_NAME }).waitFor();
    noErrors();
    await shoot('sign-in');
    await page.getByRole('link', { name: t(locale, 'login.signup_link') }).click();
    await heading('signup.heading').waitFor();
    await label('form.email').fill(`layla.${locale}@example.com`);
    await shoot('sign-up');

    // An account with a vault and two documents.
    await page.goto(`${config.issuer}/account/login`);
    await page.getByRole('link', { name: t(locale, 'login.signup_link') }).click();
    await label('form.email').fill(`layla.haddad.${locale}@example.com`);
    await label('form.password').fill('correct horse battery staple');
    await label('form.password_confirm').fill('correct horse battery staple');
    await button('signup.submit').click();
    await page.waitForURL(`${config.issuer}/account`);
    await heading('vault.setup.heading').waitFor();
    await label('vault.passphrase').fill(PASSPHRASE);
    await label('vault.passphrase_confirm').fill(PASSPHRASE);
    await button('vault.setup.submit').click();
    await heading('vault.recovery.heading').waitFor({ timeout: 60_000 });
    const code = (await page.locator('#recovery-code').textContent()).trim();
    // The page hides the code and asks for one group of it, chosen at random.
    await button('vault.recovery.continue').click();
    await heading('vault.recovery.check_heading').waitFor();
    const asked = Number(await page.locator('input[data-group]').getAttribute('data-group'));
    await page.locator('input[data-group]').fill(code.split('-')[asked - 1]);
    await button('vault.recovery.check_submit').click();
    await heading('vault.docs.heading').waitFor();

    async function add(type, values) {
      await button(`vault.add.${type}`).click();
      await heading(`element.${type}`).waitFor();
      for (const [name, value] of Object.entries(values)) {
        const control = label(`field.${name}`);
        if ((await control.evaluate((el) => el.tagName)) === 'SELECT') await control.selectOption(value);
        else await control.fill(value);
      }
      await button('vault.save').click();
      await page.getByText(ui(locale, 'vault.saved', { type: t(locale, `element.${type}`) })).waitFor({ timeout: 60_000 });
    }
    await add('personal_details', {
      given_name: 'Layla',
      family_name: 'Haddad',
      given_name_native: 'ليلى',
      family_name_native: 'حداد',
      birthdate: '1990-04-12',
      gender: 'female',
      nationality: 'BH',
      country_of_residence: 'BH',
    });
    await add('address', { street_address: 'Road 2803, Block 428', locality: 'Manama', country: 'BH' });
    await shoot('vault', heading('vault.docs.heading'));

    // The RP asks again, now signed in: the passport consent page, unlocked, reviewing.
    await page.goto(await authorizationUrl(locale));
    await heading('passport.heading', { client: CLIENT_NAME }).waitFor();
    await label('vault.passphrase').fill(PASSPHRASE);
    await button('passport.unlock_submit').click();
    await heading('passport.review_heading').waitFor({ timeout: 60_000 });
    await shoot('consent');

    noErrors();
    await context.close();
  }
  for (const file of written) console.log(`screenshots: ${file.slice(root.length + 1)} ${Math.round(statSync(file).size / 1024)} KiB`);
} finally {
  await browser.close();
  await callback.close();
  await running.close();
  rmSync(dataDir, { recursive: true, force: true });
}

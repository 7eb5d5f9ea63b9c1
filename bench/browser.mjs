#!/usr/bin/env node
// Browser rows of the benchmark: the vault's client-side costs in headless
// Chromium (/usr/bin/chromium through playwright-core) against a real server
// (the compiled dist/, as bench/servers/wathiqa.mjs runs it, on in-memory PGlite).
//
//   node bench/browser.mjs            after `npm run build`; prints the rows (Markdown) on stdout
//   (npm run bench runs it at the end and adds the rows to bench/results/<date>.md)
//
// UI rows, timed in the page (performance.now() at the click, in a capturing
// listener, to the moment the vault view switches to its documents screen):
//   - unlock with the default KDF parameters (m=64 MiB, t=3, p=1), median of 5;
//   - Save of a passport with a 10 MB JPEG-headed random scan chosen in the file
//     input (encrypt, upload, seal and store the element, reload), median of 3.
// Pure rows, in a blank page of the same browser (served by Playwright on the
// server's origin: a secure context, no CSP) with the protocol module and jose
// injected (bench/lib/browser-crypto.mjs, bundled here by esbuild): the vault
// bundle exposes nothing to call.
//
// The upload row runs again on PostgreSQL when BENCH_PG_URL (default
// postgres://postgres@127.0.0.1:5432/test) is reachable: a database of our own is
// created and dropped (BENCH_BROWSER_PG=0 skips it).
//
// Environment: CHROMIUM_PATH (default /usr/bin/chromium), BENCH_PG_URL, BENCH_BROWSER_PG=0.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { ServerProcess } from './lib/proc.mjs';
import { PASSWORD, REDIRECT_URI } from './lib/flow.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DEADLINE_MS = 110_000;
const UNLOCK_RUNS = 5;
const UPLOAD_RUNS = 3;
const CRYPTO_RUNS = 5;
const RELEASE_RUNS = 20;
const SCAN_BYTES = 10_000_000; // 10 MB (the vault takes up to 10 MiB)
const PASSPHRASE = 'copper tundra whistle maple nine';
const EMAIL = 'browser@bench.example';

const log = (...args) => console.error('[bench:browser]', ...args);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const summary = (times) => ({ median: median(times), min: Math.min(...times), max: Math.max(...times), runs: times.length });

/** The in-page crypto module as one IIFE script. */
async function cryptoBundle() {
  const result = await build({
    entryPoints: [join(HERE, 'lib/browser-crypto.mjs')],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    minify: true,
    write: false,
    logLevel: 'warning',
    absWorkingDir: ROOT,
  });
  return result.outputFiles[0].text;
}

/** Catalog lookups from the compiled i18n module (the labels the tests use). */
async function translator() {
  const { t } = await import('../dist/src/i18n/index.js');
  return (key, vars) => t('en', key, vars);
}

/**
 * Arms the in-page clock: the next click's time (capturing listener), then the
 * first time after it that the vault view shows `screen`.
 */
function armClock(page, screen) {
  return page.evaluate((screen) => {
    const w = window;
    w.benchClock = { click: 0, done: 0 };
    if (!w.benchClockInstalled) {
      w.benchClockInstalled = true;
      document.addEventListener('click', () => {
        if (w.benchClock && !w.benchClock.click) w.benchClock.click = performance.now();
      }, true);
      const view = document.querySelector('.vault-view');
      new MutationObserver(() => {
        const c = w.benchClock;
        if (c && c.click && !c.done && view.dataset.screen === c.screen) c.done = performance.now();
      }).observe(view, { attributes: true, attributeFilter: ['data-screen'] });
    }
    w.benchClock.screen = screen;
  }, screen);
}

async function readClock(page) {
  await page.waitForFunction(() => window.benchClock?.done > 0, undefined, { timeout: 30_000 });
  return page.evaluate(() => window.benchClock.done - window.benchClock.click);
}

/** Signs in (the account was seeded) and sets the vault up; returns the page, on the documents screen. */
async function vaultPage(context, server, t) {
  const page = await context.newPage();
  const heading = (text) => page.getByRole('heading', { name: text, exact: true });
  await page.goto(`${server.url}/account/login`);
  await page.getByLabel(t('form.email')).fill(EMAIL);
  await page.getByLabel(t('form.password'), { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: t('login.submit'), exact: true }).click();
  await page.waitForURL(`${server.url}/account`);
  await heading(t('vault.setup.heading')).waitFor();
  await page.getByLabel(t('vault.passphrase'), { exact: true }).fill(PASSPHRASE);
  await page.getByLabel(t('vault.passphrase_confirm')).fill(PASSPHRASE);
  await page.getByRole('button', { name: t('vault.setup.submit'), exact: true }).click();
  await heading(t('vault.recovery.heading')).waitFor({ timeout: 30_000 });
  const code = (await page.locator('#recovery-code').textContent()).trim();
  // The check screen asks for one group of the code, chosen at random (data-group, 1-based).
  await page.getByRole('button', { name: t('vault.recovery.continue'), exact: true }).click();
  await heading(t('vault.recovery.check_heading')).waitFor();
  const input = page.locator('input[data-group]');
  await input.fill(code.split('-')[Number(await input.getAttribute('data-group')) - 1]);
  await page.getByRole('button', { name: t('vault.recovery.check_submit'), exact: true }).click();
  await heading(t('vault.docs.heading')).waitFor();
  return page;
}

/**
 * Saves a passport with a 10 MB scan `runs` times: Save click → documents shown,
 * and (Resource Timing) how long the upload request itself took.
 */
async function uploadRows(page, t, runs, label) {
  const field = (key) => page.getByLabel(t(key), { exact: true });
  const scan = Buffer.from(randomBytes(SCAN_BYTES));
  scan.set([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
  const total = [];
  const request = [];
  for (let i = 0; i < runs; i++) {
    log(`${label}: 10 MB scan, save ${i + 1}/${runs}`);
    await page.getByRole('button', { name: t('vault.add.passport'), exact: true }).click();
    await field('field.document_number').fill(`P00${i}`);
    await field('field.issuing_country').selectOption('BH');
    await field('slot.front_side').setInputFiles({ name: `scan-${i}.jpg`, mimeType: 'image/jpeg', buffer: scan });
    await page.getByText(`scan-${i}.jpg`, { exact: true }).waitFor();
    await page.evaluate(() => performance.clearResourceTimings());
    await armClock(page, 'documents');
    await page.getByRole('button', { name: t('vault.save'), exact: true }).click();
    total.push(await readClock(page));
    await page.getByText(t('vault.saved', { type: t('element.passport') })).waitFor();
    request.push(
      await page.evaluate(() => {
        const entry = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/vault/files?'));
        return entry ? entry.responseEnd - entry.startTime : NaN;
      }),
    );
  }
  return { total: summary(total), request: summary(request) };
}

/** A database of our own on BENCH_PG_URL for the PostgreSQL comparison, or undefined when unreachable. */
async function postgresDatabase() {
  if (process.env.BENCH_BROWSER_PG === '0') return undefined;
  const url = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const { default: pg } = await import('pg');
  const name = `wathiqa_bench_browser_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    log(`postgres: skipped (${error.message})`);
    return undefined;
  } finally {
    await admin.end().catch(() => undefined);
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    url: target.href,
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

function wathiqa(name, env) {
  return new ServerProcess(name, join(HERE, 'servers/wathiqa.mjs'), {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    CLEANUP_INTERVAL_SECONDS: '0',
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    OPERATOR_KEY: randomBytes(32).toString('base64url'),
    ...env,
  });
}

export async function measure() {
  if (!existsSync(join(ROOT, 'dist/src/server.js')) || !existsSync(join(ROOT, 'public/build/vault.js'))) {
    throw new Error('dist/ or public/build/ is missing: run `npm run build` first');
  }
  const t = await translator();
  const started = performance.now();
  const cleanups = [];
  const profile = mkdtempSync(join(os.tmpdir(), 'wathiqa-bench-chromium-'));
  cleanups.push(async () => rmSync(profile, { recursive: true, force: true }));
  try {
    log('starting the server (dist/, in-memory PGlite)');
    const server = wathiqa('wathiqa-browser', { DATABASE_URL: 'memory://' });
    cleanups.push(() => server.stop());
    await server.start();
    await server.call('seed', { clientName: 'Bench', redirectUri: REDIRECT_URI, accounts: [{ email: EMAIL, password: PASSWORD }] });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      locale: 'en-US',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    cleanups.push(() => context.close());
    const browserVersion = context.browser()?.version() ?? 'unknown';

    log('signing in and setting the vault up');
    const page = await vaultPage(context, server, t);

    // (2) 10 MB scans through the file input: Save click → documents shown.
    const upload = await uploadRows(page, t, UPLOAD_RUNS, 'pglite');

    // (1) Unlock with the default KDF parameters: Unlock click → documents shown.
    const unlocks = [];
    for (let i = 0; i < UNLOCK_RUNS; i++) {
      log(`unlock ${i + 1}/${UNLOCK_RUNS}`);
      await page.getByRole('button', { name: t('vault.lock'), exact: true }).click();
      await page.getByRole('heading', { name: t('vault.unlock.heading'), exact: true }).waitFor();
      await page.getByLabel(t('vault.passphrase'), { exact: true }).fill(PASSPHRASE);
      await armClock(page, 'documents');
      await page.getByRole('button', { name: t('vault.unlock.submit'), exact: true }).click();
      unlocks.push(await readClock(page));
    }
    const kdf = await page.evaluate(() => fetch('/api/vault', { headers: { accept: 'application/json' } }).then((r) => r.json()).then((b) => b.vault.kdf));
    const documents = await page.locator('article.element-card').count();
    await page.close();
    await server.stop();

    // The same upload row on PostgreSQL, when one is reachable: is the database engine the cost?
    let uploadPostgres;
    const database = await postgresDatabase();
    if (database) {
      cleanups.push(() => database.drop());
      log('starting the server on PostgreSQL');
      const pgServer = wathiqa('wathiqa-browser-postgres', { DATABASE_URL: database.url });
      cleanups.push(() => pgServer.stop());
      await pgServer.start();
      await pgServer.call('seed', { clientName: 'Bench', redirectUri: REDIRECT_URI, accounts: [{ email: EMAIL, password: PASSWORD }] });
      const pgPage = await vaultPage(context, pgServer, t);
      uploadPostgres = await uploadRows(pgPage, t, UPLOAD_RUNS, 'postgres');
      await pgPage.close();
      await pgServer.stop();
    }

    // Pure crypto in a blank page of the same browser: served by Playwright on the
    // server's origin (a secure context, as Web Crypto and crypto.randomUUID need),
    // without a CSP, so the bundle can be injected.
    log('pure crypto in a blank page');
    const lab = await context.newPage();
    const labUrl = `${server.url}/__bench/lab`;
    await lab.route(labUrl, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>lab</title>' }));
    await lab.goto(labUrl);
    await lab.addScriptTag({ content: await cryptoBundle() });
    const argon2 = await lab.evaluate(({ passphrase, runs }) => window.WathiqaBench.argon2(passphrase, runs), { passphrase: PASSPHRASE, runs: CRYPTO_RUNS });
    const aead = await lab.evaluate(({ size, runs }) => window.WathiqaBench.encryptScan(size, runs), { size: SCAN_BYTES, runs: CRYPTO_RUNS });
    const release = await lab.evaluate((runs) => window.WathiqaBench.release(runs), RELEASE_RUNS);

    return {
      browserVersion,
      seconds: (performance.now() - started) / 1000,
      kdf: { m: kdf.m, t: kdf.t, p: kdf.p },
      documents,
      unlock: summary(unlocks),
      upload,
      uploadPostgres,
      argon2,
      aead: aead.aead,
      sealFile: aead.sealFile,
      release,
    };
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  }
}

const ms = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const cell = (s) => `**${ms(s.median)}** (${ms(s.min)}–${ms(s.max)})`;
const verdict = (value, target) => `≤ ${target.toLocaleString('en-US')} ms — ${value <= target ? '**met**' : '**not met**'}`;

export function markdown(r) {
  const k = `m=${r.kdf.m / 1024} MiB, t=${r.kdf.t}, p=${r.kdf.p}`;
  return [
    '## Browser (headless Chromium)',
    '',
    `Chromium ${r.browserVersion}, headless, on this machine; the compiled server on in-memory PGlite (and, for the scan row, on PostgreSQL when BENCH_PG_URL is reachable), 127.0.0.1. ` +
      'UI rows are timed in the page, from the click (a capturing listener) to the vault view switching to its documents screen. ' +
      'The vault bundle exposes nothing to call, so the pure rows run the protocol module itself (src/protocol, bundled with jose by esbuild from bench/lib/browser-crypto.mjs) ' +
      `injected into a blank page of the same browser (served by Playwright on the server's origin, so a secure context, without a CSP). Milliseconds: median (min–max). ${r.seconds.toFixed(0)} s in all.`,
    '',
    '| Browser row | ms | runs | target |',
    '|---|---:|---:|---|',
    `| Vault unlock: Unlock click → documents shown (${k}; ${r.documents} documents) | ${cell(r.unlock)} | ${r.unlock.runs} | ${verdict(r.unlock.median, 400)} |`,
    `| Argon2id → KEK alone (hash-wasm, ${`m=${r.argon2.params.m / 1024} MiB, t=${r.argon2.params.t}, p=${r.argon2.params.p}`}; fresh salt each run, after a warm-up) | ${cell(r.argon2)} | ${r.argon2.runs} | — |`,
    `| 10 MB scan: Save click → document shown (encrypt, upload, seal and store the element, reload; PGlite) | ${cell(r.upload.total)} | ${r.upload.total.runs} | ${verdict(r.upload.total.median, 1000)} |`,
    `|   of which the upload request, POST /api/vault/files (Resource Timing) | ${cell(r.upload.request)} | ${r.upload.request.runs} | — |`,
    ...(r.uploadPostgres
      ? [
          `| 10 MB scan, the same on PostgreSQL | ${cell(r.uploadPostgres.total)} | ${r.uploadPostgres.total.runs} | ${verdict(r.uploadPostgres.total.median, 1000)} |`,
          `|   of which the upload request | ${cell(r.uploadPostgres.request)} | ${r.uploadPostgres.request.runs} | — |`,
        ]
      : []),
    `| XChaCha20-Poly1305 seal of 10 MB alone (@noble/ciphers) | ${cell(r.aead)} | ${r.aead.runs} | — |`,
    `| sealFile of 10 MB (seal + SHA-256 + key wrap) | ${cell(r.sealFile)} | ${r.sealFile.runs} | — |`,
    `| Three-element release: open 3 elements, build the payload, jose CompactEncrypt ECDH-ES+A256KW/A256GCM (P-256; ${r.release.payloadBytes} B payload, ${r.release.jweBytes} B JWE) | ${cell(r.release)} | ${r.release.runs} | — |`,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const timer = setTimeout(() => {
    console.error(`[bench:browser] gave up after ${DEADLINE_MS / 1000} s`);
    process.exit(1);
  }, DEADLINE_MS);
  timer.unref();
  try {
    const result = await measure();
    if (process.argv.includes('--json')) console.log(JSON.stringify(result));
    else console.log(markdown(result));
    process.exit(0);
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}

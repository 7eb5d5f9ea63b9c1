#!/usr/bin/env node
// `npm run bench`: Wathiqa on PGlite and on PostgreSQL against bare oidc-provider,
// each server in a child process of its own, all in one run; prints a Markdown
// table and writes it to bench/results/<date>.md. Expects `npm run build` first.
//
// Environment (all optional):
//   BENCH_SECONDS=10              measured seconds per autocannon row (after a 2 s warm-up)
//   BENCH_CONNECTIONS=16          connections for the refresh and userinfo rows
//   BENCH_PEAK_CONNECTIONS=200    connections for the peak-RSS row
//   BENCH_SIGNIN_CONCURRENCY=8    concurrent users for the sign-in row and the Argon2 bound
//   BENCH_SIGNIN_SECONDS=8        measured seconds of sign-ins
//   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test   where to create (and drop) a database of our own
//   BENCH_TARGETS=pglite,postgres,bare                      which servers to run
//   BENCH_LOG_LEVEL=info          Wathiqa's LOG_LEVEL (its default); request logs go to /dev/null
//   BENCH_VERBOSE=1               echo the servers' stderr
//   BENCH_BROWSER=0               skip the browser rows (bench/browser.mjs, headless Chromium)
//   BENCH_ID_TOKEN_ALG=ES256      the bench client's ID token algorithm on every server (default: none named, so RS256)
//   BENCH_SOAK=0                  skip the soak (a fresh Wathiqa on PostgreSQL, after the rows)
//   BENCH_SOAK_SECONDS=300        its length; BENCH_SOAK_CONNECTIONS=200; BENCH_SOAK_MINUTE_SECONDS (a shorter 'minute' to try it)
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import pg from 'pg';
import { codeFlow, FormAgent, PASSWORD, REDIRECT_URI, userinfo } from './lib/flow.mjs';
import { refreshLoad, signInLoad, userinfoLoad } from './lib/load.mjs';
import { cpuSecondsOf, memoryOf, resetPeak, sampleRss, ServerProcess } from './lib/proc.mjs';
import { browserSection } from './lib/browser-section.mjs';
import { newPasskey, otpStep, passkeyStep, TotpPool } from './lib/second-factor.mjs';
import { PASSPORT_SCOPE, passportClientMetadata, passportStep } from './lib/passport.mjs';
import { prepareSoak, runSoak } from './lib/soak.mjs';
import { report } from './lib/report.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const num = (name, fallback) => Number(process.env[name] ?? fallback);
const SECONDS = num('BENCH_SECONDS', 10);
const WARMUP = 2;
const CONNECTIONS = num('BENCH_CONNECTIONS', 16);
const PEAK_CONNECTIONS = num('BENCH_PEAK_CONNECTIONS', 200);
const PEAK_SECONDS = 5;
const SIGNIN_CONCURRENCY = num('BENCH_SIGNIN_CONCURRENCY', 8);
const SIGNIN_SECONDS = num('BENCH_SIGNIN_SECONDS', 8);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TARGETS = (process.env.BENCH_TARGETS ?? 'pglite,postgres,bare').split(',').map((s) => s.trim());
const CHAIN_AGENTS = 4;
// Unused refresh tokens to start with: one per connection, plus the ones lost in
// flight when the warm-up and the measured run stop (one per connection each).
const MINTED = 3 * CONNECTIONS;
// TOTP accounts: each signs in at most three times per 30 s (steps c-1, c, c+1), so
// enough for the row at up to 50 sign-ins/s (lib/second-factor.mjs: TotpPool).
const TOTP_ACCOUNTS = Math.max(2 * SIGNIN_CONCURRENCY, Math.ceil(((SIGNIN_SECONDS + 1) * 50) / 3));
const SOAK = process.env.BENCH_SOAK !== '0';
const SOAK_SECONDS = num('BENCH_SOAK_SECONDS', 300);
const SOAK_CONNECTIONS = num('BENCH_SOAK_CONNECTIONS', 200);
const SOAK_MINUTE_SECONDS = num('BENCH_SOAK_MINUTE_SECONDS', Math.min(60, SOAK_SECONDS));

const log = (...args) => console.error('[bench]', ...args);
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

if (!existsSync(join(ROOT, 'dist/src/server.js'))) {
  console.error('dist/ is missing: run `npm run build` first (or `npm run bench`, which does).');
  process.exit(1);
}

// ---------------------------------------------------------------- machine
function machine() {
  const cpus = os.cpus();
  let pgVersion;
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    pgVersion,
    loadBefore: os.loadavg()[0],
  };
}

// ---------------------------------------------------------------- servers
const secrets = () => ({ COOKIE_KEYS: randomBytes(32).toString('base64url'), OPERATOR_KEY: randomBytes(32).toString('base64url') });

// The start-up memory settings `npm start` applies and the image sets (src/ops/memory.ts:
// malloc arenas and mmap threshold, huge pages, V8's young generation), given to every
// server process alike (bare too) and to the Argon2 bound; the environment overrides each.
const memory = await import(new URL('../dist/src/ops/memory.js', import.meta.url).href);
const MALLOC = Object.fromEntries(Object.entries(memory.MEMORY_ENV).map(([name, value]) => [name, process.env[name] ?? value]));
const NODE_FLAGS = [...memory.MEMORY_NODE_FLAGS];
const MEMORY_SETTINGS = [...Object.entries(MALLOC).map(([k, v]) => `${k}=${v}`), ...NODE_FLAGS].join(' ');

function wathiqa(name, env) {
  return new ServerProcess(
    name,
    join(HERE, 'servers/wathiqa.mjs'),
    {
      ...MALLOC,
      NODE_ENV: 'development',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      DATABASE_URL: '',
      ...env,
    },
    NODE_FLAGS,
  );
}

const chainEmails = Array.from({ length: CHAIN_AGENTS }, (_, i) => `chain-${i}@bench.example`);
const signInEmails = Array.from({ length: SIGNIN_CONCURRENCY }, (_, i) => `signin-${i}@bench.example`);
const totpEmails = Array.from({ length: TOTP_ACCOUNTS }, (_, i) => `totp-${i}@bench.example`);
const passkeyEmails = Array.from({ length: SIGNIN_CONCURRENCY }, (_, i) => `passkey-${i}@bench.example`);

async function seed(server) {
  const accounts = [...chainEmails, ...signInEmails].map((email) => ({ email, password: PASSWORD }));
  Object.assign(server, await server.call('seed', { clientName: 'Bench', redirectUri: REDIRECT_URI, accounts }));
}

/** Refresh tokens from real code flows (offline_access + prompt=consent), a few user agents in parallel. */
async function mint(server) {
  const refreshTokens = [];
  const accessTokens = [];
  await Promise.all(
    chainEmails.map(async (email) => {
      const agent = new FormAgent(); // signs in on its first flow, then only consents
      for (let i = 0; i < MINTED / CHAIN_AGENTS; i++) {
        const { tokens } = await codeFlow(agent, server, { email, scope: 'openid email offline_access', prompt: 'consent' });
        if (!tokens.refresh_token) throw new Error(`${server.name}: no refresh token from the code flow`);
        refreshTokens.push(tokens.refresh_token);
        accessTokens.push(tokens.access_token);
      }
    }),
  );
  return { refreshTokens, accessTokens };
}

/** Seeds the client and accounts, mints tokens, and lets the sign-in accounts consent once. */
async function prepare(server, { signIns }) {
  await seed(server);
  Object.assign(server, await mint(server));
  if (signIns) {
    await Promise.all(signInEmails.map((email) => codeFlow(new FormAgent(), server, { email, scope: 'openid email' })));
  }
  return { idleRss: memoryOf(server.pid).rss, startupMs: server.startupMs };
}

/**
 * After the idle RSS: a passport client with refresh chains whose tokens carry the
 * passport claim, and the second-factor accounts (consent given, then TOTP turned
 * on or a passkey stored).
 */
async function prepareFactors(server) {
  // The passport RP: the same server, another client; tokens from real passport consents.
  // The second-factor accounts are made with it (after the idle RSS, as before they existed).
  const passport = { url: server.url, pid: server.pid, dbCpuSeconds: server.dbCpuSeconds };
  const accounts = [...totpEmails, ...passkeyEmails].map((email) => ({ email, password: PASSWORD }));
  Object.assign(passport, await server.call('seed', { clientName: 'Bench passport', redirectUri: REDIRECT_URI, accounts, metadata: await passportClientMetadata() }));
  passport.refreshTokens = [];
  passport.accessTokens = [];
  await Promise.all(
    chainEmails.map(async (email) => {
      const agent = new FormAgent();
      for (let i = 0; i < MINTED / CHAIN_AGENTS; i++) {
        const { tokens, seen } = await codeFlow(agent, passport, {
          email,
          scope: 'openid email offline_access passport',
          prompt: 'consent',
          params: { passport_scope: PASSPORT_SCOPE },
          steps: { passport: passportStep },
        });
        if (!seen.passport || !tokens.refresh_token) throw new Error(`${server.name}: the passport flow gave no release or no refresh token`);
        passport.refreshTokens.push(tokens.refresh_token);
        passport.accessTokens.push(tokens.access_token);
        passport.idTokenClaim ??= 'passport' in JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString());
      }
    }),
  );
  const claims = await userinfo(passport, passport.accessTokens[0]);
  if (typeof claims.passport !== 'string' || claims.passport.split('.').length !== 5) throw new Error(`${server.name}: userinfo has no passport claim`);
  passport.claimBytes = claims.passport.length;
  server.passport = passport;

  // Consented already, as the password sign-in row's accounts are (a grant saved directly: no 150 more Argon2 sign-ins).
  await server.call('consent', { emails: [...totpEmails, ...passkeyEmails], clientId: server.clientId, scope: 'openid email' });
  server.totp = new TotpPool(await server.call('seedTotp', { emails: totpEmails }));
  server.passkeys = passkeyEmails.map((email) => ({ email, ...newPasskey() }));
  await server.call('seedPasskeys', { credentials: server.passkeys.map(({ email, id, publicKey }) => ({ email, id, publicKey })) });
}

async function userinfoRow(server) {
  log(`${server.name}: userinfo, ${CONNECTIONS} connections (${elapsed()})`);
  await userinfoLoad(server, server.accessTokens, { connections: CONNECTIONS, seconds: WARMUP });
  return userinfoLoad(server, server.accessTokens, { connections: CONNECTIONS, seconds: SECONDS });
}

async function peakRow(server) {
  log(`${server.name}: userinfo, ${PEAK_CONNECTIONS} connections, RSS (${elapsed()})`);
  const peakReset = resetPeak(server.pid);
  const sampler = sampleRss(server.pid, 25);
  const peak = await userinfoLoad(server, server.accessTokens, { connections: PEAK_CONNECTIONS, seconds: PEAK_SECONDS });
  const sampled = sampler.stop();
  return {
    peak,
    peakRss: peakReset ? Math.max(sampled, memoryOf(server.pid).hwm) : sampled,
    peakRssHow: peakReset ? 'VmHWM (reset before the row) and VmRSS sampled every 25 ms' : 'VmRSS sampled every 25 ms',
  };
}

async function refreshRow(server) {
  log(`${server.name}: refresh-token grants, ${CONNECTIONS} connections (${elapsed()})`);
  const queue = [...server.refreshTokens];
  await refreshLoad(server, queue, { connections: CONNECTIONS, seconds: WARMUP });
  return refreshLoad(server, queue, { connections: CONNECTIONS, seconds: SECONDS });
}

async function signInRow(server) {
  log(`${server.name}: full sign-ins, ${SIGNIN_CONCURRENCY} users (${elapsed()})`);
  await signInLoad(server, signInEmails, { concurrency: SIGNIN_CONCURRENCY, seconds: 1 });
  return signInLoad(server, signInEmails, { concurrency: SIGNIN_CONCURRENCY, seconds: SIGNIN_SECONDS });
}

async function passportRows(server) {
  const p = server.passport;
  log(`${server.name}: userinfo and refresh grants with the passport claim, ${CONNECTIONS} connections (${elapsed()})`);
  await userinfoLoad(p, p.accessTokens, { connections: CONNECTIONS, seconds: WARMUP });
  const passportUserinfo = await userinfoLoad(p, p.accessTokens, { connections: CONNECTIONS, seconds: SECONDS });
  const queue = [...p.refreshTokens];
  await refreshLoad(p, queue, { connections: CONNECTIONS, seconds: WARMUP });
  const passportRefresh = await refreshLoad(p, queue, { connections: CONNECTIONS, seconds: SECONDS });
  return { passportUserinfo, passportRefresh, passportClaimBytes: p.claimBytes, passportInIdToken: p.idTokenClaim };
}

/** Password + TOTP: each sign-in takes an account with a time step left (TotpPool). */
async function totpRow(server) {
  log(`${server.name}: sign-ins with password + TOTP, ${SIGNIN_CONCURRENCY} users (${elapsed()})`);
  const flow = async () => {
    const { email, code, release } = await server.totp.take();
    try {
      return await codeFlow(new FormAgent(), server, { email, scope: 'openid email', steps: { otp: otpStep(code) } });
    } finally {
      release();
    }
  };
  await signInLoad(server, [], { concurrency: SIGNIN_CONCURRENCY, seconds: 1, flow });
  const waits0 = server.totp.waits;
  const row = await signInLoad(server, [], { concurrency: SIGNIN_CONCURRENCY, seconds: SIGNIN_SECONDS, flow });
  return { ...row, waits: server.totp.waits - waits0 };
}

/** Passkey sign-ins: no password; one passkey per user, its counter moving forward. */
async function passkeyRow(server) {
  log(`${server.name}: passkey sign-ins, ${SIGNIN_CONCURRENCY} users (${elapsed()})`);
  const flow = (worker) => {
    const passkey = server.passkeys[worker % server.passkeys.length];
    return codeFlow(new FormAgent(), server, { email: passkey.email, scope: 'openid email', steps: { login: passkeyStep(passkey) } });
  };
  await signInLoad(server, [], { concurrency: SIGNIN_CONCURRENCY, seconds: 1, flow });
  return signInLoad(server, [], { concurrency: SIGNIN_CONCURRENCY, seconds: SIGNIN_SECONDS, flow });
}

/** The soak on a fresh Wathiqa on PostgreSQL (a database of its own), alone on the machine by then. */
async function soakSection() {
  const database = `${pgDatabase}_soak`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  soakDatabase = database;
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  log(`soak: a fresh server on PostgreSQL, ${SOAK_SECONDS} s at ${SOAK_CONNECTIONS} connections (${elapsed()})`);
  const server = wathiqa('wathiqa-soak', { DATA_DIR: join(scratch, 'soak-data'), DATABASE_URL: url.href, ...secrets() });
  cleanups.push(() => server.stop());
  await server.start();
  const prepared = await prepareSoak(server, { connections: SOAK_CONNECTIONS, signInConcurrency: 2 });
  const soak = await runSoak(server, prepared, { seconds: SOAK_SECONDS, connections: SOAK_CONNECTIONS, minuteSeconds: SOAK_MINUTE_SECONDS, log });
  await server.stop();
  return soak;
}

async function argon2Bound(params) {
  const child = fork(join(HERE, 'lib/argon2-bound.mjs'), [params.memoryCost, params.timeCost, params.parallelism, SIGNIN_CONCURRENCY, SIGNIN_SECONDS].map(String), {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, ...MALLOC },
    execArgv: NODE_FLAGS,
  });
  const result = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`argon2 bound exited with ${code}`)));
  });
  child.kill();
  return result;
}

// ---------------------------------------------------------------- run
const results = {};
const info = machine();
const scratch = mkdtempSync(join(os.tmpdir(), 'wathiqa-bench-'));
let pgDatabase;
let soakDatabase;
const cleanups = [];
let argon2Params;

async function main() {
  log(`${info.cores} cores, ${info.cpuModel}, Node ${info.node}`);
  const defaults = JSON.parse(readFileSync(join(ROOT, 'config/default.json'), 'utf8'));
  argon2Params = { memoryCost: defaults.ARGON2_MEMORY_KIB, timeCost: defaults.ARGON2_TIME_COST, parallelism: defaults.ARGON2_PARALLELISM };
  const servers = {}; // key -> ServerProcess, all running at once

  if (TARGETS.includes('pglite')) {
    const dataDir = join(scratch, 'pglite');
    const env = { DATA_DIR: dataDir, ...secrets() };
    log(`pglite: start-up on a fresh data directory (${elapsed()})`);
    const fresh = wathiqa('wathiqa-pglite', env);
    cleanups.push(() => fresh.stop());
    const freshMs = await fresh.start();
    const serverArgon2 = await fresh.call('argon2');
    if (JSON.stringify(serverArgon2) !== JSON.stringify(argon2Params)) throw new Error(`the server hashes with ${JSON.stringify(serverArgon2)}`);
    await fresh.stop();
    log(`pglite: start-up on the existing data directory (${elapsed()})`);
    const server = wathiqa('wathiqa-pglite', env);
    cleanups.push(() => server.stop());
    const existingMs = await server.start();
    servers.pglite = server;
    results.pglite = { startupFreshMs: freshMs, startupExistingMs: existingMs };
  }

  if (TARGETS.includes('postgres')) {
    const admin = new pg.Client({ connectionString: PG_URL });
    try {
      await admin.connect();
      info.pgVersion = (await admin.query('show server_version')).rows[0].server_version;
      pgDatabase = `wathiqa_bench_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${pgDatabase}`);
    } catch (error) {
      log(`postgres: skipped (${error.message})`);
      pgDatabase = undefined;
    } finally {
      await admin.end().catch(() => undefined);
    }
    if (pgDatabase) {
      const url = new URL(PG_URL);
      url.pathname = `/${pgDatabase}`;
      log(`postgres: start (${elapsed()})`);
      const server = wathiqa('wathiqa-postgres', { DATA_DIR: join(scratch, 'pg-data'), DATABASE_URL: url.href, ...secrets() });
      cleanups.push(() => server.stop());
      // The PostgreSQL backends serving our database share the machine's cores: count their CPU too.
      const watcher = new pg.Client({ connectionString: PG_URL });
      await watcher.connect();
      cleanups.push(() => watcher.end());
      server.dbCpuSeconds = async () => {
        const { rows } = await watcher.query('select pid from pg_stat_activity where datname = $1', [pgDatabase]);
        const cpu = new Map();
        for (const { pid } of rows) {
          try {
            cpu.set(pid, cpuSecondsOf(pid));
          } catch {
            /* gone */
          }
        }
        return cpu;
      };
      await server.start();
      servers.postgres = server;
      results.postgres = {};
    }
  }

  if (TARGETS.includes('bare')) {
    log(`bare oidc-provider: start (${elapsed()})`);
    const server = new ServerProcess('bare', join(HERE, 'servers/bare.mjs'), { ...MALLOC }, NODE_FLAGS);
    cleanups.push(() => server.stop());
    await server.start();
    servers.bare = server;
    results.bare = {};
  }

  // All servers run at once (idle when not measured): each row is measured on every
  // server back to back, so a ratio compares figures taken a few seconds apart.
  const order = ['bare', 'postgres', 'pglite'].filter((k) => servers[k]);
  log(`seeding and minting tokens with real code flows (${elapsed()})`);
  for (const k of order) Object.assign(results[k], await prepare(servers[k], { signIns: k !== 'bare' }));
  for (const k of order) results[k].userinfo = await userinfoRow(servers[k]);
  for (const k of order) Object.assign(results[k], await peakRow(servers[k]));
  for (const k of order) results[k].refresh = await refreshRow(servers[k]);
  const wathiqas = order.filter((k) => k !== 'bare');
  log(`passport clients and second factors (${elapsed()})`);
  for (const k of wathiqas) await prepareFactors(servers[k]);
  for (const k of wathiqas) Object.assign(results[k], await passportRows(servers[k]));
  if (wathiqas.length) {
    // The Argon2 bound just before and just after the sign-in rows; the higher is kept (it is a bound).
    log(`Argon2id bound, ${SIGNIN_CONCURRENCY} at a time (${elapsed()})`);
    results.argon2Runs = [await argon2Bound(argon2Params)];
    for (const k of wathiqas) results[k].signIn = await signInRow(servers[k]);
    for (const k of wathiqas) results[k].totpSignIn = await totpRow(servers[k]);
    for (const k of wathiqas) results[k].passkeySignIn = await passkeyRow(servers[k]);
    log(`Argon2id bound again (${elapsed()})`);
    results.argon2Runs.push(await argon2Bound(argon2Params));
    results.argon2 = results.argon2Runs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  }
  for (const k of order) {
    results[k].memory = await servers[k].call('memory');
    await servers[k].stop();
  }
  if (!SOAK || !pgDatabase) results.soakSkipped = SOAK ? 'PostgreSQL is not reachable' : 'BENCH_SOAK=0';
  else {
    // Last and longest: a failure here still leaves the rows above their report.
    results.soak = await soakSection().catch((error) => {
      log(`soak failed: ${error.stack ?? error}`);
      results.soakSkipped = `failed: ${String(error.message ?? error).split('\n')[0]}`;
      return undefined;
    });
  }
}

async function cleanup() {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  if (pgDatabase) {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
    if (soakDatabase) await admin.query(`DROP DATABASE IF EXISTS ${soakDatabase} WITH (FORCE)`);
    await admin.end();
  }
  rmSync(scratch, { recursive: true, force: true });
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await cleanup().catch((error) => console.error('cleanup:', error));
}
if (!exitCode) {
  const settings = { MEMORY_SETTINGS, SECONDS, WARMUP, CONNECTIONS, PEAK_CONNECTIONS, PEAK_SECONDS, SIGNIN_CONCURRENCY, SIGNIN_SECONDS, SOAK_CONNECTIONS, elapsedSeconds: (performance.now() - t0) / 1000 };
  const markdown = report(results, info, argon2Params, settings) + (await browserSection(log));
  console.log(markdown);
  const dir = join(HERE, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().slice(0, 10)}.md`);
  writeFileSync(file, markdown);
  log(`written to ${file}`);
}
process.exit(exitCode);

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
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import pg from 'pg';
import { codeFlow, FormAgent, PASSWORD, REDIRECT_URI } from './lib/flow.mjs';
import { refreshLoad, signInLoad, userinfoLoad } from './lib/load.mjs';
import { cpuSecondsOf, memoryOf, resetPeak, sampleRss, ServerProcess } from './lib/proc.mjs';
import { browserSection } from './lib/browser-section.mjs';

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

// The production image's allocator setting (Dockerfile): two malloc arenas, so the
// libuv threads' freed Argon2 buffers are not each kept in an arena of their own.
const MALLOC = { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' };

function wathiqa(name, env) {
  return new ServerProcess(name, join(HERE, 'servers/wathiqa.mjs'), {
    ...MALLOC,
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    DATABASE_URL: '',
    ...env,
  });
}

const chainEmails = Array.from({ length: CHAIN_AGENTS }, (_, i) => `chain-${i}@bench.example`);
const signInEmails = Array.from({ length: SIGNIN_CONCURRENCY }, (_, i) => `signin-${i}@bench.example`);

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

async function argon2Bound(params) {
  const child = fork(join(HERE, 'lib/argon2-bound.mjs'), [params.memoryCost, params.timeCost, params.parallelism, SIGNIN_CONCURRENCY, SIGNIN_SECONDS].map(String), {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, ...MALLOC },
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
    const server = new ServerProcess('bare', join(HERE, 'servers/bare.mjs'), {});
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
  if (wathiqas.length) {
    // The Argon2 bound just before and just after the sign-in rows; the higher is kept (it is a bound).
    log(`Argon2id bound, ${SIGNIN_CONCURRENCY} at a time (${elapsed()})`);
    results.argon2Runs = [await argon2Bound(argon2Params)];
    for (const k of wathiqas) results[k].signIn = await signInRow(servers[k]);
    log(`Argon2id bound again (${elapsed()})`);
    results.argon2Runs.push(await argon2Bound(argon2Params));
    results.argon2 = results.argon2Runs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  }
  for (const k of order) {
    results[k].memory = await servers[k].call('memory');
    await servers[k].stop();
  }
}

async function cleanup() {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  if (pgDatabase) {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
    await admin.end();
  }
  rmSync(scratch, { recursive: true, force: true });
}

// ---------------------------------------------------------------- report
const f0 = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '—');
const mb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MB` : '—');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '—');
const cpu = (r) => (r ? `${f1(r.cpuMsPerRequest)} · ${r.dbCpuMsPerRequest !== undefined ? f1(r.dbCpuMsPerRequest) : '—'} · ${f1(r.genCpuMsPerRequest)}` : '—');
const lat = (r) => (r ? `${f1(r.p50)} / ${f1(r.p99)}` : '—');

function report() {
  const { pglite: L, postgres: P, bare: B, argon2: A } = results;
  const cols = [
    ['Wathiqa · PGlite', L],
    ['Wathiqa · PostgreSQL', P],
    ['bare oidc-provider', B],
  ].filter(([, r]) => r);
  const head = `| | ${cols.map(([n]) => n).join(' | ')} |`;
  const sep = `|---|${cols.map(() => '---:').join('|')}|`;
  const row = (label, cell) => `| ${label} | ${cols.map(([, r]) => cell(r)).join(' | ')} |`;
  const vsBare = (key) => (r) => (r === B ? `**${f0(r[key]?.perSecond)}**` : `**${f0(r[key]?.perSecond)}** (${ratio(r[key]?.perSecond, B?.[key]?.perSecond)} bare)`);
  const ofBound = (r) => (r.signIn ? `**${f1(r.signIn.perSecond)}** (${f0((r.signIn.perSecond / A.perSecond) * 100)} % of bound)` : '—');
  const lines = [
    head,
    sep,
    row(`Refresh-token grants / s (${CONNECTIONS} conns)`, vsBare('refresh')),
    row('  p50 / p99 latency, ms', (r) => lat(r.refresh)),
    row('  CPU ms per grant: server · PostgreSQL · load gen.', (r) => cpu(r.refresh)),
    row(`Userinfo / s (${CONNECTIONS} conns)`, vsBare('userinfo')),
    row('  p50 / p99 latency, ms', (r) => lat(r.userinfo)),
    row('  CPU ms per request: server · PostgreSQL · load gen.', (r) => cpu(r.userinfo)),
    row(`Full sign-ins / s (${SIGNIN_CONCURRENCY} users)`, ofBound),
    row('  p50 / p99 latency, ms', (r) => lat(r.signIn)),
    row('  CPU ms per sign-in: server · PostgreSQL · load gen.', (r) => cpu(r.signIn)),
    row(`Peak RSS, userinfo at ${PEAK_CONNECTIONS} conns`, (r) => `${mb(r.peakRss)} (${f0(r.peak?.perSecond)}/s, p99 ${f1(r.peak?.p99)} ms)`),
    row('RSS idle after set-up', (r) => mb(r.idleRss)),
    row('Start-up to /readyz 200, ms', (r) =>
      r === L ? `fresh ${f0(r.startupFreshMs)} · existing ${f0(r.startupExistingMs)}` : f0(r.startupMs)),
    row('Errors (non-2xx, all rows)', (r) => f0((r.refresh?.errors ?? 0) + (r.userinfo?.errors ?? 0) + (r.peak?.errors ?? 0) + (r.signIn?.errors ?? 0))),
  ];
  const boundLine = A
    ? `Argon2id bound (m=${argon2Params.memoryCost} KiB, t=${argon2Params.timeCost}, p=${argon2Params.parallelism}; ${SIGNIN_CONCURRENCY} at a time, libuv threadpool ${process.env.UV_THREADPOOL_SIZE ?? 4}; the higher of two runs, first and last: ${results.argon2Runs.map((r) => f1(r.perSecond)).join(' and ')}): **${f1(A.perSecond)} hashes/s**, p50 ${f1(A.p50)} ms, p99 ${f1(A.p99)} ms.`
    : '';

  const verdict = (ok) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');
  const targets = [
    `- Refresh grants on PostgreSQL ≥ 0.8× bare: ${P && B ? `${ratio(P.refresh.perSecond, B.refresh.perSecond)} — ${verdict(P.refresh.perSecond >= 0.8 * B.refresh.perSecond)}` : verdict()}`,
    `- Userinfo on PostgreSQL ≥ 0.8× bare: ${P && B ? `${ratio(P.userinfo.perSecond, B.userinfo.perSecond)} — ${verdict(P.userinfo.perSecond >= 0.8 * B.userinfo.perSecond)}` : verdict()}`,
    ...[['PGlite', L], ['PostgreSQL', P]].filter(([, r]) => r?.signIn).map(([n, r]) =>
      `- Full sign-ins ≥ 60 % of the Argon2 bound (${n}): ${f0((r.signIn.perSecond / A.perSecond) * 100)} % — ${verdict(r.signIn.perSecond >= 0.6 * A.perSecond)}`),
    ...[['PGlite', L], ['PostgreSQL', P]].filter(([, r]) => r).map(([n, r]) =>
      `- Peak RSS at ${PEAK_CONNECTIONS} concurrent ≤ 250 MB (${n}): ${mb(r.peakRss)} — ${verdict(r.peakRss <= 250 * 2 ** 20)}`),
  ];
  const failures = Object.entries({ L, P, B })
    .flatMap(([k, r]) => Object.entries(r?.refresh?.failures ?? {}).map(([f, n]) => `${k}: ${n}× ${f}`));

  const date = new Date().toISOString();
  return [
    `# Wathiqa benchmark — ${date.slice(0, 10)}`,
    '',
    `Machine: ${info.cores} cores (${info.cpuModel}), ${info.memoryGiB.toFixed(1)} GiB memory, ${info.kernel}, Node ${info.node}` +
      (info.pgVersion ? `, PostgreSQL ${info.pgVersion} on 127.0.0.1` : '') +
      `. Run at ${date}, ${((performance.now() - t0) / 1000).toFixed(0)} s; load average before ${info.loadBefore.toFixed(2)}, after ${os.loadavg()[0].toFixed(2)} (other work on the machine skews every figure; the ratios less).`,
    '',
    `Each server runs in a child process of its own, all at once; each row is measured on each server back to back. The load generator (autocannon, and a fetch loop for sign-ins) runs in the parent, on the same cores. ` +
      `Rows: ${WARMUP} s warm-up, then ${SECONDS} s (sign-ins ${SIGNIN_SECONDS} s, peak RSS ${PEAK_SECONDS} s). Ratios are against bare oidc-provider measured in this run. ` +
      `Wathiqa logs at LOG_LEVEL=${process.env.BENCH_LOG_LEVEL ?? 'info'} (to /dev/null). Peak RSS: ${results.pglite?.peakRssHow ?? results.postgres?.peakRssHow ?? ''}; on PostgreSQL the database server's memory is not included, on PGlite it is (same process).`,
    '',
    ...lines,
    '',
    boundLine,
    '',
    'Targets:',
    ...targets,
    ...(failures.length ? ['', 'Refresh failures:', ...failures.map((f) => `- ${f}`)] : []),
    '',
  ].join('\n');
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
  const markdown = report() + (await browserSection(log));
  console.log(markdown);
  const dir = join(HERE, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().slice(0, 10)}.md`);
  writeFileSync(file, markdown);
  log(`written to ${file}`);
}
process.exit(exitCode);

#!/usr/bin/env node
// A soak: one Wathiqa server under a steady mix of userinfo, refresh grants and full
// sign-ins at 200 connections for 5 minutes. Per minute it reports requests, errors,
// p99 latency, RSS and the V8 heap; heap snapshots at the end of minute 1 and of the
// last minute are compared by constructor, to tell warm-up from a leak.
// Expects `npm run build` first.
//
// Environment (all optional):
//   SOAK_TARGET=postgres|pglite   engine (default postgres; pglite uses a temporary DATA_DIR)
//   SOAK_SECONDS=300              length
//   SOAK_CONNECTIONS=200          autocannon connections (userinfo ×3, then a refresh grant, per connection)
//   SOAK_SIGNIN_CONCURRENCY=2     concurrent full sign-ins alongside
//   SOAK_SNAPSHOTS=1              write and compare heap snapshots (0: heap statistics only)
//   BENCH_PG_URL, MALLOC_ARENA_MAX as for run.mjs (MALLOC_ARENA_MAX unset here unless given)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { basicAuth, codeFlow, FormAgent, PASSWORD, REDIRECT_URI, userinfo } from './lib/flow.mjs';
import { percentile } from './lib/load.mjs';
import { memoryOf, ServerProcess } from './lib/proc.mjs';
import { compareSnapshots } from './lib/heap.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const num = (name, fallback) => Number(process.env[name] ?? fallback);
const TARGET = process.env.SOAK_TARGET ?? 'postgres';
const SECONDS = num('SOAK_SECONDS', 300);
const CONNECTIONS = num('SOAK_CONNECTIONS', 200);
const SIGNIN_CONCURRENCY = num('SOAK_SIGNIN_CONCURRENCY', 2);
const SNAPSHOTS = process.env.SOAK_SNAPSHOTS !== '0';
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MINUTE = num('SOAK_MINUTE_SECONDS', Math.min(60, SECONDS)); // a shorter 'minute' for trying the script
const log = (...args) => console.error('[soak]', ...args);

const scratch = mkdtempSync(join(os.tmpdir(), 'wathiqa-soak-'));
let pgDatabase;
let server;

async function startServer() {
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    DATA_DIR: join(scratch, 'data'),
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    OPERATOR_KEY: randomBytes(32).toString('base64url'),
    DATABASE_URL: '',
    ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
  };
  if (TARGET === 'postgres') {
    pgDatabase = `wathiqa_soak_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${pgDatabase}`);
    await admin.end();
    const url = new URL(PG_URL);
    url.pathname = `/${pgDatabase}`;
    env.DATABASE_URL = url.href;
  }
  server = new ServerProcess(`wathiqa-${TARGET}`, join(HERE, 'servers/wathiqa.mjs'), env);
  await server.start();
}

const chainEmails = Array.from({ length: 8 }, (_, i) => `soak-chain-${i}@bench.example`);
const signInEmails = Array.from({ length: SIGNIN_CONCURRENCY }, (_, i) => `soak-signin-${i}@bench.example`);

async function prepare() {
  const accounts = [...chainEmails, ...signInEmails].map((email) => ({ email, password: PASSWORD }));
  Object.assign(server, await server.call('seed', { clientName: 'Soak', redirectUri: REDIRECT_URI, accounts }));
  const refreshTokens = [];
  const accessTokens = [];
  // One refresh chain per connection, plus spares for the ones lost in flight.
  const perAgent = Math.ceil((CONNECTIONS * 1.5) / chainEmails.length);
  await Promise.all(
    chainEmails.map(async (email) => {
      const agent = new FormAgent();
      for (let i = 0; i < perAgent; i++) {
        const { tokens } = await codeFlow(agent, server, { email, scope: 'openid email offline_access', prompt: 'consent' });
        refreshTokens.push(tokens.refresh_token);
        accessTokens.push(tokens.access_token);
      }
    }),
  );
  await Promise.all(signInEmails.map((email) => codeFlow(new FormAgent(), server, { email })));
  return { refreshTokens, accessTokens };
}

/** Per-minute buckets of latencies and errors. */
function buckets(t0) {
  const minutes = [];
  const at = () => Math.min(Math.floor((performance.now() - t0) / 1000 / MINUTE), Math.ceil(SECONDS / MINUTE) - 1);
  const bucket = () => (minutes[at()] ??= { latencies: [], errors: 0, signIns: 0, signInErrors: 0 });
  return { minutes, bucket };
}

async function soak({ refreshTokens, accessTokens }) {
  const t0 = performance.now();
  const { minutes, bucket } = buckets(t0);
  const queue = [...refreshTokens];
  let next = 0;
  const auth = basicAuth(server.clientId, server.clientSecret);
  const me = {
    method: 'GET',
    path: '/me',
    setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${accessTokens[next++ % accessTokens.length]}` } }),
  };
  const refresh = {
    method: 'POST',
    path: '/token',
    setupRequest: (req) => {
      const token = queue.shift();
      if (!token) throw new Error('refresh token queue ran dry');
      return { ...req, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, body: `grant_type=refresh_token&refresh_token=${token}` };
    },
    onResponse: (status, body) => {
      if (status !== 200) return;
      const parsed = JSON.parse(body);
      queue.push(parsed.refresh_token);
      accessTokens[next++ % accessTokens.length] = parsed.access_token;
    },
  };
  const instance = autocannon({ url: server.url, connections: CONNECTIONS, duration: SECONDS, timeout: 30, requests: [me, me, me, refresh] });
  instance.on('response', (_client, status, _bytes, ms) => {
    const b = bucket();
    b.latencies.push(ms);
    if (status < 200 || status >= 300) b.errors++;
  });
  instance.on('reqError', () => bucket().errors++);

  // Full sign-ins alongside: a fresh user agent each time.
  const end = t0 + SECONDS * 1000;
  const signIns = Promise.all(
    signInEmails.map(async (email) => {
      while (performance.now() < end) {
        try {
          const { tokens } = await codeFlow(new FormAgent(), server, { email });
          await userinfo(server, tokens.access_token);
          bucket().signIns++;
        } catch {
          bucket().signInErrors++;
        }
      }
    }),
  );

  // Memory per minute (RSS sampled each second, heap from the server at each minute's end).
  const memory = [];
  const snapshots = [];
  const sampler = setInterval(() => {
    const m = (memory[Math.floor((performance.now() - t0) / 1000 / MINUTE)] ??= { rss: [] });
    try {
      m.rss.push(memoryOf(server.pid).rss);
    } catch {
      /* exited */
    }
  }, 1000);
  const lastMinute = Math.ceil(SECONDS / MINUTE) - 1;
  const marks = (async () => {
    for (let minute = 0; minute <= lastMinute; minute++) {
      const wait = t0 + Math.min(SECONDS, (minute + 1) * MINUTE) * 1000 - 3000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const m = (memory[minute] ??= { rss: [] });
      m.heap = await server.call('heap', {}, 60_000).catch(() => undefined);
      if (SNAPSHOTS && (minute === 0 || minute === lastMinute)) {
        log(`heap snapshot at minute ${minute + 1}`);
        const file = await server.call('snapshot', { dir: scratch }, 120_000).catch((e) => log(e.message));
        if (file) snapshots.push({ minute: minute + 1, file });
      }
    }
  })();
  const result = await instance;
  await signIns;
  await marks;
  clearInterval(sampler);
  return { minutes, memory, snapshots, total: result };
}

const mb = (b) => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)}` : '—');
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function report({ minutes, memory, snapshots, total }, comparison) {
  const rows = minutes.map((b, i) => {
    const sorted = [...(b?.latencies ?? [])].sort((x, y) => x - y);
    const m = memory[i] ?? { rss: [] };
    return `| ${i + 1} | ${sorted.length.toLocaleString('en-US')} | ${b?.errors ?? 0} | ${percentile(sorted, 50).toFixed(0)} / ${percentile(sorted, 99).toFixed(0)} | ${b?.signIns ?? 0} (${b?.signInErrors ?? 0} failed) | ${mb(mean(m.rss))} / ${mb(Math.max(...m.rss))} | ${mb(m.heap?.used_heap_size)} / ${mb(m.heap?.total_heap_size)} | ${mb(m.heap?.external)} |`;
  });
  const date = new Date().toISOString();
  return [
    `# Wathiqa soak — ${date.slice(0, 10)}`,
    '',
    `${TARGET === 'postgres' ? 'PostgreSQL' : 'PGlite'}, ${SECONDS} s, ${CONNECTIONS} connections (each: userinfo ×3 then a refresh grant), ${SIGNIN_CONCURRENCY} concurrent full sign-ins alongside; MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? 'unset'}. ` +
      `Machine: ${os.cpus().length} cores, Node ${process.version}; load average after ${os.loadavg()[0].toFixed(2)}. ${total.requests.total.toLocaleString('en-US')} requests in all, ${total.non2xx + total.errors + total.timeouts} errors.`,
    '',
    '| minute | requests | errors | p50 / p99 ms | sign-ins | RSS MB mean / max | V8 heap MB used / total | external MB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    ...(comparison ? [`Heap snapshots, minute ${snapshots[0].minute} → minute ${snapshots.at(-1).minute} (self size by constructor, largest growth first):`, '', comparison, ''] : []),
  ].join('\n');
}

let exitCode = 0;
try {
  log(`starting on ${TARGET}`);
  await startServer();
  log('seeding and minting refresh chains');
  const tokens = await prepare();
  log(`soaking for ${SECONDS} s at ${CONNECTIONS} connections`);
  const result = await soak(tokens);
  const comparison = result.snapshots.length === 2 ? compareSnapshots(result.snapshots[0].file, result.snapshots[1].file) : undefined;
  const markdown = report(result, comparison);
  console.log(markdown);
  const dir = join(HERE, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `soak-${new Date().toISOString().slice(0, 10)}-${TARGET}.md`);
  writeFileSync(file, markdown);
  log(`written to ${file}`);
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await server?.stop().catch(() => undefined);
  if (pgDatabase) {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
    await admin.end();
  }
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(exitCode);

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
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ServerProcess } from './lib/proc.mjs';
import { compareSnapshots } from './lib/heap.mjs';
import { prepareSoak, runSoak, rssVerdict, soakTable, soakTotals } from './lib/soak.mjs';

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

function report(result, comparison) {
  const { requests, errors } = soakTotals(result);
  const date = new Date().toISOString();
  return [
    `# Wathiqa soak — ${date.slice(0, 10)}`,
    '',
    `${TARGET === 'postgres' ? 'PostgreSQL' : 'PGlite'}, ${SECONDS} s, ${CONNECTIONS} connections (each: userinfo ×3 then a refresh grant), ${SIGNIN_CONCURRENCY} concurrent full sign-ins alongside; MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? 'unset'}. ` +
      `Machine: ${os.cpus().length} cores, Node ${process.version}; load average after ${os.loadavg()[0].toFixed(2)}. ${requests.toLocaleString('en-US')} requests in all, ${errors} errors.`,
    '',
    ...soakTable(result),
    '',
    rssVerdict(result).text + (SNAPSHOTS ? ' (a heap snapshot adds to RSS by itself: run with SOAK_SNAPSHOTS=0 for this line)' : ''),
    '',
    ...(comparison ? [`Heap snapshots, minute ${result.snapshots[0].minute} → minute ${result.snapshots.at(-1).minute} (self size by constructor, largest growth first):`, '', comparison, ''] : []),
  ].join('\n');
}

let exitCode = 0;
try {
  log(`starting on ${TARGET}`);
  await startServer();
  log('seeding and minting refresh chains');
  const prepared = await prepareSoak(server, { connections: CONNECTIONS, signInConcurrency: SIGNIN_CONCURRENCY });
  log(`soaking for ${SECONDS} s at ${CONNECTIONS} connections`);
  const result = await runSoak(server, prepared, { seconds: SECONDS, connections: CONNECTIONS, minuteSeconds: MINUTE, snapshots: SNAPSHOTS, scratch, log });
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

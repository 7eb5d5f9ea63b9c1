#!/usr/bin/env node
// Where a server's memory goes: `node bench/memory.mjs postgres|pglite|bare` (after
// `npm run build`). The same set-up as run.mjs (seed, tokens from code flows, a few
// sign-ins at once), then the RSS and its parts idle, at the peak of userinfo at 200
// connections (5 s), and after. The server gets this process's environment (pass
// MALLOC_*, GLIBC_TUNABLES, UV_THREADPOOL_SIZE by hand) and MEM_NODE_ARGS as node flags.
// Parts: V8 heap (committed, used), file-backed mappings (code), the malloc main arena
// ([heap]) and other arenas (64 MiB-aligned anonymous mappings), WebAssembly memory
// (PGlite: the one anonymous reservation larger than 1 GiB), other anonymous memory.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { codeFlow, FormAgent, PASSWORD, REDIRECT_URI } from './lib/flow.mjs';
import { userinfoLoad } from './lib/load.mjs';
import { memoryOf, resetPeak, sampleRss, ServerProcess, sleep } from './lib/proc.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const target = process.argv[2] ?? 'postgres';
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MiB = 2 ** 20;
const ARENA = 64 * MiB;

/** Sums /proc/<pid>/smaps Rss by kind of mapping. */
function mappings(pid) {
  const maps = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) maps.push({ start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3], name: head[4], rss: 0 });
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && maps.length) maps.at(-1).rss = Number(rss[1]) * 1024;
  }
  const parts = { file: 0, mainArena: 0, arenas: 0, wasm: 0, stack: 0, anon: 0 };
  maps.forEach(({ start, end, name, rss }, i) => {
    const next = maps[i + 1];
    let kind = 'anon';
    if (name === '[heap]') kind = 'mainArena';
    else if (name.startsWith('[stack')) kind = 'stack';
    else if (name.startsWith('/')) kind = 'file';
    // WebAssembly memory: its accessible part, then the rest of a reservation of many GiB (guard pages).
    else if (end - start > 2n ** 30n || (next && next.start === end && next.perms === '---p' && next.end - next.start > 2n ** 30n)) kind = 'wasm';
    // A non-main glibc arena: a 64 MiB-aligned heap.
    else if (start % BigInt(ARENA) === 0n && end - start <= BigInt(ARENA)) kind = 'arenas';
    parts[kind] += rss;
  });
  return parts;
}

async function snapshot(server, label) {
  const heap = server.name === 'bare' ? await server.call('memory') : await server.call('heap');
  const { rss, hwm } = memoryOf(server.pid);
  const parts = mappings(server.pid);
  return {
    label,
    rss,
    hwm,
    heapTotal: heap.heapTotal,
    heapUsed: heap.heapUsed,
    heapPhysical: heap.total_physical_size,
    external: heap.external,
    arrayBuffers: heap.arrayBuffers,
    ...parts,
  };
}

const secrets = () => ({ COOKIE_KEYS: randomBytes(32).toString('base64url'), OPERATOR_KEY: randomBytes(32).toString('base64url') });
const nodeArgs = (process.env.MEM_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
const scratch = mkdtempSync(join(os.tmpdir(), 'wathiqa-mem-'));
let database;
let server;

async function main() {
  if (target === 'bare') {
    server = new ServerProcess('bare', join(HERE, 'servers/bare.mjs'), {}, nodeArgs);
  } else {
    const env = { NODE_ENV: 'development', LOG_LEVEL: 'info', DATABASE_URL: '', DATA_DIR: join(scratch, 'data'), ...secrets() };
    if (target === 'postgres') {
      database = `wathiqa_hm_mem_${randomBytes(3).toString('hex')}`;
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      await admin.end();
      const url = new URL(PG_URL);
      url.pathname = `/${database}`;
      env.DATABASE_URL = url.href;
    }
    server = new ServerProcess(`wathiqa-${target}`, join(HERE, 'servers/wathiqa.mjs'), env, nodeArgs);
  }
  await server.start();
  if (target === 'pglite') {
    // As run.mjs measures it: on the existing data directory (initdb's memory is not kept).
    await server.stop();
    server = new ServerProcess(server.name, server.script, server.env, nodeArgs);
    await server.start();
  }
  const rows = [await snapshot(server, 'started')];
  const chain = Array.from({ length: 4 }, (_, i) => `chain-${i}@bench.example`);
  const signIns = Array.from({ length: 8 }, (_, i) => `signin-${i}@bench.example`);
  Object.assign(server, await server.call('seed', { clientName: 'Bench', redirectUri: REDIRECT_URI, accounts: [...chain, ...signIns].map((email) => ({ email, password: PASSWORD })) }));
  const accessTokens = [];
  await Promise.all(
    chain.map(async (email) => {
      const agent = new FormAgent();
      for (let i = 0; i < 12; i++) accessTokens.push((await codeFlow(agent, server, { email, scope: 'openid email offline_access', prompt: 'consent' })).tokens.access_token);
    }),
  );
  if (target !== 'bare') await Promise.all(signIns.map((email) => codeFlow(new FormAgent(), server, { email, scope: 'openid email' })));
  await sleep(1000);
  rows.push(await snapshot(server, 'idle after set-up'));
  const steady = await userinfoLoad(server, accessTokens, { connections: 16, seconds: 4 });
  resetPeak(server.pid);
  const sampler = sampleRss(server.pid, 25);
  const peak = await userinfoLoad(server, accessTokens, { connections: 200, seconds: 5 });
  const sampled = sampler.stop();
  const during = await snapshot(server, 'end of 200 conns');
  during.peak = Math.max(sampled, memoryOf(server.pid).hwm);
  rows.push(during);
  await sleep(3000);
  rows.push(await snapshot(server, '3 s later'));
  if (target !== 'bare') {
    resetPeak(server.pid);
    const sampler2 = sampleRss(server.pid, 25);
    await Promise.all(signIns.map((email) => codeFlow(new FormAgent(), server, { email, scope: 'openid email' })));
    const s2 = sampler2.stop();
    const r = await snapshot(server, 'after 8 sign-ins at once');
    r.peak = Math.max(s2, memoryOf(server.pid).hwm);
    rows.push(r);
  }
  const mb = (v) => (v === undefined ? '' : (v / MiB).toFixed(0));
  console.log(`\n${server.name}; env: ${['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'GLIBC_TUNABLES', 'UV_THREADPOOL_SIZE'].map((k) => `${k}=${process.env[k] ?? '-'}`).join(' ')}; node args: ${nodeArgs.join(' ') || '-'}; userinfo at 16 conns: server CPU ${steady.cpuMsPerRequest.toFixed(2)} ms per request; at 200 conns ${peak.perSecond.toFixed(0)}/s, ${peak.errors} errors, server CPU ${peak.cpuMsPerRequest.toFixed(2)} ms per request`);
  console.log('| MiB | RSS | peak | V8 heap committed / used | external (ArrayBuffers) | files (code) | malloc [heap] | malloc arenas | WASM | other anon |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.label} | ${mb(r.rss)} | ${mb(r.peak)} | ${mb(r.heapTotal)} / ${mb(r.heapUsed)} | ${mb(r.external)} (${mb(r.arrayBuffers)}) | ${mb(r.file)} | ${mb(r.mainArena)} | ${mb(r.arenas)} | ${mb(r.wasm)} | ${mb(r.anon + r.stack)} |`);
  }
}

try {
  await main();
} finally {
  await server?.stop().catch(() => undefined);
  if (database) {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
  rmSync(scratch, { recursive: true, force: true });
}

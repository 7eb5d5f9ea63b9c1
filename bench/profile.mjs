#!/usr/bin/env node
// `node bench/profile.mjs [postgres|pglite]` (after `npm run build`): where Wathiqa's
// time goes on the benchmark's paths. Not part of `npm run bench`.
//  1. SQL statements per request (driver-level count in the server child) for
//     userinfo, a refresh-token grant and a full sign-in;
//  2. a full sign-in step by step (server CPU in ns from /proc/<pid>/task/*/schedstat,
//     SQL per step), the Argon2id CPU per verification measured here with the server's
//     parameters, and the difference: the server's CPU outside Argon2;
//  3. with PROFILE_REFERENCE, the same sign-ins side by side with another build;
//  4. a CPU profile (`node --cpu-prof`) of the server child under userinfo load,
//     then under refresh load (PROFILE_KINDS), summarised by function and by package.
// Profiles are kept in bench/results/profiles/ for chrome://inspect or speedscope.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import argon2 from 'argon2';
import { basicAuth, codeFlow, FormAgent, hiddenField, PASSWORD, REDIRECT_URI, userinfo } from './lib/flow.mjs';
import { refreshLoad, signInLoad, userinfoLoad } from './lib/load.mjs';
import { cpuSecondsOf, ServerProcess } from './lib/proc.mjs';
import { summarise } from './lib/cpuprofile.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const engine = process.argv[2] ?? 'postgres';
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 16;
const OUT = join(HERE, 'results/profiles');
const scratch = mkdtempSync(join(os.tmpdir(), 'wathiqa-profile-'));
const log = (...a) => console.error('[profile]', ...a);
const lines = [];
const out = (text) => {
  lines.push(text);
  console.log(text);
};

const pgDatabases = [];
async function databaseEnv() {
  if (engine !== 'postgres') return { DATA_DIR: join(scratch, `pglite-${randomBytes(3).toString('hex')}`), DATABASE_URL: '' };
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const name = `wathiqa_profile_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  pgDatabases.push(name);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return { DATA_DIR: join(scratch, `data-${name}`), DATABASE_URL: url.href };
}

async function dropDatabase() {
  if (pgDatabases.length === 0) return;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  while (pgDatabases.length) await admin.query(`DROP DATABASE IF EXISTS ${pgDatabases.pop()} WITH (FORCE)`);
  await admin.end();
}

const secrets = { COOKIE_KEYS: randomBytes(32).toString('base64url'), OPERATOR_KEY: randomBytes(32).toString('base64url') };

async function startWathiqa(extraEnv = {}, execArgv = [], root = join(HERE, '..')) {
  const server = new ServerProcess(`wathiqa-${engine}`, join(root, 'bench/servers/wathiqa.mjs'), {
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    ...secrets,
    ...(await databaseEnv()),
    ...extraEnv,
  }, execArgv);
  await server.start();
  const emails = ['p0@bench.example', 'p1@bench.example', 'p2@bench.example', 'p3@bench.example'];
  Object.assign(server, await server.call('seed', { clientName: 'Bench', redirectUri: REDIRECT_URI, accounts: emails.map((email) => ({ email, password: PASSWORD })) }));
  const refreshTokens = [];
  const accessTokens = [];
  await Promise.all(emails.map(async (email) => {
    const agent = new FormAgent();
    for (let i = 0; i < 24; i++) {
      const { tokens } = await codeFlow(agent, server, { email, scope: 'openid email offline_access', prompt: 'consent' });
      refreshTokens.push(tokens.refresh_token);
      accessTokens.push(tokens.access_token);
    }
  }));
  return { server, emails, refreshTokens, accessTokens };
}

function printStatements(title, statements, per, cpuSeconds) {
  const entries = Object.entries(statements).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  out(`\n### ${title}: ${(total / per).toFixed(1)} SQL statements, ${((cpuSeconds * 1000) / per).toFixed(2)} ms server CPU per request (sequential)\n`);
  for (const [text, n] of entries) out(`- ${(n / per).toFixed(2)} × \`${text.length > 230 ? text.slice(0, 230) + '…' : text}\``);
}

/**
 * CPU nanoseconds a process has used, from the scheduler (every thread, ns resolution,
 * unlike /proc/<pid>/stat's 10 ms ticks): `main` is the JavaScript thread, `all` adds
 * the libuv pool (Argon2) and V8's helpers.
 */
function cpuNs(pid) {
  let all = 0;
  let main = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let ns;
    try {
      ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      continue; // the thread just exited
    }
    all += ns;
    if (tid === String(pid)) main = ns;
  }
  return { all, main };
}

/** Argon2id CPU per verification (ms), with the server's parameters, in this process. */
async function argon2CpuMs(params, n = 30) {
  const options = { type: argon2.argon2id, ...params };
  const hash = await argon2.hash(PASSWORD, options);
  for (let i = 0; i < 3; i++) await argon2.verify(hash, PASSWORD);
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await argon2.verify(hash, PASSWORD);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / n;
}

const b64u = (buf) => Buffer.from(buf).toString('base64url');

/**
 * One full sign-in (consent already granted), each request labelled: `step(label, fn)`
 * runs fn (one HTTP exchange, body read) and returns its result. Same requests as
 * lib/flow.mjs' codeFlow + userinfo, written out so each can be measured alone.
 */
async function labelledSignIn(server, email, step) {
  const agent = new FormAgent();
  const verifier = b64u(randomBytes(32));
  const state = b64u(randomBytes(16));
  const params = new URLSearchParams({
    client_id: server.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid email', state,
    nonce: b64u(randomBytes(16)), code_challenge: b64u(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256',
  });
  const go = (label, url, init) =>
    step(label, async () => {
      const response = await agent.request(url, init);
      const body = await response.text();
      return { status: response.status, location: response.headers.get('location'), body };
    });
  const auth = await go('GET /auth → 303 interaction', `${server.url}/auth?${params}`);
  const pageUrl = new URL(auth.location, server.url);
  const page = await go('GET /interaction/:uid (sign-in page)', pageUrl);
  if (page.status !== 200) throw new Error(`sign-in page ${page.status}`);
  const uid = pageUrl.pathname.split('/')[2];
  const form = new URLSearchParams({ csrf: hiddenField(page.body, 'csrf'), email, password: PASSWORD }).toString();
  const login = await go('POST /interaction/:uid/login (Argon2id)', new URL(`/interaction/${uid}/login`, server.url), {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form,
  });
  if (login.status !== 303 && login.status !== 302) throw new Error(`login ${login.status} ${login.body.slice(0, 200)}`);
  const resume = await go('GET /auth/:uid (resume → code)', new URL(login.location, server.url));
  const callback = new URL(resume.location, server.url);
  if (!callback.href.startsWith(REDIRECT_URI)) throw new Error(`resume went to ${callback.href}`);
  const code = callback.searchParams.get('code');
  if (callback.searchParams.get('state') !== state || !code) throw new Error(`no code: ${callback.search}`);
  const token = await go('POST /token (authorization_code)', `${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(server.clientId, server.clientSecret) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString(),
  });
  if (token.status !== 200) throw new Error(`token ${token.status} ${token.body}`);
  const me = await go('GET /me (userinfo)', `${server.url}/me`, { headers: { authorization: `Bearer ${JSON.parse(token.body).access_token}` } });
  if (me.status !== 200) throw new Error(`userinfo ${me.status}`);
}

const settle = () => new Promise((r) => setTimeout(r, 5)); // the server's log write and timers after the response

/**
 * Server CPU per full sign-in (sequential, no instrumentation between requests), then
 * per request: CPU and SQL statements, each request measured alone.
 */
async function signInBreakdown(server, email) {
  const argon2Params = await server.call('argon2');
  const M = Number(process.env.PROFILE_SIGNINS ?? 40);
  const free = (label, fn) => fn();
  for (let i = 0; i < 10; i++) await labelledSignIn(server, email, free); // warm-up (JIT)
  const totals = [];
  for (let r = 0; r < 3; r++) {
    await settle();
    const c0 = cpuNs(server.pid);
    for (let i = 0; i < M; i++) await labelledSignIn(server, email, free);
    await settle();
    const c1 = cpuNs(server.pid);
    totals.push({ all: (c1.all - c0.all) / 1e6 / M, main: (c1.main - c0.main) / 1e6 / M });
  }
  const argon = [await argon2CpuMs(argon2Params), await argon2CpuMs(argon2Params), await argon2CpuMs(argon2Params)];
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const all = med(totals.map((t) => t.all));
  const a2 = med(argon);
  out(`\n### Full sign-in, server CPU (${M} sequential sign-ins × 3 runs; median, runs in brackets)\n`);
  out(`- server CPU per full sign-in: ${all.toFixed(2)} ms [${totals.map((t) => t.all.toFixed(2)).join(', ')}] (main thread ${med(totals.map((t) => t.main)).toFixed(2)} ms)`);
  out(`- Argon2id CPU per verification, same parameters (m=${argon2Params.memoryCost}, t=${argon2Params.timeCost}, p=${argon2Params.parallelism}), in this script: ${a2.toFixed(2)} ms [${argon.map((x) => x.toFixed(2)).join(', ')}]`);
  out(`- **server CPU outside Argon2 per full sign-in: ${(all - a2).toFixed(2)} ms**`);

  await server.call('queries', { reset: true });
  const steps = new Map();
  const measured = async (label, fn) => {
    await settle();
    const c0 = cpuNs(server.pid);
    const result = await fn();
    await settle();
    const c1 = cpuNs(server.pid);
    const { statements } = await server.call('queries', { reset: true });
    const sql = Object.values(statements).reduce((s, n) => s + n, 0);
    const entry = steps.get(label) ?? { cpu: [], sql: 0, n: 0, texts: new Map() };
    entry.cpu.push((c1.all - c0.all) / 1e6);
    entry.sql += sql;
    entry.n++;
    for (const [text, n] of Object.entries(statements)) entry.texts.set(text, (entry.texts.get(text) ?? 0) + n);
    steps.set(label, entry);
    return result;
  };
  for (let i = 0; i < M; i++) await labelledSignIn(server, email, measured);
  out(`\n### Full sign-in, per request (${M} sign-ins; CPU: median of the request measured alone, server, all threads)\n`);
  out('| step | CPU ms | SQL |');
  out('|---|---:|---:|');
  let cpuSum = 0;
  let sqlSum = 0;
  for (const [label, e] of steps) {
    cpuSum += med(e.cpu);
    sqlSum += e.sql / e.n;
    out(`| ${label} | ${med(e.cpu).toFixed(2)} | ${(e.sql / e.n).toFixed(1)} |`);
  }
  out(`| sum | ${cpuSum.toFixed(2)} | ${sqlSum.toFixed(1)} |`);
  out('\nStatements per step:');
  for (const [label, e] of steps) {
    out(`\n- ${label}`);
    for (const [text, n] of [...e.texts].sort((a, b) => b[1] - a[1])) out(`  - ${(n / e.n).toFixed(2)} × \`${text.length > 160 ? text.slice(0, 160) + '…' : text}\``);
  }
}

/**
 * PROFILE_REFERENCE=<another checkout, built>: its server and this one side by side,
 * sign-ins alternating between them in small blocks, so both meet the same load from
 * the rest of the machine; prints each one's server CPU per full sign-in and the ratio.
 */
async function compareWithReference(reference) {
  const ours = await startWathiqa();
  const theirs = await startWathiqa({}, [], reference);
  try {
    const sides = [
      { name: 'this checkout', server: ours.server, email: ours.emails[0], ns: 0, main: 0, n: 0 },
      { name: `reference (${reference})`, server: theirs.server, email: theirs.emails[0], ns: 0, main: 0, n: 0 },
    ];
    const free = (label, fn) => fn();
    for (const side of sides) for (let i = 0; i < 10; i++) await labelledSignIn(side.server, side.email, free);
    const rounds = Number(process.env.PROFILE_ROUNDS ?? 30);
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 ? [...sides].reverse() : sides) {
        await settle();
        const c0 = cpuNs(side.server.pid);
        for (let i = 0; i < 5; i++) await labelledSignIn(side.server, side.email, free);
        await settle();
        const c1 = cpuNs(side.server.pid);
        side.ns += c1.all - c0.all;
        side.main += c1.main - c0.main;
        side.n += 5;
      }
    }
    out(`\n### Side by side with a reference build (${rounds} rounds of 5 sign-ins each, alternating)\n`);
    for (const s of sides) out(`- ${s.name}: ${(s.ns / 1e6 / s.n).toFixed(2)} ms server CPU per full sign-in (main thread ${(s.main / 1e6 / s.n).toFixed(2)} ms)`);
    const [a, b] = sides;
    out(`- this / reference: all threads ${(a.ns / a.n / (b.ns / b.n)).toFixed(3)}, main thread ${(a.main / a.n / (b.main / b.n)).toFixed(3)}; difference ${((a.ns / a.n - b.ns / b.n) / 1e6).toFixed(2)} ms (main thread ${((a.main / a.n - b.main / b.n) / 1e6).toFixed(2)} ms)`);
  } finally {
    await ours.server.stop();
    await theirs.server.stop();
    await dropDatabase();
  }
}

async function countQueries() {
  const { server, emails, refreshTokens, accessTokens } = await startWathiqa({ BENCH_COUNT_QUERIES: '1' });
  const N = 40;
  const cpu = () => cpuSecondsOf(server.pid);
  try {
    // Warm the paths up first (JIT), then count and time.
    for (let i = 0; i < 200; i++) await userinfo(server, accessTokens[i % accessTokens.length]);
    await server.call('queries', { reset: true });
    let c0 = cpu();
    for (let i = 0; i < 400; i++) await userinfo(server, accessTokens[i % accessTokens.length]);
    printStatements('GET /me (userinfo)', (await server.call('queries', { reset: true })).statements, 400, cpu() - c0);

    const refresh = async (token) => {
      const res = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(server.clientId, server.clientSecret) },
        body: `grant_type=refresh_token&refresh_token=${token}`,
      });
      if (res.status !== 200) throw new Error(`refresh ${res.status} ${await res.text()}`);
      return (await res.json()).refresh_token;
    };
    // One chain per minted token: warm up on half of them, measure on the other half.
    for (let i = N; i < 2 * N; i++) await refresh(refreshTokens[i]);
    await server.call('queries', { reset: true });
    c0 = cpu();
    for (let i = 0; i < N; i++) await refresh(refreshTokens[i]);
    printStatements('POST /token (refresh_token grant)', (await server.call('queries', { reset: true })).statements, N, cpu() - c0);

    // Sign-ins: consent once, then measured ones find the grant.
    await codeFlow(new FormAgent(), server, { email: emails[0], scope: 'openid email' });
    await server.call('queries', { reset: true });
    const M = 10;
    c0 = cpu();
    for (let i = 0; i < M; i++) {
      const { tokens } = await codeFlow(new FormAgent(), server, { email: emails[0], scope: 'openid email' });
      await userinfo(server, tokens.access_token);
    }
    printStatements('Full sign-in (authorize → page → POST login → resume → token → userinfo)', (await server.call('queries', { reset: true })).statements, M, cpu() - c0);
    await signInBreakdown(server, emails[0]);
  } finally {
    await server.stop();
    await dropDatabase();
  }
}

async function cpuProfile(kind) {
  const dir = join(OUT, `${engine}-${kind}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { server, emails, refreshTokens, accessTokens } = await startWathiqa({}, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200']);
  try {
    if (kind === 'userinfo') await userinfoLoad(server, accessTokens, { connections: CONNECTIONS, seconds: SECONDS });
    else if (kind === 'refresh') await refreshLoad(server, [...refreshTokens], { connections: CONNECTIONS, seconds: SECONDS });
    else if (kind === 'signin-sequential') {
      // One user agent at a time (the figure the breakdown above reports), after a warm-up.
      await codeFlow(new FormAgent(), server, { email: emails[0], scope: 'openid email' });
      const until = performance.now() + SECONDS * 1000;
      while (performance.now() < until) await labelledSignIn(server, emails[0], (label, fn) => fn());
    } else {
      await Promise.all(emails.map((email) => codeFlow(new FormAgent(), server, { email, scope: 'openid email' })));
      await signInLoad(server, emails, { concurrency: 8, seconds: SECONDS });
    }
  } finally {
    await server.stop();
    await dropDatabase();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  out(`\n### CPU profile, ${kind} load (${relative(join(HERE, '..'), join(dir, file))})\n`);
  out(summarise(JSON.parse(readFileSync(join(dir, file), 'utf8'))));
}

try {
  out(`# Wathiqa profile (${engine}), ${new Date().toISOString()}`);
  if (!process.env.PROFILE_ONLY_COMPARE) await countQueries();
  if (process.env.PROFILE_REFERENCE) await compareWithReference(process.env.PROFILE_REFERENCE);
  if (process.env.PROFILE_ONLY_SIGNIN || process.env.PROFILE_ONLY_COMPARE) {
    writeFileSync(join(HERE, 'results', `profile-signin-${engine}-${Date.now()}.md`), lines.join('\n') + '\n');
    process.exit(0);
  }
  for (const kind of (process.env.PROFILE_KINDS ?? 'userinfo,refresh').split(',').filter(Boolean)) await cpuProfile(kind);
  const file = join(HERE, 'results', `profile-${new Date().toISOString().slice(0, 10)}-${engine}.md`);
  writeFileSync(file, lines.join('\n') + '\n');
  log(`written to ${file}`);
} finally {
  await dropDatabase().catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(0);

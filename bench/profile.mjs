#!/usr/bin/env node
// `node bench/profile.mjs [postgres|pglite]` (after `npm run build`): where Wathiqa's
// time goes on the benchmark's paths. Not part of `npm run bench`.
//  1. SQL statements per request (driver-level count in the server child) for
//     userinfo, a refresh-token grant and a full sign-in;
//  2. a CPU profile (`node --cpu-prof`) of the server child under userinfo load,
//     then under refresh load, summarised by function and by package.
// Profiles are kept in bench/results/profiles/ for chrome://inspect or speedscope.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { basicAuth, codeFlow, FormAgent, PASSWORD, REDIRECT_URI, userinfo } from './lib/flow.mjs';
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

let pgDatabase;
async function databaseEnv() {
  if (engine !== 'postgres') return { DATA_DIR: join(scratch, `pglite-${randomBytes(3).toString('hex')}`), DATABASE_URL: '' };
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  pgDatabase = `wathiqa_profile_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${pgDatabase}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${pgDatabase}`;
  return { DATA_DIR: join(scratch, 'data'), DATABASE_URL: url.href };
}

async function dropDatabase() {
  if (!pgDatabase) return;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
  await admin.end();
  pgDatabase = undefined;
}

const secrets = { COOKIE_KEYS: randomBytes(32).toString('base64url'), OPERATOR_KEY: randomBytes(32).toString('base64url') };

async function startWathiqa(extraEnv = {}, execArgv = []) {
  const server = new ServerProcess(`wathiqa-${engine}`, join(HERE, 'servers/wathiqa.mjs'), {
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
    else {
      await Promise.all(emails.map((email) => codeFlow(new FormAgent(), server, { email, scope: 'openid email' })));
      await signInLoad(server, emails, { concurrency: 8, seconds: SECONDS });
    }
  } finally {
    await server.stop();
    await dropDatabase();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  out(`\n### CPU profile, ${kind} load (${join(dir, file)})\n`);
  out(summarise(JSON.parse(readFileSync(join(dir, file), 'utf8'))));
}

try {
  out(`# Wathiqa profile (${engine}), ${new Date().toISOString()}`);
  await countQueries();
  for (const kind of (process.env.PROFILE_KINDS ?? 'userinfo,refresh').split(',').filter(Boolean)) await cpuProfile(kind);
  const file = join(HERE, 'results', `profile-${new Date().toISOString().slice(0, 10)}-${engine}.md`);
  writeFileSync(file, lines.join('\n') + '\n');
  log(`written to ${file}`);
} finally {
  await dropDatabase().catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(0);

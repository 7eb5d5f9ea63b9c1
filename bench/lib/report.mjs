// The Markdown report of `npm run bench`: the rows with their ratios, the targets
// with their verdicts, and the soak. Pure: results in, text out.
import os from 'node:os';
import { rssVerdict, soakTable, soakTotals } from './soak.mjs';

const f0 = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '—');
const mb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MB` : '—');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '—');
const cpu = (r) => (r ? `${f1(r.cpuMsPerRequest)} · ${r.dbCpuMsPerRequest !== undefined ? f1(r.dbCpuMsPerRequest) : '—'} · ${f1(r.genCpuMsPerRequest)}` : '—');
const lat = (r) => (r ? `${f1(r.p50)} / ${f1(r.p99)}` : '—');
const verdict = (ok) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');
const MB = 2 ** 20;

/** Server CPU per sign-in beyond one Argon2 hash (the bound's CPU per hash, mean of its runs). */
export const outsideArgon2 = (row, cpuMsPerHash) => (row && Number.isFinite(cpuMsPerHash) ? row.cpuMsPerRequest - cpuMsPerHash : NaN);
const OUTSIDE_TARGET_MS = 8;

export function report(results, info, argon2Params, s) {
  const { pglite: L, postgres: P, bare: B, argon2: A } = results;
  const hashCpu = results.argon2Runs ? results.argon2Runs.reduce((a, r) => a + r.cpuMsPerHash, 0) / results.argon2Runs.length : NaN;
  const cols = [
    ['Wathiqa · PGlite', L],
    ['Wathiqa · PostgreSQL', P],
    ['bare oidc-provider', B],
  ].filter(([, r]) => r);
  const head = `| | ${cols.map(([n]) => n).join(' | ')} |`;
  const sep = `|---|${cols.map(() => '---:').join('|')}|`;
  const row = (label, cell) => `| ${label} | ${cols.map(([, r]) => cell(r)).join(' | ')} |`;
  const vsBare = (key, bareKey = key) => (r) =>
    r === B ? (r[key] ? `**${f0(r[key].perSecond)}**` : '—') : r[key] ? `**${f0(r[key].perSecond)}** (${ratio(r[key].perSecond, B?.[bareKey]?.perSecond)} bare)` : '—';
  const ofBound = (key) => (r) => (r[key] && A ? `**${f1(r[key].perSecond)}** (${f0((r[key].perSecond / A.perSecond) * 100)} % of bound)` : '—');
  const outside = (key) => (r) => (r[key] ? f1(outsideArgon2(r[key], hashCpu)) : '—');
  const lines = [
    head,
    sep,
    row(`Refresh-token grants / s (${s.CONNECTIONS} conns)`, vsBare('refresh')),
    row('  p50 / p99 latency, ms', (r) => lat(r.refresh)),
    row('  CPU ms per grant: server · PostgreSQL · load gen.', (r) => cpu(r.refresh)),
    row(`Userinfo / s (${s.CONNECTIONS} conns)`, vsBare('userinfo')),
    row('  p50 / p99 latency, ms', (r) => lat(r.userinfo)),
    row('  CPU ms per request: server · PostgreSQL · load gen.', (r) => cpu(r.userinfo)),
    row(`Refresh grants with the passport claim / s (${s.CONNECTIONS} conns; ratio to bare's plain refresh)`, vsBare('passportRefresh', 'refresh')),
    row('  p50 / p99 latency, ms', (r) => lat(r.passportRefresh)),
    row('  CPU ms per grant: server · PostgreSQL · load gen.', (r) => cpu(r.passportRefresh)),
    row(`Userinfo with the passport claim / s (${s.CONNECTIONS} conns; ratio to bare's plain userinfo)`, vsBare('passportUserinfo', 'userinfo')),
    row('  p50 / p99 latency, ms', (r) => lat(r.passportUserinfo)),
    row('  CPU ms per request: server · PostgreSQL · load gen.', (r) => cpu(r.passportUserinfo)),
    row('  passport claim (the release JWE) in userinfo, bytes', (r) =>
      r.passportClaimBytes ? `${f0(r.passportClaimBytes)} (${r.passportInIdToken ? 'and in the ID token' : 'not in the ID token'})` : '—'),
    row(`Full sign-ins / s (${s.SIGNIN_CONCURRENCY} users)`, ofBound('signIn')),
    row('  p50 / p99 latency, ms', (r) => lat(r.signIn)),
    row('  CPU ms per sign-in: server · PostgreSQL · load gen.', (r) => cpu(r.signIn)),
    row('  server CPU ms per sign-in outside Argon2', outside('signIn')),
    row(`Sign-ins with password + TOTP / s (${s.SIGNIN_CONCURRENCY} users)`, ofBound('totpSignIn')),
    row('  p50 / p99 latency, ms', (r) => lat(r.totpSignIn)),
    row('  CPU ms per sign-in: server · PostgreSQL · load gen.', (r) => cpu(r.totpSignIn)),
    row('  server CPU ms per sign-in outside Argon2', outside('totpSignIn')),
    row(`Passkey sign-ins / s (${s.SIGNIN_CONCURRENCY} users, no password; ratio to password sign-ins)`, (r) =>
      r.passkeySignIn ? `**${f1(r.passkeySignIn.perSecond)}** (${ratio(r.passkeySignIn.perSecond, r.signIn?.perSecond)} password)` : '—'),
    row('  p50 / p99 latency, ms', (r) => lat(r.passkeySignIn)),
    row('  CPU ms per sign-in: server · PostgreSQL · load gen.', (r) => cpu(r.passkeySignIn)),
    row(`Peak RSS, userinfo at ${s.PEAK_CONNECTIONS} conns`, (r) => `${mb(r.peakRss)} (${f0(r.peak?.perSecond)}/s, p99 ${f1(r.peak?.p99)} ms)`),
    row('RSS idle after set-up', (r) => mb(r.idleRss)),
    row('Start-up to /readyz 200, ms', (r) => (r === L ? `fresh ${f0(r.startupFreshMs)} · existing ${f0(r.startupExistingMs)}` : f0(r.startupMs))),
    row('Errors (non-2xx and failed sign-ins, all rows)', (r) =>
      f0(['refresh', 'userinfo', 'peak', 'signIn', 'passportRefresh', 'passportUserinfo', 'totpSignIn', 'passkeySignIn'].reduce((n, k) => n + (r[k]?.errors ?? 0), 0))),
  ];
  const boundLine = A
    ? `Argon2id bound (m=${argon2Params.memoryCost} KiB, t=${argon2Params.timeCost}, p=${argon2Params.parallelism}; ${s.SIGNIN_CONCURRENCY} at a time, libuv threadpool ${process.env.UV_THREADPOOL_SIZE ?? 4}; the higher of two runs, first and last: ${results.argon2Runs.map((r) => f1(r.perSecond)).join(' and ')}): **${f1(A.perSecond)} hashes/s**, p50 ${f1(A.p50)} ms, p99 ${f1(A.p99)} ms; **${f1(hashCpu)} CPU ms per hash** (mean of the runs: ${results.argon2Runs.map((r) => f1(r.cpuMsPerHash)).join(', ')}), subtracted from a sign-in's server CPU for "outside Argon2".`
    : '';
  const totpNote = [L, P].some((r) => r?.totpSignIn?.waits)
    ? `TOTP: ${[['PGlite', L], ['PostgreSQL', P]].filter(([, r]) => r?.totpSignIn).map(([n, r]) => `${n} ${r.totpSignIn.waits}`).join(', ')} waits for an account with a time step left (the pool was too small; the rate is understated).`
    : '';

  const consentSeen = [L, P].reduce((n, r) => n + (r?.totpSignIn?.consentPages ?? 0) + (r?.passkeySignIn?.consentPages ?? 0), 0);
  const consentNote = consentSeen ? `${consentSeen} TOTP or passkey sign-ins met a consent page (the seeded grant was not found): those rows are understated.` : '';
  const engines = [['PGlite', L], ['PostgreSQL', P]];
  const atLeast = (name, a, b, share) => `- ${name}: ${ratio(a?.perSecond, b?.perSecond)} — ${a && b ? verdict(a.perSecond >= share * b.perSecond) : verdict()}`;
  const soakVerdict = results.soak ? rssVerdict(results.soak) : undefined;
  const targets = [
    atLeast('Refresh grants on PostgreSQL ≥ 0.8× bare', P?.refresh, B?.refresh, 0.8),
    atLeast('Userinfo on PostgreSQL ≥ 0.8× bare', P?.userinfo, B?.userinfo, 0.8),
    atLeast("Refresh grants with the passport claim on PostgreSQL ≥ 0.8× bare's plain refresh", P?.passportRefresh, B?.refresh, 0.8),
    atLeast("Userinfo with the passport claim on PostgreSQL ≥ 0.8× bare's plain userinfo", P?.passportUserinfo, B?.userinfo, 0.8),
    ...engines.filter(([, r]) => r?.signIn && A).map(([n, r]) =>
      `- Full sign-ins ≥ 60 % of the Argon2 bound (${n}): ${f0((r.signIn.perSecond / A.perSecond) * 100)} % — ${verdict(r.signIn.perSecond >= 0.6 * A.perSecond)}`),
    ...engines.flatMap(([n, r]) =>
      [['signIn', 'password'], ['totpSignIn', 'password + TOTP']].filter(([k]) => r?.[k]).map(([k, what]) => {
        const ms = outsideArgon2(r[k], hashCpu);
        return `- Server CPU per sign-in outside Argon2 ≤ ${OUTSIDE_TARGET_MS} ms (${what}, ${n}): ${f1(ms)} ms — ${verdict(Number.isFinite(ms) ? ms <= OUTSIDE_TARGET_MS : undefined)}`;
      })),
    ...engines.filter(([, r]) => r?.passkeySignIn).map(([n, r]) =>
      `- Server CPU per passkey sign-in (no Argon2) ≤ ${OUTSIDE_TARGET_MS} ms (${n}): ${f1(r.passkeySignIn.cpuMsPerRequest)} ms — ${verdict(r.passkeySignIn.cpuMsPerRequest <= OUTSIDE_TARGET_MS)}`),
    ...[['PGlite', L, 250], ['PostgreSQL', P, 200]].filter(([, r]) => r).map(([n, r, max]) =>
      `- Peak RSS at ${s.PEAK_CONNECTIONS} concurrent ≤ ${max} MB (${n}): ${mb(r.peakRss)} — ${verdict(r.peakRss <= max * MB)}`),
    ...(P ? [`- RSS idle after set-up ≤ 100 MB (PostgreSQL): ${mb(P.idleRss)} — ${verdict(P.idleRss <= 100 * MB)}`] : []),
    `- Soak: ${soakVerdict ? soakVerdict.text.replace(/^RSS flat: /, 'RSS flat, ') : `not measured (${results.soakSkipped})`}`,
    ...(results.soak ? [`- Soak: no errors — ${soakTotals(results.soak).errors} errors, ${results.soak.minutes.reduce((n, m) => n + (m?.signInErrors ?? 0), 0)} failed sign-ins — ${verdict(soakTotals(results.soak).errors === 0)}`] : []),
  ];
  const failures = Object.entries({ L, P, B }).flatMap(([k, r]) =>
    ['refresh', 'passportRefresh'].flatMap((row) => Object.entries(r?.[row]?.failures ?? {}).map(([f, n]) => `${k} ${row}: ${n}× ${f}`)));

  const date = new Date().toISOString();
  return [
    `# Wathiqa benchmark — ${date.slice(0, 10)}`,
    '',
    `Machine: ${info.cores} cores (${info.cpuModel}), ${info.memoryGiB.toFixed(1)} GiB memory, ${info.kernel}, Node ${info.node}` +
      (info.pgVersion ? `, PostgreSQL ${info.pgVersion} on 127.0.0.1` : '') +
      `. Run at ${date}, ${s.elapsedSeconds.toFixed(0)} s; load average before ${info.loadBefore.toFixed(2)}, after ${os.loadavg()[0].toFixed(2)} (other work on the machine skews every figure; the ratios less).`,
    '',
    `Each server runs in a child process of its own, all at once; each row is measured on each server back to back. The load generator (autocannon, and a fetch loop for sign-ins) runs in the parent, on the same cores. ` +
      `Rows: ${s.WARMUP} s warm-up, then ${s.SECONDS} s (sign-ins: 1 s warm-up, then ${s.SIGNIN_SECONDS} s; peak RSS ${s.PEAK_SECONDS} s). Ratios are against bare oidc-provider measured in this run (the passport rows, measured a minute later, against its plain rows: bare has no passport claim). ` +
      `Every server (bare too) and the Argon2 bound start with the server's memory settings (src/ops/memory.ts, what \`npm start\` applies and the image sets): ${s.MEMORY_SETTINGS}. ` +
      `Wathiqa logs at LOG_LEVEL=${process.env.BENCH_LOG_LEVEL ?? 'info'} (to /dev/null). Peak RSS: ${L?.peakRssHow ?? P?.peakRssHow ?? ''}; on PostgreSQL the database server's memory is not included, on PGlite it is (same process). ` +
      `TOTP sign-ins: password, then a code from a seeded secret (each account once per time step); passkey sign-ins: a software P-256 passkey answering the WebAuthn challenge, user verification set, no password.`,
    '',
    ...lines,
    '',
    boundLine,
    ...(totpNote ? ['', totpNote] : []),
    ...(consentNote ? ['', consentNote] : []),
    '',
    'Targets:',
    ...targets,
    ...(failures.length ? ['', 'Refresh failures:', ...failures.map((f) => `- ${f}`)] : []),
    '',
    ...soakSection(results, s),
  ].join('\n');
}

function soakSection(results, s) {
  if (!results.soak) return [];
  const soak = results.soak;
  const { requests, errors } = soakTotals(soak);
  return [
    `## Soak (PostgreSQL, ${soak.seconds} s at ${soak.connections} connections)`,
    '',
    `A fresh Wathiqa on PostgreSQL (a database of its own), after the rows above, alone on the machine but for the load generator: ${soak.connections} connections, each sending userinfo three times then a refresh grant with the token it got last; ${soak.signInConcurrency} concurrent full sign-ins alongside. ` +
      `The same memory settings as the rows. RSS sampled each second, the V8 heap read at the end of each minute; no heap snapshots (they add to RSS). ${requests.toLocaleString('en-US')} requests in all, ${errors} errors. ` +
      `\`node bench/soak.mjs\` runs the same alone, with heap snapshots compared.`,
    '',
    ...soakTable(soak),
    '',
    rssVerdict(soak).text,
    '',
  ];
}

// The soak, shared by `node bench/soak.mjs` and the soak section of `npm run bench`:
// one Wathiqa server under a steady mix at `connections` (each connection: userinfo
// three times, then a refresh grant with the token it got last) with full sign-ins
// alongside; per minute: requests, errors, p50/p99, sign-ins, RSS and the V8 heap.
import autocannon from 'autocannon';
import { basicAuth, codeFlow, FormAgent, PASSWORD, REDIRECT_URI, userinfo } from './flow.mjs';
import { percentile } from './load.mjs';
import { memoryOf } from './proc.mjs';

/** RSS is called flat when the last minute's maximum is within this of minute 2's (minute 1 is warm-up). */
export const FLAT_PERCENT = 10;

/** Seeds the client and accounts and mints one refresh chain per connection (plus spares). */
export async function prepareSoak(server, { connections, signInConcurrency, clientName = 'Soak' }) {
  const chainEmails = Array.from({ length: 8 }, (_, i) => `soak-chain-${i}@bench.example`);
  const signInEmails = Array.from({ length: signInConcurrency }, (_, i) => `soak-signin-${i}@bench.example`);
  const accounts = [...chainEmails, ...signInEmails].map((email) => ({ email, password: PASSWORD }));
  Object.assign(server, await server.call('seed', { clientName, redirectUri: REDIRECT_URI, accounts }));
  const refreshTokens = [];
  const accessTokens = [];
  // One refresh chain per connection, plus spares for the ones lost in flight.
  const perAgent = Math.ceil((connections * 1.5) / chainEmails.length);
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
  return { refreshTokens, accessTokens, signInEmails };
}

/**
 * Runs the soak. `minuteSeconds` shortens a "minute" for trying it out; `snapshots`
 * writes heap snapshots (into `scratch`) at the end of the first and the last minute.
 */
export async function runSoak(server, { refreshTokens, accessTokens, signInEmails }, { seconds, connections, minuteSeconds = Math.min(60, seconds), snapshots = false, scratch, log = () => {} }) {
  const t0 = performance.now();
  const lastMinute = Math.ceil(seconds / minuteSeconds) - 1;
  const minuteNow = () => Math.min(Math.floor((performance.now() - t0) / 1000 / minuteSeconds), lastMinute);
  const minutes = [];
  const bucket = () => (minutes[minuteNow()] ??= { latencies: [], errors: 0, signIns: 0, signInErrors: 0 });
  const queue = [...refreshTokens];
  const tokens = [...accessTokens];
  let next = 0;
  const auth = basicAuth(server.clientId, server.clientSecret);
  const me = {
    method: 'GET',
    path: '/me',
    setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
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
      tokens[next++ % tokens.length] = parsed.access_token;
    },
  };
  const instance = autocannon({ url: server.url, connections, duration: seconds, timeout: 30, requests: [me, me, me, refresh] });
  instance.on('response', (_client, status, _bytes, ms) => {
    const b = bucket();
    b.latencies.push(ms);
    if (status < 200 || status >= 300) b.errors++;
  });
  instance.on('reqError', () => bucket().errors++);

  // Full sign-ins alongside: a fresh user agent each time.
  const end = t0 + seconds * 1000;
  const signIns = Promise.all(
    signInEmails.map(async (email) => {
      while (performance.now() < end) {
        try {
          const { tokens: t } = await codeFlow(new FormAgent(), server, { email });
          await userinfo(server, t.access_token);
          bucket().signIns++;
        } catch {
          bucket().signInErrors++;
        }
      }
    }),
  );

  // Memory per minute (RSS sampled each second, heap from the server at each minute's end).
  const memory = [];
  const files = [];
  const sampler = setInterval(() => {
    const m = (memory[minuteNow()] ??= { rss: [] });
    try {
      m.rss.push(memoryOf(server.pid).rss);
    } catch {
      /* exited */
    }
  }, 1000);
  const marks = (async () => {
    for (let minute = 0; minute <= lastMinute; minute++) {
      const wait = t0 + Math.min(seconds, (minute + 1) * minuteSeconds) * 1000 - 3000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const m = (memory[minute] ??= { rss: [] });
      m.heap = await server.call('heap', {}, 60_000).catch(() => undefined);
      if (snapshots && (minute === 0 || minute === lastMinute)) {
        log(`heap snapshot at minute ${minute + 1}`);
        const file = await server.call('snapshot', { dir: scratch }, 120_000).catch((e) => log(e.message));
        if (file) files.push({ minute: minute + 1, file });
      }
    }
  })();
  const total = await instance;
  await signIns;
  await marks;
  clearInterval(sampler);
  return { minutes, memory, snapshots: files, total, seconds, connections, minuteSeconds, signInConcurrency: signInEmails.length };
}

const mb = (b) => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)}` : '—');
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export function soakTotals({ total }) {
  return { requests: total.requests.total, errors: total.non2xx + total.errors + total.timeouts };
}

/** The per-minute table (Markdown lines). */
export function soakTable({ minutes, memory, minuteSeconds }) {
  const unit = minuteSeconds === 60 ? 'minute' : `minute (${minuteSeconds} s)`;
  const rows = minutes.map((b, i) => {
    const sorted = [...(b?.latencies ?? [])].sort((x, y) => x - y);
    const m = memory[i] ?? { rss: [] };
    return `| ${i + 1} | ${sorted.length.toLocaleString('en-US')} | ${b?.errors ?? 0} | ${percentile(sorted, 50).toFixed(0)} / ${percentile(sorted, 99).toFixed(0)} | ${b?.signIns ?? 0} (${b?.signInErrors ?? 0} failed) | ${mb(mean(m.rss))} / ${mb(Math.max(...m.rss))} | ${mb(m.heap?.used_heap_size)} / ${mb(m.heap?.total_heap_size)} | ${mb(m.heap?.external)} |`;
  });
  return [
    `| ${unit} | requests | errors | p50 / p99 ms | sign-ins | RSS MB mean / max | V8 heap MB used / total | external MB |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ];
}

/**
 * "Flat": the last minute's maximum RSS within FLAT_PERCENT of minute 2's (minute 1
 * holds the warm-up). Needs three minutes at least. `{ text, ok }`; ok undefined when not measured.
 */
export function rssVerdict({ memory }) {
  const maxOf = (i) => (memory[i]?.rss?.length ? Math.max(...memory[i].rss) : NaN);
  const last = memory.length - 1;
  if (last < 2) return { text: `RSS flat: not measured (${memory.length} minute(s); needs 3 or more)`, ok: undefined };
  const a = maxOf(1);
  const b = maxOf(last);
  const change = ((b - a) / a) * 100;
  const ok = change <= FLAT_PERCENT;
  return {
    text: `RSS flat: minute ${last + 1} max vs minute 2 max ${change >= 0 ? '+' : ''}${change.toFixed(1)} % (${mb(b)} vs ${mb(a)} MB; flat = within +${FLAT_PERCENT} %) — ${ok ? '**met**' : '**not met**'}`,
    ok,
  };
}

// Load generators: autocannon for the single-request rows (refresh, userinfo),
// a bounded fetch loop for the multi-step sign-in flow.
import autocannon from 'autocannon';
import { cpuSecondsOf } from './proc.mjs';
import { basicAuth, codeFlow, FormAgent, userinfo } from './flow.mjs';

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** CPU seconds of the server's database backends (PostgreSQL), when the server says how to read them. */
async function dbCpu(server) {
  return server.dbCpuSeconds ? server.dbCpuSeconds() : undefined;
}

function perRequestDb(before, after, count) {
  if (!before || !after) return undefined;
  let seconds = 0;
  for (const [pid, s] of after) seconds += s - (before.get(pid) ?? 0);
  return (seconds * 1000) / Math.max(1, count);
}

async function cannon(server, opts) {
  const db0 = await dbCpu(server);
  const cpu0 = cpuSecondsOf(server.pid);
  const gen0 = process.cpuUsage();
  const result = await autocannon({
    url: server.url,
    pipelining: 1,
    timeout: 30,
    ...opts,
  });
  const cpu = cpuSecondsOf(server.pid) - cpu0;
  const gen = process.cpuUsage(gen0);
  const db1 = await dbCpu(server);
  const ok = result['2xx'];
  return {
    perSecond: ok / result.duration,
    ok,
    errors: result.non2xx + result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    seconds: result.duration,
    cpuMsPerRequest: (cpu * 1000) / Math.max(1, result.requests.total),
    dbCpuMsPerRequest: perRequestDb(db0, db1, result.requests.total),
    genCpuMsPerRequest: (gen.user + gen.system) / 1000 / Math.max(1, result.requests.total),
    cpuPercent: (cpu / result.duration) * 100,
  };
}

/** Userinfo with a set of access tokens, round robin. */
export async function userinfoLoad(server, accessTokens, { connections, seconds }) {
  let next = 0;
  return cannon(server, {
    connections,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        path: '/me',
        setupRequest: (req) => ({ ...req, headers: { authorization: `Bearer ${accessTokens[next++ % accessTokens.length]}` } }),
      },
    ],
  });
}

/**
 * Refresh-token grants. Refresh tokens rotate: every request must carry a fresh,
 * unused one. `queue` holds unused tokens (minted by real code flows); every 200
 * answer puts the new token it carries at the back, so each connection keeps a
 * chain going like a real RP would, and the queue never runs dry as long as it
 * holds more tokens than connections lost in flight (`connections` per run).
 */
export async function refreshLoad(server, queue, { connections, seconds }) {
  if (queue.length < connections) throw new Error(`only ${queue.length} unused refresh tokens for ${connections} connections`);
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: basicAuth(server.clientId, server.clientSecret),
  };
  const failures = new Map();
  const result = await cannon(server, {
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/token',
        setupRequest: (req) => {
          const token = queue.shift();
          if (!token) throw new Error('refresh token queue ran dry');
          return { ...req, headers, body: `grant_type=refresh_token&refresh_token=${token}` };
        },
        onResponse: (status, body) => {
          if (status === 200) {
            const parsed = JSON.parse(body);
            if (parsed.refresh_token && parsed.id_token) queue.push(parsed.refresh_token);
            else failures.set('200 without refresh_token/id_token', (failures.get('200 without refresh_token/id_token') ?? 0) + 1);
          } else {
            const key = `${status} ${body.slice(0, 120)}`;
            failures.set(key, (failures.get(key) ?? 0) + 1);
          }
        },
      },
    ],
  });
  return { ...result, failures: Object.fromEntries(failures) };
}

/**
 * Full sign-ins over HTTP, `concurrency` users at a time for `seconds` (at most
 * `maxCount`): authorize → sign-in page → form POST (Argon2) → consent already
 * granted → redirect with code → token → userinfo. A fresh user agent (no
 * session) every time. `flow(worker)` replaces the password sign-in (a second
 * factor, a passkey); it resolves like `codeFlow`.
 */
export async function signInLoad(server, accounts, { concurrency, seconds, maxCount = 5000, flow }) {
  const signIn = flow ?? ((worker) => codeFlow(new FormAgent(), server, { email: accounts[worker % accounts.length], scope: 'openid email' }));
  const latencies = [];
  let consentPages = 0;
  let errors = 0;
  let started = 0;
  const db0 = await dbCpu(server);
  const cpu0 = cpuSecondsOf(server.pid);
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let firstError;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end && started < maxCount) {
        started++;
        const t = performance.now();
        try {
          const { tokens, seen } = await signIn(worker);
          await userinfo(server, tokens.access_token);
          if (seen.consent) consentPages++;
          latencies.push(performance.now() - t);
        } catch (error) {
          errors++;
          firstError ??= error;
        }
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSecondsOf(server.pid) - cpu0;
  const gen = process.cpuUsage(gen0);
  const db1 = await dbCpu(server);
  latencies.sort((a, b) => a - b);
  if (errors > latencies.length / 10) throw new Error(`sign-ins: ${errors} failed; first: ${firstError?.message}`);
  return {
    perSecond: latencies.length / elapsed,
    ok: latencies.length,
    errors,
    consentPages,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    seconds: elapsed,
    cpuMsPerRequest: (cpu * 1000) / Math.max(1, latencies.length),
    dbCpuMsPerRequest: perRequestDb(db0, db1, latencies.length),
    genCpuMsPerRequest: (gen.user + gen.system) / 1000 / Math.max(1, latencies.length),
    cpuPercent: (cpu / elapsed) * 100,
  };
}

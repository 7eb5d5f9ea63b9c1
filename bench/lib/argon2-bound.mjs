// The physical bound for sign-ins: Argon2id hashes per second on this machine,
// with the server's parameters, at the sign-in row's concurrency, through the same
// `argon2` package and the same libuv threadpool size (the server's: 4 unless
// UV_THREADPOOL_SIZE says otherwise). Run as a child process: it shares nothing
// with the load generator's event loop.
import argon2 from 'argon2';

const [memoryCost, timeCost, parallelism, concurrency, seconds] = process.argv.slice(2).map(Number);
const options = { type: argon2.argon2id, memoryCost, timeCost, parallelism };

// Warm-up: one hash per worker, so the first allocation is not timed.
await Promise.all(Array.from({ length: concurrency }, (_, i) => argon2.hash(`warm-up ${i}`, options)));

const latencies = [];
const t0 = performance.now();
const end = t0 + seconds * 1000;
await Promise.all(
  Array.from({ length: concurrency }, async (_, i) => {
    let n = 0;
    while (performance.now() < end) {
      const t = performance.now();
      await argon2.hash(`password ${i} ${n++}`, options);
      latencies.push(performance.now() - t);
    }
  }),
);
const elapsed = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
process.send?.({ perSecond: latencies.length / elapsed, ok: latencies.length, p50: pct(50), p99: pct(99), seconds: elapsed });
if (!process.send) console.log(JSON.stringify({ perSecond: latencies.length / elapsed, p50: pct(50), p99: pct(99) }));

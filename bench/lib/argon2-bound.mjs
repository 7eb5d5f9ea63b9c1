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
const cpu0 = process.cpuUsage(); // the whole process: the threadpool's threads included
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
const cpu = process.cpuUsage(cpu0);
const cpuMsPerHash = (cpu.user + cpu.system) / 1000 / Math.max(1, latencies.length);
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
const result = { perSecond: latencies.length / elapsed, ok: latencies.length, p50: pct(50), p99: pct(99), seconds: elapsed, cpuMsPerHash };
if (process.send) process.send(result);
else console.log(JSON.stringify(result));

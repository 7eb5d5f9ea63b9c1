// Child-process plumbing for the benchmark: spawn a server, wait for /readyz,
// talk to it over IPC, and read its RSS and CPU time from /proc.
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

export const HOST = '127.0.0.1';
const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux

/** A free TCP port on 127.0.0.1 (taken and released: the issuer must know its port first). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Reads VmRSS / VmHWM (bytes) of a process. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** User + system CPU seconds a process has used so far. */
export function cpuSecondsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resets the kernel's peak-RSS mark (VmHWM) of a process; false when not allowed. */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the maximum seen. */
export function sampleRss(pid, everyMs = 50) {
  let max = memoryOf(pid).rss;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, memoryOf(pid).rss);
    } catch {
      /* exited */
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      try {
        max = Math.max(max, memoryOf(pid).rss);
      } catch {
        /* exited */
      }
      return max;
    },
  };
}

/** Polls GET /readyz until it answers 200; returns the milliseconds since `since`. */
export async function waitReady(url, since, timeoutMs = 60_000, child) {
  const deadline = since + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - since;
    } catch {
      /* not listening yet */
    }
    if (performance.now() > deadline) throw new Error(`${url}/readyz not ready after ${timeoutMs} ms`);
    await sleep(10);
  }
}

/**
 * A server in its own Node process. `script` gets the environment; it answers IPC
 * commands `{ id, cmd, ...args }` with `{ id, ok, result | error }`.
 */
export class ServerProcess {
  constructor(name, script, env, execArgv = []) {
    this.name = name;
    this.script = script;
    this.env = env;
    this.execArgv = execArgv;
    this.pending = new Map();
    this.nextId = 1;
    this.stderr = '';
  }

  /** Spawns the process; resolves with the time until /readyz answered 200 (ms). */
  async start() {
    const port = await freePort();
    this.url = `http://${HOST}:${port}`;
    const t0 = performance.now();
    this.child = fork(this.script, [], {
      env: { ...process.env, ...this.env, PORT: String(port), HOST, ISSUER: this.url },
      execArgv: this.execArgv,
      // stdout (request logs) goes to /dev/null: it is written, never read.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-4000);
      if (process.env.BENCH_VERBOSE) process.stderr.write(`[${this.name}] ${d}`);
    });
    this.child.on('message', (msg) => {
      const waiter = this.pending.get(msg?.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.ok) waiter.resolve(msg.result);
      else waiter.reject(new Error(`${this.name}: ${msg.error}`));
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      this.startupMs = await waitReady(this.url, t0, 60_000, this.child);
    } catch (error) {
      throw new Error(`${this.name}: ${error.message}\n${this.stderr}`);
    }
    return this.startupMs;
  }

  get pid() {
    return this.child.pid;
  }

  call(cmd, args = {}, timeoutMs = 120_000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.send({ id, cmd, ...args });
    });
  }

  /** Asks the server to close (graceful), then waits for the process to exit. */
  async stop(timeoutMs = 20_000) {
    if (!this.child || this.child.exitCode !== null) return;
    this.call('close', {}, timeoutMs).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

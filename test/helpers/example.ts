import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';
import { PROCESS_START_TIMEOUT_MS } from './timeouts.js';

/** A port nobody listens on now (the example programs take theirs from the environment). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface ExampleProcess {
  url: string;
  child: ChildProcess;
  /** Everything it wrote so far (stdout and stderr). */
  output: () => string;
  exited: Promise<number | null>;
  /** SIGTERM, then waits for it to exit. */
  stop(): Promise<void>;
}

const EXAMPLES = {
  rp: { script: join(ROOT, 'examples', 'rp', 'server.mjs'), portEnv: 'RP_PORT', ready: 'example RP listening' },
  verifier: { script: join(ROOT, 'examples', 'verifier', 'server.mjs'), portEnv: 'VERIFIER_PORT', ready: 'example verifier listening' },
} as const;

/** One of examples/ as a real child process on `port`, once it says it listens. */
export async function startExample(name: keyof typeof EXAMPLES, port: number, env: Record<string, string>): Promise<ExampleProcess> {
  const example = EXAMPLES[name];
  const child = spawn(process.execPath, [example.script], {
    env: { PATH: process.env.PATH, [example.portEnv]: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example ${name} did not start: ${out}`)), PROCESS_START_TIMEOUT_MS);
    child.stdout!.on('data', () => {
      if (out.includes(example.ready)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`the example ${name} exited with ${code}: ${out}`)));
  });
  return {
    url: `http://localhost:${port}`,
    child,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

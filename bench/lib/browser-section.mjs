// The browser rows as a section of `npm run bench`: runs bench/browser.mjs in a
// child process of its own (after the server rows, when their servers are gone)
// and returns its Markdown, or a line saying why there is none. Bounded in time.
// BENCH_BROWSER=0 skips it.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'browser.mjs');
const TIMEOUT_MS = 150_000;

export async function browserSection(log = () => {}) {
  if (process.env.BENCH_BROWSER === '0') return '';
  log('browser rows: headless Chromium (bench/browser.mjs)');
  const child = spawn(process.execPath, [SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
    if (process.env.BENCH_VERBOSE) process.stderr.write(d);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  const code = await new Promise((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  if (code === 0 && stdout.trim()) return `\n${stdout.trimEnd()}\n`;
  const why = stderr.trim().split('\n').filter(Boolean).pop() ?? `exit code ${code}`;
  log(`browser rows failed: ${why}`);
  return `\n## Browser (headless Chromium)\n\nNot measured: ${why}\n`;
}

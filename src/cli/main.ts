/**
 * The `wathiqa` command (bin/wathiqa.js loads the compiled form of this file).
 *
 * Standard output carries only the command's own output, so that `--json` can be
 * piped: anything a library prints through `console` goes to stderr, and
 * oidc-provider's runtime notice (it prefers Node 22) is dropped.
 */
const toStderr =
  (original: (...args: unknown[]) => void) =>
  (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
    original(...args);
  };
console.warn = toStderr(console.warn.bind(console));
console.log = console.info = console.debug = toStderr(console.error.bind(console));

function exit(code: number): void {
  // Pipes and files are written synchronously on POSIX; wait for a TTY or socket to drain.
  if (process.stdout.writableNeedDrain) process.stdout.once('drain', () => process.exit(code));
  else process.exit(code);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

try {
  // Imported after the console is redirected: loading oidc-provider prints.
  const { run } = await import('./program.js');
  const code = await run(process.argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin,
    env: process.env,
  });
  exit(code);
} catch (error) {
  process.stderr.write(`wathiqa: ${error instanceof Error ? error.message : String(error)}\n`);
  exit(1);
}

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Compiles the package (tsc, not the web bundle) unless `entry` in dist/ is newer than
 * every source, for tests that spawn the compiled server or CLI as operators run them.
 */
export function ensureBuilt(entry: string): void {
  const newest = Math.max(newestSource(join(ROOT, 'src')), newestSource(join(ROOT, 'migrations')));
  if (existsSync(entry) && statSync(entry).mtimeMs >= newest) return;
  // tsc emits even when another part of the tree has a type error; what matters here is the output.
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'ignore',
    timeout: 240_000,
  });
  if (!existsSync(entry)) throw new Error(`${entry} could not be built (npm run build)`);
}

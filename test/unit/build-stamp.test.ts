import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const script = join(process.cwd(), 'scripts', 'build-stamp.mjs');

function run(root: string, mode: string): number {
  try {
    execFileSync(process.execPath, [script, mode], { env: { ...process.env, BUILD_STAMP_ROOT: root }, stdio: 'pipe' });
    return 0;
  } catch (error) {
    return (error as { status: number }).status;
  }
}

function put(root: string, file: string, text: string) {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

describe('npm start skips a build that would change nothing (scripts/build-stamp.mjs)', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'wathiqa-stamp-'));
    put(root, 'src/main.ts', 'export {};\n');
    put(root, 'public/app.css', 'body{}\n');
    put(root, 'package.json', '{}\n');
    for (const out of ['dist/src/main.js', 'public/build/manifest.json', 'public/build/app.js', 'public/build/vault.js', 'public/build/consent.js']) put(root, out, '');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is stale without a stamp, fresh after one, stale again when an input changes', () => {
    expect(run(root, '--check')).toBe(1);
    expect(run(root, '--write')).toBe(0);
    expect(run(root, '--check')).toBe(0);
    put(root, 'src/main.ts', 'export const changed = 1;\n');
    expect(run(root, '--check')).toBe(1);
  });

  it('counts content, not times: a touched file is unchanged, a new file or a missing output is not', () => {
    run(root, '--write');
    utimesSync(join(root, 'src/main.ts'), new Date(), new Date(Date.now() + 60_000));
    expect(run(root, '--check')).toBe(0);
    put(root, 'src/web/new.ts', 'export {};\n');
    expect(run(root, '--check')).toBe(1);
    run(root, '--write');
    rmSync(join(root, 'public/build/vault.js'));
    expect(run(root, '--check')).toBe(1);
  });
});

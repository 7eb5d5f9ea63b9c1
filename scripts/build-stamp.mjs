#!/usr/bin/env node
/**
 * Lets `npm start` skip a build that would change nothing: `--write` (after a build)
 * records a SHA-256 of every build input's path and bytes in dist/.build-inputs;
 * `--check` exits 0 only when the inputs hash the same and the outputs exist.
 * Content, not mtimes: a checkout or a copy that touches files still counts as unchanged.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// BUILD_STAMP_ROOT: tests point it at a scratch tree.
const root = process.env.BUILD_STAMP_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const stampFile = join(root, 'dist', '.build-inputs');
const INPUTS = ['src', 'migrations', 'public/app.css', 'scripts/build-web.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];
const OUTPUTS = ['dist/src/main.js', 'public/build/manifest.json', 'public/build/app.js', 'public/build/vault.js', 'public/build/consent.js'];

function files(path) {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full, { withFileTypes: true })
    .flatMap((entry) => files(relative(root, join(full, entry.name))))
    .sort();
}

function inputsHash() {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(files)) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

const mode = process.argv[2];
if (mode === '--write') {
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, `${inputsHash()}\n`);
} else if (mode === '--check') {
  const fresh = existsSync(stampFile) && OUTPUTS.every((f) => existsSync(join(root, f))) && readFileSync(stampFile, 'utf8').trim() === inputsHash();
  if (fresh) console.log('build is up to date (nothing changed since the last build)');
  process.exit(fresh ? 0 : 1);
} else {
  console.error('usage: build-stamp.mjs --check | --write');
  process.exit(64);
}

#!/usr/bin/env node
/**
 * Builds the browser bundles and the asset manifest:
 *   src/web/main.ts        --esbuild-->  public/build/app.js    (every page: progressive enhancement)
 *   src/web/vault/main.ts  --esbuild-->  public/build/vault.js  (the account page: the vault, its crypto)
 *   src/web/consent/main.ts --esbuild--> public/build/consent.js (the passport consent page: unlock, review, encrypt the release)
 *   public/build/manifest.json = { "app.js": {path, integrity}, "vault.js": {…}, "consent.js": {…}, "app.css": {…} }
 * The integrity values are SRI sha384 hashes of the exact bytes served, so the pages'
 * <script integrity> / <link integrity> match, and anyone can compare the published hash.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const publicDir = join(root, 'public');
const outDir = join(publicDir, 'build');
const cssFile = join(publicDir, 'app.css');
const manifestFile = join(outDir, 'manifest.json');

const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;

/** Write to a temporary file and rename, so a running server never reads half a file. */
async function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

await mkdir(outDir, { recursive: true });

/** One self-contained ES module per entry: no chunks, so each file's SRI hash covers all its code. */
async function bundle(entry, name) {
  const result = await build({
    entryPoints: [join(root, ...entry)],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'warning',
    absWorkingDir: root,
  });
  const js = result.outputFiles[0]?.contents;
  if (!js) throw new Error(`esbuild produced no output for ${name}`);
  await writeAtomic(join(outDir, name), js);
  return js;
}

const js = await bundle(['src', 'web', 'main.ts'], 'app.js');
const vaultJs = await bundle(['src', 'web', 'vault', 'main.ts'], 'vault.js');
const consentJs = await bundle(['src', 'web', 'consent', 'main.ts'], 'consent.js');

const css = await readFile(cssFile);
const manifest = {
  'app.js': { path: '/static/build/app.js', integrity: sri(js) },
  'vault.js': { path: '/static/build/vault.js', integrity: sri(vaultJs) },
  'consent.js': { path: '/static/build/consent.js', integrity: sri(consentJs) },
  'app.css': { path: '/static/app.css', integrity: sri(css) },
};
await writeAtomic(manifestFile, JSON.stringify(manifest, null, 2) + '\n');

console.log(`build:web  app.js  ${js.length} bytes  ${manifest['app.js'].integrity}`);
console.log(`build:web  vault.js ${vaultJs.length} bytes  ${manifest['vault.js'].integrity}`);
console.log(`build:web  consent.js ${consentJs.length} bytes  ${manifest['consent.js'].integrity}`);
console.log(`build:web  app.css ${css.length} bytes  ${manifest['app.css'].integrity}`);

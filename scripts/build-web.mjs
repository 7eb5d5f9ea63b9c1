#!/usr/bin/env node
/**
 * Builds the browser bundle and the asset manifest:
 *   src/web/main.ts  --esbuild-->  public/build/app.js
 *   public/build/manifest.json = { "app.js": {path, integrity}, "app.css": {path, integrity} }
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
const jsFile = join(outDir, 'app.js');
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

const result = await build({
  entryPoints: [join(root, 'src', 'web', 'main.ts')],
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
if (!js) throw new Error('esbuild produced no output');
await writeAtomic(jsFile, js);

const css = await readFile(cssFile);
const manifest = {
  'app.js': { path: '/static/build/app.js', integrity: sri(js) },
  'app.css': { path: '/static/app.css', integrity: sri(css) },
};
await writeAtomic(manifestFile, JSON.stringify(manifest, null, 2) + '\n');

console.log(`build:web  app.js  ${js.length} bytes  ${manifest['app.js'].integrity}`);
console.log(`build:web  app.css ${css.length} bytes  ${manifest['app.css'].integrity}`);

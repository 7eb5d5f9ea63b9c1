/**
 * src/protocol runs in browsers, on the server and in the RP SDK: no Node
 * built-ins, no Buffer or process, no DOM-only globals, and only the listed
 * isomorphic packages.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../../src/protocol/', import.meta.url));
// jose: WebCrypto only (browsers, Node 20+), for the holder keys.
const ALLOWED_PACKAGES = ['@noble/ciphers/chacha.js', '@noble/hashes/hkdf.js', '@noble/hashes/hmac.js', '@noble/hashes/sha2.js', '@sd-jwt/core', 'canonicalize', 'hash-wasm', 'jose', 'zod'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Source without comments, so a comment that mentions Buffer is no finding. */
function code(file: string): string {
  return readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('src/protocol is isomorphic', () => {
  const files = sources(root);

  it('has source files', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files.map((f) => [f.slice(root.length), f]))('%s imports nothing from node: and uses no Node or DOM globals', (_name, file) => {
    const text = code(file);
    expect(text).not.toMatch(/from\s+['"]node:/);
    expect(text).not.toMatch(/import\(\s*['"]node:/);
    expect(text).not.toMatch(/\brequire\s*\(/);
    expect(text).not.toMatch(/\b(Buffer|process|__dirname|window|document|localStorage|sessionStorage|navigator)\b/);
    const specifiers = [...text.matchAll(/(?:from|import)\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) expect(specifier).toMatch(/\.js$/);
      else expect(ALLOWED_PACKAGES).toContain(specifier);
    }
  });

  it('bundles for the browser without Node built-ins', async () => {
    const result = await build({
      entryPoints: [join(root, 'index.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
      metafile: true,
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes('node_modules/zod/'))).toBe(true);
    expect(inputs.filter((i) => /^node:|^(crypto|fs|path|buffer)$/.test(i))).toEqual([]);
    // zod's default export (what @sd-jwt/sd-jwt-vc imports) brings every locale and the JSON
    // Schema code: once it tripled the consent page's script. The named imports do not.
    const kept = Object.values(result.metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([k]) => k));
    expect(kept.filter((i) => (i.includes('node_modules/zod/v4/locales/') && !i.endsWith('/en.js')) || i.includes('@sd-jwt/sd-jwt-vc') || i.includes('pako'))).toEqual([]);
  });
});

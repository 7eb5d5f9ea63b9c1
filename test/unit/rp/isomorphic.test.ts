/**
 * wathiqa/rp runs wherever WebCrypto and fetch exist: it imports only jose,
 * zod and src/protocol, and no Node built-ins.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../../src/rp/', import.meta.url));
const files = readdirSync(root).filter((f) => f.endsWith('.ts'));

function code(file: string): string {
  return readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('src/rp is isomorphic', () => {
  it.each(files)('%s imports only jose, zod, the @sd-jwt packages, src/protocol and its siblings', (file) => {
    const text = code(file);
    expect(text).not.toMatch(/\brequire\s*\(|import\(\s*['"]node:/);
    expect(text).not.toMatch(/\b(Buffer|process|__dirname)\b/);
    for (const [, specifier] of text.matchAll(/(?:from|import)\s+['"]([^'"]+)['"]/g)) {
      expect(specifier).toMatch(/^(jose|zod|@sd-jwt\/sd-jwt-vc|@sd-jwt\/jwt-status-list|\.\/[\w-]+\.js|\.\.\/protocol\/[\w/-]+\.js)$/);
    }
  });

  it('bundles for the browser and for workers without Node built-ins', async () => {
    for (const platform of ['browser', 'neutral'] as const) {
      const result = await build({
        entryPoints: [join(root, 'index.ts')],
        bundle: true,
        format: 'esm',
        platform,
        mainFields: ['browser', 'module', 'main'],
        conditions: ['browser', 'worker', 'import'],
        write: false,
        logLevel: 'silent',
        metafile: true,
      });
      expect(result.errors).toEqual([]);
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.some((i) => i.includes('node_modules/jose/'))).toBe(true);
      expect(inputs.filter((i) => /^node:|^(crypto|fs|path|buffer|http|https)$/.test(i))).toEqual([]);
    }
  });
});

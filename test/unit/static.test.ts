import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Koa from 'koa';
import request from 'supertest';
import { resolveStaticPath, serveStatic } from '../../src/http/static.js';
import { PUBLIC_DIR } from '../../src/paths.js';

let base: string;
let root: string;
let server: ReturnType<Koa['callback']>;

function appFor(options: Parameters<typeof serveStatic>[0]) {
  const app = new Koa();
  app.use(serveStatic(options));
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = 'fell through';
  });
  return app.callback();
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'wathiqa-static-'));
  root = join(base, 'public');
  mkdirSync(join(root, 'build'), { recursive: true });
  mkdirSync(join(root, 'dir.css'));
  writeFileSync(join(root, 'app.css'), 'body{color:red}');
  writeFileSync(join(root, 'build', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'build', 'app.js.map'), '{}');
  writeFileSync(join(root, 'build', 'manifest.json'), '{}');
  writeFileSync(join(root, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(root, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(join(root, 'robots.txt'), 'User-agent: *');
  writeFileSync(join(root, 'my file.txt'), 'spaces');
  writeFileSync(join(root, '.secret.txt'), 'hidden');
  writeFileSync(join(root, 'tool.exe'), 'MZ');
  writeFileSync(join(base, 'outside.txt'), 'outside');
  writeFileSync(join(base, 'public-evil.txt'), 'sibling');
  symlinkSync(join(base, 'outside.txt'), join(root, 'link.txt'));
  server = appFor({ root });
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('serveStatic', () => {
  it.each([
    ['/static/app.css', 'text/css; charset=utf-8', 'body{color:red}'],
    ['/static/build/app.js', 'text/javascript; charset=utf-8', 'console.log(1)'],
    ['/static/build/app.js.map', 'application/json; charset=utf-8', '{}'],
    ['/static/build/manifest.json', 'application/json; charset=utf-8', '{}'],
    ['/static/robots.txt', 'text/plain; charset=utf-8', 'User-agent: *'],
    ['/static/my%20file.txt', 'text/plain; charset=utf-8', 'spaces'],
  ])('serves %s as %s', async (path, type, body) => {
    const res = await request(server).get(path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['etag']).toMatch(/^W\/"/);
    expect(res.text).toBe(body);
  });

  it('serves images with their types', async () => {
    const svg = await request(server).get('/static/logo.svg').buffer(true);
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    const png = await request(server).get('/static/logo.png');
    expect(png.status).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.headers['content-length']).toBe('4');
  });

  it('answers HEAD with headers only', async () => {
    const res = await request(server).head('/static/app.css');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.headers['content-length']).toBe(String('body{color:red}'.length));
    expect(res.text).toBeFalsy();
  });

  it('revalidates with the ETag', async () => {
    const first = await request(server).get('/static/app.css');
    const again = await request(server).get('/static/app.css').set('If-None-Match', first.headers['etag']!);
    expect(again.status).toBe(304);
    expect(again.text).toBeFalsy();
  });

  it.each([
    '/static/../package.json',
    '/static/%2e%2e/outside.txt',
    '/static/%2E%2E%2Foutside.txt',
    '/static/..%2foutside.txt',
    '/static/build/..%2f..%2foutside.txt',
    '/static/build%2f..%2f..%2foutside.txt',
    '/static/%2e%2e%5coutside.txt',
    '/static/..\\outside.txt',
    '/static/%252e%252e/outside.txt',
    '/static/..%00/outside.txt',
    '/static/app.css%00.txt',
    '/static/link.txt',
    '/static/.secret.txt',
    '/static/%2esecret.txt',
    '/static/tool.exe',
    '/static/missing.css',
    '/static/dir.css',
    '/static/build',
    '/static/build/',
    '/static/',
    '/static//app.css',
    '/static/%E0%A4%A.css',
    '/staticapp.css',
    '/static-evil.txt',
  ])('falls through for %s', async (path) => {
    const res = await request(server).get(path);
    expect(res.status).toBe(404);
    expect(res.text).toBe('fell through');
    expect(res.headers['cache-control']).toBeUndefined();
  });

  it('falls through for other methods', async () => {
    const res = await request(server).post('/static/app.css');
    expect(res.status).toBe(404);
    expect(res.text).toBe('fell through');
  });

  it('serves the real public/ directory by default', async () => {
    const res = await request(appFor({})).get('/static/app.css');
    expect(res.status).toBe(200);
    expect(res.text).toBe(readFileSync(join(PUBLIC_DIR, 'app.css'), 'utf8'));
  });
});

describe('resolveStaticPath', () => {
  it('maps only safe names under the root', () => {
    expect(resolveStaticPath('/srv/public', '/static/build/app.js')).toBe('/srv/public/build/app.js');
    expect(resolveStaticPath('/srv/public', '/static/a%20b.css')).toBe('/srv/public/a b.css');
    expect(resolveStaticPath('/srv/public', '/static/../x.css')).toBeUndefined();
    expect(resolveStaticPath('/srv/public', '/static/%2e%2e/x.css')).toBeUndefined();
    expect(resolveStaticPath('/srv/public', '/static/%2F%2Fetc/x.css')).toBeUndefined();
    expect(resolveStaticPath('/srv/public', '/static/x.html')).toBeUndefined();
    expect(resolveStaticPath('/srv/public', '/other/x.css')).toBeUndefined();
  });
});

describe('public/app.css', () => {
  // A merge once left a rule without its closing brace: every rule after it was
  // swallowed, and the account page lost its styling with every test still green.
  it('parses without a warning, and nests nothing but at-rules', async () => {
    const css = readFileSync(new URL('../../public/app.css', import.meta.url), 'utf8');
    const { transform } = await import('esbuild');
    const result = await transform(css, { loader: 'css' });
    expect(result.warnings.map((w) => w.text)).toEqual([]);
    const stack: string[] = [];
    for (const [i, line] of css.split('\n').entries()) {
      for (const ch of line) {
        if (ch === '{') {
          const nested = stack.length > 0 && !stack[stack.length - 1]!.startsWith('@');
          expect({ line: i + 1, nested }).toEqual({ line: i + 1, nested: false });
          stack.push(line.trim());
        } else if (ch === '}') stack.pop();
      }
    }
    expect(stack).toEqual([]);
  });
});

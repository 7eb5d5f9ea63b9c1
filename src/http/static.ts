/**
 * Serves `GET|HEAD /static/*` from `public/`. Only regular files that exist under
 * that directory and have a known type are served; everything else (other methods,
 * paths with `..`, backslashes, NUL or dot-files, anything that resolves outside,
 * unknown extensions, missing files) falls through to `next()`.
 *
 * File names are not content-hashed (the pages carry SRI hashes instead), so the
 * cache lifetime is short and a weak ETag allows cheap revalidation.
 */
import { realpathSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { Middleware } from 'koa';
import { PUBLIC_DIR } from '../paths.js';

export const STATIC_PREFIX = '/static/';
/** The "Sign in with Wathiqa" button (docs/rp-sdk.md): stable paths RPs link to. */
export const BRAND_PREFIX = '/static/brand/';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
};

export interface StaticOptions {
  /** Directory to serve; defaults to `public/`. */
  root?: string;
  /** Defaults to `public, max-age=300`. */
  cacheControl?: string;
}

/** The file path under `root` for a request path, or undefined if it is not a safe, servable name. */
export function resolveStaticPath(root: string, requestPath: string): string | undefined {
  if (!requestPath.startsWith(STATIC_PREFIX)) return undefined;
  const raw = requestPath.slice(STATIC_PREFIX.length);
  if (raw === '' || raw.includes('..') || raw.includes('\\')) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (decoded.includes('..') || decoded.includes('\\') || decoded.includes('\0')) return undefined;
  const segments = decoded.split('/');
  // No empty segments (`a//b`, trailing slash) and no dot-files or dot-directories.
  if (segments.some((segment) => segment === '' || segment.startsWith('.'))) return undefined;
  if (!Object.prototype.hasOwnProperty.call(CONTENT_TYPES, extname(decoded).toLowerCase())) return undefined;
  const file = resolve(root, ...segments);
  if (!file.startsWith(root + sep)) return undefined;
  return file;
}

export function serveStatic(options: StaticOptions = {}): Middleware {
  const configuredRoot = resolve(options.root ?? PUBLIC_DIR);
  // Compare real paths, so a symlink inside public/ cannot lead outside it.
  let root: string;
  try {
    root = realpathSync(configuredRoot);
  } catch {
    root = configuredRoot;
  }
  const cacheControl = options.cacheControl ?? 'public, max-age=300';

  return async function staticFiles(ctx, next) {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !ctx.path.startsWith(STATIC_PREFIX)) return next();
    const candidate = resolveStaticPath(root, ctx.path);
    if (!candidate) return next();

    let file: string;
    let size: number;
    let mtimeMs: number;
    try {
      file = await realpath(candidate);
      if (!file.startsWith(root + sep)) return next();
      const info = await stat(file);
      if (!info.isFile()) return next();
      size = info.size;
      mtimeMs = info.mtimeMs;
    } catch {
      return next();
    }

    ctx.status = 200;
    ctx.type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    ctx.set('Cache-Control', cacheControl);
    ctx.set('X-Content-Type-Options', 'nosniff');
    // The sign-in button's files are for other sites' pages: readable cross-origin (SRI, tools).
    if (ctx.path.startsWith(BRAND_PREFIX)) ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Last-Modified', new Date(mtimeMs).toUTCString());
    ctx.set('ETag', `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`);
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      // Removed between stat and read: behave as if it never existed.
      for (const header of ['Content-Type', 'Cache-Control', 'X-Content-Type-Options', 'Access-Control-Allow-Origin', 'Last-Modified', 'ETag']) ctx.remove(header);
      ctx.status = 404;
      return next();
    }
    // Koa sends only the headers (with this Content-Length) for HEAD.
    ctx.body = body;
  };
}

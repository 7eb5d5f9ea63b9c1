import type { Context, Middleware } from 'koa';

/**
 * No inline script or style anywhere: the page's code is one static bundle with
 * Subresource Integrity. 'wasm-unsafe-eval' is for Argon2 (hash-wasm) in the vault;
 * blob: images are scans the vault page decrypted itself.
 * oidc-provider appends a hash to script-src for its own form_post page.
 */
const DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'https:', 'data:', 'blob:'],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
} as const;

function serialize(extraConnect: readonly string[] = []): string {
  return Object.entries(DIRECTIVES)
    .map(([name, sources]) => [name, ...sources, ...(name === 'connect-src' ? extraConnect : [])].join(' '))
    .join('; ');
}

export const CSP = serialize();

/** The origin of an http(s) URL, as a CSP source expression; undefined for anything else. */
export function cspOrigin(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    // URL.origin is scheme://host[:port]: no path, quote, space or semicolon can get in.
    return url.origin;
  } catch {
    return undefined;
  }
}

/**
 * For this response only: lets the page fetch from the origins of `urls` too.
 * The passport consent page uses it for the RP's jwks_uri, whose key the browser
 * fetches itself (DESIGN 2: the server cannot substitute it).
 */
export function allowConnectTo(ctx: Context, urls: readonly unknown[]): void {
  const origins = [...new Set(urls.map(cspOrigin).filter((o): o is string => o !== undefined))];
  if (origins.length === 0) return;
  ctx.set('Content-Security-Policy', serialize(origins));
}

export function securityHeaders(options: { https: boolean }): Middleware {
  return async (ctx, next) => {
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    if (options.https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    await next();
  };
}

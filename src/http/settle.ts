import type { Middleware } from 'koa';
import type { ReadCache } from '../oidc/token-cache.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Read-your-writes on this node. Our routes change tokens, grants, releases, accounts
 * and clients with SQL of their own (a release withdrawn, a service revoked, an account
 * disabled); the node's caches hear of it through the database's notice, a moment after
 * the commit. A request that may have written answers only once that notice is in, so
 * the next request (a relying party's call right after a revoke, say) never finds the
 * old token here. Token endpoints are oidc-provider's and drop their entries themselves.
 */
export function settleWrites(cache: ReadCache): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      // Also after an error: a write may have committed before it.
      if (!READS.has(ctx.method)) await cache.settle();
    }
  };
}

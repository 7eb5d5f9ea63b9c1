import Router from '@koa/router';
import type { Database } from '../db/index.js';
import { ping } from '../db/index.js';
import type { Metrics } from './metrics.js';

const PING_TIMEOUT_MS = 2000;

export function opsRouter(db: Database, metrics: Metrics, isShuttingDown: () => boolean): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (isShuttingDown()) {
      ctx.status = 503;
      ctx.body = { status: 'shutting_down' };
      return;
    }
    try {
      // Bounded: a load balancer's probe must get an answer even when the database hangs.
      await ping(db, PING_TIMEOUT_MS);
      ctx.body = { status: 'ready', database: 'ok' };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', database: 'unreachable' };
    }
  });
  router.get('/metrics', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}

import type { Middleware } from 'koa';
import type { Logger } from './logger.js';
import { routeGroup, type Metrics } from './metrics.js';
import { safePath } from './logger.js';

/** One log line and one histogram sample per request. Never the query string, headers or body. */
export function requestLog(logger: Logger, metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    const done = () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = routeGroup(ctx.path);
      const status = ctx.res.statusCode;
      metrics.httpDuration.observe({ route, method: ctx.method, status: String(status) }, seconds);
      if (route !== '/healthz' && route !== '/metrics') {
        logger.info({ method: ctx.method, path: safePath(ctx.originalUrl), status, ms: Math.round(seconds * 1000) }, 'request');
      }
    };
    ctx.res.once('finish', done);
    await next();
  };
}

import type { Middleware } from 'koa';
import Provider from 'oidc-provider';
import { isConnectionError } from '../db/unavailable.js';

/**
 * A refresh with rotation spends the old refresh token first, then saves its
 * successor and the access token. If the database goes away in between, the client
 * never receives the successor and holds a spent token: its next refresh looks like
 * a replay and revokes the whole grant. So the spending write is postponed to the
 * end of the request and done only when the response is a success: a refresh that
 * failed leaves the old token valid, and one that succeeded is answered only after
 * the old token is spent.
 */
const PENDING = Symbol('deferred consume');

type Pending = Array<() => Promise<unknown>>;

/** Per-request values of the adapter's (the batch of a refresh's writes); undefined outside a provider request. */
export function requestState<T>(key: symbol, value?: T): T | undefined {
  const ctx = (Provider as unknown as { ctx?: { state: Record<symbol, unknown> } }).ctx;
  if (!ctx) return undefined;
  if (value !== undefined) ctx.state[key] = value;
  return ctx.state[key] as T | undefined;
}

/** Inside a provider request, queues `write` for `commitDeferredConsumes` and returns true. */
export function deferUntilResponse(write: () => Promise<unknown>): boolean {
  const ctx = (Provider as unknown as { ctx?: { state: Record<symbol, Pending | undefined> } }).ctx;
  if (!ctx) return false;
  (ctx.state[PENDING] ??= []).push(write);
  return true;
}

/** Provider middleware: runs the queued writes once the response is known to be a success. */
export function commitDeferredConsumes(): Middleware {
  return async (ctx, next) => {
    await next();
    const pending = (ctx.state as Record<symbol, Pending | undefined>)[PENDING];
    if (!pending || ctx.status !== 200) return;
    try {
      for (const write of pending) await write();
    } catch (error) {
      const unavailable = isConnectionError(error);
      ctx.status = unavailable ? 503 : 500;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = unavailable
        ? { error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable; try again shortly' }
        : { error: 'server_error', error_description: 'oops! something went wrong' };
      // The provider is this Koa app: its 'server_error' listener logs the error.
      if (!unavailable) ctx.app.emit('server_error', ctx, error);
    }
  };
}

import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AccountSessions } from '../accounts/sessions.js';
import type { Logger } from '../ops/logger.js';

/**
 * Provider middleware: after a request that used a signed-in session (the sign-in
 * itself, every authorization at a service, a sign-out confirmation), records that
 * the browser was seen, with its User-Agent and address. After the response is
 * decided, so the session row it describes exists; at most once a minute per
 * session (AccountSessions.seen). A failure is logged and never fails the request:
 * the description is for the account page, not for the protocol.
 */
export function recordSessionActivity(sessions: Pick<AccountSessions, 'seen'>, logger: Logger): Middleware {
  return async (ctx, next) => {
    await next();
    const session = (ctx as unknown as Partial<KoaContextWithOIDC>).oidc?.entities?.Session as
      | { uid?: string; accountId?: string; destroyed?: boolean }
      | undefined;
    if (!session?.uid || !session.accountId || session.destroyed) return;
    try {
      await sessions.seen({ uid: session.uid, accountId: session.accountId }, ctx.get('user-agent'), ctx.ip);
    } catch (error) {
      // The error's name only: a driver message or detail could quote the browser's address or User-Agent.
      logger.warn({ reason: (error as Error).name }, 'session activity not recorded');
    }
  };
}

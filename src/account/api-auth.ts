import type { Context, Middleware } from 'koa';
import type { Csrf } from '../http/csrf.js';
import { unauthorized } from '../http/errors.js';
import type { OidcHolder } from '../oidc/holder.js';
import { sessionAccountId } from './session.js';

/** The CSRF scope of the holder's JSON APIs: the token is bound to the browser and the account. */
export const accountCsrfScope = (accountId: string) => `vault|${accountId}`;

/**
 * For the holder's JSON APIs (vault, releases): the sign-in session cookie names the
 * account; every write also needs the page's CSRF token in X-CSRF-Token.
 */
export function accountApiAuth({ oidc, csrf }: { oidc: OidcHolder; csrf: Csrf }): Middleware {
  return async (ctx: Context, next) => {
    ctx.set('Cache-Control', 'no-store');
    const accountId = await sessionAccountId(oidc.provider, ctx);
    if (!accountId) throw unauthorized('sign in first');
    ctx.state.accountId = accountId;
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') csrf.verify(ctx, accountCsrfScope(accountId), ctx.get('x-csrf-token'));
    await next();
  };
}

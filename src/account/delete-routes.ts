import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { z } from 'zod';
import { AccountError, type AccountService } from '../accounts/service.js';
import { accountForm } from './forms.js';
import { renderAccount, type AccountPageDeps } from './page.js';

export interface DeleteRouteDeps extends AccountPageDeps {
  accounts: AccountService;
  config: { https: boolean };
}

/** The checkbox is absent from the form when it is not ticked. */
const Delete = z.object({ csrf: z.string().max(128), password: z.string().max(4096), confirm: z.literal('yes').optional() });
const STATUS: Record<string, number> = { ip_limited: 429, account_locked: 429, invalid_credentials: 401 };

/**
 * "Delete my account": the holder's password (counted like a sign-in) and a ticked
 * confirmation, then everything that names the account goes in one transaction
 * (AccountService.delete). The browser's session went with it; its cookie is
 * cleared too, and the page says it is done.
 */
export function deleteRouter(deps: DeleteRouteDeps): Router {
  const { accounts, oidc, views, config } = deps;
  const router = new Router({ prefix: '/account' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

  router.post('/delete', form, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const signedIn = await accountForm(deps, ctx, Delete);
    if (!signedIn) return ctx.redirect('/account/login');
    const { account, input } = signedIn;
    try {
      await accounts.deleteByHolder(account.id, input.password, input.confirm === 'yes', ctx.ip);
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      if (error.retryAfterSeconds) ctx.set('Retry-After', String(Math.ceil(error.retryAfterSeconds)));
      // Only the password was typed here: "wrong email or password" would puzzle.
      const code = error.code === 'invalid_credentials' ? 'wrong_password' : error.code;
      return renderAccount(ctx, deps, account, { deleteError: { code, retryAfterSeconds: error.retryAfterSeconds } }, STATUS[error.code] ?? 400);
    }
    // The session row is gone already; the cookie that named it goes too.
    ctx.cookies.set(oidc.provider.cookieName('session'), null, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.https, signed: true, overwrite: true });
    await views.render(ctx, 'account-deleted', { email: account.email });
  });

  return router;
}

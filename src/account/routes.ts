import Router from '@koa/router';
import { z } from 'zod';
import { query } from '../http/guard.js';
import { ACCOUNT_CLIENT_ID } from '../oidc/first-party.js';
import type { AccountService } from '../accounts/service.js';
import { renderAccount, type AccountPageDeps } from './page.js';
import { t } from '../i18n/index.js';
import { currentSession } from './session.js';
import { finishSignIn, signOut, startSignIn } from './first-party-signin.js';
import { HttpError } from '../http/errors.js';

export interface AccountRouteDeps extends AccountPageDeps {
  accounts: AccountService;
  config: { issuer: string; https: boolean };
}

const STATE_COOKIE = 'wathiqa_account_state';
/** Confirmations after a redirect (POST, then GET): a fixed set, never free text. */
const Page = z.object({
  lang: z.string().max(64).optional(),
  notice: z.enum(['resent', 'email_changed', 'signed_out_one', 'signed_out_others', 'service_revoked']).optional(),
  factor: z.enum(['disabled']).optional(),
});
/** Notices shown in their own section (the redirect scrolls there); the others go at the top. */
const SECTION_NOTICE: Partial<Record<string, 'sessionsNotice' | 'servicesNotice'>> = {
  signed_out_one: 'sessionsNotice',
  signed_out_others: 'sessionsNotice',
  service_revoked: 'servicesNotice',
};

/**
 * The holder's own pages. Signing in here is an ordinary authorization request by
 * a first-party client, so it goes through the same sign-in pages, limits and
 * session as every relying party.
 */
export function accountRouter(deps: AccountRouteDeps): Router {
  const { oidc, views, accounts, sessions, config } = deps;
  const router = new Router({ prefix: '/account' });
  const signIn = { issuer: config.issuer, https: config.https, clientId: ACCOUNT_CLIENT_ID, path: '/account', stateCookie: STATE_COOKIE };

  router.get('/', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const { notice, factor } = query(ctx, Page);
    const session = await currentSession(oidc.provider, ctx);
    const account = session ? await accounts.accounts.findById(session.accountId) : undefined;
    if (!session || !account) return ctx.redirect('/account/login');
    // This browser is in use: the list below shows it as seen now.
    await sessions.seen(session, ctx.get('user-agent'), ctx.ip);
    const locale = views.locale(ctx);
    const message = notice && t(locale, `account.${notice}`, { email: account.email });
    await renderAccount(ctx, deps, account, {
      ...(message ? { [SECTION_NOTICE[notice!] ?? 'notice']: message } : {}),
      ...(factor ? { factorNotice: t(locale, `factors.${factor}`) } : {}),
    });
  });

  router.get('/login', (ctx) => startSignIn(ctx, signIn));

  router.get('/callback', (ctx) => {
    const { error } = finishSignIn(ctx, signIn);
    if (error) throw new HttpError(400, error, 'The sign-in did not complete.');
    ctx.redirect('/account');
  });

  router.post('/logout', (ctx) => signOut(ctx, signIn));

  return router;
}

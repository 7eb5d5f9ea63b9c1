import { randomBytes, createHash } from 'node:crypto';
import Router from '@koa/router';
import { z } from 'zod';
import { HttpError } from '../http/errors.js';
import { query } from '../http/guard.js';
import { ACCOUNT_CLIENT_ID } from '../oidc/first-party.js';
import type { AccountService } from '../accounts/service.js';
import { renderAccount, type AccountPageDeps } from './page.js';
import { t } from '../i18n/index.js';
import { currentSession } from './session.js';

export interface AccountRouteDeps extends AccountPageDeps {
  accounts: AccountService;
  config: { issuer: string; https: boolean };
}

const STATE_COOKIE = 'wathiqa_account_state';
const Callback = z.object({
  state: z.string().max(512).optional(),
  code: z.string().max(2048).optional(),
  error: z.string().max(256).optional(),
  iss: z.string().max(2048).optional(),
});
const Login = z.object({ lang: z.string().max(64).optional() });
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
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: config.https, path: '/account', overwrite: true };

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

  router.get('/login', (ctx) => {
    const state = randomBytes(16).toString('base64url');
    ctx.cookies.set(STATE_COOKIE, state, { ...cookie, maxAge: 3600_000 });
    // The code is never redeemed: the session the sign-in creates is what the account pages use.
    const challenge = createHash('sha256').update(randomBytes(32)).digest('base64url');
    const params = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${config.issuer}/account/callback`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
    });
    const { lang } = query(ctx, Login);
    if (lang) params.set('ui_locales', lang);
    ctx.redirect(`/auth?${params}`);
  });

  router.get('/callback', async (ctx) => {
    const answer = query(ctx, Callback);
    const expected = ctx.cookies.get(STATE_COOKIE);
    ctx.cookies.set(STATE_COOKIE, null, cookie);
    if (!expected || answer.state !== expected) {
      throw new HttpError(400, 'session_expired', 'This sign-in has expired. Please sign in again.');
    }
    if (answer.error) throw new HttpError(400, answer.error, 'The sign-in did not complete.');
    ctx.redirect('/account');
  });

  router.post('/logout', (ctx) => {
    const params = new URLSearchParams({ client_id: ACCOUNT_CLIENT_ID, post_logout_redirect_uri: `${config.issuer}/` });
    ctx.redirect(`/session/end?${params}`);
  });

  return router;
}

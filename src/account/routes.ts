import { randomBytes, createHash } from 'node:crypto';
import Router from '@koa/router';
import { z } from 'zod';
import type { Csrf } from '../http/csrf.js';
import { HttpError } from '../http/errors.js';
import { query } from '../http/guard.js';
import type { Views } from '../http/views.js';
import type { OidcHolder } from '../oidc/holder.js';
import { ACCOUNT_CLIENT_ID } from '../oidc/first-party.js';
import type { AccountService } from '../accounts/service.js';
import type { TotpService } from '../accounts/totp.js';
import type { PasskeyService } from '../accounts/passkeys.js';
import { renderAccount } from './page.js';
import { t } from '../i18n/index.js';
import { sessionAccountId } from './session.js';

export interface AccountRouteDeps {
  oidc: OidcHolder;
  views: Views;
  csrf: Csrf;
  accounts: AccountService;
  totp: TotpService;
  passkeys: PasskeyService;
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
const Page = z.object({ lang: z.string().max(64).optional(), notice: z.enum(['resent', 'email_changed']).optional(),
  factor: z.enum(['disabled']).optional() });

/**
 * The holder's own pages. Signing in here is an ordinary authorization request by
 * a first-party client, so it goes through the same sign-in pages, limits and
 * session as every relying party.
 */
export function accountRouter({ oidc, views, csrf, accounts, totp, passkeys, config }: AccountRouteDeps): Router {
  const router = new Router({ prefix: '/account' });
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: config.https, path: '/account', overwrite: true };

  router.get('/', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const { notice, factor } = query(ctx, Page);
    const accountId = await sessionAccountId(oidc.provider, ctx);
    const account = accountId ? await accounts.accounts.findById(accountId) : undefined;
    if (!account) return ctx.redirect('/account/login');
    const locale = views.locale(ctx);
    await renderAccount(ctx, { views, csrf, totp, passkeys }, account, {
      ...(notice ? { notice: t(locale, `account.${notice}`, { email: account.email }) } : {}),
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

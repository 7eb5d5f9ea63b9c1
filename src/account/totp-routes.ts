import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AccountError } from '../accounts/service.js';
import { TotpError } from '../accounts/totp.js';
import { t } from '../i18n/index.js';
import { accountForm } from './forms.js';
import { renderAccount, type AccountFormDeps } from './page.js';

export type TotpRouteDeps = AccountFormDeps;

const CsrfOnly = z.object({ csrf: z.string().max(128) });
const Code = CsrfOnly.extend({ code: z.string().max(64) });
const Password = CsrfOnly.extend({ password: z.string().max(4096) });
const STATUS: Record<string, number> = { otp_locked: 429, otp_invalid: 400, otp_reused: 400, totp_exists: 409, ip_limited: 429, account_locked: 429, invalid_credentials: 401 };

/**
 * The second factor from the account page: start (a new secret, shown as a QR code
 * and as text), confirm with the first code (the recovery codes appear once, in that
 * answer, never again), and turn off with the password.
 */
export function totpRouter(deps: TotpRouteDeps): Router {
  const { views, totp } = deps;
  const router = new Router({ prefix: '/account/totp' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
  const page = deps;

  async function refused(ctx: Context, account: Parameters<typeof renderAccount>[2], error: unknown) {
    if (!(error instanceof TotpError) && !(error instanceof AccountError)) throw error;
    if (error.retryAfterSeconds) ctx.set('Retry-After', String(Math.ceil(error.retryAfterSeconds)));
    await renderAccount(ctx, page, account, { factorError: { code: error.code, retryAfterSeconds: error.retryAfterSeconds } }, STATUS[error.code] ?? 400);
  }

  router.post('/setup', form, async (ctx) => {
    const session = await accountForm(deps, ctx, CsrfOnly);
    if (!session) return ctx.redirect('/account/login');
    try {
      await totp.begin(session.account.id, session.account.email);
      await renderAccount(ctx, page, session.account);
    } catch (error) {
      await refused(ctx, session.account, error);
    }
  });

  router.post('/confirm', form, async (ctx) => {
    const session = await accountForm(deps, ctx, Code);
    if (!session) return ctx.redirect('/account/login');
    try {
      const recoveryCodes = await totp.confirm(session.account.id, session.input.code.replace(/\s/g, ''), ctx.ip);
      await renderAccount(ctx, page, session.account, { recoveryCodes, factorNotice: t(views.locale(ctx), 'factors.enabled') });
    } catch (error) {
      await refused(ctx, session.account, error);
    }
  });

  router.post('/disable', form, async (ctx) => {
    const session = await accountForm(deps, ctx, Password);
    if (!session) return ctx.redirect('/account/login');
    try {
      await totp.disable(session.account.id, session.input.password, ctx.ip);
      ctx.redirect('/account?factor=disabled#factors');
    } catch (error) {
      await refused(ctx, session.account, error);
    }
  });

  return router;
}

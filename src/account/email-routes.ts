import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { EmailVerification } from '../accounts/email-verification.js';
import { LinkError } from '../accounts/links.js';
import { AccountError, type AccountService } from '../accounts/service.js';
import { query } from '../http/guard.js';
import { accountForm } from './forms.js';
import { renderAccount, type AccountPageDeps } from './page.js';

export interface EmailRouteDeps extends AccountPageDeps {
  accounts: AccountService;
  emailVerification: EmailVerification;
}

const Token = z.object({ token: z.string().max(128).optional(), lang: z.string().max(64).optional() });
const CsrfOnly = z.object({ csrf: z.string().max(128) });
const Change = CsrfOnly.extend({ email: z.string().max(320), password: z.string().max(4096) });
const STATUS: Record<string, number> = { ip_limited: 429, mail_limited: 429, account_locked: 429, invalid_credentials: 401, email_taken: 409 };

/**
 * The account's address: the mailed link that proves it (GET, so a click is enough;
 * single use, and a mail scanner that follows it first only proves delivery), and,
 * with the session and the page's CSRF token, "send again" and "change address".
 */
export function emailRouter(deps: EmailRouteDeps): Router {
  const { views, emailVerification } = deps;
  const router = new Router({ prefix: '/account/email' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

  const signedIn = <S extends z.ZodType<{ csrf: string }>>(ctx: Context, schema: S) => accountForm(deps, ctx, schema);

  router.get('/verify', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const { token } = query(ctx, Token);
    try {
      const { email } = await emailVerification.confirm(token);
      await views.render(ctx, 'email-verify', { email });
    } catch (error) {
      if (!(error instanceof LinkError)) throw error;
      await views.render(ctx, 'email-verify', { linkError: { code: error.code } }, { status: 400 });
    }
  });

  router.post('/resend', form, async (ctx) => {
    const session = await signedIn(ctx, CsrfOnly);
    if (!session) return ctx.redirect('/account/login');
    try {
      await emailVerification.resend(session.account.id, views.locale(ctx), ctx.ip);
      ctx.redirect('/account?notice=resent');
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      if (error.retryAfterSeconds) ctx.set('Retry-After', String(Math.ceil(error.retryAfterSeconds)));
      await renderAccount(ctx, deps, session.account, { emailError: { code: error.code, retryAfterSeconds: error.retryAfterSeconds } }, STATUS[error.code] ?? 400);
    }
  });

  router.post('/', form, async (ctx) => {
    const session = await signedIn(ctx, Change);
    if (!session) return ctx.redirect('/account/login');
    try {
      await emailVerification.change(session.account.id, session.input.email, session.input.password, views.locale(ctx), ctx.ip);
      ctx.redirect('/account?notice=email_changed');
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      if (error.retryAfterSeconds) ctx.set('Retry-After', String(Math.ceil(error.retryAfterSeconds)));
      await renderAccount(
        ctx,
        deps,
        session.account,
        { emailError: { code: error.code, retryAfterSeconds: error.retryAfterSeconds }, newEmail: session.input.email },
        STATUS[error.code] ?? 400,
      );
    }
  });

  return router;
}

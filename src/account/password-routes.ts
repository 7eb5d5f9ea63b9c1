import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { LinkError } from '../accounts/links.js';
import type { PasswordReset } from '../accounts/password-reset.js';
import { AccountError } from '../accounts/service.js';
import type { Csrf } from '../http/csrf.js';
import { badRequest } from '../http/errors.js';
import { query } from '../http/guard.js';
import type { Views } from '../http/views.js';

export interface PasswordRouteDeps {
  views: Views;
  csrf: Csrf;
  passwordReset: PasswordReset;
}

/** These forms have no session: the CSRF token is bound to the browser and this purpose. */
const CSRF_SCOPE = 'password-reset';
const Page = z.object({ token: z.string().max(128).optional(), lang: z.string().max(64).optional() });
const Forgot = z.object({ csrf: z.string().max(128), email: z.string().max(320) });
const Reset = z.object({ csrf: z.string().max(128), token: z.string().max(128), password: z.string().max(4096), password_confirm: z.string().max(4096) });
const STATUS: Record<string, number> = { ip_limited: 429, mail_limited: 429 };

function formOf<S extends z.ZodType>(ctx: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse((ctx.request as { body?: unknown }).body);
  if (!parsed.success) throw badRequest('the form is incomplete');
  return parsed.data;
}

/**
 * "Forgot your password?": ask for a link (the same answer whether the address has
 * an account or not), then choose a new password with it. Every page says that the
 * vault stays locked: the password never opened it.
 */
export function passwordRouter({ views, csrf, passwordReset }: PasswordRouteDeps): Router {
  const router = new Router({ prefix: '/account/password' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
  const token = (ctx: Context) => csrf.token(ctx, CSRF_SCOPE);

  router.get('/forgot', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    query(ctx, Page);
    await views.render(ctx, 'password-forgot', { csrf: token(ctx) });
  });

  router.post('/forgot', form, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const input = formOf(ctx, Forgot);
    csrf.verify(ctx, CSRF_SCOPE, input.csrf);
    try {
      await passwordReset.request(input.email, views.locale(ctx), ctx.ip);
      await views.render(ctx, 'password-forgot', { sent: true, email: input.email.trim() });
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      if (error.retryAfterSeconds) ctx.set('Retry-After', String(Math.ceil(error.retryAfterSeconds)));
      const status = STATUS[error.code] ?? 400;
      await views.render(ctx, 'password-forgot', { csrf: token(ctx), email: input.email, error: { code: error.code, retryAfterSeconds: error.retryAfterSeconds } }, { status });
    }
  });

  router.get('/reset', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const { token: link } = query(ctx, Page);
    try {
      await passwordReset.check(link);
      await views.render(ctx, 'password-reset', { csrf: token(ctx), token: link });
    } catch (error) {
      if (!(error instanceof LinkError)) throw error;
      await views.render(ctx, 'password-reset', { linkError: { code: error.code } }, { status: 400 });
    }
  });

  router.post('/reset', form, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const input = formOf(ctx, Reset);
    csrf.verify(ctx, CSRF_SCOPE, input.csrf);
    try {
      await passwordReset.reset(input.token, input.password, input.password_confirm, views.locale(ctx));
      await views.render(ctx, 'password-reset', { done: true });
    } catch (error) {
      if (error instanceof LinkError) return views.render(ctx, 'password-reset', { linkError: { code: error.code } }, { status: 400 });
      if (!(error instanceof AccountError)) throw error;
      await views.render(ctx, 'password-reset', { csrf: token(ctx), token: input.token, error: { code: error.code } }, { status: 400 });
    }
  });

  return router;
}

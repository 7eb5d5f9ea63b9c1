import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { accountApiAuth } from '../account/api-auth.js';
import type { Csrf } from '../http/csrf.js';
import { body } from '../http/guard.js';
import type { Views } from '../http/views.js';
import type { OidcHolder } from '../oidc/holder.js';
import { EmailAddress, type EmailControl } from './email-control.js';

export const EMAIL_VERIFICATION_PATH = '/api/email-verification';

const Start = z.strictObject({ email: EmailAddress });
const Confirm = z.strictObject({ id: z.uuid(), email: EmailAddress, code: z.string().max(16) });

/**
 * Wathiqa verifying a vault email element (src/verifiers/email-control.ts): JSON,
 * the sign-in session cookie and the page's X-CSRF-Token, like /api/vault.
 * Errors are { error, error_description } (docs/verifiers.md).
 */
export function emailVerificationRouter({ oidc, csrf, views, emailControl }: { oidc: OidcHolder; csrf: Csrf; views: Views; emailControl: EmailControl }): Router {
  const router = new Router({ prefix: EMAIL_VERIFICATION_PATH });
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: '4kb' });
  router.use(accountApiAuth({ oidc, csrf }));
  const account = (ctx: Context) => ctx.state.accountId as string;

  router.post('/start', json, async (ctx) => {
    const { email } = body(ctx, Start);
    ctx.status = 201;
    ctx.body = await emailControl.start(account(ctx), email, views.locale(ctx), ctx.ip);
  });

  router.post('/confirm', json, async (ctx) => {
    const { id, email, code } = body(ctx, Confirm);
    ctx.body = await emailControl.confirm(account(ctx), id, email, code.replace(/\s/g, ''));
  });

  return router;
}

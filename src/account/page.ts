import type { Context } from 'koa';
import type { PublicAccount } from '../accounts/repository.js';
import type { Csrf } from '../http/csrf.js';
import type { Views } from '../http/views.js';
import { accountCsrfScope } from './api-auth.js';

/** The account page, from GET /account and from the forms on it that answer with an error. */
export async function renderAccount(
  ctx: Context,
  { views, csrf }: { views: Views; csrf: Csrf },
  account: PublicAccount,
  extra: { notice?: string; emailError?: { code: string; retryAfterSeconds?: number }; newEmail?: string } = {},
  status = 200,
): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  await views.render(
    ctx,
    'account',
    { email: account.email, emailVerified: account.email_verified_at !== null, csrf: csrf.token(ctx, accountCsrfScope(account.id)), ...extra },
    { status },
  );
}

import type { Context } from 'koa';
import type { z } from 'zod';
import type { AccountService } from '../accounts/service.js';
import type { Csrf } from '../http/csrf.js';
import { badRequest } from '../http/errors.js';
import type { OidcHolder } from '../oidc/holder.js';
import { accountCsrfScope } from './api-auth.js';
import { sessionAccountId } from './session.js';

/**
 * A form posted from the account page: the signed-in account and the form, read
 * through its schema with the page's CSRF token checked. Undefined without a
 * session (the caller sends the browser to the sign-in).
 */
export async function accountForm<S extends z.ZodType<{ csrf: string }>>(
  { oidc, accounts, csrf }: { oidc: OidcHolder; accounts: AccountService; csrf: Csrf },
  ctx: Context,
  schema: S,
) {
  const accountId = await sessionAccountId(oidc.provider, ctx);
  const account = accountId ? await accounts.accounts.findById(accountId) : undefined;
  if (!account) return undefined;
  const parsed = schema.safeParse((ctx.request as { body?: unknown }).body);
  if (!parsed.success) throw badRequest('the form is incomplete');
  csrf.verify(ctx, accountCsrfScope(account.id), parsed.data.csrf);
  return { account, input: parsed.data as z.infer<S> };
}

import type { Context } from 'koa';
import type { z } from 'zod';
import type { PublicAccount } from '../accounts/repository.js';
import type { SessionRef } from '../accounts/sessions.js';
import type { AccountService } from '../accounts/service.js';
import type { Csrf } from '../http/csrf.js';
import { badRequest } from '../http/errors.js';
import type { OidcHolder } from '../oidc/holder.js';
import { accountCsrfScope } from './api-auth.js';
import { currentSession } from './session.js';

export interface AccountForm<T> {
  account: PublicAccount;
  session: SessionRef;
  input: T;
}

/**
 * A form posted from the account page: the signed-in account and session, and the
 * form checked against `schema` and the page's CSRF token. Undefined when nobody is
 * signed in on this browser (the caller sends it to the sign-in).
 */
export async function accountForm<S extends z.ZodType<{ csrf: string }>>(
  { oidc, accounts, csrf }: { oidc: OidcHolder; accounts: AccountService; csrf: Csrf },
  ctx: Context,
  schema: S,
): Promise<AccountForm<z.infer<S>> | undefined> {
  const session = await currentSession(oidc.provider, ctx);
  const account = session ? await accounts.accounts.findById(session.accountId) : undefined;
  if (!session || !account) return undefined;
  const parsed = schema.safeParse((ctx.request as { body?: unknown }).body);
  if (!parsed.success) throw badRequest('the form is incomplete');
  csrf.verify(ctx, accountCsrfScope(account.id), parsed.data.csrf);
  return { account, session, input: parsed.data };
}

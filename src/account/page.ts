import type { Context } from 'koa';
import type { PublicAccount } from '../accounts/repository.js';
import type { TotpService } from '../accounts/totp.js';
import type { PasskeyService } from '../accounts/passkeys.js';
import type { Csrf } from '../http/csrf.js';
import type { Views } from '../http/views.js';
import type { OidcHolder } from '../oidc/holder.js';
import type { AccountService } from '../accounts/service.js';
import { accountCsrfScope } from './api-auth.js';

export interface AccountPageDeps {
  views: Views;
  csrf: Csrf;
  totp: TotpService;
  passkeys: PasskeyService;
}

/** What the account page's forms need: the page, and who is signed in. */
export interface AccountFormDeps extends AccountPageDeps {
  oidc: OidcHolder;
  accounts: AccountService;
}

export interface AccountPageExtra {
  notice?: string;
  emailError?: { code: string; retryAfterSeconds?: number };
  newEmail?: string;
  factorNotice?: string;
  factorError?: { code: string; retryAfterSeconds?: number };
  /** Shown once, right after the second factor is turned on. */
  recoveryCodes?: string[];
  passkeyError?: { code: string };
}

/** The account page, from GET /account and from the forms on it that answer in place. */
export async function renderAccount(ctx: Context, { views, csrf, totp, passkeys }: AccountPageDeps, account: PublicAccount, extra: AccountPageExtra = {}, status = 200): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  const [factor, enrollment, keys] = await Promise.all([totp.status(account.id), totp.pending(account.id, account.email), passkeys.list(account.id)]);
  await views.render(
    ctx,
    'account',
    {
      email: account.email,
      emailVerified: account.email_verified_at !== null,
      csrf: csrf.token(ctx, accountCsrfScope(account.id)),
      totp: factor,
      enrollment,
      passkeys: keys,
      ...extra,
    },
    { status },
  );
}

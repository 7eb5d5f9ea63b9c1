import type { Context } from 'koa';
import type { ConnectedServices } from '../accounts/connected-services.js';
import type { PublicAccount } from '../accounts/repository.js';
import type { AccountSessions } from '../accounts/sessions.js';
import type { AccountService } from '../accounts/service.js';
import type { PasskeyService } from '../accounts/passkeys.js';
import type { TotpService } from '../accounts/totp.js';
import type { Csrf } from '../http/csrf.js';
import type { Views } from '../http/views.js';
import type { VaultService } from '../vault/service.js';
import { timeAgo } from '../i18n/index.js';
import type { OidcHolder } from '../oidc/holder.js';
import { accountCsrfScope } from './api-auth.js';
import { currentSession } from './session.js';

/** What the account page needs to draw itself. */
export interface AccountPageDeps {
  views: Views;
  csrf: Csrf;
  oidc: OidcHolder;
  sessions: AccountSessions;
  connections: ConnectedServices;
  totp: TotpService;
  passkeys: PasskeyService;
  /** For the recovery-code reminder (issue #11). */
  vault: Pick<VaultService, 'recoveryStatus'>;
}

/** What the account page's forms need: the page, and who is signed in. */
export interface AccountFormDeps extends AccountPageDeps {
  accounts: AccountService;
}

/** A form's refusal, shown in its own section: `error.<code>` from the catalog. */
export interface FormError {
  code: string;
  retryAfterSeconds?: number;
}

export interface AccountPageExtra {
  notice?: string;
  emailError?: FormError;
  newEmail?: string;
  /** Confirmations and refusals of the signed-in browsers, services and deletion forms. */
  sessionsNotice?: string;
  sessionsError?: FormError;
  servicesNotice?: string;
  servicesError?: FormError;
  deleteError?: FormError;
  factorNotice?: string;
  factorError?: FormError;
  /** Shown once, right after the second factor is turned on. */
  recoveryCodes?: string[];
  passkeyError?: FormError;
}

/** The account page, from GET /account and from the forms on it that answer with an error. */
export async function renderAccount(ctx: Context, deps: AccountPageDeps, account: PublicAccount, extra: AccountPageExtra = {}, status = 200): Promise<void> {
  const { views, csrf, oidc, sessions, connections, totp, passkeys, vault } = deps;
  ctx.set('Cache-Control', 'no-store');
  const locale = views.locale(ctx);
  const now = new Date();
  const current = await currentSession(oidc.provider, ctx);
  const [browsers, services, factor, enrollment, keys, recovery] = await Promise.all([
    sessions.list(account.id, current?.uid),
    connections.list(account.id),
    totp.status(account.id),
    totp.pending(account.id, account.email),
    passkeys.list(account.id),
    vault.recoveryStatus(account.id),
  ]);
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
      // Drawn by the server so it shows at every visit until confirmed; the vault page hides it once it is.
      recoveryUnconfirmed: recovery === 'unconfirmed',
      browsers: browsers.map((b) => ({
        uid: b.uid,
        current: b.current,
        browser: b.browser,
        os: b.os,
        network: b.network,
        lastSeen: b.lastSeenAt ? timeAgo(locale, b.lastSeenAt, now) : undefined,
        lastSeenIso: b.lastSeenAt?.toISOString(),
        signedIn: b.signedInAt ? timeAgo(locale, b.signedInAt, now) : undefined,
        signedInIso: b.signedInAt?.toISOString(),
      })),
      services: services.map((s) => ({
        clientId: s.clientId,
        name: s.name,
        passport: s.passport,
        since: timeAgo(locale, s.since, now),
        sinceIso: s.since.toISOString(),
        lastUsed: s.lastUsedAt ? timeAgo(locale, s.lastUsedAt, now) : undefined,
        lastUsedIso: s.lastUsedAt?.toISOString(),
      })),
      ...extra,
    },
    { status },
  );
}

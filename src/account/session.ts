import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { SessionRef } from '../accounts/sessions.js';
import { usedSecondFactor } from '../accounts/acr.js';

const LOADED = Symbol('signed-in session');

/**
 * The session signed in on this browser (oidc-provider's session cookie), if any:
 * its uid and account. Read once per request; the account page asks twice (who is
 * signed in, and which listed browser is this one).
 */
export async function currentSession(provider: Provider, ctx: Context): Promise<SessionRef | undefined> {
  const state = ctx.state as { [LOADED]?: Promise<SessionRef | undefined> };
  state[LOADED] ??= provider.Session.get(ctx as never).then((session) =>
    session.accountId ? { uid: session.uid, accountId: session.accountId } : undefined,
  );
  return state[LOADED];
}

/** The account signed in on this browser, if any. */
export async function sessionAccountId(provider: Provider, ctx: Context): Promise<string | undefined> {
  return (await currentSession(provider, ctx))?.accountId;
}

/** How the browser's session signed in: for pages that need a second factor (the operator console). */
export interface SessionAuthentication extends SessionRef {
  acr?: string;
  amr?: string[];
  /** More than one factor (acr urn:wathiqa:acr:mfa). */
  mfa: boolean;
}

export async function currentAuthentication(provider: Provider, ctx: Context): Promise<SessionAuthentication | undefined> {
  const session = (await provider.Session.get(ctx as never)) as { uid: string; accountId?: string; acr?: string; amr?: string[] };
  if (!session.accountId) return undefined;
  return { uid: session.uid, accountId: session.accountId, acr: session.acr, amr: session.amr, mfa: usedSecondFactor(session) };
}

import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { SessionRef } from '../accounts/sessions.js';

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

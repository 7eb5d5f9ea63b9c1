import type { Context } from 'koa';
import type Provider from 'oidc-provider';

/** The account signed in on this browser (oidc-provider's session cookie), if any. */
export async function sessionAccountId(provider: Provider, ctx: Context): Promise<string | undefined> {
  const session = await provider.Session.get(ctx as never);
  return session.accountId ?? undefined;
}

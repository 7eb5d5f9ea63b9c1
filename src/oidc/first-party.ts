import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';

/** The holder's account pages sign in as this built-in public client; it is never asked for consent. */
export const ACCOUNT_CLIENT_ID = 'wathiqa-account';

export function firstPartyClients(issuer: string): ClientMetadata[] {
  return [
    {
      client_id: ACCOUNT_CLIENT_ID,
      client_name: 'Wathiqa',
      token_endpoint_auth_method: 'none',
      // Ours, so it need not follow the RS256 default: ES256 is the cheaper signature.
      id_token_signed_response_alg: 'ES256',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [`${issuer}/account/callback`],
      post_logout_redirect_uris: [`${issuer}/`],
    },
  ];
}

/** A grant for the first-party client, made without asking: the holder is using Wathiqa itself. */
export async function firstPartyGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const session = oidc.session!;
  const existing = session.grantIdFor(ACCOUNT_CLIENT_ID);
  const found = existing ? await oidc.provider.Grant.find(existing) : undefined;
  if (found && found.accountId === session.accountId) return found;
  const grant = new oidc.provider.Grant({ clientId: ACCOUNT_CLIENT_ID, accountId: session.accountId! });
  grant.addOIDCScope('openid');
  session.grantIdFor(ACCOUNT_CLIENT_ID, await grant.save());
  return grant;
}

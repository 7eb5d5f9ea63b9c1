import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';

/** The holder's account pages sign in as this built-in public client; it is never asked for consent. */
export const ACCOUNT_CLIENT_ID = 'wathiqa-account';
/** The operator console (/console) signs in as this one, asking for a second factor (acr_values). */
export const CONSOLE_CLIENT_ID = 'wathiqa-console';
const FIRST_PARTY = new Set<string>([ACCOUNT_CLIENT_ID, CONSOLE_CLIENT_ID]);

/** Wathiqa's own pages: never asked for consent, never listed among the services a holder signed in to. */
export const isFirstParty = (clientId: string | undefined) => clientId !== undefined && FIRST_PARTY.has(clientId);
export const FIRST_PARTY_CLIENT_IDS: readonly string[] = [...FIRST_PARTY];

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
    {
      client_id: CONSOLE_CLIENT_ID,
      client_name: 'Wathiqa console',
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [`${issuer}/console/callback`],
      post_logout_redirect_uris: [`${issuer}/`],
    },
  ];
}

/** A grant for a first-party client, made without asking: the holder (or operator) is using Wathiqa itself. */
export async function firstPartyGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const session = oidc.session!;
  const clientId = oidc.client!.clientId;
  const existing = session.grantIdFor(clientId);
  const found = existing ? await oidc.provider.Grant.find(existing) : undefined;
  if (found && found.accountId === session.accountId && found.clientId === clientId) return found;
  const grant = new oidc.provider.Grant({ clientId, accountId: session.accountId! });
  grant.addOIDCScope('openid');
  session.grantIdFor(clientId, await grant.save());
  return grant;
}

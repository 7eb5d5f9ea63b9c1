/** oidc-provider's endpoints (its defaults, which we keep). Everything else is ours or a 404. */
export const PROVIDER_ROUTES = {
  authorization: '/auth',
  token: '/token',
  userinfo: '/me',
  jwks: '/jwks',
  end_session: '/session/end',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
  pushed_authorization_request: '/request',
  registration: '/reg',
  discovery: '/.well-known/openid-configuration',
} as const;

const PREFIXES = Object.values(PROVIDER_ROUTES);

export function isProviderPath(path: string): boolean {
  return PREFIXES.some((p) => path === p || path.startsWith(p + '/'));
}

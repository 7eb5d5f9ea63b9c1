import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { FormAgent, hiddenField } from './agent.js';

/**
 * For tests whose user agent stops at the callback (FormAgent): nothing connects
 * to it. A browser that follows the redirect needs `startCallbackListener()`.
 */
export const REDIRECT_URI = 'http://localhost:4000/cb';
export const POST_LOGOUT_URI = 'http://localhost:4000/bye';
export const PASSWORD = 'correct horse battery staple';

export interface CallbackListener {
  /** `http://localhost:<port>/cb` */
  redirectUri: string;
  close(): Promise<void>;
}

/**
 * A real relying-party callback on a free port: every request gets 200 and a
 * small page, so a browser that arrives there settles on it instead of on
 * Chromium's error page (which raced the next navigation when nothing listened).
 */
export async function startCallbackListener(): Promise<CallbackListener> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end('<!doctype html><title>RP callback</title><p>Callback received.</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://localhost:${port}/cb`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function discover(issuer: string, clientId: string, clientSecret?: string) {
  return oidc.discovery(new URL(issuer), clientId, clientSecret, clientSecret ? undefined : oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
}

export interface Authorization {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function authorizationRequest(config: oidc.Configuration, params: Record<string, string> = {}): Promise<Authorization> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email offline_access',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}

/**
 * Walks the pages as a user would without a browser: sign up (or in), consent,
 * and returns the URL the provider sends the browser back to.
 */
export async function signInAndConsent(
  agent: FormAgent,
  authorizationUrl: URL,
  user: { email: string; password?: string; signUp?: boolean },
  decision: 'allow' | 'deny' = 'allow',
): Promise<URL> {
  let { response, url } = await agent.follow(authorizationUrl, {}, REDIRECT_URI);
  if (url.href.startsWith(REDIRECT_URI)) return url;
  let html = await response.text();
  if (url.pathname.match(/^\/interaction\/[^/]+$/) && html.includes('name="password"')) {
    const uid = url.pathname.split('/')[2]!;
    if (user.signUp) {
      const page = new URL(`/interaction/${uid}/signup`, url);
      const signup = await agent.request(page);
      const csrf = hiddenField(await signup.text(), 'csrf');
      ({ response, url } = await agent.submit(page, `/interaction/${uid}/signup`, {
        csrf,
        email: user.email,
        password: user.password ?? PASSWORD,
        password_confirm: user.password ?? PASSWORD,
      }, REDIRECT_URI));
    } else {
      ({ response, url } = await agent.submit(url, `/interaction/${uid}/login`, {
        csrf: hiddenField(html, 'csrf'),
        email: user.email,
        password: user.password ?? PASSWORD,
      }, REDIRECT_URI));
    }
    if (url.href.startsWith(REDIRECT_URI)) return url;
    html = await response.text();
  }
  if (!html.includes('name="decision"')) throw new Error(`expected the consent page, got ${response.status} at ${url.pathname}: ${html.slice(0, 300)}`);
  const uid = url.pathname.split('/')[2]!;
  ({ url } = await agent.submit(url, `/interaction/${uid}/consent`, { csrf: hiddenField(html, 'csrf'), decision }, REDIRECT_URI));
  if (!url.href.startsWith(REDIRECT_URI)) throw new Error(`expected a redirect to the client, ended at ${url.href}`);
  return url;
}

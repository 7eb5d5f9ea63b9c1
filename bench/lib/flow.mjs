// The relying party and the user agent, without a browser: cookies per host,
// redirects followed by hand (the one to the RP's callback is caught, never
// fetched), the server's own forms submitted. Same technique as test/helpers.
import { createHash, randomBytes } from 'node:crypto';

export const REDIRECT_URI = 'http://127.0.0.1:9/cb'; // never fetched: the flow stops at it
export const PASSWORD = 'correct horse battery staple';

const b64u = (buf) => Buffer.from(buf).toString('base64url');

export class FormAgent {
  jar = new Map();

  cookieHeader(url) {
    return [...(this.jar.get(url.host) ?? new Map())].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(url, response) {
    const cookies = this.jar.get(url.host) ?? new Map();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) cookies.delete(name);
      else cookies.set(name, value);
    }
    this.jar.set(url.host, cookies);
  }

  async request(url, init = {}) {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.store(target, response);
    return response;
  }

  /** Follows redirects until a page answers or the next location starts with `stopAt`. */
  async follow(url, init = {}, stopAt) {
    let current = new URL(url);
    let response = await this.request(current, init);
    for (let hops = 0; hops < 10; hops++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: current };
      await response.arrayBuffer();
      const next = new URL(location, current);
      if (stopAt && next.href.startsWith(stopAt)) return { response, url: next };
      current = next;
      response = await this.request(current);
    }
    throw new Error('too many redirects');
  }

  submit(pageUrl, action, fields, stopAt) {
    return this.follow(new URL(action, pageUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    }, stopAt);
  }
}

export function hiddenField(html, name) {
  const match =
    new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html) ??
    new RegExp(`<input[^>]*value="([^"]*)"[^>]*name="${name}"`).exec(html);
  if (!match) throw new Error(`no hidden field ${name} in page`);
  return match[1];
}

export function basicAuth(clientId, clientSecret) {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

/**
 * One authorization code flow with PKCE: authorize → (sign-in form) → (second factor)
 * → (consent form) → code → token. Returns the token response and what the user
 * agent saw. Optional steps, each `(agent, { url, html, uid, server }) → { response, url }`:
 * `login` instead of the password form (a passkey), `otp` for the code page, `passport`
 * for the passport consent page. `params` adds authorization request parameters.
 */
export async function codeFlow(agent, server, { email, password = PASSWORD, scope = 'openid email', prompt, params: extra = {}, steps = {} } = {}) {
  const verifier = b64u(randomBytes(32));
  const state = b64u(randomBytes(16));
  const nonce = b64u(randomBytes(16));
  const params = new URLSearchParams({
    client_id: server.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope,
    state,
    nonce,
    code_challenge: b64u(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    login_hint: email, // the bare reference signs this account in; Wathiqa ignores it
    ...extra,
  });
  if (prompt) params.set('prompt', prompt);
  const seen = { login: 0, consent: 0, otp: 0, passport: 0 };
  let { response, url } = await agent.follow(`${server.url}/auth?${params}`, {}, REDIRECT_URI);
  for (let step = 0; step < 5 && !url.href.startsWith(REDIRECT_URI); step++) {
    const html = await response.text();
    const uid = url.pathname.split('/')[2];
    if (response.status !== 200 || !uid) throw new Error(`unexpected ${response.status} at ${url.pathname}: ${html.slice(0, 200)}`);
    const page = { url, html, uid, server, nonce };
    if (html.includes('id="passport-consent"')) {
      if (!steps.passport) throw new Error('a passport consent page, and no release to give');
      seen.passport++;
      ({ response, url } = await steps.passport(agent, page));
    } else if (html.includes('name="password"')) {
      seen.login++;
      ({ response, url } = steps.login
        ? await steps.login(agent, page)
        : await agent.submit(url, `/interaction/${uid}/login`, { csrf: hiddenField(html, 'csrf'), email, password }, REDIRECT_URI));
    } else if (html.includes('name="code"')) {
      if (!steps.otp) throw new Error('a second-factor page, and no code to give');
      seen.otp++;
      ({ response, url } = await steps.otp(agent, page));
    } else if (html.includes('name="decision"')) {
      seen.consent++;
      ({ response, url } = await agent.submit(url, `/interaction/${uid}/consent`, { csrf: hiddenField(html, 'csrf'), decision: 'allow' }, REDIRECT_URI));
    } else {
      throw new Error(`unexpected page at ${url.pathname}: ${html.slice(0, 200)}`);
    }
  }
  if (!url.href.startsWith(REDIRECT_URI)) throw new Error(`flow did not reach the client: ${url.href}`);
  if (url.searchParams.get('state') !== state) throw new Error('state mismatch');
  const code = url.searchParams.get('code');
  if (!code) throw new Error(`no code: ${url.search}`);
  const tokenResponse = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(server.clientId, server.clientSecret) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString(),
  });
  const tokens = await tokenResponse.json();
  if (tokenResponse.status !== 200) throw new Error(`token endpoint: ${tokenResponse.status} ${JSON.stringify(tokens)}`);
  return { tokens, seen };
}

export async function userinfo(server, accessToken) {
  const res = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  const body = await res.json();
  if (res.status !== 200 || !body.sub || !body.email) throw new Error(`userinfo: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Runs `task(i)` for i in [0, n) with at most `concurrency` at once. */
export async function pool(n, concurrency, task) {
  let next = 0;
  const results = new Array(n);
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

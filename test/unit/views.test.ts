import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import Koa, { type Context } from 'koa';
import { MANIFEST_PATH, catalogSubset, createViews, jsonForScript, type ConsoleTemplate, type TemplateName, type Views } from '../../src/http/views.js';
import { ROOT } from '../../src/paths.js';

interface FakeRequest {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  secure?: boolean;
}

function fakeContext({ method = 'GET', url = '/', headers = {}, secure = false }: FakeRequest = {}): Context {
  const app = new Koa();
  const socket = new Socket();
  if (secure) Object.defineProperty(socket, 'encrypted', { value: true });
  const req = new IncomingMessage(socket);
  req.method = method;
  req.url = url;
  req.headers = Object.fromEntries(Object.entries({ host: 'localhost', ...headers }).map(([k, v]) => [k.toLowerCase(), v]));
  const res = new ServerResponse(req);
  return app.createContext(req, res) as Context;
}

async function renderPage(
  views: Views,
  template: TemplateName,
  data: Record<string, unknown>,
  request: FakeRequest = {},
  options: { status?: number; uiLocales?: string; switcherPath?: string } = {},
): Promise<{ ctx: Context; html: string }> {
  const ctx = fakeContext(request);
  await views.render(ctx, template, data, options);
  expect(typeof ctx.body).toBe('string');
  return { ctx, html: ctx.body as string };
}

/** The control labelled `text` (through <label for>), as its opening tag. */
function fieldByLabel(html: string, text: string): string {
  const labels = [...html.matchAll(/<label for="([^"]+)">([^<]*)<\/label>/g)].filter((m) => m[2] === text);
  expect(labels).toHaveLength(1);
  const id = labels[0]![1]!;
  const control = new RegExp(`<(input|select|textarea)\\b[^>]*\\bid="${id}"[^>]*>`).exec(html);
  expect(control).not.toBeNull();
  return control![0];
}

const client = {
  name: 'Acme <script>alert(1)</script>',
  logoUri: 'https://acme.example/logo.png',
  policyUri: 'https://acme.example/privacy?x=1&y="2"',
  tosUri: 'javascript:alert(1)',
};

let views: Views;

beforeAll(async () => {
  if (!existsSync(MANIFEST_PATH)) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT });
  views = await createViews();
});

describe('createViews', () => {
  it('tells to run the web build when the manifest is missing', async () => {
    await expect(createViews({ manifestPath: join(ROOT, 'no-such-dir', 'manifest.json') })).rejects.toThrow(
      /npm run build:web/,
    );
  });
});

describe('layout', () => {
  it('renders English left-to-right with the assets and their SRI hashes', async () => {
    const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8'));
    const { ctx, html } = await renderPage(views, 'home', { issuer: 'http://localhost:3000' });
    expect(ctx.status).toBe(200);
    expect(ctx.type).toBe('text/html');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<html lang="en" dir="ltr">');
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('name="viewport"');
    expect(html).toContain('<title>Wathiqa</title>');
    expect(html).toContain(
      `<link rel="stylesheet" href="/static/app.css" integrity="${manifest['app.css'].integrity}" crossorigin="anonymous">`,
    );
    expect(html).toContain(
      `<script type="module" src="/static/build/app.js" integrity="${manifest['app.js'].integrity}" crossorigin="anonymous"></script>`,
    );
    expect(html).toContain('href="/.well-known/openid-configuration"');
    // No inline script or style anywhere (CSP); the one script without src is a data block: validation messages in the page's language.
    expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toEqual(['<script type="application/json" id="validity-i18n">']);
    const validity = JSON.parse(/<script type="application\/json" id="validity-i18n">([^<]*)<\/script>/.exec(html)![1]!);
    expect(validity['validity.required']).toBe('Fill in this field.');
    expect(validity['validity.too_short']).toContain('{min}');
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toContain('<style');
  });

  it('renders Arabic right-to-left when Accept-Language prefers it', async () => {
    const { html } = await renderPage(views, 'home', { issuer: 'http://localhost:3000' }, { headers: { 'Accept-Language': 'fr, ar-EG;q=0.9, en;q=0.5' } });
    expect(html).toContain('<html lang="ar" dir="rtl">');
    expect(html).toContain('وثيقة');
    expect(html).toMatch(/<nav class="lang-switcher" aria-label="اللغة">/);
    expect(html).toContain('<a href="/?lang=en" lang="en" hreflang="en">English</a>');
  });

  it('switcher links keep other query parameters, escaped', async () => {
    const { html } = await renderPage(views, 'not-found', {}, { url: '/some/path?a=1&b=%3Cx%3E&lang=zz' }, { status: 404 });
    expect(html).toContain('<a href="/some/path?a=1&amp;b=%3Cx%3E&amp;lang=ar" lang="ar" hreflang="ar">العربية</a>');
  });

  it('switcher never links to another origin', async () => {
    const { html } = await renderPage(views, 'not-found', {}, { url: '//evil.example/x' });
    expect(html).toMatch(/<a href="\/[^/"][^"]*" lang="ar"/);
    expect(html).not.toContain('href="//evil');
  });

  it('switcher on a POST page links to the interaction, not the POST endpoint', async () => {
    const { html } = await renderPage(
      views,
      'login',
      { uid: 'abc', csrf: 'c', client: { name: 'Acme' }, error: { code: 'invalid_credentials' } },
      { method: 'POST', url: '/interaction/abc/login' },
    );
    expect(html).toContain('<a href="/interaction/abc?lang=ar"');
  });
});

describe('locale negotiation and the language cookie', () => {
  it('?lang= wins and is remembered in a cookie', async () => {
    const { ctx, html } = await renderPage(views, 'home', { issuer: 'x' }, { url: '/?lang=ar', headers: { 'Accept-Language': 'en', Cookie: 'wathiqa_lang=en' } }, { uiLocales: 'en' });
    expect(html).toContain('<html lang="ar" dir="rtl">');
    const cookies = ctx.response.get('Set-Cookie') as unknown as string[];
    expect(cookies).toHaveLength(1);
    const cookie = cookies[0]!;
    expect(cookie).toMatch(/^wathiqa_lang=ar;/);
    expect(cookie).toMatch(/path=\//);
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=lax/i);
    expect(cookie).toMatch(/expires=/);
    expect(cookie).not.toMatch(/secure/i);
    const expires = new Date(/expires=([^;]+)/.exec(cookie)![1]!).getTime();
    expect(expires - Date.now()).toBeGreaterThan(360 * 24 * 3600 * 1000);
  });

  it('marks the cookie Secure over https', async () => {
    const { ctx } = await renderPage(views, 'home', { issuer: 'x' }, { url: '/?lang=en', secure: true });
    expect((ctx.response.get('Set-Cookie') as unknown as string[])[0]).toMatch(/; secure/i);
  });

  it('the cookie beats ui_locales and Accept-Language; no cookie is set without ?lang=', async () => {
    const { ctx, html } = await renderPage(views, 'home', { issuer: 'x' }, { headers: { Cookie: 'wathiqa_lang=ar', 'Accept-Language': 'en' } }, { uiLocales: 'en' });
    expect(html).toContain('lang="ar" dir="rtl"');
    expect(ctx.response.get('Set-Cookie')).toBeFalsy();
  });

  it('ui_locales beats Accept-Language; an invalid ?lang= is ignored', async () => {
    const { ctx, html } = await renderPage(views, 'home', { issuer: 'x' }, { url: '/?lang=xx', headers: { 'Accept-Language': 'en' } }, { uiLocales: 'fr ar-EG' });
    expect(html).toContain('lang="ar" dir="rtl"');
    expect(ctx.response.get('Set-Cookie')).toBeFalsy();
    expect(views.locale(fakeContext({ headers: { 'Accept-Language': 'ar' } }), 'en')).toBe('en');
    expect(views.locale(fakeContext({ headers: { 'Accept-Language': 'ar' } }))).toBe('ar');
    expect(views.locale(fakeContext())).toBe('en');
  });
});

describe('login', () => {
  const data = { uid: 'uid-1', csrf: 'tok"en', client, email: 'a@b.example' };

  it('has labelled fields, the forms and the escaped client name', async () => {
    const { html } = await renderPage(views, 'login', data);
    expect(html).toContain('<h1>Sign in to continue to Acme &lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(html).not.toContain('<script>alert(1)');
    const email = fieldByLabel(html, 'Email');
    expect(email).toContain('name="email"');
    expect(email).toContain('type="email"');
    expect(email).toContain('autocomplete="username webauthn"'); // the browser's passkey autofill
    expect(email).toContain('required');
    expect(email).toContain('value="a@b.example"');
    const password = fieldByLabel(html, 'Password');
    expect(password).toContain('name="password"');
    expect(password).toContain('type="password"');
    expect(password).toContain('autocomplete="current-password"');
    expect(html).toContain('<form method="post" action="/interaction/uid-1/login"');
    expect(html).toContain('<form method="post" action="/interaction/uid-1/abort"');
    expect(html.match(/<input type="hidden" name="csrf" value="tok&quot;en">/g)).toHaveLength(2);
    expect(html).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
    expect(html).toMatch(/<button type="submit"[^>]*>Cancel<\/button>/);
    expect(html).toContain('<a href="/interaction/uid-1/signup">Create an account</a>');
    expect(html).not.toContain('role="alert"');
  });

  it('shows only safe client links, opened safely, and the logo', async () => {
    const { html } = await renderPage(views, 'login', data);
    expect(html).toContain('<img class="client-logo" src="https://acme.example/logo.png" alt=""');
    expect(html).toContain(
      '<a href="https://acme.example/privacy?x=1&amp;y=%222%22" target="_blank" rel="noopener noreferrer">Privacy policy</a>',
    );
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain('Terms of service');
    const { html: bare } = await renderPage(views, 'login', { ...data, client: { name: 'Bare' } });
    expect(bare).not.toContain('<img');
    expect(bare).not.toContain('client-links');
  });

  it('shows errors in an alert, with minutes for a locked account', async () => {
    const { html } = await renderPage(views, 'login', { ...data, error: { code: 'account_locked', retryAfterSeconds: 290 } }, {}, { status: 429 });
    expect(html).toMatch(/<div class="alert" role="alert">\s*<p>Too many failed attempts for this account\. Try again in 5 minutes\.<\/p>/);
    const wrong = await renderPage(views, 'login', { ...data, error: { code: 'invalid_credentials' } });
    expect(wrong.html).toContain('Wrong email or password.');
    const unknown = await renderPage(views, 'login', { ...data, error: { code: 'what<ever>' } });
    expect(unknown.html).toContain('Something went wrong. Please try again.');
    expect(unknown.html).not.toContain('what<ever>');
  });

  it('renders in Arabic with labels and bidi-isolated client name', async () => {
    const { html } = await renderPage(views, 'login', { ...data, error: { code: 'account_locked', retryAfterSeconds: 120 } }, { url: '/interaction/uid-1?lang=ar' });
    expect(html).toContain('<html lang="ar" dir="rtl">');
    expect(fieldByLabel(html, 'البريد الإلكتروني')).toContain('name="email"');
    expect(fieldByLabel(html, 'كلمة المرور')).toContain('name="password"');
    expect(html).toContain('سجّل الدخول للمتابعة إلى \u2068Acme &lt;script&gt;');
    expect(html).toContain('دقيقتان');
    expect(html).toContain('<a href="/interaction/uid-1?lang=en"');
  });

  it('sets the status', async () => {
    const { ctx } = await renderPage(views, 'login', data, {}, { status: 400 });
    expect(ctx.status).toBe(400);
  });
});

describe('signup', () => {
  it('has labelled fields with the password rules and hint', async () => {
    const { html } = await renderPage(views, 'signup', { uid: 'u2', csrf: 'c', client, error: { code: 'email_taken' } });
    expect(html).toContain('<h1>Create your Wathiqa account</h1>');
    expect(html).toContain('<form method="post" action="/interaction/u2/signup"');
    expect(fieldByLabel(html, 'Email')).toContain('autocomplete="username"');
    const password = fieldByLabel(html, 'Password');
    expect(password).toContain('autocomplete="new-password"');
    expect(password).toContain('minlength="8"');
    expect(password).toContain('maxlength="256"');
    const hintId = /aria-describedby="([^"]+)"/.exec(password)![1]!;
    expect(html).toContain(`<p id="${hintId}" class="hint">At least 8 characters. 15 or more is better. Any characters, spaces included.</p>`);
    const confirm = fieldByLabel(html, 'Confirm password');
    expect(confirm).toContain('name="password_confirm"');
    expect(confirm).toContain('type="password"');
    expect(html).toMatch(/<button type="submit"[^>]*>Create account<\/button>/);
    expect(html).toContain('<a href="/interaction/u2">I already have an account</a>');
    expect(html).toContain('role="alert"');
    expect(html).toContain('An account with this email already exists.');
    // Strings for the script arrive translated in data- attributes.
    expect(html).toContain('data-short="{count} characters: too short."');
    expect(html).toContain('data-label-show="Show password"');
  });
});

describe('consent', () => {
  const data = {
    uid: 'u3',
    csrf: 'c3',
    email: 'user@example.com',
    client,
    scopes: ['openid', 'email', 'offline_access', 'weird<scope>'],
    claims: ['email', 'x_custom'],
    remembered: false,
  };

  it('lists scopes in plain words and has allow/deny buttons', async () => {
    const { html } = await renderPage(views, 'consent', data);
    expect(html).toContain('<h1>Acme &lt;script&gt;alert(1)&lt;/script&gt; wants to access your Wathiqa account</h1>');
    expect(html).toContain('Signed in as user@example.com');
    expect(html).toContain('<form method="post" action="/interaction/u3/switch"');
    expect(html).toMatch(/<button type="submit" class="link-button">Not you\?<\/button>/);
    expect(html).toContain('See your email address');
    expect(html).toContain('Know who you are');
    expect(html).toContain('Keep access to these details when you are not using Acme &lt;script&gt;');
    expect(html).toContain('<code>weird&lt;scope&gt;</code>');
    expect(html).toContain('<code>x_custom</code>');
    expect(html).toContain('<form method="post" action="/interaction/u3/consent"');
    expect(html).toMatch(/<button type="submit" name="decision" value="allow"[^>]*>Allow<\/button>/);
    expect(html).toMatch(/<button type="submit" name="decision" value="deny"[^>]*>Deny<\/button>/);
    expect(html.match(/name="csrf" value="c3"/g)).toHaveLength(2);
    expect(html).not.toMatch(/withdraw/i);
  });

  it('says when the client had access before', async () => {
    const { html } = await renderPage(views, 'consent', { ...data, remembered: true, scopes: ['email'], claims: [] });
    expect(html).toContain('You have allowed Acme');
  });

  it('renders in Arabic', async () => {
    const { html } = await renderPage(views, 'consent', data, { headers: { Cookie: 'wathiqa_lang=ar' } });
    expect(html).toContain('dir="rtl"');
    expect(html).toContain('الاطلاع على بريدك الإلكتروني');
    expect(html).toMatch(/value="allow"[^>]*>السماح</);
  });
});

describe('error, not-found, logout, logged-out', () => {
  it('error page escapes the code and description', async () => {
    const { ctx, html } = await renderPage(views, 'error', { error: 'invalid_request', description: '<img src=x onerror=alert(1)>' }, {}, { status: 400 });
    expect(ctx.status).toBe(400);
    expect(html).toContain('Something went wrong');
    expect(html).toContain('<code>invalid_request</code>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('<a href="/">');
  });

  it('not-found page', async () => {
    const { ctx, html } = await renderPage(views, 'not-found', {}, {}, { status: 404 });
    expect(ctx.status).toBe(404);
    expect(html).toContain('<h1>Page not found</h1>');
    expect(html).toContain('<a href="/">');
  });

  it('logout page embeds the provider form and targets it from both buttons', async () => {
    const form = '<form id="op.logoutForm" method="post" action="/session/end/confirm"><input type="hidden" name="xsrf" value="abc"/></form>';
    const { html } = await renderPage(views, 'logout', { form, clientName: 'Acme <b>' });
    expect(html).toContain('Sign out of Wathiqa?');
    expect(html).toContain(form);
    expect(html).toContain('Acme &lt;b&gt;');
    expect(html).toContain('<button type="submit" form="op.logoutForm" name="logout" value="yes" class="button button-primary">Yes, sign me out</button>');
    expect(html).toMatch(/<button type="submit" form="op.logoutForm" class="[^"]*">No, stay signed in<\/button>/);
  });

  it('logged-out page', async () => {
    const { html } = await renderPage(views, 'logged-out', {}, { headers: { 'Accept-Language': 'ar' } });
    expect(html).toContain('تم تسجيل خروجك');
    const named = await renderPage(views, 'logged-out', { clientName: 'Acme' });
    expect(named.html).toContain('You are signed out');
    expect(named.html).toContain('Acme');
  });
});

describe('account (the vault page)', () => {
  const data = { email: 'holder@example.com', csrf: 'tok"en' };
  const dataBlock = (html: string) => /<script type="application\/json" id="vault-i18n">([^<]*)<\/script>/.exec(html)?.[1];

  it('loads the vault bundle with SRI on this page only, after the shared one', async () => {
    const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8'));
    const { html } = await renderPage(views, 'account', data);
    const vault = `<script type="module" src="/static/build/vault.js" integrity="${manifest['vault.js'].integrity}" crossorigin="anonymous"></script>`;
    expect(html).toContain(vault);
    expect(html.indexOf(vault)).toBeGreaterThan(html.indexOf('/static/build/app.js'));
    expect(html).toContain('<div id="vault-app" class="vault-app" data-csrf="tok&quot;en" data-email="holder@example.com">');
    const { html: home } = await renderPage(views, 'home', { issuer: 'x' });
    expect(home).not.toContain('vault.js');
    expect(home).not.toContain('vault-i18n');
  });

  it('carries the locale’s vault messages in a JSON data block, the only script without src besides the validation messages', async () => {
    const { html } = await renderPage(views, 'account', data, { url: '/account?lang=ar' });
    expect(html).toContain('<html lang="ar" dir="rtl">');
    expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toEqual(['<script type="application/json" id="validity-i18n">', '<script type="application/json" id="vault-i18n">']);
    const messages = JSON.parse(dataBlock(html)!);
    expect(messages['vault.unlock.heading']).toBe('افتح خزنتك');
    expect(messages['element.passport']).toBe('جواز السفر');
    expect(messages['field.document_number']).toBe('رقم المستند');
    expect(messages['vault.rollback']).toContain('{served}');
    // Only what the page needs: no sign-in or consent strings.
    expect(Object.keys(messages).every((k) => /^(vault|element|field|slot|gender)\./.test(k))).toBe(true);
    expect(messages).toEqual(catalogSubset('ar', ['vault.', 'element.', 'field.', 'slot.', 'gender.']));
  });

  it('escapes the data block so no value can end the script element', () => {
    const text = jsonForScript({ a: '</script><script>alert(1)</script>', b: '<!-- & -->', c: '\u2028' });
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual({ a: '</script><script>alert(1)</script>', b: '<!-- & -->', c: '\u2028' });
  });
});

/** The operator console's pages, each with what its route gives it. */
function consoleSamples(): Record<ConsoleTemplate, Record<string, unknown>> {
  const frame = { operatorEmail: 'op@x', csrf: 'c', section: 'clients', sections: ['clients', 'verifiers', 'keys', 'users', 'audit'] };
  const client = { client_id: 'cid', client_name: 'Shop', redirect_uris: ['https://shop.example/cb'], scope: 'openid passport', token_endpoint_auth_method: 'client_secret_basic', verifier: true, created_at: '2026-01-01T00:00:00.000Z', version: 2 };
  const entry = { client_id: 'cid', name: 'Shop', attested_types: ['passport'], trust_framework: 'eidas', policy_uri: 'https://shop.example/p', jwks: { keys: [{ kid: 'k1', alg: 'ES256' }] } };
  const user = {
    id: '00000000-0000-4000-8000-000000000000', email: 'u@x', created_at: '2026-01-01T00:00:00.000Z', email_verified: true, operator: true, disabled: false,
    email_verified_at: null, operator_since: '2026-01-01T00:00:00.000Z', disabled_at: null, factors: { totp: true, recovery_codes_left: 9, passkeys: 1 }, sessions: [],
  };
  const event = { id: '1', at: '2026-01-01T00:00:00.000Z', when: 'now', actor: { kind: 'operator', id: 'a', label: 'op@x' }, ip: '127.0.0.1', action: 'client.update', target: 'cid', changed: ['scope'], details: '{}' };
  return {
    'console-clients': { ...frame, clients: [client], q: '', notice: 'client_deleted' },
    'console-client': {
      ...frame, client, values: { client_name: 'Shop', scope: ['openid'], version: '2' }, scopes: ['openid', 'email', 'offline_access', 'passport'], types: ['passport', 'email'], releaseAlgs: ['ECDH-ES+A256KW'],
      error: { field: 'redirect_uris', code: 'redirect_uris', detail: 'redirect_uris.0: Invalid URL' }, conflict: true,
    },
    'console-client-delete': { ...frame, impact: { client_id: 'cid', client_name: 'Shop', grants: 1, tokens: 2, releases: 3 }, unconfirmed: true },
    'console-client-secret': { ...frame, client: { ...client, client_secret: 's3cret' }, created: true },
    'console-verifiers': { ...frame, section: 'verifiers', registered: [{ client, entry }, { client }], builtIn: [{ ...entry, client_id: 'wathiqa' }] },
    'console-keys': { ...frame, section: 'keys', keys: [{ kid: 'k', alg: 'ES256', status: 'retired', created_at: 'x', age: 'now', retired_at: 'y', retired: 'now' }], notice: 'keys_rotated' },
    'console-users': { ...frame, section: 'users', users: [user], email: 'u', next: 50, previous: 0 },
    'console-user': { ...frame, section: 'users', user, sessions: [{ browser: 'Chrome', os: 'Linux', network: '203.0.113.x', lastSeen: 'now', last_seen_at: 'x' }], self: true, deleteError: 'confirm', notice: 'user_signed_out' },
    'console-audit': { ...frame, section: 'audit', filters: { action: 'client.' }, filterError: 'since: bad', events: [event], next: '/console/audit?before=1', actions: ['client.', 'client.update'] },
    'console-refused': { reason: 'no_factor' },
  };
}

describe('every template in both languages', () => {
  const samples: Record<TemplateName, Record<string, unknown>> = {
    login: { uid: 'u', csrf: 'c', client: { name: 'A' } },
    signup: { uid: 'u', csrf: 'c', client: { name: 'A' } },
    consent: { uid: 'u', csrf: 'c', email: 'e@x', client: { name: 'A' }, scopes: ['openid'], claims: [], remembered: false },
    error: { error: 'server_error' },
    'not-found': {},
    logout: { form: '<form id="op.logoutForm"></form>' },
    'logged-out': {},
    home: { issuer: 'http://localhost' },
    account: {
      email: 'e@x',
      csrf: 'c',
      browsers: [
        { uid: 'u1', current: true, browser: 'Chrome', os: 'Linux', network: '203.0.113.x', lastSeen: 'now', lastSeenIso: '2026-01-01T00:00:00.000Z' },
        { uid: 'u2', current: false, browser: null, os: 'Windows', network: '2001:db8:1::/48', signedIn: 'yesterday', signedInIso: '2026-01-01T00:00:00.000Z' },
      ],
      services: [{ clientId: 'c1', name: 'Shop', passport: true, since: 'yesterday', sinceIso: '2026-01-01T00:00:00.000Z', lastUsed: 'now', lastUsedIso: '2026-01-01T00:00:00.000Z' }],
      deleteError: { code: 'wrong_password' },
    },
    'account-deleted': { email: 'e@x' },
    'consent-passport': { uid: 'u', csrf: 'c', email: 'e@x', client: { name: 'A' }, scopes: [], release: {} },
    'password-forgot': { csrf: 'c' },
    'password-reset': { csrf: 'c', token: 't' },
    'email-verify': { email: 'e@x' },
    'login-otp': { uid: 'u', csrf: 'c', client: { name: 'A' } },
    ...consoleSamples(),
  };
  for (const [template, data] of Object.entries(samples) as [TemplateName, Record<string, unknown>][]) {
    for (const lang of ['en', 'ar']) {
      it(`${template} (${lang}) has one h1, a title, labels for every input and text in every button`, async () => {
        const { html } = await renderPage(views, template, data, { url: `/x?lang=${lang}` });
        expect(html).toContain(`<html lang="${lang}" dir="${lang === 'ar' ? 'rtl' : 'ltr'}">`);
        expect(html.match(/<h1>/g)).toHaveLength(1);
        expect(html).toMatch(/<title>[^<]+<\/title>/);
        for (const input of html.match(/<input\b[^>]*>/g) ?? []) {
          if (/type="hidden"/.test(input)) continue;
          const id = /\bid="([^"]+)"/.exec(input)?.[1];
          expect(id).toBeDefined();
          expect(html).toMatch(new RegExp(`<label for="${id}">[^<]+</label>`));
        }
        for (const button of html.match(/<button\b[^>]*>[^<]*<\/button>/g) ?? []) {
          expect(button).toMatch(/>[^<\s][^<]*<\/button>$/);
        }
        expect(html).not.toMatch(/\{[a-z_]+\}(?![^<]*")/); // no placeholder left in visible text
      });
    }
  }
});

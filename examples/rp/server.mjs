#!/usr/bin/env node
/**
 * A small relying party for Wathiqa: signs a user in with OpenID Connect
 * (openid-client 6: authorization code, PKCE S256, state, nonce), asks for
 * documents with `passport_scope`, and opens the release with wathiqa/rp.
 * See docs/rp-sdk.md for the set-up.
 *
 * Configuration (environment):
 *   WATHIQA_ISSUER  the Wathiqa issuer URL            (default http://localhost:3000)
 *   RP_PORT         the port to listen on              (default 4000)
 *   RP_REDIRECT_URI the registered redirect URI        (default http://localhost:$RP_PORT/callback)
 *   CLIENT_ID       the client_id from `wathiqa clients create`
 *   CLIENT_SECRET   its client_secret
 *   RP_KEY_FILE     the private encryption JWK         (default examples/rp/.keys/private.jwk.json)
 *
 * The home page speaks English or Arabic (`?lang=ar`), shows Wathiqa's official
 * "Sign in with Wathiqa" button (served by the issuer under /static/brand/), and
 * passes its language to Wathiqa as `ui_locales`.
 *
 * Everything is kept in memory: sessions, released data and scans. It is an
 * example, not a production RP: no persistence, one process.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';

// The compiled SDK (`npm run build`). An RP outside this repository imports 'wathiqa/rp'.
const sdkUrl = new URL('../../dist/src/rp/index.js', import.meta.url);
let rp;
try {
  rp = await import(sdkUrl.href);
} catch (error) {
  console.error(`cannot load the RP SDK from ${fileURLToPath(sdkUrl)}: run "npm run build" first (${error.code ?? error.message})`);
  process.exit(1);
}
const { fetchScan, loadReleaseKeys, memoryJtiStore, openRelease, parsePassportScope, ReleaseError, reportErrors, ReportErrorsError, scansOf, toVerifiedClaims } = rp;

// ---- configuration -----------------------------------------------------------

const ISSUER = process.env.WATHIQA_ISSUER || 'http://localhost:3000';
const PORT = Number(process.env.RP_PORT || 4000);
const REDIRECT_URI = process.env.RP_REDIRECT_URI || `http://localhost:${PORT}/callback`;
const CLIENT_ID = process.env.CLIENT_ID || '';
const CLIENT_SECRET = process.env.CLIENT_SECRET || '';
const KEY_FILE = process.env.RP_KEY_FILE
  ? resolve(process.env.RP_KEY_FILE)
  : fileURLToPath(new URL('./.keys/private.jwk.json', import.meta.url));

/** What this RP asks for (DESIGN 5.3): sent as the `passport_scope` authorization parameter. */
const PASSPORT_SCOPE = {
  v: 1,
  data: [
    { type: 'personal_details', fields: ['given_name', 'family_name', 'birthdate'] },
    { one_of: ['passport', 'identity_card'], selfie: true },
    'address',
    'email',
  ],
};
const PASSPORT_SCOPE_TEXT = JSON.stringify(PASSPORT_SCOPE);
parsePassportScope(PASSPORT_SCOPE_TEXT); // fail at start-up, not at the first sign-in

if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) fail(`RP_PORT must be a port number`);
const issuerUrl = parseUrl(ISSUER, 'WATHIQA_ISSUER');
/** http:// only for a Wathiqa on this machine; anything else must be https. */
const LOCAL_HTTP = issuerUrl.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(issuerUrl.hostname);
if (issuerUrl.protocol !== 'https:' && !LOCAL_HTTP) fail('WATHIQA_ISSUER must be https:// (http:// only for localhost)');

const missing = [!CLIENT_ID && 'CLIENT_ID', !CLIENT_SECRET && 'CLIENT_SECRET'].filter(Boolean);
let keys;
let keyProblem;
try {
  keys = await loadReleaseKeys(JSON.parse(readFileSync(KEY_FILE, 'utf8')));
} catch (error) {
  keyProblem = error.code === 'ENOENT' ? `no key at ${KEY_FILE}: run "node examples/rp/make-key.mjs"` : `cannot use ${KEY_FILE}: ${error.message}`;
}
const ready = missing.length === 0 && !keyProblem;

function fail(message) {
  console.error(`example RP: ${message}`);
  process.exit(1);
}

function parseUrl(text, name) {
  try {
    return new URL(text);
  } catch {
    fail(`${name} is not a URL`);
  }
}

// ---- OpenID Connect ------------------------------------------------------------

let configuration;
/** Discovery on first use, so the home page works while Wathiqa is still starting. */
async function oidcConfig() {
  configuration ??= oidc
    .discovery(issuerUrl, CLIENT_ID, undefined, oidc.ClientSecretBasic(CLIENT_SECRET), LOCAL_HTTP ? { execute: [oidc.allowInsecureRequests] } : undefined)
    .catch((error) => {
      configuration = undefined;
      throw error;
    });
  return configuration;
}

async function authorizationRequest(lang) {
  const config = await oidcConfig();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid passport',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    passport_scope: PASSPORT_SCOPE_TEXT,
    // Wathiqa's pages open in the language this site was showing.
    ui_locales: lang,
  });
  return { url, verifier, state, nonce };
}

const seenJti = memoryJtiStore();

/** Code → tokens → userinfo → release → scans, all checked. */
async function completeSignIn(currentUrl, pending) {
  const config = await oidcConfig();
  const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
    pkceCodeVerifier: pending.verifier,
    expectedState: pending.state,
    expectedNonce: pending.nonce,
    idTokenExpected: true,
  });
  const idClaims = tokens.claims();
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
  const jwe = userinfo.passport ?? idClaims.passport;
  if (typeof jwe !== 'string') throw new Error('Wathiqa sent no passport claim (was the release approved?)');

  const release = await openRelease(jwe, {
    keys,
    issuer: config.serverMetadata().issuer,
    clientId: CLIENT_ID,
    subject: idClaims.sub,
    nonce: pending.nonce,
    requested: PASSPORT_SCOPE_TEXT,
    seenJti,
  });

  // Fetch every scan now, while the access token is fresh; keep them in memory only.
  const scans = new Map();
  const elements = [];
  for (const element of release.elements) {
    const files = [];
    for (const { slot, index, file } of scansOf(element)) {
      try {
        const scan = await fetchScan(release, file, { accessToken: tokens.access_token });
        const id = randomBytes(18).toString('base64url');
        scans.set(id, { bytes: scan.bytes, mediaType: scan.mediaType });
        files.push({ slot, index, id, mediaType: scan.mediaType, size: scan.size });
      } catch (error) {
        if (!(error instanceof ReleaseError)) throw error;
        files.push({ slot, index, error: error.code });
      }
    }
    elements.push({ ref: element.ref, type: element.type, data: element.data, files });
  }
  // The access token is kept (in memory) to report problems with the released data (DESIGN 5.7).
  return { sub: release.sub, iat: release.iat, jti: release.jti, elements, verifiedClaims: toVerifiedClaims(release), scans, accessToken: tokens.access_token, issuer: config.serverMetadata().issuer, reported: [] };
}

// ---- sessions (memory) ---------------------------------------------------------

const SESSION_TTL_MS = 30 * 60 * 1000;
const sessions = new Map();

function session(req, res) {
  const sid = /(?:^|;\s*)rp_sid=([A-Za-z0-9_-]{43})/.exec(req.headers.cookie ?? '')?.[1];
  const now = Date.now();
  for (const [id, s] of sessions) if (s.expires < now) sessions.delete(id);
  if (sid && sessions.has(sid)) {
    const s = sessions.get(sid);
    s.expires = now + SESSION_TTL_MS;
    return s;
  }
  const id = randomBytes(32).toString('base64url');
  const s = { id, expires: now + SESSION_TTL_MS, csrf: randomBytes(24).toString('base64url') };
  sessions.set(id, s);
  res.setHeader('set-cookie', `rp_sid=${id}; Path=/; HttpOnly; SameSite=Lax${REDIRECT_URI.startsWith('https:') ? '; Secure' : ''}`);
  return s;
}

// ---- HTML ------------------------------------------------------------------------

const esc = (value) =>
  String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const label = (name) => esc(name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, ' '));

/** The official button's stylesheet and mark, from the issuer (docs/rp-sdk.md, "Sign in with Wathiqa"). */
const BRAND = `${issuerUrl.origin}/static/brand`;

function page(title, body, lang = 'en') {
  return `<!doctype html>
<html lang="${lang}" dir="${lang === 'ar' ? 'rtl' : 'ltr'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Example RP</title>
<link rel="stylesheet" href="/style.css">
<link rel="stylesheet" href="${esc(BRAND)}/signin-button.css">
</head>
<body>
<header><a href="/">Example RP</a> <span class="muted">a relying party for Wathiqa</span></header>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The home page's words; the rest of the example is English only. */
const HOME = {
  en: {
    title: 'Home',
    heading: 'Open an account',
    intro: (issuer) => `We ask Wathiqa (${issuer}) for:`,
    asks: ['Personal details: given name, family name, date of birth', 'A passport or an identity card, with a selfie', 'Your address', 'Your email address'],
    private: "Your documents are encrypted in your browser to this site's key; Wathiqa cannot read them.",
    signIn: 'Sign in with Wathiqa',
    other: { lang: 'ar', label: 'العربية' },
  },
  ar: {
    title: 'الرئيسية',
    heading: 'افتح حسابًا',
    intro: (issuer) => `نطلب من وثيقة (<bdi>${issuer}</bdi>):`,
    asks: ['البيانات الشخصية: الاسم الأول واسم العائلة وتاريخ الميلاد', 'جواز سفر أو بطاقة هوية، مع صورة شخصية', 'عنوانك', 'بريدك الإلكتروني'],
    private: 'تُشفَّر مستنداتك في متصفحك بمفتاح هذا الموقع؛ ولا تستطيع وثيقة قراءتها.',
    signIn: 'تسجيل الدخول عبر وثيقة',
    other: { lang: 'en', label: 'English' },
  },
};

/** The official button: a real link, the mark as decoration, the label as text. */
function signInButton(lang, enabled) {
  const words = HOME[lang];
  const mark = `<img class="wathiqa-signin-mark" src="${esc(BRAND)}/wathiqa-mark.svg" alt="" width="24" height="24">`;
  return enabled
    ? `<a class="wathiqa-signin" href="/login?lang=${lang}">${mark}<span>${esc(words.signIn)}</span></a>`
    : `<a class="wathiqa-signin" aria-disabled="true" role="link">${mark}<span>${esc(words.signIn)}</span></a>`;
}

function homePage(lang = 'en') {
  const words = HOME[lang];
  const problems = [
    ...missing.map((name) => `${name} is not set`),
    ...(keyProblem ? [keyProblem] : []),
  ];
  const setup = problems.length
    ? `<div class="notice"><p><strong>Not configured yet.</strong></p><ul>${problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>
<p>See docs/rp-sdk.md: generate a key, register the client, then start with CLIENT_ID and CLIENT_SECRET.</p></div>`
    : '';
  const asks = `<ul>${words.asks.map((item) => `<li>${esc(item)}</li>`).join('')}</ul>`;
  return page(
    words.title,
    `<p class="lang"><a href="/?lang=${words.other.lang}" lang="${words.other.lang}" hreflang="${words.other.lang}">${esc(words.other.label)}</a></p>
<h1>${esc(words.heading)}</h1>
<p>${words.intro(esc(ISSUER))}</p>
${asks}
<p class="muted">${esc(words.private)}</p>
${setup}
<p>${signInButton(lang, ready)}</p>`,
    lang,
  );
}

function valueCell(value) {
  return `<td dir="auto">${esc(value)}</td>`;
}

/** "Report a problem with a field": the holder sees the message on that document in their vault. */
function reportForm(csrf, element) {
  if (!element.ref) return '';
  const options = [
    ...Object.keys(element.data).map((field) => `<option value="field:${esc(field)}">${label(field)}</option>`),
    ...[...new Set(element.files.map((f) => f.slot))].map((slot) => `<option value="file:${esc(slot)}">Scan: ${label(slot)}</option>`),
  ].join('');
  if (!options) return '';
  return `<form method="post" action="/report" class="report">
<input type="hidden" name="csrf" value="${esc(csrf)}"><input type="hidden" name="ref" value="${esc(element.ref)}">
<label>Report a problem with <select name="target">${options}</select></label>
<label>Message <input name="message" maxlength="300" required dir="auto"></label>
<button type="submit">Report</button>
</form>`;
}

function reportedList(result, csrf) {
  if (!result.reported.length) return '';
  const typeOf = (ref) => result.elements.find((e) => e.ref === ref)?.type ?? '?';
  const items = result.reported.map((e) => `<li>${label(typeOf(e.ref))}: ${label(e.field ?? e.file)}: <span dir="auto">${esc(e.message)}</span></li>`).join('');
  return `<section><h2>Problems reported to the holder</h2><ul>${items}</ul>
<form method="post" action="/report"><input type="hidden" name="csrf" value="${esc(csrf)}"><input type="hidden" name="clear" value="1"><button type="submit">Withdraw all</button></form></section>`;
}

function resultPage(result, csrf = '', notice = '') {
  const sections = result.elements
    .map((element) => {
      const rows = Object.entries(element.data)
        .map(([field, value]) => `<tr><th scope="row">${label(field)}</th>${valueCell(value)}</tr>`)
        .join('');
      const files = element.files
        .map((f) => {
          const name = `${label(f.slot)}${f.index === undefined ? '' : ` ${f.index + 1}`}`;
          if (f.error) return `<figure><figcaption>${name}</figcaption><p class="error">Not available (${esc(f.error)})</p></figure>`;
          const url = `/scans/${encodeURIComponent(f.id)}`;
          const view = f.mediaType.startsWith('image/')
            ? `<img src="${esc(url)}" alt="${name}">`
            : `<a href="${esc(url)}">Download (PDF, ${esc(f.size)} bytes)</a>`;
          return `<figure>${view}<figcaption>${name}</figcaption></figure>`;
        })
        .join('');
      return `<section>
<h2>${label(element.type)}</h2>
${rows ? `<table><tbody>${rows}</tbody></table>` : ''}
${files ? `<div class="scans">${files}</div>` : ''}
${reportForm(csrf, element)}
</section>`;
    })
    .join('\n');
  return page(
    'Released',
    `<h1>What you released</h1>
${notice ? `<p class="notice" role="status">${esc(notice)}</p>` : ''}
<p class="muted">Release ${esc(result.jti)}, made ${esc(new Date(result.iat * 1000).toISOString())} for subject ${esc(result.sub)}.</p>
${sections}
${reportedList(result, csrf)}
<section>
<h2>As OIDC for Identity Assurance</h2>
<p class="muted">Self-asserted: typed in by the holder in their vault, not verified by anyone (trust framework "wathiqa_self_asserted").</p>
<pre>${esc(JSON.stringify(result.verifiedClaims, null, 2))}</pre>
</section>
<p><a href="/logout">Sign out</a></p>`,
  );
}

function errorPage(title, message) {
  return page(title, `<h1>${esc(title)}</h1><p class="error">${esc(message)}</p><p><a href="/">Back</a></p>`);
}

const CSS = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header{padding:.75rem 1.5rem;background:#0b5;color:#fff}header a{color:#fff;font-weight:600;text-decoration:none}
header .muted{color:#e6fff2}main{max-width:52rem;margin:0 auto;padding:1rem 1.5rem}
.muted{color:#666}.error{color:#a00}.notice{border:1px solid #e0b000;background:#fff8e0;padding:.5rem 1rem;border-radius:6px}
.lang{text-align:end;margin:0}
table{border-collapse:collapse;margin:.5rem 0}th,td{border-bottom:1px solid #ddd;padding:.3rem .8rem;text-align:start}
th{font-weight:500;color:#444}.scans{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}
figure img{max-width:16rem;max-height:12rem;border:1px solid #ccc;display:block}
pre{background:#f0f0f0;padding:1rem;overflow:auto;border-radius:6px}
form.report{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}form.report input{min-width:16rem}`;

// ---- HTTP ------------------------------------------------------------------------

// The official button's stylesheet and mark come from the issuer; the report form posts here.
const CSP = `default-src 'none'; style-src 'self' ${issuerUrl.origin}; img-src 'self' ${issuerUrl.origin}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;

function send(res, status, body, type = 'text/html; charset=utf-8', headers = {}) {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': CSP,
    ...headers,
  });
  res.end(body);
}

function redirect(res, location) {
  res.writeHead(302, { location, 'cache-control': 'no-store' });
  res.end();
}

/** A small url-encoded form body (the report form), or undefined when it is larger than `limit`. */
async function formBody(req, limit = 8192) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** POST /report: adds (or with `clear`, withdraws) a problem and sends the whole list; each report replaces the last. */
async function report(req, res) {
  const s = session(req, res);
  if (!s.result) return redirect(res, '/');
  const form = await formBody(req);
  if (!form || form.get('csrf') !== s.csrf) return send(res, 400, errorPage('Not reported', 'The form has expired. Go back and try again.'));
  let next = [];
  if (!form.get('clear')) {
    const [kind, name] = String(form.get('target') ?? '').split(':');
    const entry = { ref: String(form.get('ref') ?? ''), ...(kind === 'file' ? { file: name } : { field: name }), message: String(form.get('message') ?? '').trim() };
    const same = (e) => e.ref === entry.ref && e.field === entry.field && e.file === entry.file;
    next = [...s.result.reported.filter((e) => !same(e)), entry];
  }
  try {
    await reportErrors({ issuer: s.result.issuer, accessToken: s.result.accessToken, errors: next });
  } catch (error) {
    if (error instanceof TypeError) return send(res, 400, errorPage('Not reported', error.message));
    if (error instanceof ReportErrorsError) return send(res, 502, errorPage('Not reported', `Wathiqa answered: ${error.code}${error.description ? ` (${error.description})` : ''}`));
    throw error;
  }
  s.result.reported = next;
  s.notice = next.length ? 'Reported: the holder sees it on that document in their vault.' : 'Withdrawn: no problem is reported any more.';
  return redirect(res, '/me');
}
/** The language the visitor chose on the home page (`?lang=`), English by default. */
const pageLang = (url) => (url.searchParams.get('lang') === 'ar' ? 'ar' : 'en');

async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://rp.invalid');
  if (req.method === 'POST' && url.pathname === '/report') return report(req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, errorPage('Method not allowed', 'Use GET.'));

  if (url.pathname === '/style.css') return send(res, 200, CSS, 'text/css; charset=utf-8');
  if (url.pathname === '/favicon.ico') return send(res, 204, '', 'text/plain');
  if (url.pathname === '/') {
    const s = session(req, res);
    return s.result ? redirect(res, '/me') : send(res, 200, homePage(pageLang(url)));
  }

  if (url.pathname === '/login') {
    if (!ready) return redirect(res, '/');
    const s = session(req, res);
    let request;
    try {
      request = await authorizationRequest(pageLang(url));
    } catch (error) {
      console.error('example RP: discovery failed:', error.message);
      return send(res, 502, errorPage('Wathiqa is not reachable', `Could not read ${ISSUER}/.well-known/openid-configuration.`));
    }
    s.pending = { state: request.state, nonce: request.nonce, verifier: request.verifier };
    s.result = undefined;
    return redirect(res, request.url.href);
  }

  if (url.pathname === '/callback') {
    const s = session(req, res);
    const pending = s.pending;
    if (!pending) return send(res, 400, errorPage('Sign-in expired', 'No sign-in is in progress in this browser. Start again.'));
    // An answer that does not carry this sign-in's state is not ours (a forged or stale link):
    // refuse it, and do not let it use up or cancel the sign-in in progress.
    if (url.searchParams.get('state') !== pending.state) {
      return send(res, 400, errorPage('Sign-in failed', 'This answer does not belong to the sign-in in progress in this browser.'));
    }
    s.pending = undefined; // one use
    if (url.searchParams.has('error')) {
      const code = url.searchParams.get('error');
      return send(res, 400, errorPage('Sign-in cancelled', code === 'access_denied' ? 'You did not approve the release.' : `Wathiqa answered: ${code}`));
    }
    try {
      // openid-client compares the URL with the registered redirect URI: rebuild it from REDIRECT_URI.
      s.result = await completeSignIn(new URL(`${REDIRECT_URI}${url.search}`), pending);
      return redirect(res, '/me');
    } catch (error) {
      if (error instanceof ReleaseError) {
        console.error(`example RP: release refused: ${error.code}`);
        return send(res, 400, errorPage('The release was refused', `${error.code}: ${error.message}`));
      }
      console.error('example RP: sign-in failed:', error.code ?? '', error.message, error.cause?.message ?? error.cause?.error ?? '');
      return send(res, 400, errorPage('Sign-in failed', error.message));
    }
  }

  if (url.pathname === '/me') {
    const s = session(req, res);
    const notice = s.notice;
    s.notice = undefined;
    return s.result ? send(res, 200, resultPage(s.result, s.csrf, notice)) : redirect(res, '/');
  }

  const scan = /^\/scans\/([A-Za-z0-9_-]{24})$/.exec(url.pathname);
  if (scan) {
    const s = session(req, res);
    const found = s.result?.scans.get(scan[1]);
    if (!found) return send(res, 404, errorPage('Not found', 'No such scan in this session.'));
    const disposition = found.mediaType === 'application/pdf' ? 'attachment; filename="scan.pdf"' : 'inline';
    return send(res, 200, found.bytes, found.mediaType, {
      'content-disposition': disposition,
      'content-security-policy': "default-src 'none'; sandbox",
    });
  }

  if (url.pathname === '/logout') {
    const s = session(req, res);
    sessions.delete(s.id);
    res.setHeader('set-cookie', 'rp_sid=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
    return redirect(res, '/');
  }

  return send(res, 404, errorPage('Not found', 'There is nothing here.'));
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error('example RP:', error);
    if (!res.headersSent) send(res, 500, errorPage('Error', 'Something went wrong.'));
    else res.end();
  });
});

server.listen(PORT, () => {
  const port = server.address().port;
  console.log(`example RP listening on http://localhost:${port} (issuer ${ISSUER}, redirect ${REDIRECT_URI})`);
  if (!ready) console.log(`not configured yet: ${[...missing.map((m) => `${m} is not set`), keyProblem].filter(Boolean).join('; ')}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}

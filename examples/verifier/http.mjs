/**
 * The example verifier's HTTP plumbing: headers on every answer, typed 4xx
 * problems, url-encoded forms with a size cap, the CSRF and Origin check on every
 * POST, and the reviewer pages' optional password. No framework: node:http.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
/** Scans are the holder's images, served to the reviewer only: never a document that runs anything. */
export const SCAN_CSP = "default-src 'none'; sandbox";

/** A refusal with a page: status, a title and a message the person can act on. */
export class HttpProblem extends Error {
  constructor(status, title, message, headers = {}) {
    super(message);
    this.status = status;
    this.title = title;
    this.headers = headers;
  }
}

export function send(res, status, body, type = 'text/html; charset=utf-8', headers = {}) {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // Not no-referrer: under it browsers send "Origin: null" with our own forms, and checkedForm reads Origin.
    'referrer-policy': 'same-origin',
    'content-security-policy': CSP,
    ...headers,
  });
  res.end(body);
}

/** 303 after a POST: the browser GETs the page, so a reload does not post again. */
export function redirect(res, location, status = 302) {
  res.writeHead(status, { location, 'cache-control': 'no-store' });
  res.end();
}

const MAX_FORM_BYTES = 8 * 1024;
/** A larger body is not read to its end: the connection is cut. */
const MAX_DRAIN_BYTES = 1024 * 1024;

export async function readForm(req) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new HttpProblem(415, 'Unsupported form', 'Send the form as application/x-www-form-urlencoded.', { connection: 'close' });
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    // Read on past the limit (up to a point), so the client gets the 413 rather than a reset.
    if (size > MAX_DRAIN_BYTES) req.destroy();
    else if (size <= MAX_FORM_BYTES) chunks.push(chunk);
  }
  if (size > MAX_FORM_BYTES) throw new HttpProblem(413, 'Form too large', `A form is at most ${MAX_FORM_BYTES} bytes.`, { connection: 'close' });
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Equal-length digests, so comparing secrets takes the same time whatever was sent. */
const digest = (text) => createHash('sha256').update(String(text)).digest();

/**
 * Every POST: a form of this site (`origin`, when the browser sends an Origin)
 * carrying the session's CSRF token. The cookie is SameSite=Lax as well; the
 * token is what holds when that is not enough (an old browser, a same-site attacker).
 */
export async function checkedForm(req, session, origin) {
  const from = req.headers.origin;
  if (from !== undefined && from !== origin) throw new HttpProblem(403, 'Form refused', `This form was sent from ${from}, not from this verifier.`);
  const form = await readForm(req);
  const token = form.get('csrf');
  if (!token || !timingSafeEqual(digest(token), digest(session.csrf))) {
    throw new HttpProblem(403, 'Form expired', "The form did not carry this session's CSRF token (missing, wrong, or from an older session). Reload the page and try again.");
  }
  return form;
}

/** The reviewer pages: HTTP Basic, user "reviewer", when a password is set; open otherwise. */
export function reviewerGuard(password) {
  return function requireReviewer(req) {
    if (!password) return;
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
    const decoded = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    const given = decoded.startsWith('reviewer:') ? decoded.slice('reviewer:'.length) : '';
    if (!match || !timingSafeEqual(digest(given), digest(password))) {
      throw new HttpProblem(401, 'Reviewers only', 'Sign in as "reviewer" with the REVIEWER_PASSWORD.', { 'www-authenticate': 'Basic realm="Example verifier reviewers", charset="UTF-8"' });
    }
  };
}

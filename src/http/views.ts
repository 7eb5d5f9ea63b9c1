/**
 * Server-rendered pages: eta templates from `views/`, with the locale negotiated
 * per request, translated strings, the asset manifest (paths + SRI hashes) and a
 * language switcher. Templates escape everything with `<%= %>`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Eta } from 'eta';
import type { Context } from 'koa';
import {
  CATALOGS,
  LOCALES,
  direction,
  formatMinutes,
  hasMessage,
  isLocale,
  matchLocale,
  negotiateLocale,
  t,
  type Locale,
  type MessageVars,
} from '../i18n/index.js';
import { PUBLIC_DIR, VIEWS_DIR } from '../paths.js';

export type { Locale } from '../i18n/index.js';

export type TemplateName =
  | 'login'
  | 'signup'
  | 'consent'
  | 'consent-passport'
  | 'error'
  | 'not-found'
  | 'logout'
  | 'logged-out'
  | 'home'
  | 'account'
  | 'password-forgot'
  | 'password-reset'
  | 'email-verify'
  | 'login-otp'
  | 'account-deleted'
  | ConsoleTemplate;
/** The operator console's pages (src/console). */
export type ConsoleTemplate =
  | 'console-clients'
  | 'console-client'
  | 'console-client-delete'
  | 'console-client-secret'
  | 'console-verifiers'
  | 'console-keys'
  | 'console-users'
  | 'console-user'
  | 'console-audit'
  | 'console-refused';
const CONSOLE_TEMPLATES: readonly ConsoleTemplate[] = ['console-clients', 'console-client', 'console-client-delete', 'console-client-secret', 'console-verifiers', 'console-keys', 'console-users', 'console-user', 'console-audit', 'console-refused'];
const TEMPLATES: readonly TemplateName[] = ['login', 'signup', 'consent', 'consent-passport', 'error', 'not-found', 'logout', 'logged-out', 'home', 'account', 'password-forgot', 'password-reset', 'email-verify', 'login-otp', 'account-deleted', ...CONSOLE_TEMPLATES];

export interface RenderOptions {
  status?: number;
  /** OIDC `ui_locales` of the authorization request, if any. */
  uiLocales?: string;
  /**
   * Where the language switcher links to. Defaults to the request URL for GET/HEAD;
   * for other methods (a form POST re-rendered with an error) to `/interaction/<uid>`
   * when the path is under it, else `/`.
   */
  switcherPath?: string;
}

export interface Views {
  /** Renders an HTML page into ctx (ctx.type = 'html', ctx.status = options.status ?? 200, ctx.body = html). */
  render(ctx: Context, template: TemplateName, data: Record<string, unknown>, options?: RenderOptions): Promise<void>;
  /** The locale the page would use for this request (same negotiation as render). */
  locale(ctx: Context, uiLocales?: string): Locale;
}

export interface Asset {
  path: string;
  integrity: string;
}
export interface Assets {
  js: Asset;
  css: Asset;
  /** The vault bundle, loaded only by the account page. */
  vault: Asset;
  /** The passport consent bundle, loaded only by the passport consent page. */
  consent: Asset;
}

export interface CreateViewsOptions {
  /** Defaults to `public/build/manifest.json`. */
  manifestPath?: string;
  /** Defaults to `views/`. */
  viewsDir?: string;
}

export const LANG_COOKIE = 'wathiqa_lang';
const LANG_COOKIE_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;
export const MANIFEST_PATH = join(PUBLIC_DIR, 'build', 'manifest.json');

export interface SwitcherLink {
  locale: Locale;
  /** The language's own name ("العربية", "English"). */
  label: string;
  href: string;
}

async function loadAssets(manifestPath: string): Promise<Assets> {
  let raw: string;
  try {
    raw = await readFile(manifestPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`Web asset manifest not found at ${manifestPath}: run \`npm run build:web\` first.`);
    }
    throw err;
  }
  const manifest = JSON.parse(raw) as Record<string, Partial<Asset> | undefined>;
  const pick = (name: string): Asset => {
    const entry = manifest[name];
    if (typeof entry?.path !== 'string' || typeof entry.integrity !== 'string') {
      throw new Error(`Web asset manifest ${manifestPath} has no valid "${name}" entry: run \`npm run build:web\` again.`);
    }
    return { path: entry.path, integrity: entry.integrity };
  };
  return { js: pick('app.js'), css: pick('app.css'), vault: pick('vault.js'), consent: pick('consent.js') };
}

function firstString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** The locale asked for with `?lang=` in this request, if it is a supported one. */
function queryLocale(ctx: Context): Locale | undefined {
  return matchLocale(firstString(ctx.query?.lang));
}

function cookieLocale(ctx: Context): Locale | undefined {
  // signed: false — oidc-provider's Koa app has keys, which would otherwise make it expect a signature.
  const value = ctx.cookies.get(LANG_COOKIE, { signed: false });
  return isLocale(value) ? value : undefined;
}

export function negotiate(ctx: Context, uiLocales?: string): Locale {
  return negotiateLocale({
    explicit: queryLocale(ctx) ?? cookieLocale(ctx),
    uiLocales,
    acceptLanguage: ctx.get('Accept-Language') || undefined,
  });
}

/** Links to this page in the other locales. Only the path and query are kept (never a foreign origin). */
export function switcherLinks(ctx: Context, current: Locale, switcherPath?: string): SwitcherLink[] {
  let base: URL;
  if (switcherPath !== undefined) {
    base = new URL(switcherPath, 'http://localhost');
  } else if (ctx.method === 'GET' || ctx.method === 'HEAD') {
    base = new URL(ctx.originalUrl || ctx.url || '/', 'http://localhost');
  } else {
    const interaction = /^\/interaction\/[^/?#]+/.exec(ctx.path);
    base = new URL(interaction ? interaction[0] : '/', 'http://localhost');
  }
  return LOCALES.filter((locale) => locale !== current).map((locale) => {
    const url = new URL(base.href);
    url.searchParams.set('lang', locale);
    // `//evil` as a path would be protocol-relative: collapse leading slashes.
    const path = url.pathname.replace(/^\/+/, '/');
    return { locale, label: t(locale, 'language.name'), href: `${path}${url.search}` };
  });
}

/** Only http(s) URLs are rendered as links or images; anything else is dropped. */
export function safeUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * JSON for a `<script type="application/json">` data block (never executed, so
 * the CSP allows it). `<`, `>` and `&` are written as \u escapes, so no value can
 * close the element or open a comment; U+2028/U+2029 too, for old parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const subsets = new Map<string, Readonly<Record<string, string>>>();

/**
 * The messages of `locale` whose keys start with one of `prefixes`, untranslated
 * placeholders kept (`{name}`): for a page script that formats them itself.
 * English fills any key the locale lacks.
 */
export function catalogSubset(locale: Locale, prefixes: readonly string[]): Readonly<Record<string, string>> {
  // The catalogs do not change at run time, and the layout asks for the same subset on every page.
  const id = `${locale}\0${prefixes.join('\0')}`;
  let subset = subsets.get(id);
  if (!subset) {
    const keys = Object.keys(CATALOGS.en).filter((key) => prefixes.some((prefix) => key.startsWith(prefix)));
    subset = Object.freeze(Object.fromEntries(keys.sort().map((key) => [key, t(locale, key)])));
    subsets.set(id, subset);
  }
  return subset;
}

/**
 * Wraps string values in Unicode first-strong isolates (U+2068 … U+2069) so that a
 * Latin client name or an email address inside an Arabic sentence keeps its own
 * direction and does not reorder the words around it.
 */
function isolate(vars: MessageVars): MessageVars {
  return Object.fromEntries(
    Object.entries(vars).map(([name, value]) => [name, typeof value === 'string' ? `\u2068${value}\u2069` : value]),
  );
}

/**
 * The message for a form error `{ code, retryAfterSeconds? }`: `error.<code>` with
 * `{minutes}` (a number) and `{duration}` ("5 minutes", "5 دقائق"); unknown codes get
 * the generic message.
 */
export function errorMessage(locale: Locale, error: unknown): string {
  const { code, retryAfterSeconds } = (error ?? {}) as { code?: unknown; retryAfterSeconds?: unknown };
  const key = typeof code === 'string' && hasMessage(`error.${code}`) ? `error.${code}` : 'error.generic';
  const seconds = Number(retryAfterSeconds);
  const minutes = Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds / 60) : 1;
  return t(locale, key, { minutes, duration: formatMinutes(locale, minutes) });
}

export async function createViews(options: CreateViewsOptions = {}): Promise<Views> {
  const assets = await loadAssets(options.manifestPath ?? MANIFEST_PATH);
  const eta = new Eta({
    views: options.viewsDir ?? VIEWS_DIR,
    autoEscape: true,
    cache: true,
    autoTrim: [false, 'nl'],
  });

  return {
    locale: (ctx, uiLocales) => negotiate(ctx, uiLocales),

    async render(ctx, template, data, renderOptions = {}) {
      if (!TEMPLATES.includes(template)) throw new Error(`unknown template ${String(template)}`);
      const chosen = queryLocale(ctx);
      if (chosen) {
        ctx.cookies.set(LANG_COOKIE, chosen, {
          httpOnly: true,
          sameSite: 'lax',
          path: '/',
          maxAge: LANG_COOKIE_MAX_AGE_MS,
          secure: ctx.secure,
          signed: false,
          overwrite: true,
        });
      }
      const locale = negotiate(ctx, renderOptions.uiLocales);
      const rtl = direction(locale) === 'rtl';
      const translate = (key: string, vars?: MessageVars) => t(locale, key, rtl && vars ? isolate(vars) : vars);
      const html = eta.render(template, {
        ...data,
        t: translate,
        /** Whether a (dynamic) key has a message, e.g. `scope.<name>`. */
        has: hasMessage,
        errorMessage: (error: unknown) => errorMessage(locale, error),
        /** A date as the page's language writes it (a day, no time). */
        formatDate: (date: Date | string) => new Intl.DateTimeFormat(locale === 'ar' ? 'ar' : 'en-GB', { dateStyle: 'medium' }).format(new Date(date)),
        safeUrl,
        /** A value as the text of a JSON data block (see jsonForScript); insert with `<%~ %>`. */
        json: jsonForScript,
        /** This locale's messages under some key prefixes, for a page script. */
        messages: (prefixes: readonly string[]) => catalogSubset(locale, prefixes),
        locale,
        dir: direction(locale),
        assets,
        switcher: switcherLinks(ctx, locale, renderOptions.switcherPath),
        template,
      });
      ctx.status = renderOptions.status ?? 200;
      ctx.type = 'html';
      ctx.body = html;
    },
  };
}

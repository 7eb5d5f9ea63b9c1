/**
 * Message catalogs and locale negotiation for the server-rendered pages.
 *
 * `t(locale, key, vars)` looks a key up in the locale's catalog, falls back to
 * English when the locale lacks it, and replaces `{name}` placeholders. A key that
 * is missing from English is a programming error: it throws under tests
 * (NODE_ENV=test) and renders as the bare key in production.
 */
import { ar } from './ar.js';
import { en, type MessageKey } from './en.js';

export type { MessageKey } from './en.js';

export const LOCALES = ['en', 'ar'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export const CATALOGS: Readonly<Record<Locale, Readonly<Record<string, string>>>> = { en, ar };

/** Text direction of a locale. */
export function direction(locale: Locale): 'ltr' | 'rtl' {
  return locale === 'ar' ? 'rtl' : 'ltr';
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Whether the English catalog knows `key` (use it to choose a fallback for dynamic keys). */
export function hasMessage(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(en, key);
}

export type MessageVars = Readonly<Record<string, string | number>>;

export function t(locale: Locale, key: MessageKey | (string & {}), vars?: MessageVars): string {
  const own = CATALOGS[locale];
  let message = Object.prototype.hasOwnProperty.call(own, key) ? own[key] : undefined;
  if (message === undefined && hasMessage(key)) message = en[key];
  if (message === undefined) {
    if (process.env.NODE_ENV === 'test') throw new Error(`i18n: no message for key "${key}"`);
    return key;
  }
  if (!vars) return message;
  return message.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole,
  );
}

/** "5 minutes" / "5 دقائق" / "دقيقتان", with the locale's own plural rules. */
export function formatMinutes(locale: Locale, minutes: number): string {
  return new Intl.NumberFormat(locale, { style: 'unit', unit: 'minute', unitDisplay: 'long' }).format(minutes);
}

/**
 * "just now" / "2 minutes ago" / "قبل دقيقتين" / "yesterday": how long ago `date` was, in the
 * largest whole unit, with the locale's own words. Relative on purpose: the server
 * does not know the reader's time zone, and "3 hours ago" is right in every one.
 */
export function timeAgo(locale: Locale, date: Date, now = new Date()): string {
  const seconds = Math.max(0, (now.getTime() - date.getTime()) / 1000);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  if (seconds < 60) return t(locale, 'time.just_now');
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 365 * 86400],
    ['month', 30 * 86400],
    ['week', 7 * 86400],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  const [unit, size] = units.find(([, size]) => seconds >= size)!;
  return format.format(-Math.floor(seconds / size), unit);
}

/** Maps a language tag ("ar-EG", "EN", "en_US") to a supported locale, if any. */
export function matchLocale(tag: string | undefined | null): Locale | undefined {
  if (!tag) return undefined;
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  return isLocale(primary) ? primary : undefined;
}

/** Supported locales named in an Accept-Language header, best first (q=0 excluded). */
export function parseAcceptLanguage(header: string | undefined): Locale[] {
  if (!header) return [];
  const ranges: { locale: Locale; q: number; index: number }[] = [];
  header.split(',').forEach((part, index) => {
    const [tag, ...params] = part.split(';');
    const locale = matchLocale(tag);
    if (!locale) return;
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((s) => s.trim());
      if (name?.toLowerCase() === 'q') {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      }
    }
    if (q > 0) ranges.push({ locale, q, index });
  });
  ranges.sort((a, b) => b.q - a.q || a.index - b.index);
  return [...new Set(ranges.map((r) => r.locale))];
}

export interface NegotiationInput {
  /** An explicit choice (the `?lang=` query or the `wathiqa_lang` cookie). */
  explicit?: string | undefined;
  /** OIDC `ui_locales`: space-separated tags, in order of preference. */
  uiLocales?: string | undefined;
  acceptLanguage?: string | undefined;
}

/** explicit > ui_locales (first supported) > Accept-Language (by quality) > English. */
export function negotiateLocale(input: NegotiationInput): Locale {
  const explicit = matchLocale(input.explicit);
  if (explicit) return explicit;
  for (const tag of (input.uiLocales ?? '').split(/\s+/)) {
    const locale = matchLocale(tag);
    if (locale) return locale;
  }
  return parseAcceptLanguage(input.acceptLanguage)[0] ?? DEFAULT_LOCALE;
}

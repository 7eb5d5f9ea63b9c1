/**
 * The vault page's messages arrive from the server, already in the page's
 * locale, as a JSON data block (<script type="application/json" id="vault-i18n">).
 * No user-visible string lives in this bundle.
 */

export type Vars = Readonly<Record<string, string | number>>;

export interface Translator {
  readonly locale: string;
  readonly dir: 'ltr' | 'rtl';
  t(key: string, vars?: Vars): string;
  has(key: string): boolean;
}

/** First-strong isolate: a Latin value inside an Arabic sentence keeps its own direction. */
const isolate = (value: string) => `\u2068${value}\u2069`;

export function createTranslator(messages: Readonly<Record<string, string>>, locale: string, dir: 'ltr' | 'rtl'): Translator {
  const own = (key: string) => Object.prototype.hasOwnProperty.call(messages, key);
  return {
    locale,
    dir,
    has: own,
    t(key, vars) {
      // A missing key shows as the key: visible in tests and screenshots, never a crash.
      const message = own(key) ? messages[key]! : key;
      if (!vars) return message;
      return message.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
        if (!Object.prototype.hasOwnProperty.call(vars, name)) return whole;
        const value = String(vars[name]);
        return dir === 'rtl' && typeof vars[name] === 'string' ? isolate(value) : value;
      });
    },
  };
}

/** Reads the data block; an absent or broken block gives an empty catalog. */
export function readMessages(doc: Document, id = 'vault-i18n'): Record<string, string> {
  const text = doc.getElementById(id)?.textContent;
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}

import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ELEMENT_TYPES, I18N_KEYS } from '../../src/protocol/index.js';
import { ar } from '../../src/i18n/ar.js';
import { en } from '../../src/i18n/en.js';
import { ROOT } from '../../src/paths.js';
import { GROUPS } from '../../src/web/vault/groups.js';
import { createTranslator, readMessages } from '../../src/web/vault/i18n.js';
import { warningMessageKey } from '../../src/web/vault/strength.js';

const WEB = join(ROOT, 'src', 'web', 'vault');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [readFileSync(join(dir, entry.name), 'utf8')] : [],
  );
}

describe('the vault page’s messages', () => {
  it('every key the bundle uses exists in English and Arabic', () => {
    const literal = sources(WEB).flatMap((text) => [...text.matchAll(/'(vault\.[a-z0-9_.]+[a-z0-9_])'/g)].map((m) => m[1]!));
    const dynamic = [
      ...[0, 1, 2, 3, 4].map((score) => `vault.strength.level_${score}`),
      ...ELEMENT_TYPES.map((type) => `vault.add.${type}`),
      ...GROUPS.map((group) => `vault.group.${group.key}`),
      ...['topTen', 'straightRow', 'dates', 'wordByItself', 'userInputs'].map((w) => warningMessageKey(w)!),
      ...I18N_KEYS,
    ];
    const keys = [...new Set([...literal, ...dynamic])];
    expect(literal.length).toBeGreaterThan(100);
    const missing = keys.filter((key) => !Object.prototype.hasOwnProperty.call(en, key) || !Object.prototype.hasOwnProperty.call(ar, key));
    expect(missing).toEqual([]);
  });

  it('no user-visible English sentence is written in the bundle’s code', () => {
    // Text reaches the DOM only through t(): string literals in h(...) calls are tags, attributes or symbols.
    for (const text of sources(WEB)) {
      const children = [...text.matchAll(/h\('[a-z0-9]+',[^)]*?,\s*'([^']*[A-Za-z]{3,}[^']*)'\s*\)/g)].map((m) => m[1]);
      expect(children).toEqual([]);
    }
  });

  it('interpolates, isolates values in right-to-left pages, and shows a missing key as itself', () => {
    const en = createTranslator({ hi: 'Saved: {type}.', n: '{count} of {max}' }, 'en', 'ltr');
    expect(en.t('hi', { type: 'Passport' })).toBe('Saved: Passport.');
    expect(en.t('n', { count: 1 })).toBe('1 of {max}');
    expect(en.t('nope')).toBe('nope');
    expect(en.has('hi')).toBe(true);
    const arT = createTranslator({ hi: 'حُفظ: {type}.', n: '{count} من {max}' }, 'ar', 'rtl');
    expect(arT.t('hi', { type: 'Passport' })).toBe('حُفظ: \u2068Passport\u2069.');
    expect(arT.t('n', { count: 3, max: 5 })).toBe('3 من 5');
    expect(arT.dir).toBe('rtl');
  });

  it('reads the JSON data block, and tolerates a missing or broken one', () => {
    const doc = (text: string | null) => ({ getElementById: () => (text === null ? null : { textContent: text }) }) as unknown as Document;
    expect(readMessages(doc('{"a":"b","n":1}'))).toEqual({ a: 'b' });
    expect(readMessages(doc('not json'))).toEqual({});
    expect(readMessages(doc('[1]'))).toEqual({});
    expect(readMessages(doc(null))).toEqual({});
  });
});

import { describe, expect, it } from '@jest/globals';
import { I18N_KEYS } from '../../src/protocol/index.js';
import { ar } from '../../src/i18n/ar.js';
import { en } from '../../src/i18n/en.js';
import {
  LOCALES,
  direction,
  formatMinutes,
  hasMessage,
  matchLocale,
  negotiateLocale,
  parseAcceptLanguage,
  t,
} from '../../src/i18n/index.js';

describe('catalogs', () => {
  it('English and Arabic have exactly the same keys', () => {
    expect(Object.keys(ar).sort()).toEqual(Object.keys(en).sort());
  });

  it('has no empty message and the same placeholders in both languages', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(en[key].trim()).not.toBe('');
      expect(ar[key].trim()).not.toBe('');
      const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect({ key, vars: placeholders(ar[key]) }).toEqual({ key, vars: placeholders(en[key]) });
    }
  });

  it('has a message for every form error code', () => {
    for (const code of [
      'invalid_email',
      'too_short',
      'too_long',
      'too_common',
      'email_taken',
      'invalid_credentials',
      'account_locked',
      'ip_limited',
      'password_mismatch',
      'csrf',
      'session_expired',
    ]) {
      expect(hasMessage(`error.${code}`)).toBe(true);
    }
  });

  it('names every element type, field, scan slot and gender value of the protocol', () => {
    const missing = I18N_KEYS.filter((key) => !hasMessage(key));
    expect(missing).toEqual([]);
    expect(t('en', 'element.driver_license')).toBe('Driver’s license');
    expect(t('ar', 'slot.front_side')).toBe('الوجه الأمامي');
  });

  it('has the vault page’s messages in both languages, with a plain warning about losing the passphrase and code', () => {
    const vaultKeys = Object.keys(en).filter((key) => key.startsWith('vault.'));
    expect(vaultKeys.length).toBeGreaterThan(100);
    expect(t('en', 'vault.setup.rule_loss')).toMatch(/lose both your passphrase and your recovery code.*lost for good/);
    expect(t('en', 'vault.unlock.unsafe')).toMatch(/passphrase was not used/);
    // The recovery file is plain text with line breaks in both languages.
    for (const locale of LOCALES) {
      const text = t(locale, 'vault.recovery.file_text');
      expect(text).toContain('{code}');
      expect(text.split('\n').length).toBeGreaterThan(4);
    }
  });

  it('lists the supported locales', () => {
    expect([...LOCALES]).toEqual(['en', 'ar']);
    expect(direction('ar')).toBe('rtl');
    expect(direction('en')).toBe('ltr');
  });
});

describe('t', () => {
  it('translates and interpolates', () => {
    expect(t('en', 'login.heading', { client: 'Acme' })).toBe('Sign in to continue to Acme');
    expect(t('ar', 'login.heading', { client: 'Acme' })).toBe('سجّل الدخول للمتابعة إلى Acme');
    expect(t('en', 'error.invalid_credentials')).toBe('Wrong email or password.');
    expect(t('en', 'error.account_locked', { duration: formatMinutes('en', 5) })).toBe(
      'Too many failed attempts for this account. Try again in 5 minutes.',
    );
  });

  it('leaves unknown placeholders and does not re-interpolate values', () => {
    expect(t('en', 'login.heading')).toBe('Sign in to continue to {client}');
    expect(t('en', 'login.heading', { client: '{client}' })).toBe('Sign in to continue to {client}');
  });

  it('throws for a key missing from English (under tests)', () => {
    expect(() => t('en', 'no.such.key')).toThrow(/no\.such\.key/);
    expect(() => t('ar', 'no.such.key')).toThrow(/no\.such\.key/);
  });

  it('formats minutes with each language’s plural rules', () => {
    expect(formatMinutes('en', 1)).toBe('1 minute');
    expect(formatMinutes('ar', 5)).toContain('دقائق');
  });
});

describe('negotiateLocale', () => {
  it('prefers the explicit choice', () => {
    expect(negotiateLocale({ explicit: 'ar', uiLocales: 'en', acceptLanguage: 'en' })).toBe('ar');
    expect(negotiateLocale({ explicit: 'en', uiLocales: 'ar', acceptLanguage: 'ar' })).toBe('en');
  });

  it('ignores an unsupported explicit value', () => {
    expect(negotiateLocale({ explicit: 'fr', acceptLanguage: 'ar' })).toBe('ar');
  });

  it('takes the first supported ui_locales entry, matching region subtags', () => {
    expect(negotiateLocale({ uiLocales: 'fr-CA ar-EG en', acceptLanguage: 'en' })).toBe('ar');
    expect(negotiateLocale({ uiLocales: 'de  en-GB ar', acceptLanguage: 'ar' })).toBe('en');
    expect(negotiateLocale({ uiLocales: 'fr', acceptLanguage: 'ar' })).toBe('ar');
  });

  it('orders Accept-Language by quality', () => {
    expect(negotiateLocale({ acceptLanguage: 'en;q=0.5, ar-SA;q=0.9, fr' })).toBe('ar');
    expect(negotiateLocale({ acceptLanguage: 'ar;q=0, en;q=0.1' })).toBe('en');
    expect(parseAcceptLanguage('fr, ar;q=0.8, en-US;q=0.8, *;q=0.1')).toEqual(['ar', 'en']);
    expect(parseAcceptLanguage('ar;q=0')).toEqual([]);
    expect(parseAcceptLanguage('ar;q=bogus, en')).toEqual(['en']);
  });

  it('defaults to English', () => {
    expect(negotiateLocale({})).toBe('en');
    expect(negotiateLocale({ acceptLanguage: 'fr, de' })).toBe('en');
    expect(matchLocale('AR_eg')).toBe('ar');
    expect(matchLocale('')).toBeUndefined();
  });
});

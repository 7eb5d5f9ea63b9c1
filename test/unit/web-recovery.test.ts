import { describe, expect, it } from '@jest/globals';
import { generateRecoveryCode, parseRecoveryCode } from '../../src/protocol/index.js';
import { confirmsLastGroup, lastGroup, normalizeCodeInput } from '../../src/web/vault/recovery-code.js';
import { MIN_SCORE, passphraseStrength, warningMessageKey } from '../../src/web/vault/strength.js';
import { personalInputs } from '../../src/web/vault/ui/passphrase.js';

describe('recovery code confirmation', () => {
  it('accepts the last group typed back loosely, and nothing else', () => {
    for (let i = 0; i < 20; i++) {
      const { text } = generateRecoveryCode();
      const last = lastGroup(text);
      expect(last).toHaveLength(4);
      expect(text.endsWith(`-${last}`)).toBe(true);
      expect(confirmsLastGroup(text, last)).toBe(true);
      expect(confirmsLastGroup(text, ` ${last.toLowerCase()} `)).toBe(true);
      expect(confirmsLastGroup(text, last.slice(0, 3))).toBe(false);
      expect(confirmsLastGroup(text, text.split('-')[0]!)).toBe(false);
      expect(confirmsLastGroup(text, '')).toBe(false);
    }
  });

  it('normalizes like the protocol parser: look-alikes, Arabic-Indic digits, full-width characters', () => {
    expect(normalizeCodeInput('o1l-I ٣۴Ａ')).toBe('011134A');
    const { text } = generateRecoveryCode();
    // The same loose forms the recovery screen accepts are what the parser accepts.
    const loose = normalizeCodeInput(text.toLowerCase().replace(/-/g, ' '));
    expect(parseRecoveryCode(loose)).toEqual(parseRecoveryCode(text));
  });
});

describe('passphrase strength', () => {
  it('asks for strong passphrases and explains common weaknesses', () => {
    expect(MIN_SCORE).toBe(3);
    const weak = passphraseStrength('password1');
    expect(weak.acceptable).toBe(false);
    expect(weak.warningKey).toBe('vault.strength.warn_common');
    expect(passphraseStrength('aaaaaaaaaaaa').warningKey).toBe('vault.strength.warn_pattern');
    expect(passphraseStrength('1990-04-12').warningKey).toBe('vault.strength.warn_dates');
    expect(passphraseStrength('orbit velvet canyon lantern 42').acceptable).toBe(true);
    // An Arabic passphrase of several words is strong too.
    expect(passphraseStrength('نخلة قمر بحر جبل ٧').acceptable).toBe(true);
    // The email (and its parts) count as guessable.
    const personal = passphraseStrength('laylahaddad', personalInputs('layla.haddad@example.com'));
    expect(personal.acceptable).toBe(false);
  });

  it('maps every zxcvbn warning it knows to a message, and nothing for the rest', () => {
    expect(warningMessageKey('topTen')).toBe('vault.strength.warn_common');
    expect(warningMessageKey('dates')).toBe('vault.strength.warn_dates');
    expect(warningMessageKey('namesByThemselves')).toBe('vault.strength.warn_words');
    expect(warningMessageKey('userInputs')).toBe('vault.strength.warn_personal');
    expect(warningMessageKey('somethingNew')).toBeUndefined();
    expect(warningMessageKey(null)).toBeUndefined();
    expect(personalInputs('layla.haddad@example.com')).toEqual(['layla.haddad@example.com', 'layla.haddad', 'layla', 'haddad', 'example']);
  });
});

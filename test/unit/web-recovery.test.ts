import { describe, expect, it } from '@jest/globals';
import { generateRecoveryCode, parseRecoveryCode } from '../../src/protocol/index.js';
import { codeGroups, confirmsGroup, lastGroup, normalizeCodeInput, pickGroup, randomIndex } from '../../src/web/vault/recovery-code.js';
import { MIN_SCORE, passphraseStrength, warningMessageKey } from '../../src/web/vault/strength.js';
import { personalInputs } from '../../src/web/vault/ui/passphrase.js';

describe('recovery code confirmation', () => {
  it('accepts the asked group typed back loosely, and no other group', () => {
    for (let i = 0; i < 20; i++) {
      const { text } = generateRecoveryCode();
      const groups = codeGroups(text);
      expect(groups.map((g) => g.length)).toEqual([5, 5, 5, 4, 4, 4]);
      expect(lastGroup(text)).toBe(groups[5]);
      groups.forEach((group, index) => {
        expect(confirmsGroup(text, index, group)).toBe(true);
        expect(confirmsGroup(text, index, ` ${group.toLowerCase()} `)).toBe(true);
        expect(confirmsGroup(text, index, group.slice(0, -1))).toBe(false);
        expect(confirmsGroup(text, index, '')).toBe(false);
        // Another group (the last, say, that used to be asked) is refused unless it happens to be equal.
        const other = groups[(index + 1) % groups.length]!;
        if (other !== group) expect(confirmsGroup(text, index, other)).toBe(false);
      });
      expect(confirmsGroup(text, 6, groups[0]!)).toBe(false);
      expect(confirmsGroup(text, -1, groups[0]!)).toBe(false);
    }
  });

  it('asks for every group, uniformly, and never the same group twice in a row', () => {
    const { text } = generateRecoveryCode();
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 6000; i++) counts[pickGroup(text)]! += 1;
    for (const c of counts) expect(c).toBeGreaterThan(800); // 1000 expected each
    for (let previous = 0; previous < 6; previous++) {
      for (let i = 0; i < 200; i++) {
        const next = pickGroup(text, previous);
        expect(next).not.toBe(previous);
        expect(next).toBeGreaterThanOrEqual(0);
        expect(next).toBeLessThan(6);
      }
    }
  });

  it('draws without modulo bias: words above the largest multiple are drawn again', () => {
    const words = [0xffff_ffff, 0xffff_fffe, 7];
    const random = (b: Uint32Array<ArrayBuffer>) => (b[0] = words.shift()!);
    expect(randomIndex(6, random)).toBe(1);
    expect(words).toEqual([]);
    expect(() => randomIndex(0)).toThrow(RangeError);
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

import { describe, expect, it } from '@jest/globals';
import {
  formatRecoveryCode,
  generateRecoveryCode,
  parseRecoveryCode,
  RECOVERY_CODE_GROUPS,
  RecoveryCodeError,
} from '../../../src/protocol/index.js';

const DIGITS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CHECKS = `${DIGITS}*~$=U`;

describe('recovery code', () => {
  it('shows 128 bits as 26 Crockford digits and a check symbol, grouped 5-5-5-4-4-4', () => {
    expect(RECOVERY_CODE_GROUPS.reduce((a, b) => a + b, 0)).toBe(27);
    for (let n = 0; n < 200; n++) {
      const { bytes, text } = generateRecoveryCode();
      expect(text).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}[0-9A-HJKMNP-TV-Z*~$=U]$/);
      expect(parseRecoveryCode(text)).toEqual(bytes);
    }
  });

  it('round-trips the extremes', () => {
    expect(formatRecoveryCode(new Uint8Array(16))).toBe('00000-00000-00000-0000-0000-0000');
    const max = new Uint8Array(16).fill(0xff);
    const text = formatRecoveryCode(max);
    expect(text.startsWith('7ZZZZ-')).toBe(true);
    expect(parseRecoveryCode(text)).toEqual(max);
  });

  it('reads what people type: any case, spaces, dashes, I/L for 1, O for 0, full-width and Arabic-Indic digits', () => {
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    const text = formatRecoveryCode(bytes);
    const forms = [
      text.toLowerCase(),
      text.replaceAll('-', ' '),
      `  ${text.replaceAll('-', '')}\n`,
      text.replaceAll('-', '\u2013'),
      text.replace(/1/g, 'I').replace(/0/g, 'o'),
      text.replace(/1/g, 'l'),
      text.replace(/[0-9A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)), // full-width
      text.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d))),
      text.replace(/[0-9]/g, (d) => String.fromCharCode(0x06f0 + Number(d))),
    ];
    for (const form of forms) expect(parseRecoveryCode(form)).toEqual(bytes);
  });

  it('catches every single-character substitution', () => {
    for (let n = 0; n < 5; n++) {
      const compact = generateRecoveryCode().text.replaceAll('-', '');
      for (let i = 0; i < compact.length; i++) {
        const alphabet = i < 26 ? DIGITS : CHECKS;
        for (const c of alphabet) {
          if (c === compact[i]) continue;
          const typo = compact.slice(0, i) + c + compact.slice(i + 1);
          expect(() => parseRecoveryCode(typo)).toThrow(RecoveryCodeError);
        }
      }
    }
  });

  it('catches every swap of two adjacent different characters', () => {
    for (let n = 0; n < 20; n++) {
      const compact = generateRecoveryCode().text.replaceAll('-', '');
      for (let i = 0; i + 1 < compact.length; i++) {
        if (compact[i] === compact[i + 1]) continue;
        const typo = compact.slice(0, i) + compact[i + 1] + compact[i] + compact.slice(i + 2);
        expect(() => parseRecoveryCode(typo)).toThrow(RecoveryCodeError);
      }
    }
  });

  it('refuses wrong lengths, foreign characters and values beyond 128 bits', () => {
    const compact = generateRecoveryCode().text.replaceAll('-', '');
    for (const bad of ['', compact.slice(1), `${compact}0`, `${compact.slice(0, 5)}U${compact.slice(6)}`, `${compact.slice(0, 5)}!${compact.slice(6)}`, 'x'.repeat(1000)]) {
      expect(() => parseRecoveryCode(bad)).toThrow(RecoveryCodeError);
    }
    expect(() => parseRecoveryCode(42 as never)).toThrow(RecoveryCodeError);
    // First digit 8: 2^128 or more, whatever the check symbol.
    for (const check of CHECKS) expect(() => parseRecoveryCode(`8${'0'.repeat(25)}${check}`)).toThrow(RecoveryCodeError);
    expect(() => formatRecoveryCode(new Uint8Array(15))).toThrow(RecoveryCodeError);
  });
});

import { describe, expect, it } from '@jest/globals';
import {
  base64urlDecode,
  base64urlDecodedLength,
  base64urlEncode,
  base64urlLength,
  constantTimeEqual,
  randomBytes,
  utf8Decode,
  utf8Encode,
} from '../../../src/protocol/index.js';

describe('encoding', () => {
  it('encodes base64url without padding, like Node', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = randomBytes(n);
      const text = base64urlEncode(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64url'));
      expect(text).toHaveLength(base64urlLength(n));
      expect(base64urlDecodedLength(text)).toBe(n);
      expect(base64urlDecode(text)).toEqual(bytes);
    }
    const big = randomBytes(200_000);
    expect(base64urlEncode(big)).toBe(Buffer.from(big).toString('base64url'));
  });

  it('decodes only the canonical form', () => {
    for (const bad of ['A', 'AAAAA', 'AA==', 'AA=', 'AB', 'AAB', '+/8', 'ab/c', 'a b', 'é', '\u0000AAA']) {
      expect(base64urlDecodedLength(bad)).toBeUndefined();
      expect(() => base64urlDecode(bad)).toThrow(TypeError);
    }
    expect(base64urlDecode('')).toEqual(new Uint8Array(0));
    expect(base64urlDecode('AA')).toEqual(Uint8Array.of(0));
    expect(base64urlDecode('AAE')).toEqual(Uint8Array.of(0, 1));
    expect(base64urlDecode('_-8')).toEqual(Uint8Array.of(0xff, 0xef));
  });

  // (The TextDecoder error comes from another realm inside jest, so no class check.)
  it('decodes UTF-8 strictly', () => {
    expect(utf8Decode(utf8Encode('وثيقة'))).toBe('وثيقة');
    expect(() => utf8Decode(Uint8Array.of(0xc3, 0x28))).toThrow();
    expect(() => utf8Decode(Uint8Array.of(0xed, 0xa0, 0x80))).toThrow();
  });

  it('compares bytes', () => {
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(true);
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false);
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it('draws random bytes beyond the 64 KiB getRandomValues limit', () => {
    const bytes = randomBytes(200_000);
    expect(bytes).toHaveLength(200_000);
    expect(bytes.subarray(150_000, 150_032).some((b) => b !== 0)).toBe(true);
  });
});

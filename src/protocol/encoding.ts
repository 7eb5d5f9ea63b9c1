/**
 * Byte encodings shared by every implementation of protocol v1.
 * No Buffer, no atob: this file runs unchanged in Node, browsers and workers.
 */

/**
 * Byte outputs are typed over a plain ArrayBuffer, so they go straight into
 * fetch bodies, Blobs and Web Crypto under TypeScript's DOM typings.
 */
export type Bytes = Uint8Array<ArrayBuffer>;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** The characters of base64url (RFC 4648 §5) without padding. */
export const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

/** Length of the unpadded base64url text for `bytes` bytes. */
export function base64urlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/** base64url without padding (RFC 4648 §5, as JOSE uses it). */
export function base64urlEncode(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
    // Flush now and then so huge inputs do not build one deep rope.
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    chunk += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    chunk += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  parts.push(chunk);
  return parts.join('');
}

function value(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? DECODE[code]! : -1;
}

/**
 * The number of bytes `text` decodes to, or undefined when it is not canonical
 * unpadded base64url. Canonical also means the unused low bits of the last
 * character are zero, so every byte string has exactly one text form and a
 * stored value cannot be altered without changing its bytes.
 */
export function base64urlDecodedLength(text: string): number | undefined {
  const rem = text.length % 4;
  if (rem === 1) return undefined;
  if (!BASE64URL_PATTERN.test(text)) return undefined;
  if (rem !== 0) {
    const last = value(text, text.length - 1);
    const unusedBits = rem === 2 ? 0x0f : 0x03;
    if ((last & unusedBits) !== 0) return undefined;
  }
  return Math.floor((text.length * 3) / 4);
}

/** Decodes canonical unpadded base64url; throws TypeError on anything else. */
export function base64urlDecode(text: string): Bytes {
  const length = base64urlDecodedLength(text);
  if (length === undefined) throw new TypeError('invalid base64url');
  const out = new Uint8Array(length);
  let o = 0;
  let i = 0;
  for (; i + 3 < text.length; i += 4) {
    const n = (value(text, i) << 18) | (value(text, i + 1) << 12) | (value(text, i + 2) << 6) | value(text, i + 3);
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  const rest = text.length - i;
  if (rest >= 2) {
    const n = (value(text, i) << 18) | (value(text, i + 1) << 12) | (rest === 3 ? value(text, i + 2) << 6 : 0);
    out[o++] = n >> 16;
    if (rest === 3) out[o++] = (n >> 8) & 0xff;
  }
  return out;
}

const encoder = new TextEncoder();
// fatal: invalid UTF-8 must not silently become U+FFFD in something we then trust.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Encode(text: string): Bytes {
  return encoder.encode(text);
}

/** Strict UTF-8 decoding; throws TypeError on malformed input. */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Compares in time that depends only on the lengths (lengths are not secret here). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function concatBytes(...chunks: Uint8Array[]): Bytes {
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** CSPRNG bytes from Web Crypto (global in Node 20+ and every browser). */
export function randomBytes(length: number): Bytes {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let offset = 0; offset < length; offset += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
}

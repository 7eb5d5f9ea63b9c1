import { z } from 'zod';
import { badRequest } from '../http/errors.js';
import { formatZodError } from '../http/guard.js';

/**
 * What the server can see of a delivered attestation (DESIGN 5.6, "Delivery"): the
 * compact JWE's shape and its protected header. The content is an SD-JWT encrypted
 * to the holder's HE key; only the holder's page has that key, so nothing here (or
 * anywhere on the server) can open it or check the signature inside.
 */
export const ATTESTATION_ALG = 'ECDH-ES+A256KW';
export const ATTESTATION_ENC = 'A256GCM';
export const ATTESTATION_CTY = 'wathiqa-attestation+sd-jwt';
/** An SD-JWT VC with a few disclosures is a few KiB; this leaves room without letting one item be large. */
export const MAX_ATTESTATION_BYTES = 64 * 1024;

const B64URL = /^[A-Za-z0-9_-]+$/;
// ECDH-ES+A256KW wraps a 32-byte CEK into 40 bytes; A256GCM has a 12-byte IV and a 16-byte tag.
const WRAPPED_KEY_CHARS = 54;
const IV_CHARS = 16;
const TAG_CHARS = 22;
const COORDINATE = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a 32-byte base64url coordinate');

/**
 * The whole protected header, member by member: anything jose's CompactEncrypt would
 * not write for this algorithm (`zip`, `crit`, `jku`, `jwk`, `x5u`, …) is refused.
 */
const Header = z.strictObject({
  alg: z.literal(ATTESTATION_ALG),
  enc: z.literal(ATTESTATION_ENC),
  cty: z.literal(ATTESTATION_CTY),
  kid: z.string().min(1).max(128),
  epk: z.strictObject({ kty: z.literal('EC'), crv: z.literal('P-256'), x: COORDINATE, y: COORDINATE }),
  apu: z.string().max(512).regex(B64URL).optional(),
  apv: z.string().max(512).regex(B64URL).optional(),
  typ: z.string().max(64).optional(),
});
export type AttestationHeader = z.infer<typeof Header>;

/**
 * The first member name repeated within one object of a JSON text, if any. JSON.parse
 * silently keeps the last copy; a reader that keeps the first would see another
 * value, so a repeat is refused instead (RFC 7515 section 4 allows either). Expects
 * text JSON.parse accepted.
 */
export function repeatedMember(text: string): string | undefined {
  const objects: (Set<string> | null)[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const literal = text.slice(i, end + 1);
      i = end + 1;
      while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r') i++;
      const members = objects[objects.length - 1];
      if (text[i] === ':' && members) {
        const name = JSON.parse(literal) as string; // escapes decoded: "\u006a" repeats "j"
        if (members.has(name)) return name;
        members.add(name);
      }
      continue;
    }
    if (c === '{') objects.push(new Set());
    else if (c === '[') objects.push(null);
    else if (c === '}' || c === ']') objects.pop();
    i++;
  }
  return undefined;
}

/** Shape and protected header of a delivered JWE; returns the header. Every refusal is a 400 naming the problem. */
export function checkAttestationJwe(jwe: string): AttestationHeader {
  const parts = jwe.split('.');
  if (parts.length !== 5 || !parts.every((p) => B64URL.test(p))) {
    throw badRequest('jwe: must be a compact JWE (five base64url parts)');
  }
  const [protectedPart, wrappedKey, iv, , tag] = parts as [string, string, string, string, string];
  let text: string;
  let decoded: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(protectedPart, 'base64url'));
    decoded = JSON.parse(text);
  } catch {
    throw badRequest('jwe: the protected header is not base64url JSON');
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw badRequest('jwe: the protected header must be a JSON object');
  const repeated = repeatedMember(text);
  if (repeated !== undefined) throw badRequest(`jwe: the protected header repeats "${repeated.slice(0, 32)}"`);
  const header = decoded as Record<string, unknown>;
  // The common mistakes first, each with its own message; then the whole header, strictly.
  if (header.alg !== ATTESTATION_ALG) throw badRequest(`jwe: alg must be ${ATTESTATION_ALG}`);
  if (header.enc !== ATTESTATION_ENC) throw badRequest(`jwe: enc must be ${ATTESTATION_ENC}`);
  if (header.cty !== ATTESTATION_CTY) throw badRequest(`jwe: cty must be ${ATTESTATION_CTY}`);
  if ('zip' in header) throw badRequest('jwe: compression (zip) is not allowed');
  const parsed = Header.safeParse(header);
  if (!parsed.success) throw badRequest(`jwe: protected header: ${formatZodError(parsed.error)}`);
  if (wrappedKey.length !== WRAPPED_KEY_CHARS || iv.length !== IV_CHARS || tag.length !== TAG_CHARS) {
    throw badRequest(`jwe: the encrypted key, IV or tag does not have the length ${ATTESTATION_ALG} with ${ATTESTATION_ENC} gives`);
  }
  return parsed.data;
}

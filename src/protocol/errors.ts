/**
 * The protocol's error classes. Callers branch on the class, never on the message.
 *
 * VaultIntegrityError is deliberately uninformative: wrong passphrase, flipped
 * byte, truncated envelope and context mismatch (element moved to another id,
 * type or version) all look the same, so neither a malicious server nor a log
 * reader learns which check failed.
 */

/** Every decryption or integrity failure. Message always "decryption failed", no cause. */
export class VaultIntegrityError extends Error {
  constructor() {
    super('decryption failed');
  }
}

/**
 * KDF parameters the client refuses (below the floor, wrong algorithm, bad salt).
 * Thrown before any derivation: the server must not be able to make us derive weakly.
 */
export class KdfPolicyError extends Error {
  constructor(message: string) {
    super(message);
  }
}

/** A recovery code that cannot be parsed or whose check character does not match (a typo). */
export class RecoveryCodeError extends Error {
  constructor(message: string) {
    super(message);
  }
}

/** One problem in element data: a path into the data and a zod issue code. No values. */
export interface ElementDataIssue {
  path: (string | number)[];
  code: string;
  message: string;
}

/**
 * Element data that does not match its type's schema (before sealing, or after
 * opening: data written by an older or buggy client). Carries paths and codes only,
 * never the values, so it is safe to log.
 */
export class ElementDataError extends Error {
  readonly issues: ElementDataIssue[];
  constructor(message: string, issues: ElementDataIssue[] = []) {
    super(message);
    this.issues = issues;
  }
}

/** A scan we refuse to seal: unsupported media type, empty, too large, or content not matching its media type. */
export class ScanError extends Error {
  constructor(message: string) {
    super(message);
  }
}

/** A malformed argument from the calling code (not from the server's data): bad id, key length, version. */
export class ProtocolInputError extends TypeError {
  constructor(message: string) {
    super(message);
  }
}

// The name lives on the prototype, so an error instance has no own enumerable
// properties beyond what each class declares. Literal strings, because a
// minifier renames classes.
const NAMES: [new (...args: never[]) => Error, string][] = [
  [VaultIntegrityError, 'VaultIntegrityError'],
  [KdfPolicyError, 'KdfPolicyError'],
  [RecoveryCodeError, 'RecoveryCodeError'],
  [ElementDataError, 'ElementDataError'],
  [ScanError, 'ScanError'],
  [ProtocolInputError, 'ProtocolInputError'],
];
for (const [type, name] of NAMES) {
  Object.defineProperty(type.prototype, 'name', { value: name, enumerable: false, configurable: true, writable: true });
}

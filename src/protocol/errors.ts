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
    this.name = 'VaultIntegrityError';
  }
}

/**
 * KDF parameters the client refuses (below the floor, wrong algorithm, bad salt).
 * Thrown before any derivation: the server must not be able to make us derive weakly.
 */
export class KdfPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KdfPolicyError';
  }
}

/** A recovery code that cannot be parsed or whose check character does not match (a typo). */
export class RecoveryCodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecoveryCodeError';
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
    this.name = 'ElementDataError';
    this.issues = issues;
  }
}

/** A scan we refuse to seal: unsupported media type, empty, too large, or content not matching its media type. */
export class ScanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScanError';
  }
}

/** A malformed argument from the calling code (not from the server's data): bad id, key length, version. */
export class ProtocolInputError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolInputError';
  }
}

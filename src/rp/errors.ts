/**
 * Typed errors of the RP SDK. Branch on the class or on `code` (stable, part of
 * the API), never on the message. Messages name the check that failed, never a
 * released value, a key or a token, so they are safe to log.
 */

export type ReleaseErrorCode =
  | 'release_decryption_failed'
  | 'release_header_invalid'
  | 'release_issuer_mismatch'
  | 'release_audience_mismatch'
  | 'release_subject_mismatch'
  | 'release_nonce_mismatch'
  | 'release_too_old'
  | 'release_from_future'
  | 'release_replayed'
  | 'release_malformed'
  | 'release_not_requested'
  | 'release_incomplete'
  | 'scan_not_found'
  | 'scan_fetch_failed'
  | 'scan_integrity_failed'
  | 'attestation_malformed'
  | 'attestation_untrusted_issuer'
  | 'attestation_signature_invalid'
  | 'attestation_type_invalid'
  | 'attestation_expired'
  | 'attestation_not_yet_valid'
  | 'attestation_disclosure_mismatch'
  | 'attestation_key_binding_invalid'
  | 'attestation_revoked'
  | 'attestation_status_unavailable'
  | 'attestation_required'
  | 'unexpired_required';

/** Every failure of `openRelease` and `fetchScan`. */
export abstract class ReleaseError extends Error {
  abstract readonly code: ReleaseErrorCode;
}

/** One schema problem: a path into the payload and a zod issue code. No values. */
export interface ReleaseIssue {
  path: (string | number)[];
  code: string;
  message: string;
}

/**
 * The JWE could not be decrypted: no key matches its `kid`, or the ciphertext,
 * IV, tag, encrypted key or protected header was altered, or it was encrypted
 * to another key. Deliberately one error for all of these.
 */
export class ReleaseDecryptionError extends ReleaseError {
  readonly code = 'release_decryption_failed' as const;
  constructor(message = 'the release could not be decrypted') {
    super(message);
  }
}

/**
 * Not a compact JWE, or a protected header the SDK refuses: an `alg` other than
 * ECDH-ES+A256KW / RSA-OAEP-256 or not matching the key its `kid` names, an `enc`
 * other than A256GCM, a `zip`, a missing or other `cty`, a missing `kid`.
 */
export class ReleaseHeaderError extends ReleaseError {
  readonly code = 'release_header_invalid' as const;
}

/** The payload's `iss` is not the expected issuer. */
export class ReleaseIssuerMismatchError extends ReleaseError {
  readonly code = 'release_issuer_mismatch' as const;
  constructor() {
    super('the release was issued by another issuer');
  }
}

/** The payload's `aud` is not this client: a release made for another RP. */
export class ReleaseAudienceMismatchError extends ReleaseError {
  readonly code = 'release_audience_mismatch' as const;
  constructor() {
    super('the release was made for another client');
  }
}

/** The payload's `sub` is not the subject of this sign-in. */
export class ReleaseSubjectMismatchError extends ReleaseError {
  readonly code = 'release_subject_mismatch' as const;
  constructor() {
    super('the release was made for another subject');
  }
}

/** The payload's `nonce` is not this authorization's nonce: a release from another sign-in. */
export class ReleaseNonceMismatchError extends ReleaseError {
  readonly code = 'release_nonce_mismatch' as const;
  constructor() {
    super('the release was made for another authorization request');
  }
}

/** `iat` is older than `maxAgeSeconds` (plus the clock tolerance). */
export class ReleaseTooOldError extends ReleaseError {
  readonly code = 'release_too_old' as const;
  constructor() {
    super('the release is too old');
  }
}

/** `iat` lies in the future by more than the clock tolerance. */
export class ReleaseFromFutureError extends ReleaseError {
  readonly code = 'release_from_future' as const;
  constructor() {
    super('the release was issued in the future');
  }
}

/** `seenJti` reported the release's `jti` as already seen. */
export class ReleaseReplayedError extends ReleaseError {
  readonly code = 'release_replayed' as const;
  constructor() {
    super('the release was already used');
  }
}

/**
 * The decrypted payload does not match the release format: not JSON, unknown
 * members, a field the element type does not have, an invalid value (date,
 * country, …), a file slot the type does not have, a file key that is not 32
 * bytes, the same type or file twice. `issues` lists paths and codes only.
 */
export class ReleaseMalformedError extends ReleaseError {
  readonly code = 'release_malformed' as const;
  readonly issues: ReleaseIssue[];
  constructor(message: string, issues: ReleaseIssue[] = []) {
    super(message);
    this.issues = issues;
  }
}

/**
 * The release answers more than, or other than, the `requested` passport_scope:
 * an element type nobody asked for, two elements for one requirement, a field
 * outside `fields`, a native name without `native_names`, a selfie or a
 * translation that was not asked for.
 */
export class ReleaseNotRequestedError extends ReleaseError {
  readonly code = 'release_not_requested' as const;
}

/**
 * The release leaves out something the `requested` passport_scope asked for
 * and the holder could not have declined: a requirement without an element, or
 * a required field of the type that was asked for.
 */
export class ReleaseIncompleteError extends ReleaseError {
  readonly code = 'release_incomplete' as const;
}

/**
 * The `requested` passport_scope asked for an unexpired document (`"unexpired":
 * true`) and the element that answers it has expired, or shows no expiry date.
 * `requirement` is the index in `requested.data`; `reason` says which. The date
 * itself is in the release, never in the message. Dates compare with the UTC
 * date less one day, so a document the holder's page (local calendar) could
 * still call valid is never refused.
 */
export class UnexpiredRequiredError extends ReleaseError {
  readonly code = 'unexpired_required' as const;
  readonly requirement: number;
  readonly reason: 'expired' | 'no_expiry_date';
  constructor(requirement: number, reason: 'expired' | 'no_expiry_date') {
    super(`requirement ${requirement} asks for an unexpired document; the released one ${reason === 'expired' ? 'has expired' : 'shows no expiry date'}`);
    this.requirement = requirement;
    this.reason = reason;
  }
}

/** The server answered 404: the file is unknown, not part of this release, or the release was revoked. */
export class ScanNotFoundError extends ReleaseError {
  readonly code = 'scan_not_found' as const;
  constructor() {
    super('the scan was not found (unknown file, not in this release, or the release was revoked)');
  }
}

/** The scan could not be fetched: network failure or an HTTP status other than 2xx and 404. */
export class ScanFetchError extends ReleaseError {
  readonly code = 'scan_fetch_failed' as const;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/**
 * The ciphertext the server returned does not decrypt under the file key of the
 * release, or its plaintext does not match the release's `size`, `sha256` or
 * `media_type`: a swapped, truncated or altered file.
 */
export class ScanIntegrityError extends ReleaseError {
  readonly code = 'scan_integrity_failed' as const;
  constructor() {
    super('the scan does not match the release');
  }
}

/**
 * Every failure of `verifyPresentation` (DESIGN 5.6). A subclass of
 * ReleaseError so one `catch` covers a release and the attestations it carries.
 */
export abstract class AttestationError extends ReleaseError {}

/** Not an SD-JWT with one issuer-signed JWT, flat object disclosures and the members the format needs (`iss`, `vct`, `cnf.jwk`, `_sd`, sha-256). */
export class AttestationMalformedError extends AttestationError {
  readonly code = 'attestation_malformed' as const;
}

/** `iss` is not on the RP's trust list, or its JWKS has no signing key with the header's `kid`. */
export class UntrustedIssuerError extends AttestationError {
  readonly code = 'attestation_untrusted_issuer' as const;
  constructor(message = 'the attestation was issued by an issuer this RP does not trust') {
    super(message);
  }
}

/** The issuer-signed JWT does not verify under the trusted key its `kid` names: altered payload, header or signature. */
export class AttestationSignatureError extends AttestationError {
  readonly code = 'attestation_signature_invalid' as const;
  constructor() {
    super('the attestation signature does not verify');
  }
}

/** Header `typ` is not `dc+sd-jwt`, or `vct` is not `urn:wathiqa:element:<type>:1` for the element it came with (a presentation moved to another element). */
export class AttestationTypeError extends AttestationError {
  readonly code = 'attestation_type_invalid' as const;
}

/** `exp` has passed (beyond the clock tolerance). */
export class AttestationExpiredError extends AttestationError {
  readonly code = 'attestation_expired' as const;
  constructor() {
    super('the attestation has expired');
  }
}

/** `iat` or `nbf` lies in the future (beyond the clock tolerance). */
export class AttestationNotYetValidError extends AttestationError {
  readonly code = 'attestation_not_yet_valid' as const;
  constructor() {
    super('the attestation is not valid yet');
  }
}

export type DisclosureMismatchReason = 'value' | 'not_released' | 'not_in_sd' | 'duplicate';

/**
 * A disclosure that does not back the release: its value differs from the
 * released value (`value`), it covers a field or scan the holder did not
 * release (`not_released`), its digest is not in the signed `_sd`
 * (`not_in_sd`), or it appears twice (`duplicate`). `field` names the field,
 * never its value.
 */
export class DisclosureMismatchError extends AttestationError {
  readonly code = 'attestation_disclosure_mismatch' as const;
  readonly reason: DisclosureMismatchReason;
  readonly field: string | undefined;
  constructor(reason: DisclosureMismatchReason, field?: string) {
    super(`a disclosure does not match the release (${reason}${field === undefined ? '' : `: ${field}`})`);
    this.reason = reason;
    this.field = field;
  }
}

export type KeyBindingReason = 'missing' | 'header' | 'signature' | 'audience' | 'nonce' | 'stale' | 'future' | 'sd_hash' | 'holder';

/**
 * The KB-JWT does not bind this presentation to this holder, RP and sign-in:
 * absent, a header other than `typ: kb+jwt` / ES256, not signed by `cnf.jwk`
 * (the presentation moved to another holder), another `aud` or `nonce`, an
 * `iat` too old or in the future, an `sd_hash` that does not cover exactly
 * the disclosures sent (one added or removed), or (`holder`) a `cnf.jwk` that is
 * not the release's holder: another presentation of the same release, or the
 * release's `holder.sig`, names another key.
 */
export class KeyBindingError extends AttestationError {
  readonly code = 'attestation_key_binding_invalid' as const;
  readonly reason: KeyBindingReason;
  constructor(reason: KeyBindingReason) {
    super(`the key binding JWT is invalid (${reason})`);
    this.reason = reason;
  }
}

export type AttestationStatusState = 'revoked' | 'suspended';

/**
 * The issuer's Token Status List marks the attestation as no longer valid:
 * `state` is `suspended` for status 2 (the issuer may lift it), `revoked` for
 * any other non-zero status. `status` is the raw value.
 */
export class AttestationRevokedError extends AttestationError {
  readonly code = 'attestation_revoked' as const;
  readonly state: AttestationStatusState;
  readonly status: number;
  readonly issuer: string;
  constructor(status: number, issuer: string) {
    const state: AttestationStatusState = status === 2 ? 'suspended' : 'revoked';
    super(`the attestation was ${state} by its issuer`);
    this.state = state;
    this.status = status;
    this.issuer = issuer;
  }
}

/**
 * The attestation names a Token Status List that could not be used: the URL is
 * not https (without `allowHttp`), the fetch failed or timed out, the answer is
 * not 200 or larger than 16 KiB, the JWT is not `typ: statuslist+jwt`, not
 * signed by a signing key of the attestation's (trusted) issuer, its `sub` is
 * not the URL, it has expired, or the index is outside the list. Revocation
 * could not be ruled out, so the attestation is not accepted.
 */
export class AttestationStatusError extends AttestationError {
  readonly code = 'attestation_status_unavailable' as const;
}

/**
 * The `requested` passport_scope asked for an attested element (`"verified":
 * true`, or `"verifiers": [...]`) and the element that answers it has released
 * fields or scans no accepted issuer attested. `requirement` is the index in
 * `requested.data`; `missing` names the fields and scan slots, never values.
 */
export class AttestationRequiredError extends AttestationError {
  readonly code = 'attestation_required' as const;
  readonly requirement: number;
  readonly missing: string[];
  constructor(requirement: number, missing: string[]) {
    super(`requirement ${requirement} asks for attested data; not attested by an accepted issuer: ${missing.join(', ')}`);
    this.requirement = requirement;
    this.missing = missing;
  }
}

/**
 * `deliverAttestation` failed. `code` is the server's `error` (`invalid_token`,
 * `not_a_verifier`, `no_release`, `inbox_full`, `invalid_request`,
 * `request_too_large`, …), or `network_error` (no answer; `status` undefined) or
 * `invalid_response` (an answer that is not the documented JSON).
 * `description` is the server's `error_description`. Not a ReleaseError: it is
 * the verifier's own request that failed, not a release.
 */
export class AttestationDeliveryError extends Error {
  readonly status: number | undefined;
  readonly code: string;
  readonly description: string | undefined;
  constructor(code: string, status?: number, description?: string) {
    super(`the attestation was not delivered (${code}${status === undefined ? '' : `, HTTP ${status}`})${description ? `: ${description}` : ''}`);
    this.code = code;
    this.status = status;
    this.description = description;
  }
}

// Names as literal strings on the prototypes (a minifier renames classes).
const NAMES: [abstract new (...args: never[]) => Error, string][] = [
  [ReleaseError, 'ReleaseError'],
  [ReleaseDecryptionError, 'ReleaseDecryptionError'],
  [ReleaseHeaderError, 'ReleaseHeaderError'],
  [ReleaseIssuerMismatchError, 'ReleaseIssuerMismatchError'],
  [ReleaseAudienceMismatchError, 'ReleaseAudienceMismatchError'],
  [ReleaseSubjectMismatchError, 'ReleaseSubjectMismatchError'],
  [ReleaseNonceMismatchError, 'ReleaseNonceMismatchError'],
  [ReleaseTooOldError, 'ReleaseTooOldError'],
  [ReleaseFromFutureError, 'ReleaseFromFutureError'],
  [ReleaseReplayedError, 'ReleaseReplayedError'],
  [ReleaseMalformedError, 'ReleaseMalformedError'],
  [ReleaseNotRequestedError, 'ReleaseNotRequestedError'],
  [ReleaseIncompleteError, 'ReleaseIncompleteError'],
  [UnexpiredRequiredError, 'UnexpiredRequiredError'],
  [ScanNotFoundError, 'ScanNotFoundError'],
  [ScanFetchError, 'ScanFetchError'],
  [ScanIntegrityError, 'ScanIntegrityError'],
  [AttestationError, 'AttestationError'],
  [AttestationMalformedError, 'AttestationMalformedError'],
  [UntrustedIssuerError, 'UntrustedIssuerError'],
  [AttestationSignatureError, 'AttestationSignatureError'],
  [AttestationTypeError, 'AttestationTypeError'],
  [AttestationExpiredError, 'AttestationExpiredError'],
  [AttestationNotYetValidError, 'AttestationNotYetValidError'],
  [DisclosureMismatchError, 'DisclosureMismatchError'],
  [KeyBindingError, 'KeyBindingError'],
  [AttestationRevokedError, 'AttestationRevokedError'],
  [AttestationStatusError, 'AttestationStatusError'],
  [AttestationRequiredError, 'AttestationRequiredError'],
  [AttestationDeliveryError, 'AttestationDeliveryError'],
];
for (const [type, name] of NAMES) {
  Object.defineProperty(type.prototype, 'name', { value: name, enumerable: false, configurable: true, writable: true });
}

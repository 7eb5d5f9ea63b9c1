/**
 * wathiqa/rp: the relying-party SDK (DESIGN 5.4). Turns the `passport` claim
 * into checked, typed data, fetches and decrypts the scans it names, and maps
 * it to OIDC4IA `verified_claims`. See docs/rp-sdk.md.
 *
 * Runs wherever WebCrypto and fetch exist (Node ≥ 20, Deno, Bun, workers):
 * imports only jose, zod, @sd-jwt/sd-jwt-vc and @sd-jwt/jwt-status-list (attestations) and
 * the isomorphic protocol module.
 */
import type { ElementType } from '../protocol/index.js';
import type { Release, ReleasedElementOf } from './payload.js';

export {
  AttestationDeliveryError,
  AttestationError,
  AttestationExpiredError,
  AttestationMalformedError,
  AttestationNotYetValidError,
  AttestationRequiredError,
  AttestationRevokedError,
  AttestationSignatureError,
  AttestationStatusError,
  AttestationTypeError,
  DisclosureMismatchError,
  KeyBindingError,
  UntrustedIssuerError,
  type AttestationStatusState,
  type DisclosureMismatchReason,
  type KeyBindingReason,
  ReleaseAudienceMismatchError,
  ReleaseDecryptionError,
  ReleaseError,
  ReleaseFromFutureError,
  ReleaseHeaderError,
  ReleaseIncompleteError,
  ReleaseIssuerMismatchError,
  ReleaseMalformedError,
  ReleaseNonceMismatchError,
  ReleaseNotRequestedError,
  ReleaseReplayedError,
  UnexpiredRequiredError,
  ReleaseSubjectMismatchError,
  ReleaseTooOldError,
  ScanFetchError,
  ScanIntegrityError,
  ScanNotFoundError,
  type ReleaseErrorCode,
  type ReleaseIssue,
} from './errors.js';
export {
  loadReleaseKeys,
  RELEASE_ALGS,
  RELEASE_CTY,
  RELEASE_ENC,
  type KeyEntry,
  type PrivateKeyInput,
  type ReleaseAlg,
  type ReleaseKey,
  type ReleaseKeyring,
  type ReleaseKeysInput,
} from './keys.js';
export {
  MAX_ELEMENT_ATTESTATIONS,
  MAX_RELEASE_ELEMENTS,
  releaseFileHashes,
  type Release,
  type ReleasedElement,
  type ReleasedElementOf,
  type ReleasedFile,
  type ReleasedFiles,
} from './payload.js';
export type { ReleaseHolder } from '../protocol/release.js';
export { MAX_RELEASE_JWE_LENGTH, memoryJtiStore, openRelease, type OpenReleaseOptions, type SeenJti } from './release.js';
export {
  ATTESTATION_ALGS,
  ATTESTATION_TYP,
  KB_ALGS,
  KB_JWT_TYP,
  MAX_PRESENTATION_LENGTH,
  vctOf,
  verifyPresentation,
  type AttestationVerification,
  type VerifiedPresentation,
  type VerifyPresentationContext,
} from './attestations.js';
export { trustedIssuersFromList, type TrustedIssuer } from './trust.js';
export { MAX_STATUS_LIST_BYTES, STATUS_LIST_JWT_TYP, type CheckedStatus } from './status.js';
export type { AttestationReport, ElementVerification, VerifiersOption } from './verify-elements.js';
export {
  ATTESTATION_JWE_ALG,
  ATTESTATION_JWE_CTY,
  ATTESTATION_JWE_ENC,
  createStatusList,
  deliverAttestation,
  encryptAttestation,
  issueAttestation,
  MAX_ATTESTATION_JWE_LENGTH,
  MAX_STATUS_LIST_JWT_LENGTH,
  MAX_STATUS_LIST_SIZE,
  signStatusList,
  StatusList,
  type DeliverAttestationInput,
  type IssueAttestationInput,
  type SignStatusListInput,
} from './issue.js';
export { checkAnswersScope } from './scope.js';
export { checkErrorReport, reportErrors, ReportErrorsError, type ReportErrorsInput } from './feedback.js';
export { isReleaseRef, MAX_ERROR_MESSAGE_LENGTH, MAX_REPORTED_ERRORS } from '../protocol/index.js';
export { fetchScan, scansOf, scanUrl, type FetchScanOptions, type Scan } from './files.js';
export {
  DOCUMENT_TYPES,
  SELF_ASSERTED_TRUST_FRAMEWORK,
  toVerifiedClaims,
  type DocumentEvidence,
  type VerifiedClaims,
  type VerifiedClaimsAddress,
  type VerifiedClaimsClaims,
} from './verified-claims.js';
export {
  parsePassportScope,
  PassportScopeError,
  type ElementData,
  type ElementType,
  type PassportRequirement,
  type PassportScope,
  type ScanMediaType,
  type SlotName,
} from '../protocol/index.js';

/** The release's element of one of `types` (the first found), typed by its type. */
export function findElement<T extends ElementType>(release: Release, ...types: T[]): { [K in T]: ReleasedElementOf<K> }[T] | undefined {
  return release.elements.find((element) => (types as ElementType[]).includes(element.type)) as { [K in T]: ReleasedElementOf<K> }[T] | undefined;
}

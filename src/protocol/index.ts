/**
 * Protocol v1, isomorphic: the browser bundle, the server (shape checks only)
 * and the RP SDK import from here. No Node and no DOM-only APIs anywhere below.
 */
export * from './elements/index.js';
export {
  ElementDataError,
  KdfPolicyError,
  ProtocolInputError,
  RecoveryCodeError,
  ScanError,
  VaultIntegrityError,
  type ElementDataIssue,
} from './errors.js';
export {
  base64urlDecode,
  base64urlDecodedLength,
  base64urlEncode,
  base64urlLength,
  constantTimeEqual,
  randomBytes,
  utf8Decode,
  utf8Encode,
  type Bytes,
} from './encoding.js';
export { isUuid, UUID_PATTERN } from './ids.js';
export { ENVELOPE_OVERHEAD, KEY_LENGTH, NONCE_LENGTH, open, openText, seal, sealToText, TAG_LENGTH, type SealOptions } from './aead.js';
export { elementAd, elementKeyAd, fileAd, fileKeyAd, masterKeyAd, recoveryAd } from './ad.js';
export {
  canonicalJson,
  canonicalKdfParams,
  checkKdfParams,
  deriveKek,
  deriveKekFromPassphrase,
  deriveRoot,
  hashWasmArgon2id,
  hkdfSha256,
  KDF_CEILING,
  KDF_DEFAULTS,
  KDF_FLOOR,
  KEK_INFO,
  newKdfParams,
  passphraseBytes,
  SALT_LENGTH,
  type Argon2idFunction,
  type Argon2idInput,
  type KdfParams,
} from './kdf.js';
export {
  generateKey,
  unwrapElementKey,
  unwrapFileKey,
  unwrapKey,
  unwrapMasterKey,
  wrapElementKey,
  wrapFileKey,
  wrapKey,
  wrapMasterKey,
  WRAPPED_KEY_TEXT_LENGTH,
} from './keys.js';
export {
  deriveRecoveryKey,
  formatRecoveryCode,
  generateRecoveryCode,
  parseRecoveryCode,
  RECOVERY_CODE_BYTES,
  RECOVERY_CODE_GROUPS,
  RECOVERY_INFO,
  unwrapMasterKeyForRecovery,
  wrapMasterKeyForRecovery,
  type RecoveryCode,
} from './recovery.js';
export {
  decryptElementData,
  elementPlaintext,
  encryptElementData,
  MAX_ELEMENT_CIPHERTEXT_BYTES,
  MAX_ELEMENT_PLAINTEXT_BYTES,
  MIN_ELEMENT_PLAINTEXT_BYTES,
  openElement,
  sealElement,
  type ElementRef,
  type ElementToSeal,
  type SealedElement,
} from './element-crypto.js';
export {
  checkFileMatchesLink,
  checkScan,
  encryptFile,
  fileLinkFor,
  openFile,
  openFileWithKey,
  openLinkedFile,
  openLinkedFileWithKey,
  scanDigest,
  sealFile,
  type FileExpectation,
  type FileRef,
  type SealedFile,
} from './file-crypto.js';
export {
  createVault,
  newRecoveryCode,
  recoverVault,
  rewrapMasterKey,
  unlockVault,
  type CreatedVault,
  type KdfCost,
} from './vault.js';
export { VaultShapes, type ElementRecord, type FileRecord, type VaultKeysRecord } from './shapes.js';
export {
  MAX_PASSPORT_SCOPE_LENGTH,
  normalizePassportScope,
  parsePassportScope,
  PassportScopeError,
  requestedFields,
  type PassportRequirement,
  type PassportScope,
} from './passport-scope.js';
export {
  checkVaultState,
  decodeStateRecord,
  deriveStateKey,
  encodeStateRecord,
  MAX_STATE_RECORD_LENGTH,
  nextStateRecord,
  signState,
  STATE_INFO,
  STATE_MAC_TEXT_LENGTH,
  stateKeysDigest,
  stateMac,
  stateRecord,
  verifyStateMac,
  WHOLE_VAULT_PROBLEMS,
  type ServedState,
  type SignedState,
  type StateChange,
  type StateCheck,
  type StateElement,
  type StateInput,
  type StateKeys,
  type StateProblem,
  type StateRecord,
} from './state.js';

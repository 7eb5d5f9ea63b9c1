/**
 * Associated data of protocol v1, exactly as DESIGN 5.1 writes it. The AD binds
 * each ciphertext to its place (vault, element id/type/version, file id/media
 * type), so a server that moves a ciphertext elsewhere makes decryption fail.
 * The separator "|" cannot occur inside any component: ids are UUIDs, types and
 * media types come from fixed lists, versions are decimal integers.
 */
import { isElementType } from './elements/registry.js';
import { isScanMediaType } from './elements/scans.js';
import { ProtocolInputError } from './errors.js';
import { assertUuid, assertVersion } from './ids.js';
import { canonicalKdfParams, type KdfParams } from './kdf.js';

export const AD_PREFIX = 'wathiqa/v1/';

export function masterKeyAd(vaultId: string, kdf: KdfParams): string {
  assertUuid(vaultId, 'vault id');
  return `wathiqa/v1/mk|${vaultId}|${canonicalKdfParams(kdf)}`;
}

/**
 * DESIGN 5.1 leaves the AD of the recovery wrap unstated; v1 fixes it to
 * "wathiqa/v1/mk-recovery|" + vault_id. The KDF parameters are not part of it:
 * the recovery key does not depend on them, and they change when the passphrase does.
 */
export function recoveryAd(vaultId: string): string {
  assertUuid(vaultId, 'vault id');
  return `wathiqa/v1/mk-recovery|${vaultId}`;
}

export function elementKeyAd(elementId: string): string {
  assertUuid(elementId, 'element id');
  return `wathiqa/v1/ek|${elementId}`;
}

export function fileKeyAd(fileId: string): string {
  assertUuid(fileId, 'file id');
  return `wathiqa/v1/fk|${fileId}`;
}

export function elementAd(elementId: string, type: string, version: number): string {
  assertUuid(elementId, 'element id');
  if (!isElementType(type)) throw new ProtocolInputError('unknown element type');
  assertVersion(version);
  return `wathiqa/v1/element|${elementId}|${type}|${version}`;
}

export function fileAd(fileId: string, mediaType: string): string {
  assertUuid(fileId, 'file id');
  if (!isScanMediaType(mediaType)) throw new ProtocolInputError('unsupported media type');
  return `wathiqa/v1/file|${fileId}|${mediaType}`;
}

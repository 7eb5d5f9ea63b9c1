import { z } from 'zod';
import { SALT_LENGTH } from '../protocol/kdf.js';
import { base64urlLength } from '../protocol/encoding.js';
import { HolderKeyShapes } from '../protocol/holder-keys.js';
import { VaultShapes } from '../protocol/shapes.js';
import { MAX_STATE_RECORD_LENGTH, STATE_MAC_TEXT_LENGTH } from '../protocol/state.js';

/**
 * What the vault API accepts: the protocol's shapes (src/protocol/shapes.ts), plus
 * the API's own ids and versions. The server sees envelopes, never contents; the
 * client checks the rest (the KDF floor, every AEAD tag).
 */

const { uuid } = VaultShapes;

/** Structure only (the browser enforces the floor); the salt must be the protocol's 16 bytes. */
export const KdfShape = VaultShapes.kdfParams.extend({
  salt: z.string().regex(new RegExp(`^[A-Za-z0-9_-]{${base64urlLength(SALT_LENGTH)}}$`), `must be ${SALT_LENGTH} bytes in base64url`),
});

/**
 * The page's state record for the version a write produces, and its MAC
 * (DESIGN 5.8). Optional, so older clients keep working; the service checks
 * that both or neither are present and that the record describes the vault.
 */
const StateFields = {
  state: z.string().min(2).max(MAX_STATE_RECORD_LENGTH).optional(),
  state_mac: z
    .string()
    .regex(new RegExp(`^[A-Za-z0-9_-]{${STATE_MAC_TEXT_LENGTH}}$`), 'must be 32 bytes in base64url')
    .optional(),
};

/**
 * Holder keys (DESIGN 5.5), one enc and one sig. The server checks shapes only:
 * each public JWK is P-256, public, with kid = its RFC 7638 thumbprint, and each
 * sealed private key has the exact envelope length. It cannot check that a sealed
 * key opens, that it belongs to the public key next to it, or that the holder's
 * page made it; the page does (its state record holds the kids). Nor can it stop
 * itself from swapping them: that is why verifiers learn them only inside releases.
 */
const HolderKeys = HolderKeyShapes.storedKeys;

export const VaultSetup = VaultShapes.vaultKeys.extend({ vault_id: uuid, kdf: KdfShape, holder_keys: HolderKeys.optional(), ...StateFields });
export type VaultSetup = z.infer<typeof VaultSetup>;

/** A new passphrase (after a change or a recovery): MK re-wrapped, nothing else touched. */
export const VaultRewrap = z.strictObject({
  kdf: KdfShape,
  wrapped_mk: VaultShapes.wrappedKey,
  recovery_wrapped_mk: VaultShapes.wrappedKey.optional(),
  vault_version: z.number().int().positive(),
  ...StateFields,
});
export type VaultRewrap = z.infer<typeof VaultRewrap>;

/** The recovery wrap whose code the holder confirmed (issue #11): the page's proof is its own; this only names which code. */
export const RecoveryConfirmation = z.strictObject({ recovery_wrapped_mk: VaultShapes.wrappedKey });
export type RecoveryConfirmation = z.infer<typeof RecoveryConfirmation>;

/** Holder keys for a vault that has none yet (set up before them): a state-changing write, so the record is required. */
export const HolderKeysPut = z.strictObject({
  holder_keys: HolderKeys,
  vault_version: z.number().int().positive(),
  state: StateFields.state.unwrap(),
  state_mac: StateFields.state_mac.unwrap(),
});
export type HolderKeysPut = z.infer<typeof HolderKeysPut>;

export const ElementParams = z.strictObject({ id: uuid });

/** The element record without its id (in the path), and the scans it refers to (server-side metadata). */
export const ElementPut = VaultShapes.elementRecord
  .omit({ id: true })
  .extend({ version: z.number().int().min(1).max(2 ** 31 - 1), file_ids: z.array(uuid).max(100).default([]), ...StateFields });
export type ElementPut = z.infer<typeof ElementPut>;

export const ElementDelete = z.strictObject({ version: z.coerce.number().int().min(1) });
/** A delete's optional JSON body: the state record without the element. */
export const ElementDeleteBody = z.strictObject(StateFields);

/** A state record alone (the first one of a vault set up before records existed). */
export const VaultStateWrite = z.strictObject({
  vault_version: z.number().int().positive(),
  state: StateFields.state.unwrap(),
  state_mac: StateFields.state_mac.unwrap(),
});

export interface SignedStateInput {
  state?: string | undefined;
  state_mac?: string | undefined;
}

export const FileParams = z.strictObject({ id: uuid });

export const FileUpload = VaultShapes.fileRecord;
export type FileUpload = z.infer<typeof FileUpload>;

/**
 * The holder's attestation inbox (DESIGN 5.6, "Vault"): what verifiers delivered,
 * encrypted to the holder's HE key, waiting on the server. The page opens each
 * item, checks it against the holder's own elements and the listed verifiers'
 * keys, and says what it decided; sealing and deleting are inbox-run.ts.
 *
 * Nothing the server says about an item (its verifier name, its client id) is
 * trusted for the check: only the signature under a listed verifier's key, the
 * holder's own HS key in cnf, and the holder's own values.
 */
import { compactDecrypt } from 'jose';
import * as z from 'zod';
import {
  AttestationCheckError,
  checkIssuedAttestation,
  decodeIssuedAttestation,
  holderCryptoKey,
  type AttestationCheckCode,
  type ElementContent,
  type ElementType,
  type HolderPrivateJwk,
  type HolderPublicJwk,
  type SealedAttestation,
} from '../../protocol/index.js';
import { accountRequest, NetworkError, type Fetch } from './api.js';
import { alreadySealed } from './attestations.js';
import { issuerKeys, verifierName, type VerifierInfo } from './verifier-list.js';

/** The delivery JWE's header (DESIGN 5.6, "Delivery"): exactly these, nothing negotiated. */
export const ATTESTATION_JWE = { alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'wathiqa-attestation+sd-jwt' } as const;

const Item = z.object({
  id: z.uuid(),
  client_id: z.string().min(1).max(255),
  verifier_name: z.string().max(200).nullable().optional(),
  jwe: z.string().min(1).max(256 * 1024),
  created_at: z.string(),
});
export type InboxItem = z.infer<typeof Item>;
const List = z.object({ attestations: z.array(z.unknown()).max(1000) });

export class InboxApi {
  constructor(
    private readonly csrf: string,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
    private readonly base = '/api/attestations',
  ) {}

  /** The pending items, oldest first; an item the page cannot read at all (no id) is left to the server. */
  async list(): Promise<InboxItem[]> {
    const response = await accountRequest(this.fetchImpl, this.csrf, this.base);
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new NetworkError();
    }
    const list = List.safeParse(body);
    if (!list.success) return [];
    return list.data.attestations.flatMap((entry) => {
      const parsed = Item.safeParse(entry);
      return parsed.success ? [parsed.data] : [];
    });
  }

  async remove(id: string): Promise<void> {
    await accountRequest(this.fetchImpl, this.csrf, `${this.base}/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }
}

/** Why an item cannot be added; shown to the holder in plain words (vault.attest.reason.<reason>). */
export type InboxFailureReason = 'decrypt' | 'no_document' | AttestationCheckCode;

export class InboxOpenError extends Error {
  constructor() {
    super('the attestation could not be opened with the holder’s key');
    this.name = 'InboxOpenError';
  }
}

/**
 * Opens a delivery JWE with the holder's HE private key: exactly ECDH-ES+A256KW
 * and A256GCM, the attestation content type, and the HE key's kid.
 */
export async function openDelivery(jwe: string, he: { key: HolderPrivateJwk; kid: string }): Promise<string> {
  try {
    const key = await holderCryptoKey(he.key, 'enc');
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: [ATTESTATION_JWE.alg],
      contentEncryptionAlgorithms: [ATTESTATION_JWE.enc],
    });
    if (protectedHeader.cty !== ATTESTATION_JWE.cty || protectedHeader.kid !== he.kid) throw new InboxOpenError();
    return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch {
    throw new InboxOpenError();
  }
}

/** One of the holder's elements that decrypted. */
export interface HeldElement {
  id: string;
  type: ElementType;
  updatedAt: string;
  content: ElementContent<ElementType>;
}

export interface InboxContext {
  he: { key: HolderPrivateJwk; kid: string };
  holderSig: HolderPublicJwk;
  verifiers: readonly VerifierInfo[];
  elements: readonly HeldElement[];
  now?: Date;
}

export type InboxOutcome =
  /** Checked against this element: seal it there. */
  | { kind: 'seal'; elementId: string; issuer: string; sealed: SealedAttestation }
  /** Already sealed (a reload between sealing and deleting): only the item goes. */
  | { kind: 'duplicate' }
  | { kind: 'failed'; reason: InboxFailureReason; elementType?: ElementType };

/**
 * Decides about one item: open it, then check it against each of the holder's
 * elements of its type (most recently changed first); the first that passes
 * takes it. When none does, the reason is the first element's (a signature or
 * issuer problem is the same for all of them).
 */
export async function checkInboxItem(item: Pick<InboxItem, 'jwe'>, context: InboxContext): Promise<InboxOutcome> {
  let sdJwt: string;
  try {
    sdJwt = await openDelivery(item.jwe, context.he);
  } catch {
    return { kind: 'failed', reason: 'decrypt' };
  }
  if (alreadySealed(context.elements.map((e) => e.content), sdJwt)) return { kind: 'duplicate' };
  let elementType: ElementType | undefined;
  try {
    ({ elementType } = await decodeIssuedAttestation(sdJwt));
  } catch {
    return { kind: 'failed', reason: 'malformed' };
  }
  if (!elementType) return { kind: 'failed', reason: 'type' };
  const candidates = context.elements.filter((e) => e.type === elementType).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  if (!candidates.length) return { kind: 'failed', reason: 'no_document', elementType };
  const now = context.now ?? new Date();
  const issuers = issuerKeys(context.verifiers);
  let first: InboxFailureReason | undefined;
  for (const element of candidates) {
    try {
      const summary = await checkIssuedAttestation(sdJwt, { elementType, content: element.content, holderSig: context.holderSig, issuers, now });
      const name = verifierName(context.verifiers, summary.issuer) ?? summary.issuer;
      return { kind: 'seal', elementId: element.id, issuer: summary.issuer, sealed: { sd_jwt: sdJwt, verifier_name: name.slice(0, 200), checked_at: now.toISOString() } };
    } catch (err) {
      first ??= err instanceof AttestationCheckError ? err.code : 'malformed';
    }
  }
  return { kind: 'failed', reason: first ?? 'malformed', elementType };
}

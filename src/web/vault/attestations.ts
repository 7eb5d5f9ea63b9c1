/**
 * Attestations in an element's content (DESIGN 5.6), without the DOM: which ones
 * an element holds, adding a newly checked one, which details an edit changed
 * under a verification, and summaries for showing "Verified by …".
 *
 * An attestation is sealed inside the element's content, so the element's AEAD
 * (and its AD: id, type, version) covers it like the data it attests.
 */
import {
  attestationsThatFit,
  decodeIssuedAttestation,
  encryptElementData,
  generateKey,
  MAX_ELEMENT_ATTESTATIONS,
  scanDisclosureValue,
  SLOT_NAMES,
  summarizeAttestation,
  wrapElementKey,
  type AttestationSummary,
  type ElementContent,
  type ElementRef,
  type ElementType,
  type SealedAttestation,
  type SealedElement,
} from '../../protocol/index.js';

/** The attestations an element's content holds ([] when none). */
export function sealedOf(content: ElementContent<ElementType> | undefined): SealedAttestation[] {
  return [...(content?.attestations ?? [])];
}

/** Content with these attestations; the member is left out when there are none (the schema wants 1..4 or nothing). */
export function contentWith(content: Pick<ElementContent<ElementType>, 'data' | 'files'>, attestations: readonly SealedAttestation[]): ElementContent<ElementType> {
  const base = { data: content.data, files: content.files } as ElementContent<ElementType>;
  return attestations.length ? { ...base, attestations: [...attestations] } : base;
}

/**
 * The list after adding `added` (issued by `issuer`): an older one from the same
 * issuer is replaced; beyond the limit, the ones checked longest ago go.
 * `issuerOf` names the issuer of each attestation already there.
 */
export function withAttestation(
  current: readonly SealedAttestation[],
  added: SealedAttestation,
  issuer: string,
  issuerOf: (sealed: SealedAttestation) => string | undefined,
): SealedAttestation[] {
  const others = current.filter((a) => a.sd_jwt !== added.sd_jwt && issuerOf(a) !== issuer);
  const kept = [...others].sort((a, b) => b.checked_at.localeCompare(a.checked_at)).slice(0, MAX_ELEMENT_ATTESTATIONS - 1);
  // The holder's order otherwise: oldest first, the new one last.
  return [...others.filter((a) => kept.includes(a)), added];
}

/** Is this exact SD-JWT already sealed in one of these contents? (A reload between sealing and deleting the inbox item.) */
export function alreadySealed(contents: readonly (ElementContent<ElementType> | undefined)[], sdJwt: string): boolean {
  return contents.some((content) => sealedOf(content).some((a) => a.sd_jwt === sdJwt));
}

const SLOTS: ReadonlySet<string> = new Set(SLOT_NAMES);

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i]);
  }
  return a === b;
}

/**
 * The disclosed keys (fields and scan slots) whose attested value the content no
 * longer has: what an edit changed under a verification, in the disclosure order.
 * A removed value or scan counts as changed.
 */
export function changedKeys(disclosed: Readonly<Record<string, unknown>>, content: Pick<ElementContent<ElementType>, 'data' | 'files'>): string[] {
  const data = content.data as Record<string, unknown>;
  const files = content.files as Record<string, unknown>;
  return Object.entries(disclosed)
    .filter(([key, value]) => !sameValue(value, SLOTS.has(key) ? scanDisclosureValue(files, key) : data[key]))
    .map(([key]) => key);
}

export interface DroppedVerification {
  verifier: string;
  /** The fields and scan slots the edit changed under it. */
  keys: string[];
}

/**
 * What saving `next` does to the element's attestations: those whose every
 * disclosed value still holds are kept; the others are dropped, each with the
 * details the edit changed, for the warning before saving.
 */
export async function dropsOnSave(
  previous: readonly SealedAttestation[],
  next: Pick<ElementContent<ElementType>, 'data' | 'files'>,
): Promise<{ kept: SealedAttestation[]; dropped: DroppedVerification[] }> {
  if (!previous.length) return { kept: [], dropped: [] };
  const fit = await attestationsThatFit(previous, contentWith(next, []));
  const dropped = await Promise.all(
    fit.dropped.map(async (a) => {
      const disclosed = await decodeIssuedAttestation(a.sd_jwt).then((d) => d.disclosed, () => ({}));
      return { verifier: a.verifier_name, keys: changedKeys(disclosed, next) };
    }),
  );
  return { kept: fit.kept, dropped };
}

/** Has the attestation expired at `now`? */
export function isExpired(summary: Pick<AttestationSummary, 'expiresAt'>, now: Date = new Date()): boolean {
  return summary.expiresAt !== undefined && summary.expiresAt * 1000 <= now.getTime();
}

/**
 * Summaries of sealed attestations (issuer, covered fields, dates), made once per
 * SD-JWT while the vault is open. They hold no values; the SD-JWTs they are keyed
 * by do, so the page clears this when it forgets what it decrypted.
 */
export class AttestationSummaries {
  #cache = new Map<string, Promise<AttestationSummary | undefined>>();

  get(sdJwt: string): Promise<AttestationSummary | undefined> {
    let pending = this.#cache.get(sdJwt);
    if (!pending) {
      // A sealed attestation passed the full check when it was sealed; one that no longer decodes is shown as nothing.
      pending = summarizeAttestation(sdJwt).catch(() => undefined);
      this.#cache.set(sdJwt, pending);
    }
    return pending;
  }

  /** The summaries of `list`, in order (undefined for one that does not decode). */
  all(list: readonly SealedAttestation[]): Promise<(AttestationSummary | undefined)[]> {
    return Promise.all(list.map((a) => this.get(a.sd_jwt)));
  }

  clear(): void {
    this.#cache.clear();
  }
}

/**
 * Seals an element's whole content, attestations included, under a fresh EK
 * wrapped by MK (the protocol's sealElement takes only data and files).
 */
export function sealContent(mk: Uint8Array, ref: ElementRef<ElementType>, content: ElementContent<ElementType>): SealedElement {
  const ek = generateKey();
  try {
    const ciphertext = encryptElementData(ek, ref, content);
    return { wrappedKey: wrapElementKey(mk, ek, ref.id), ciphertext };
  } finally {
    ek.fill(0);
  }
}

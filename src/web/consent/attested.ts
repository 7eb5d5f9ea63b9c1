/**
 * Attestations on the consent page (DESIGN 5.6, "Asking" and "Release"), without
 * the DOM: which of the holder's elements answer a requirement that must be
 * verified, and which presentations a release carries, disclosing what.
 *
 *   verified: true        → an element with a live attestation from any verifier;
 *   verifiers: [ids]      → an element with a live attestation from one of them;
 *   live                  = sealed in the element, readable, not expired now.
 * Every released element carries a presentation of each of its live
 * attestations, disclosing only the released fields and scans that the
 * attestation covers: an unticked field is not released, so never disclosed.
 */
import {
  presentAttestation,
  requiresVerification,
  type AttestationSummary,
  type HolderPrivateJwk,
  type PassportRequirement,
  type SealedAttestation,
} from '../../protocol/index.js';
import { isExpired, sealedOf } from '../vault/attestations.js';
import type { OpenedElement } from '../vault/opened.js';
import { candidatesFor, type PayloadElement, type Readable } from './model.js';

/** The summary of a sealed attestation, read once after unlocking (undefined: it does not decode, so it is not used). */
export type SummaryLookup = (sdJwt: string) => AttestationSummary | undefined;

export interface LiveAttestation {
  sealed: SealedAttestation;
  summary: AttestationSummary;
}

/** The element's attestations that can be presented now: readable and not expired. */
export function liveAttestations(element: Readable, lookup: SummaryLookup, now: Date): LiveAttestation[] {
  return sealedOf(element.content).flatMap((sealed) => {
    const summary = lookup(sealed.sd_jwt);
    return summary && !isExpired(summary, now) ? [{ sealed, summary }] : [];
  });
}

/**
 * Whether the attestation covers every field and scan the element has. An RP that
 * asks for verified data refuses a released field no attestation covers (a field
 * added after the verification, say), so only a covering one answers such a request.
 */
function coversElement(summary: AttestationSummary, element: Readable): boolean {
  const content = element.content as { data: Record<string, unknown>; files: Record<string, unknown> };
  return (
    Object.keys(content.data).every((f) => summary.fields.includes(f)) &&
    Object.keys(content.files).filter((slot) => content.files[slot] !== undefined).every((slot) => summary.scans.includes(slot))
  );
}

/** The live attestations that satisfy the requirement's verification (all of them when it asks for none). */
export function fittingAttestations(requirement: PassportRequirement, element: Readable, lookup: SummaryLookup, now: Date): LiveAttestation[] {
  const live = liveAttestations(element, lookup, now);
  if (!requiresVerification(requirement)) return live;
  return live.filter((a) => coversElement(a.summary, element) && (!requirement.verifiers || requirement.verifiers.includes(a.summary.issuer)));
}

/** The elements offered for a requirement: candidatesFor, and for a verified one only those with a fitting attestation. */
export function offeredFor(requirement: PassportRequirement, opened: readonly OpenedElement[], lookup: SummaryLookup, now: Date): Readable[] {
  const all = candidatesFor(requirement, opened);
  return requiresVerification(requirement) ? all.filter((element) => fittingAttestations(requirement, element, lookup, now).length > 0) : all;
}

export interface PresentationPlan {
  sdJwt: string;
  /** Released fields the attestation covers: exactly what the presentation discloses. */
  fields: string[];
  scans: string[];
}

/** For one released element: each live attestation, with the released fields and scans it covers. */
export function presentationPlan(element: Readable, released: Pick<PayloadElement, 'data' | 'files'>, lookup: SummaryLookup, now: Date): PresentationPlan[] {
  const fields = Object.keys(released.data);
  const scans = Object.keys(released.files);
  return liveAttestations(element, lookup, now).map(({ sealed, summary }) => ({
    sdJwt: sealed.sd_jwt,
    fields: fields.filter((f) => summary.fields.includes(f)),
    scans: scans.filter((s) => summary.scans.includes(s)),
  }));
}

export interface KeyBinding {
  /** The RP's client id. */
  aud: string;
  /** The authorization request's nonce. */
  nonce: string;
  iat: number;
}

/**
 * Fills each released element's `attestations` with its presentations. The HS
 * private key is opened (under MK, by `holderSig`) only when there is one to sign.
 */
export async function attachPresentations(
  released: readonly PayloadElement[],
  elements: readonly Readable[],
  holderSig: () => HolderPrivateJwk,
  kb: KeyBinding,
  lookup: SummaryLookup,
  now: Date,
): Promise<void> {
  const plans = released.map((element, i) => presentationPlan(elements[i]!, element, lookup, now));
  if (!plans.some((p) => p.length)) return;
  const key = holderSig();
  for (const [i, element] of released.entries()) {
    element.attestations = await Promise.all(plans[i]!.map((plan) => presentAttestation(plan.sdJwt, { fields: plan.fields, scans: plan.scans }, key, kb)));
  }
}

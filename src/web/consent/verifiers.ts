/**
 * The verifier list (DESIGN 5.6) as the consent page uses it: names for the
 * verifiers an RP names, and where to get a document verified. The list itself
 * is fetched and checked by the vault's module, shared with the account page.
 */
import type { PassportRequirement } from '../../protocol/index.js';
import type { VerifierInfo } from '../vault/verifier-list.js';

export { fetchVerifiers, type VerifierInfo } from '../vault/verifier-list.js';

/** The verifiers that could attest an element for this requirement: of a requested type, and named by the RP if it names any. */
export function fittingVerifiers(requirement: PassportRequirement, list: readonly VerifierInfo[]): VerifierInfo[] {
  return list.filter(
    (v) => v.attested_types.some((type) => requirement.one_of.includes(type)) && (!requirement.verifiers || requirement.verifiers.includes(v.client_id)),
  );
}

/** The names of the verifiers the RP names (its client id when the list does not have it). */
export function namedVerifiers(requirement: PassportRequirement, list: readonly VerifierInfo[]): string[] {
  return (requirement.verifiers ?? []).map((id) => list.find((v) => v.client_id === id)?.name ?? id);
}

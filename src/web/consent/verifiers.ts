/**
 * The public verifier list (GET /verifiers, DESIGN 5.6) as the consent page uses
 * it: names for the verifiers an RP names, and where to get a document verified.
 * Only what the page shows is kept; anything malformed is dropped, never shown.
 */
import * as z from 'zod';
import { ELEMENT_TYPES, type ElementType, type PassportRequirement } from '../../protocol/index.js';
import type { Fetch } from './release-key.js';

export interface VerifierInfo {
  client_id: string;
  name: string;
  attested_types: ElementType[];
  policy_uri: string;
}

const Verifier = z.object({
  client_id: z.string().min(1).max(255),
  name: z.string().min(1).max(200),
  attested_types: z.array(z.enum(ELEMENT_TYPES)).min(1),
  policy_uri: z.url({ protocol: /^https$/ }),
});
const List = z.object({ verifiers: z.array(z.unknown()).max(1000) });

/** Fetches the list (same origin); [] when it cannot be read: the page then names no one. */
export async function fetchVerifiers(fetchImpl: Fetch = (i, init) => fetch(i, init)): Promise<VerifierInfo[]> {
  try {
    const response = await fetchImpl('/verifiers', { headers: { Accept: 'application/json' }, credentials: 'omit', cache: 'no-store' });
    if (!response.ok) return [];
    const list = List.safeParse(await response.json());
    if (!list.success) return [];
    return list.data.verifiers.flatMap((entry) => {
      const parsed = Verifier.safeParse(entry);
      return parsed.success ? [parsed.data as VerifierInfo] : [];
    });
  } catch {
    return [];
  }
}

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

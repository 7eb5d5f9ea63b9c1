/**
 * The public verifier list (GET /verifiers, DESIGN 5.6) as the holder's pages use
 * it: names to show, where to get a document verified, and each verifier's
 * signing keys (the vault page checks delivered attestations against them).
 * Anything malformed is dropped, never shown or trusted.
 */
import * as z from 'zod';
import { ELEMENT_TYPES, type ElementType, type IssuerKeys } from '../../protocol/index.js';
import type { Fetch } from './api.js';

export interface VerifierInfo {
  client_id: string;
  name: string;
  attested_types: ElementType[];
  policy_uri: string;
  /** The verifier's public signing keys, as the server lists them. */
  jwks: { keys: Record<string, unknown>[] };
}

/**
 * An entry. The policy page is https, or on this page's own origin: Wathiqa's own
 * verifier points at its home page, which is http in development and tests.
 */
const verifierSchema = (origin: string | undefined) =>
  z.object({
    client_id: z.string().min(1).max(255),
    name: z.string().min(1).max(200),
    attested_types: z.array(z.enum(ELEMENT_TYPES)).min(1),
    policy_uri: z.url({ protocol: /^https?$/ }).refine((u) => u.startsWith('https:') || (origin !== undefined && new URL(u).origin === origin), {
      message: 'must be https, or on this origin',
    }),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(20) }),
  });

/** This page's origin (undefined outside a browser). */
const pageOrigin = (): string | undefined => (typeof location === 'undefined' ? undefined : location.origin);
const List = z.object({ verifiers: z.array(z.unknown()).max(1000) });

/** The verifier list could not be read (network, an error answer, not the documented format). */
export class VerifierListError extends Error {
  constructor() {
    super('the verifier list could not be read');
    this.name = 'VerifierListError';
  }
}

/** Fetches the list (same origin, no credentials); malformed entries are dropped. VerifierListError when it cannot be read at all. */
export async function loadVerifiers(fetchImpl: Fetch = (i, init) => fetch(i, init), origin: string | undefined = pageOrigin()): Promise<VerifierInfo[]> {
  const Verifier = verifierSchema(origin);
  let body: unknown;
  try {
    const response = await fetchImpl('/verifiers', { headers: { Accept: 'application/json' }, credentials: 'omit', cache: 'no-store' });
    if (!response.ok) throw new VerifierListError();
    body = await response.json();
  } catch {
    throw new VerifierListError();
  }
  const list = List.safeParse(body);
  if (!list.success) throw new VerifierListError();
  return list.data.verifiers.flatMap((entry) => {
    const parsed = Verifier.safeParse(entry);
    return parsed.success ? [parsed.data as VerifierInfo] : [];
  });
}

/** As loadVerifiers, but [] when the list cannot be read: the page then names no one. */
export async function fetchVerifiers(fetchImpl?: Fetch): Promise<VerifierInfo[]> {
  return loadVerifiers(fetchImpl).catch(() => []);
}

/** The issuers whose signatures the vault page accepts: the listed verifiers, with their keys. */
export function issuerKeys(list: readonly VerifierInfo[]): IssuerKeys[] {
  return list.map((v) => ({ client_id: v.client_id, jwks: v.jwks }));
}

/**
 * Wathiqa's own verifier's client id (it checks email addresses): this server's
 * issuer, i.e. this page's origin (the page's API paths are absolute).
 */
export function ownVerifierId(origin: string | undefined = pageOrigin()): string | undefined {
  return origin;
}

/** A verifier's listed name, or undefined when it is not listed. */
export function verifierName(list: readonly VerifierInfo[], clientId: string): string | undefined {
  return list.find((v) => v.client_id === clientId)?.name;
}

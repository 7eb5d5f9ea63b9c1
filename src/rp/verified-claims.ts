/**
 * A release as OpenID Connect for Identity Assurance `verified_claims`, so RPs
 * that already consume OIDC4IA can read it with the code they have.
 *
 * Honest about what it is. Values a verifier attested (checked by openRelease
 * with `verifiers`) go into one entry per attestation issuer, under that
 * attestation's own `verification` (its trust framework, time, evidence, and
 * the verifier). Every other value comes from the holder's own vault, typed in
 * by the holder, and nobody has checked it: those stay in an entry with the
 * trust framework "wathiqa_self_asserted" and no `time`, `assurance_level` or
 * `verifier`. A release opened without `verifiers` is all self-asserted, even
 * if it carries attestations: nothing has checked them.
 */
import { canonicalJson, type ElementType } from '../protocol/index.js';
import type { Release, ReleasedElement } from './payload.js';
import type { AttestationReport } from './verify-elements.js';

/** No attestation yet: the data is what the holder entered. */
export const SELF_ASSERTED_TRUST_FRAMEWORK = 'wathiqa_self_asserted';

/**
 * OIDC4IA document types. passport, idcard, driving_permit and utility_statement
 * are the values the eKYC-IDA working group lists; the others have no listed
 * value and keep Wathiqa's element type name.
 */
export const DOCUMENT_TYPES: Partial<Record<ElementType, string>> = {
  passport: 'passport',
  internal_passport: 'internal_passport',
  identity_card: 'idcard',
  driver_license: 'driving_permit',
  utility_bill: 'utility_statement',
  bank_statement: 'bank_statement',
  rental_agreement: 'rental_agreement',
  passport_registration: 'passport_registration',
  temporary_registration: 'temporary_registration',
};

export interface DocumentEvidence {
  type: 'document';
  document_details: {
    type: string;
    document_number?: string;
    issuer?: { country: string };
    date_of_issuance?: string;
    date_of_expiry?: string;
  };
}

export interface VerifiedClaimsAddress {
  street_address?: string;
  locality?: string;
  region?: string;
  postal_code?: string;
  country?: string;
}

export interface VerifiedClaimsClaims {
  given_name?: string;
  middle_name?: string;
  family_name?: string;
  birthdate?: string;
  gender?: string;
  nationalities?: string[];
  address?: VerifiedClaimsAddress;
  email?: string;
  phone_number?: string;
}

/** An entry's `verification`: the self-asserted marker, or an attestation's own (OIDC4IA vocabulary). */
export interface VerifiedClaimsVerification {
  trust_framework: string;
  time?: string;
  verifier?: { organization: string; [member: string]: unknown };
  evidence?: unknown[];
  [member: string]: unknown;
}

export interface VerifiedClaimsEntry {
  verification: VerifiedClaimsVerification;
  claims: VerifiedClaimsClaims;
}

export interface VerifiedClaims {
  /** Attested entries first (one per issuer and verification), then the self-asserted one; never empty. */
  verified_claims: [VerifiedClaimsEntry, ...VerifiedClaimsEntry[]];
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** One element, or the part of it one source (an attestation, or nobody) vouches for. */
interface Part {
  type: ElementType;
  data: Record<string, unknown>;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function documentEvidence(part: Part): DocumentEvidence | undefined {
  const type = DOCUMENT_TYPES[part.type];
  if (!type) return undefined;
  const d = part.data;
  return {
    type: 'document',
    document_details: defined({
      type,
      document_number: str(d.document_number),
      issuer: str(d.issuing_country) ? { country: d.issuing_country as string } : undefined,
      date_of_issuance: str(d.date_of_issuance),
      date_of_expiry: str(d.date_of_expiry),
    }),
  };
}

/**
 * personal_details → given_name, middle_name, family_name, birthdate, gender,
 * nationalities; address → address (street_address and street_address_2 joined
 * by a line break); email → email; phone_number → phone_number; each identity
 * or address document → a `document` evidence.
 */
function mapParts(parts: readonly Part[]): { claims: VerifiedClaimsClaims; evidence: DocumentEvidence[] } {
  const claims: VerifiedClaimsClaims = {};
  const evidence: DocumentEvidence[] = [];
  for (const { type, data: d } of parts) {
    switch (type) {
      case 'personal_details':
        Object.assign(
          claims,
          defined({
            given_name: str(d.given_name),
            middle_name: str(d.middle_name),
            family_name: str(d.family_name),
            birthdate: str(d.birthdate),
            gender: str(d.gender),
            nationalities: str(d.nationality) ? [d.nationality as string] : undefined,
          }),
        );
        break;
      case 'address': {
        const street = [d.street_address, d.street_address_2].filter((s): s is string => typeof s === 'string').join('\n');
        const address = defined({ street_address: street || undefined, locality: str(d.locality), region: str(d.region), postal_code: str(d.postal_code), country: str(d.country) });
        if (Object.keys(address).length) claims.address = address;
        break;
      }
      case 'email':
        if (str(d.email) !== undefined) claims.email = d.email as string;
        break;
      case 'phone_number':
        if (str(d.phone_number) !== undefined) claims.phone_number = d.phone_number as string;
        break;
      default: {
        const doc = documentEvidence({ type, data: d });
        if (doc) evidence.push(doc);
      }
    }
  }
  return { claims, evidence };
}

/** Fields that become one claim: a source vouches for the claim only if it vouches for every released part of it. */
const UNITS: Partial<Record<ElementType, string[][]>> = { address: [['street_address', 'street_address_2']] };

function unitsOf(element: ReleasedElement): string[][] {
  const released = Object.keys(element.data);
  const grouped = (UNITS[element.type] ?? []).map((u) => u.filter((f) => released.includes(f))).filter((u) => u.length > 0);
  const inUnit = new Set(grouped.flat());
  return [...grouped, ...released.filter((f) => !inUnit.has(f)).map((f) => [f])];
}

const pick = (data: Record<string, unknown>, fields: Iterable<string>) => {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = data[f];
  return out;
};

/** The attestation's verification, with the verifier named when it does not name itself (OIDC4IA `verifier.organization`). */
function verificationOf(report: AttestationReport): VerifiedClaimsVerification {
  const v = structuredClone(report.verification) as VerifiedClaimsVerification;
  if (v.verifier === undefined) v.verifier = { organization: report.issuer };
  return v;
}

/** Puts a document's details into the first `document` evidence the verifier wrote without them, or adds it. */
function addDocument(verification: VerifiedClaimsVerification, doc: DocumentEvidence): void {
  const evidence = Array.isArray(verification.evidence) ? verification.evidence : (verification.evidence = []);
  const slot = evidence.findIndex((e) => typeof e === 'object' && e !== null && (e as { type?: unknown }).type === 'document' && !('document_details' in e));
  if (slot >= 0) evidence[slot] = { ...(evidence[slot] as object), document_details: doc.document_details };
  else evidence.push(doc);
}

/**
 * The release as `verified_claims`: one entry per attestation issuer (and
 * verification) for the values it attested, then one self-asserted entry for
 * the values nobody attested. A release without verified attestations gives
 * exactly one self-asserted entry.
 *
 * A claim made of several fields (the address's street lines) counts as
 * attested only when one attestation covers all of its released fields.
 * Scans are not claims: see `element.verification` for which are attested.
 *
 * Not mapped (read them from the release): native-script names (the script's
 * language is unknown, so no `#lang` claim can be named), place_of_birth (free
 * text; OIDC4IA wants a structured object), country_of_residence (no claim).
 */
export function toVerifiedClaims(release: Release): VerifiedClaims {
  const selfAsserted: Part[] = [];
  const groups = new Map<string, { verification: VerifiedClaimsVerification; parts: Part[] }>();
  for (const element of release.elements) {
    const reports = element.verification?.attestations ?? [];
    const data = element.data as Record<string, unknown>;
    const units = unitsOf(element);
    const unattested = units.filter((u) => !reports.some((r) => u.every((f) => r.fields.includes(f)))).flat();
    // A document keeps its self-asserted evidence unless attestations cover every field it has.
    if (reports.length === 0 || unattested.length > 0 || !DOCUMENT_TYPES[element.type]) selfAsserted.push({ type: element.type, data: pick(data, unattested) });
    for (const report of reports) {
      const covered = units.filter((u) => u.every((f) => report.fields.includes(f))).flat();
      // An attestation that covers nothing released vouches for nothing here; a document's scans alone still attest the document.
      if (covered.length === 0 && !(DOCUMENT_TYPES[element.type] && report.scans.length > 0)) continue;
      const verification = verificationOf(report);
      const key = `${report.issuer}\n${canonicalJson(verification)}`;
      const group = groups.get(key) ?? { verification, parts: [] };
      group.parts.push({ type: element.type, data: pick(data, covered) });
      groups.set(key, group);
    }
  }

  const entries: VerifiedClaimsEntry[] = [];
  for (const { verification, parts } of groups.values()) {
    const { claims, evidence } = mapParts(parts);
    for (const doc of evidence) addDocument(verification, doc);
    entries.push({ verification, claims });
  }
  const own = mapParts(selfAsserted);
  if (entries.length === 0 || Object.keys(own.claims).length > 0 || own.evidence.length > 0) {
    entries.push({
      verification: { trust_framework: SELF_ASSERTED_TRUST_FRAMEWORK, ...(own.evidence.length ? { evidence: own.evidence } : {}) },
      claims: own.claims,
    });
  }
  return { verified_claims: entries as VerifiedClaims['verified_claims'] };
}

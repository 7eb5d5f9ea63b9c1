/**
 * A release as OpenID Connect for Identity Assurance `verified_claims`, so RPs
 * that already consume OIDC4IA can read it with the code they have.
 *
 * Honest about what it is: every value comes from the holder's own vault, typed
 * in by the holder. Nobody has checked it yet (verifier attestations come later
 * in protocol v1), so the trust framework is "wathiqa_self_asserted" and there is
 * no `verification.time`, `assurance_level` or `verifier`. Treat the claims as
 * self-asserted data with document scans attached, not as verified identity.
 */
import type { ElementType } from '../protocol/index.js';
import type { Release, ReleasedElement, ReleasedElementOf } from './payload.js';

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

export interface VerifiedClaims {
  verified_claims: [
    {
      verification: { trust_framework: typeof SELF_ASSERTED_TRUST_FRAMEWORK; evidence?: DocumentEvidence[] };
      claims: VerifiedClaimsClaims;
    },
  ];
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function documentEvidence(element: ReleasedElement): DocumentEvidence | undefined {
  const type = DOCUMENT_TYPES[element.type];
  if (!type) return undefined;
  const data = element.data as Partial<ReleasedElementOf<'passport'>['data']>;
  return {
    type: 'document',
    document_details: defined({
      type,
      document_number: data.document_number,
      issuer: data.issuing_country ? { country: data.issuing_country } : undefined,
      date_of_issuance: data.date_of_issuance,
      date_of_expiry: data.date_of_expiry,
    }),
  };
}

/**
 * The release's data as one `verified_claims` entry:
 * personal_details → given_name, middle_name, family_name, birthdate, gender,
 * nationalities; address → address (street_address and street_address_2 joined
 * by a line break); email → email; phone_number → phone_number; each identity
 * or address document → a `document` evidence.
 *
 * Not mapped (read them from the release): native-script names (the script's
 * language is unknown, so no `#lang` claim can be named), place_of_birth (free
 * text; OIDC4IA wants a structured object), country_of_residence (no claim).
 */
export function toVerifiedClaims(release: Release): VerifiedClaims {
  const claims: VerifiedClaimsClaims = {};
  const evidence: DocumentEvidence[] = [];
  for (const element of release.elements) {
    switch (element.type) {
      case 'personal_details': {
        const d = element.data;
        Object.assign(
          claims,
          defined({
            given_name: d.given_name,
            middle_name: d.middle_name,
            family_name: d.family_name,
            birthdate: d.birthdate,
            gender: d.gender,
            nationalities: d.nationality ? [d.nationality] : undefined,
          }),
        );
        break;
      }
      case 'address': {
        const d = element.data;
        const street = [d.street_address, d.street_address_2].filter((s): s is string => typeof s === 'string').join('\n');
        const address = defined({
          street_address: street || undefined,
          locality: d.locality,
          region: d.region,
          postal_code: d.postal_code,
          country: d.country,
        });
        if (Object.keys(address).length) claims.address = address;
        break;
      }
      case 'email':
        if (element.data.email !== undefined) claims.email = element.data.email;
        break;
      case 'phone_number':
        if (element.data.phone_number !== undefined) claims.phone_number = element.data.phone_number;
        break;
      default: {
        const doc = documentEvidence(element);
        if (doc) evidence.push(doc);
      }
    }
  }
  return {
    verified_claims: [
      {
        verification: { trust_framework: SELF_ASSERTED_TRUST_FRAMEWORK, ...(evidence.length ? { evidence } : {}) },
        claims,
      },
    ],
  };
}

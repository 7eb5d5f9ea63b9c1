/**
 * openRelease's `verifiers` option: every presentation of every element is
 * verified (verifyPresentation; the first failure refuses the release), each
 * element gets a report of what is attested and by whom, and requirements that
 * asked for attested data (`"verified": true`, `"verifiers": [...]`) are held
 * to it.
 */
import { requiresVerification, type PassportScope } from '../protocol/index.js';
import { verifyPresentation, type AttestationVerification, type TrustedIssuer } from './attestations.js';
import { AttestationRequiredError, KeyBindingError, UntrustedIssuerError } from './errors.js';
import { releaseFileHashes, type ReleasedElement } from './payload.js';
import type { CheckedStatus, StatusListCache } from './status.js';

export interface VerifiersOption {
  /** The issuers you accept attestations from (by hand, or trustedIssuersFromList on GET /verifiers). */
  trusted: readonly TrustedIssuer[];
  /** Fetches status lists (default: the global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Oldest KB-JWT `iat` accepted, in seconds (default 300). */
  maxKbAgeSeconds?: number;
  /** Deadline for a status list fetch (default 5000 ms). */
  statusTimeoutMs?: number;
  /** Accept http:// status list URLs: tests and local development only. */
  allowHttp?: boolean;
  /**
   * Presentations from issuers not on `trusted` (or not trusted for the element
   * type, or naming an unknown key) are skipped and listed in
   * `verification.ignored`; they vouch for nothing, so a requirement that needs
   * attested data then fails with AttestationRequiredError. Default true: the
   * holder's page sends every attestation the element has, and a verifier you do
   * not know must not cost you the release. `false` refuses the release with
   * UntrustedIssuerError instead. Every other failure always refuses the release.
   */
  ignoreUntrusted?: boolean;
}

/** One verified presentation of an element. */
export interface AttestationReport {
  /** The verifier's client id. */
  issuer: string;
  /** Its key that signed the attestation. */
  kid: string;
  /** Released fields this attestation covers (disclosed, equal to the released value). */
  fields: string[];
  /** Released scan slots it covers (sha256 equal to the released file's). */
  scans: string[];
  /** Its OIDC4IA verification: trust_framework, time, evidence. */
  verification: AttestationVerification;
  /** Epoch seconds. */
  issuedAt: number | undefined;
  expiresAt: number | undefined;
  /** Its status list entry (checked: valid), if the issuer can revoke it. */
  status: CheckedStatus | undefined;
}

/** What an element's presentations prove. */
export interface ElementVerification {
  /** In the order the release carries them. */
  attestations: AttestationReport[];
  /** Released field → the issuers that attested it (only fields at least one attested). */
  attested: Record<string, string[]>;
  attestedScans: Record<string, string[]>;
  /** Released fields no presentation covers: the holder's word only. */
  selfAsserted: string[];
  selfAssertedScans: string[];
  /** Indexes into `element.attestations` of presentations from issuers you do not trust (see `ignoreUntrusted`). */
  ignored: number[];
}

export interface VerifyElementsContext {
  clientId: string;
  nonce: string;
  now: Date;
  clockToleranceSeconds: number;
  /** The release's holder keys (releases to verifiers): cnf must then be holder.sig. */
  holderSigKid: string | undefined;
  verifiers: VerifiersOption;
}

function addTo(map: Record<string, string[]>, key: string, issuer: string): void {
  const list = (map[key] ??= []);
  if (!list.includes(issuer)) list.push(issuer);
}

/**
 * Verifies every presentation of every element and sets `element.verification`.
 * Every presentation of one release must be bound to one holder key, and to the
 * release's `holder.sig` when it has one: a release is one holder's.
 */
export async function verifyElements(elements: ReleasedElement[], ctx: VerifyElementsContext): Promise<void> {
  const statusLists: StatusListCache = new Map();
  let holder = ctx.holderSigKid;
  for (const element of elements) {
    const fileHashes = releaseFileHashes(element);
    const report: ElementVerification = { attestations: [], attested: {}, attestedScans: {}, selfAsserted: [], selfAssertedScans: [], ignored: [] };
    for (const [index, presentation] of element.attestations.entries()) {
      const result = await verifyPresentation(presentation, {
        elementType: element.type,
        releasedData: element.data as Record<string, unknown>,
        releasedFileHashes: fileHashes,
        audience: ctx.clientId,
        nonce: ctx.nonce,
        trusted: ctx.verifiers.trusted,
        now: ctx.now,
        clockToleranceSeconds: ctx.clockToleranceSeconds,
        maxKbAgeSeconds: ctx.verifiers.maxKbAgeSeconds,
        fetch: ctx.verifiers.fetch,
        allowHttp: ctx.verifiers.allowHttp,
        statusTimeoutMs: ctx.verifiers.statusTimeoutMs,
        statusLists,
      }).catch((error: unknown) => {
        if (ctx.verifiers.ignoreUntrusted !== false && error instanceof UntrustedIssuerError) return undefined;
        throw error;
      });
      if (!result) {
        report.ignored.push(index);
        continue;
      }
      if (holder !== undefined && result.holderKeyThumbprint !== holder) throw new KeyBindingError('holder');
      holder = result.holderKeyThumbprint;
      report.attestations.push({
        issuer: result.issuer,
        kid: result.kid,
        fields: result.attested,
        scans: result.attestedScans,
        verification: result.verification,
        issuedAt: result.issuedAt,
        expiresAt: result.expiresAt,
        status: result.status,
      });
      for (const field of result.attested) addTo(report.attested, field, result.issuer);
      for (const slot of result.attestedScans) addTo(report.attestedScans, slot, result.issuer);
    }
    report.selfAsserted = Object.keys(element.data).filter((f) => !report.attested[f]);
    report.selfAssertedScans = Object.keys(fileHashes).filter((s) => !report.attestedScans[s]);
    element.verification = report;
  }
}

/**
 * A requirement with `verified: true` (any trusted issuer) or `verifiers: [...]`
 * (those of them you also trust) is met when every released field and every
 * released scan of its element is attested by an accepted issuer: a field
 * outside every accepted attestation would be the holder's word inside an
 * element the RP takes as verified. Runs after checkAnswersScope (one element
 * per requirement) and verifyElements.
 */
export function checkVerifiedRequirements(elements: readonly ReleasedElement[], scope: PassportScope, trusted: readonly TrustedIssuer[]): void {
  scope.data.forEach((requirement, index) => {
    if (!requiresVerification(requirement)) return;
    const element = elements.find((e) => requirement.one_of.includes(e.type));
    if (!element) return; // checkAnswersScope has refused an unanswered requirement already
    const accepted = new Set((requirement.verifiers ?? trusted.map((t) => t.issuer)).filter((id) => trusted.some((t) => t.issuer === id)));
    const report = element.verification;
    const by = (issuers: string[] | undefined) => (issuers ?? []).some((i) => accepted.has(i));
    const missing = [
      ...Object.keys(element.data).filter((f) => !by(report?.attested[f])),
      ...Object.keys(releaseFileHashes(element)).filter((s) => !by(report?.attestedScans[s])),
    ];
    const anyAccepted = (report?.attestations ?? []).some((a) => accepted.has(a.issuer));
    if (missing.length > 0 || !anyAccepted) throw new AttestationRequiredError(index, missing.length ? missing : [element.type]);
  });
}

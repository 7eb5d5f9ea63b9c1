import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import { ClientCache } from '../oidc/adapter.js';
import type { ElementType } from '../protocol/elements/table.js';
import { checkVerifierClient, isVerifierClient, verifierSigningKeys, type VerifierMetadataLike, type VerifierSigningKey } from './policy.js';

/** One entry of GET /verifiers. */
export interface VerifierEntry {
  client_id: string;
  name: string;
  attested_types: ElementType[];
  trust_framework: string;
  policy_uri: string;
  logo_uri?: string;
  jwks: { keys: VerifierSigningKey[] };
}

/** The public entry for a stored client, or undefined if it is not a (valid) verifier. */
export function verifierEntry(clientId: string, metadata: Record<string, unknown>): VerifierEntry | undefined {
  const m = metadata as VerifierMetadataLike & Record<string, unknown>;
  if (!isVerifierClient(m)) return undefined;
  try {
    checkVerifierClient(m);
  } catch {
    return undefined; // checked at registration; a row that no longer passes is not published
  }
  return {
    client_id: clientId,
    name: String(m.client_name),
    attested_types: m.verifier_attested_types as ElementType[],
    trust_framework: String(m.verifier_trust_framework),
    policy_uri: String(m.policy_uri),
    ...(typeof m.logo_uri === 'string' ? { logo_uri: m.logo_uri } : {}),
    // Signing keys only: the encryption key is for releases and of no use to anyone else.
    jwks: { keys: verifierSigningKeys(m.jwks) },
  };
}

/**
 * The public list of verifiers (DESIGN 5.6). Read by every holder's page and by RPs
 * building trust lists, it changes rarely: kept in memory for `ttlMs`, dropped at once
 * when a client changes on this node (other nodes catch up within the TTL).
 */
export class VerifierService {
  private cached?: { expires: number; list: Promise<VerifierEntry[]> };

  constructor(
    private readonly db: Database,
    private readonly ttlMs = 30_000,
    /** Verifiers that are not clients (Wathiqa's own), listed first. */
    private readonly own: readonly VerifierEntry[] = [],
  ) {}

  list(): Promise<VerifierEntry[]> {
    const now = Date.now();
    if (this.cached && this.cached.expires > now) return this.cached.list;
    // Concurrent requests share one query; a failed one is not kept.
    const list = this.load();
    const entry = { expires: now + this.ttlMs, list };
    this.cached = entry;
    list.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return list;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async load(): Promise<VerifierEntry[]> {
    const rows = await this.db
      .selectFrom('clients')
      .select(['client_id', 'metadata'])
      .where(sql<string>`metadata->>'verifier'`, '=', 'true')
      .orderBy('created_at')
      .orderBy('client_id')
      .execute();
    const own = new Set(this.own.map((v) => v.client_id));
    return [...this.own, ...rows.flatMap((row) => (own.has(row.client_id) ? [] : (verifierEntry(row.client_id, row.metadata) ?? [])))];
  }
}

/**
 * The client cache every client write on this node clears (dynamic registration, the
 * admin API, the CLI's direct backend); clearing it clears the verifier list too.
 */
export class VerifierAwareClientCache extends ClientCache {
  constructor(private readonly verifiers: VerifierService) {
    super();
  }

  override invalidate(id: string): void {
    super.invalidate(id);
    this.verifiers.invalidate();
  }

  override clear(): void {
    super.clear();
    this.verifiers.invalidate();
  }
}

/**
 * The holder's sharing history as the account page sees it: which service got
 * which kinds of documents when (metadata only, the server has nothing else),
 * and revocation. Same session cookie and CSRF token as the vault API.
 */
import { accountRequest, NetworkError, type Fetch } from './api.js';

export interface ReleaseEntry {
  id: string;
  client_id: string;
  client_name: string;
  element_types: string[];
  created_at: string;
  revoked_at: string | null;
  /** A sealed sharing record exists (releases before RP feedback have none). */
  has_record?: boolean;
  /** The RP's open errors (DESIGN 5.7): untrusted text, shown as text. */
  errors?: { ref: string; field?: string; file?: string; message: string }[];
  errors_at?: string | null;
}

/** A release's sealed sharing record, as the server keeps it. */
export interface SealedRecord {
  id: string;
  client_id: string;
  record_id: string;
  sealed: string;
}

export class ReleasesApi {
  constructor(
    private readonly csrf: string,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
    private readonly base = '/api/releases',
  ) {}

  private async call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await accountRequest(this.fetchImpl, this.csrf, `${this.base}${path}`, init);
    try {
      return (await response.json()) as T;
    } catch {
      throw new NetworkError();
    }
  }

  async list(): Promise<ReleaseEntry[]> {
    const { releases } = await this.call<{ releases: ReleaseEntry[] }>('');
    return Array.isArray(releases) ? releases : [];
  }

  record(id: string): Promise<SealedRecord> {
    return this.call<SealedRecord>(`/${encodeURIComponent(id)}/record`);
  }

  revoke(id: string) {
    return this.call<{ id: string; revoked: boolean }>(`/${encodeURIComponent(id)}/revoke`, { method: 'POST' });
  }
}

/**
 * The holder's sharing history as the account page sees it: which service got
 * which kinds of documents when (metadata only, the server has nothing else),
 * and revocation. Same session cookie and CSRF token as the vault API.
 */
import { ApiError, NetworkError, type Fetch } from './api.js';

export interface ReleaseEntry {
  id: string;
  client_id: string;
  client_name: string;
  element_types: string[];
  created_at: string;
  revoked_at: string | null;
}

export class ReleasesApi {
  constructor(
    private readonly csrf: string,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
    private readonly base = '/api/releases',
  ) {}

  private async call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers);
    headers.set('Accept', 'application/json');
    if (init.method && init.method !== 'GET') headers.set('X-CSRF-Token', this.csrf);
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.base}${path}`, { ...init, headers, credentials: 'same-origin', cache: 'no-store' });
    } catch {
      throw new NetworkError();
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const { error, error_description } = (body ?? {}) as { error?: unknown; error_description?: unknown };
      throw new ApiError(response.status, typeof error === 'string' ? error : 'server_error', typeof error_description === 'string' ? error_description : '');
    }
    if (body === undefined) throw new NetworkError();
    return body as T;
  }

  async list(): Promise<ReleaseEntry[]> {
    const { releases } = await this.call<{ releases: ReleaseEntry[] }>('');
    return Array.isArray(releases) ? releases : [];
  }

  revoke(id: string) {
    return this.call<{ id: string; revoked: boolean }>(`/${encodeURIComponent(id)}/revoke`, { method: 'POST' });
  }
}

/**
 * The vault API as the page sees it: ciphertext in, ciphertext out. Every
 * non-GET request carries the page's CSRF token. Errors become ApiError with the
 * server's `{error, error_description}` (descriptions are for logs and tests, the
 * page shows its own translated messages).
 */
import { progressFetch, type OnProgress } from './upload.js';
import { holderKeyIds, type ElementType, type KdfParams, type ScanMediaType, type SignedState, type StateChange, type StoredHolderKey } from '../../protocol/index.js';

export interface FileMeta {
  id: string;
  media_type: ScanMediaType;
  wrapped_key: string;
  /** Ciphertext bytes stored. */
  size: number;
}

export interface ElementRecord {
  id: string;
  type: ElementType;
  version: number;
  wrapped_key: string;
  ciphertext: string;
  updated_at: string;
  files: FileMeta[];
}

export interface VaultRecord {
  vault_id: string;
  version: number;
  /** Untrusted: checked against the floor by the protocol before any derivation. */
  kdf: unknown;
  wrapped_mk: string;
  recovery_wrapped_mk: string;
  /** The state record the page last wrote (canonical JSON) and its MAC; null before the first. Untrusted. */
  state?: unknown;
  state_mac?: unknown;
  /** Holder keys [{use, public_jwk, sealed_private}], [] before the page made them. Untrusted. */
  holder_keys?: unknown;
  /** Whether the holder confirmed the current recovery code (absent from older servers: treated as confirmed). */
  recovery_confirmed?: boolean;
  elements: ElementRecord[];
  usage: { elements: number; bytes: number };
  quota: { elements: number; bytes: number };
}

export interface DownloadedFile {
  ciphertext: Uint8Array<ArrayBuffer>;
  wrappedKey: string;
  mediaType: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${status} ${code}`);
    this.name = 'ApiError';
  }
}

/** The request never reached the server or its answer was cut off. */
export class NetworkError extends Error {
  constructor() {
    super('network error');
    this.name = 'NetworkError';
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * One request to the holder's JSON APIs (vault, releases): same-origin cookies,
 * never cached, the CSRF token on writes; an error answer becomes an ApiError
 * with the server's code and description, a failed fetch a NetworkError.
 */
export async function accountRequest(fetchImpl: Fetch, csrf: string, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('Accept', 'application/json');
  if (init.method && init.method !== 'GET') headers.set('X-CSRF-Token', csrf);
  let response: Response;
  try {
    response = await fetchImpl(url, { ...init, headers, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new NetworkError();
  }
  if (!response.ok) {
    let code = 'server_error';
    let description = '';
    try {
      const body = (await response.json()) as { error?: unknown; error_description?: unknown };
      if (typeof body.error === 'string') code = body.error;
      if (typeof body.error_description === 'string') description = body.error_description;
    } catch {
      // not JSON: keep the generic code
    }
    throw new ApiError(response.status, code, description);
  }
  return response;
}

/**
 * Signs the state record of each write (DESIGN 5.8). Set by the page while the
 * vault is unlocked; it throws when it cannot (locked, or the vault was refused),
 * and the write is then not sent.
 */
export interface StateSigner {
  sign(change: StateChange): SignedState;
}

export class VaultApi {
  signer: StateSigner | undefined;

  constructor(
    private readonly csrf: string,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
    private readonly base = '/api/vault',
  ) {}

  private send(path: string, init: RequestInit = {}, fetchImpl = this.fetchImpl): Promise<Response> {
    return accountRequest(fetchImpl, this.csrf, `${this.base}${path}`, init);
  }

  private async json<T>(path: string, init: RequestInit = {}, fetchImpl = this.fetchImpl): Promise<T> {
    const response = await this.send(path, init, fetchImpl);
    try {
      return (await response.json()) as T;
    } catch {
      throw new NetworkError();
    }
  }

  private jsonBody(method: string, body: unknown): RequestInit {
    return { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  }

  async read(): Promise<VaultRecord | null> {
    const { vault } = await this.json<{ vault: VaultRecord | null }>('');
    return vault;
  }

  private signed(change: StateChange): SignedState | Record<string, never> {
    return this.signer ? this.signer.sign(change) : {};
  }

  /** The first state record travels with the set-up (the page signs it itself). */
  setUp(input: { vault_id: string; kdf: KdfParams; wrapped_mk: string; recovery_wrapped_mk: string; holder_keys?: StoredHolderKey[] } & Partial<SignedState>) {
    return this.json<{ vault_version: number }>('', this.jsonBody('POST', input));
  }

  /** Without a new recovery wrap, the signer keeps the served one in the record. */
  rewrap(input: { kdf: KdfParams; wrapped_mk: string; recovery_wrapped_mk?: string; vault_version: number }) {
    const state = this.signed({ kind: 'keys', keys: { kdf: input.kdf, wrappedMk: input.wrapped_mk, recoveryWrappedMk: input.recovery_wrapped_mk ?? '' } });
    return this.json<{ vault_version: number }>('/key', this.jsonBody('PUT', { ...input, ...state }));
  }

  putElement(id: string, input: { type: ElementType; version: number; wrapped_key: string; ciphertext: string; file_ids: string[] }) {
    const state = this.signed({ kind: 'put', id, version: input.version, files: input.file_ids });
    return this.json<{ id: string; version: number; vault_version: number }>(`/elements/${encodeURIComponent(id)}`, this.jsonBody('PUT', { ...input, ...state }));
  }

  deleteElement(id: string, version: number) {
    const state = this.signed({ kind: 'delete', id });
    const init: RequestInit = this.signer ? this.jsonBody('DELETE', state) : { method: 'DELETE' };
    return this.json<{ vault_version: number }>(`/elements/${encodeURIComponent(id)}?version=${version}`, init);
  }

  /** Holder keys for a vault that has none: signed (a state change), so only while unlocked. */
  putHolderKeys(input: { holder_keys: StoredHolderKey[]; vault_version: number }) {
    if (!this.signer) throw new Error('the vault is locked');
    const state = this.signer.sign({ kind: 'holder_keys', ids: holderKeyIds(input.holder_keys) });
    return this.json<{ vault_version: number }>('/holder-keys', this.jsonBody('PUT', { ...input, ...state }));
  }

  /** The holder typed back part of the code that `recovery_wrapped_mk` wraps under (409: a newer code replaced it). */
  confirmRecovery(recoveryWrappedMk: string) {
    return this.json<{ recovery_confirmed: true }>('/recovery-confirmation', this.jsonBody('PUT', { recovery_wrapped_mk: recoveryWrappedMk }));
  }

  /** A state record alone: the first one of a vault set up before records existed. */
  putState(input: { vault_version: number } & SignedState) {
    return this.json<{ vault_version: number }>('/state', this.jsonBody('PUT', input));
  }

  /** With `onProgress` (and a browser), sent over XMLHttpRequest to report bytes sent; same request, same errors. */
  uploadFile(meta: { id: string; media_type: ScanMediaType; wrapped_key: string }, ciphertext: Uint8Array<ArrayBuffer>, onProgress?: OnProgress) {
    const query = new URLSearchParams({ id: meta.id, media_type: meta.media_type, wrapped_key: meta.wrapped_key });
    const withProgress = onProgress && typeof XMLHttpRequest !== 'undefined' ? progressFetch(onProgress) : undefined;
    return this.json<{ id: string; size: number; vault_version: number }>(
      `/files?${query}`,
      { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: ciphertext },
      withProgress,
    );
  }

  deleteFile(id: string) {
    return this.json<{ vault_version: number }>(`/files/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  async downloadFile(id: string): Promise<DownloadedFile> {
    const response = await this.send(`/files/${encodeURIComponent(id)}`);
    let buffer: ArrayBuffer;
    try {
      buffer = await response.arrayBuffer();
    } catch {
      throw new NetworkError();
    }
    return {
      ciphertext: new Uint8Array(buffer),
      wrappedKey: response.headers.get('X-Wrapped-Key') ?? '',
      mediaType: response.headers.get('X-Media-Type') ?? '',
    };
  }
}

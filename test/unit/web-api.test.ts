import { describe, expect, it } from '@jest/globals';
import { ApiError, NetworkError, VaultApi, type Fetch } from '../../src/web/vault/api.js';

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(respond: (call: Call) => Response): { fetch: Fetch; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init = {}) => {
      const call = { url, init };
      calls.push(call);
      return respond(call);
    },
  };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('VaultApi', () => {
  it('sends the CSRF token on writes only, and JSON bodies as JSON', async () => {
    const { fetch, calls } = fakeFetch(({ init }) => json(init.method === 'GET' || !init.method ? { vault: null } : { vault_version: 2 }));
    const api = new VaultApi('tok-123', fetch);
    expect(await api.read()).toBeNull();
    await api.putElement('11111111-1111-4111-8111-111111111111', { type: 'email', version: 1, wrapped_key: 'w', ciphertext: 'c', file_ids: [] });
    await api.deleteElement('11111111-1111-4111-8111-111111111111', 3);
    const [read, put, del] = calls;
    expect(read!.url).toBe('/api/vault');
    expect(new Headers(read!.init.headers).get('x-csrf-token')).toBeNull();
    expect(read!.init.credentials).toBe('same-origin');
    expect(read!.init.cache).toBe('no-store');
    expect(put!.url).toBe('/api/vault/elements/11111111-1111-4111-8111-111111111111');
    expect(put!.init.method).toBe('PUT');
    expect(new Headers(put!.init.headers).get('x-csrf-token')).toBe('tok-123');
    expect(new Headers(put!.init.headers).get('content-type')).toBe('application/json');
    expect(JSON.parse(put!.init.body as string)).toEqual({ type: 'email', version: 1, wrapped_key: 'w', ciphertext: 'c', file_ids: [] });
    expect(del!.url).toBe('/api/vault/elements/11111111-1111-4111-8111-111111111111?version=3');
    expect(new Headers(del!.init.headers).get('x-csrf-token')).toBe('tok-123');
  });

  it('uploads a scan as raw bytes with its metadata in the query, and reads one back with its headers', async () => {
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const { fetch, calls } = fakeFetch(({ init }) =>
      init.method === 'POST'
        ? json({ id: 'x', size: 4, vault_version: 5 }, 201)
        : new Response(bytes, { headers: { 'content-type': 'application/octet-stream', 'x-wrapped-key': 'WK', 'x-media-type': 'image/png' } }),
    );
    const api = new VaultApi('t', fetch);
    await api.uploadFile({ id: '22222222-2222-4222-8222-222222222222', media_type: 'image/png', wrapped_key: 'a-b_c' }, bytes);
    const upload = calls[0]!;
    const url = new URL(upload.url, 'http://x');
    expect(url.pathname).toBe('/api/vault/files');
    expect(Object.fromEntries(url.searchParams)).toEqual({ id: '22222222-2222-4222-8222-222222222222', media_type: 'image/png', wrapped_key: 'a-b_c' });
    expect(new Headers(upload.init.headers).get('content-type')).toBe('application/octet-stream');
    expect(upload.init.body).toBe(bytes);
    const file = await api.downloadFile('22222222-2222-4222-8222-222222222222');
    expect(file).toEqual({ ciphertext: bytes, wrappedKey: 'WK', mediaType: 'image/png' });
  });

  it('turns error answers into ApiError with the server’s code, and failed requests into NetworkError', async () => {
    const api = (response: () => Response | Promise<Response>) => new VaultApi('t', async () => response());
    await expect(api(() => json({ error: 'conflict', error_description: 'stale version' }, 409)).rewrap({ kdf: {} as never, wrapped_mk: 'w', vault_version: 1 })).rejects.toMatchObject({
      status: 409,
      code: 'conflict',
      description: 'stale version',
    });
    await expect(api(() => new Response('<html>', { status: 502 })).read()).rejects.toEqual(new ApiError(502, 'server_error', ''));
    await expect(api(() => Promise.reject(new TypeError('offline'))).read()).rejects.toBeInstanceOf(NetworkError);
  });
});

/**
 * fetch() cannot tell how much of a request body has been sent; XMLHttpRequest can
 * (upload.onprogress). This is a fetch-shaped function over XMLHttpRequest, so an
 * upload goes through the very same `accountRequest` (headers, CSRF, errors) as
 * every other call and only gains progress events.
 */
import type { Fetch } from './api.js';

export type OnProgress = (sent: number, total: number) => void;

/** Statuses whose Response must have no body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

function responseHeaders(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const at = line.indexOf(':');
    if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return headers;
}

export function progressFetch(onProgress: OnProgress): Fetch {
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(init.method ?? 'GET', url);
      xhr.responseType = 'arraybuffer';
      new Headers(init.headers).forEach((value, name) => xhr.setRequestHeader(name, value));
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) onProgress(event.loaded, event.total);
      });
      xhr.addEventListener('load', () => {
        try {
          const body = NULL_BODY.has(xhr.status) ? null : (xhr.response as ArrayBuffer);
          resolve(new Response(body, { status: xhr.status, statusText: xhr.statusText, headers: responseHeaders(xhr.getAllResponseHeaders()) }));
        } catch (err) {
          reject(err); // a status Response cannot carry: accountRequest reports it as a network error
        }
      });
      // As fetch does: a request that never got an answer rejects with a TypeError.
      for (const type of ['error', 'abort', 'timeout']) xhr.addEventListener(type, () => reject(new TypeError('upload failed')));
      xhr.send((init.body ?? null) as XMLHttpRequestBodyInit | null);
    });
}

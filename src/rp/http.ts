/**
 * Small fetch helpers for what the SDK reads from other parties (status lists,
 * the delivery endpoint's answer): bounded bodies and a deadline, so a slow or
 * huge answer costs the RP little.
 */
import { concatBytes } from '../protocol/encoding.js';

/** The body, or undefined when it is (or declares itself) larger than `limit` bytes. */
export async function readLimitedBody(response: Response, limit: number): Promise<Uint8Array | undefined> {
  const declared = response.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) {
    await response.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return concatBytes(...chunks);
}

/** An AbortSignal that fires after `ms`, or when `outer` does. */
export function deadline(ms: number, outer?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return outer ? AbortSignal.any([timeout, outer]) : timeout;
}

/** Is `host` (a URL's hostname) a loopback name? */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

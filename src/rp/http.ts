/**
 * Small fetch helpers for what the SDK reads from other parties (status lists,
 * the delivery endpoint's answer): bounded bodies and a deadline, so a slow or
 * huge answer costs the RP little.
 */
import * as z from 'zod';
import { concatBytes, utf8Decode } from '../protocol/encoding.js';

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

/** An answer of Wathiqa's to a JSON POST: `ok` (the expected status, body checked), `refused` (its `{ error }`), or neither. */
export type PostOutcome<T> = { ok: T } | { refused: { error: string; error_description?: string | undefined; status: number } } | { invalid: number } | { network: true };

const ServerError = z.looseObject({ error: z.string().min(1).max(100), error_description: z.string().max(1000).optional() });

/**
 * POSTs `body` as JSON to `{issuer}{path}` with a grant's access token (the RP's
 * calls to Wathiqa: attestation delivery, error reports): no redirects, a deadline,
 * at most 16 KiB of answer read.
 */
export async function postWithToken<T>(
  input: { issuer: string; accessToken: string; fetch?: typeof globalThis.fetch; timeoutMs?: number; signal?: AbortSignal },
  path: string,
  body: unknown,
  expected: { status: number; schema: z.ZodType<T> },
  defaultTimeoutMs: number,
): Promise<PostOutcome<T>> {
  const doFetch = input.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(`${input.issuer.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${input.accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: deadline(input.timeoutMs ?? defaultTimeoutMs, input.signal),
    });
  } catch {
    return { network: true };
  }
  const answer = jsonOf(await readLimitedBody(response, 16 * 1024).catch(() => undefined));
  if (response.status === expected.status) {
    const ok = expected.schema.safeParse(answer);
    return ok.success ? { ok: ok.data } : { invalid: response.status };
  }
  const error = ServerError.safeParse(answer);
  return error.success ? { refused: { ...error.data, status: response.status } } : { invalid: response.status };
}

function jsonOf(bytes: Uint8Array | undefined): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(utf8Decode(bytes));
  } catch {
    return undefined;
  }
}

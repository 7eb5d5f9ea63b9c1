/**
 * Posting the encrypted release to the interaction (POST /interaction/<uid>/passport,
 * JSON), which answers where the browser goes next. Errors are the server's
 * `{error, error_description}`, as ApiError.
 */
import { ApiError, NetworkError, type Fetch } from '../vault/api.js';

export interface ReleaseSubmission {
  csrf: string;
  jwe: string;
  file_ids: string[];
  element_types: string[];
  /** RP feedback (DESIGN 5.7): the released elements' refs, and the sharing record sealed under MK. */
  refs?: string[];
  sharing_record?: { id: string; sealed: string };
}

export async function postRelease(uid: string, body: ReleaseSubmission, fetchImpl: Fetch = (i, init) => fetch(i, init), origin = location.origin): Promise<string> {
  let response: Response;
  try {
    response = await fetchImpl(`/interaction/${encodeURIComponent(uid)}/passport`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
      body: JSON.stringify(body),
    });
  } catch {
    throw new NetworkError();
  }
  let answer: Record<string, unknown> | undefined;
  try {
    answer = (await response.json()) as Record<string, unknown>;
  } catch {
    answer = undefined;
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      typeof answer?.error === 'string' ? answer.error : 'server_error',
      typeof answer?.error_description === 'string' ? answer.error_description : '',
    );
  }
  const target = answer?.redirect_to;
  if (typeof target !== 'string') throw new NetworkError();
  // The next step is the provider's own authorization endpoint: never another origin.
  const url = new URL(target, origin);
  if (url.origin !== origin) throw new ApiError(502, 'bad_redirect', 'the server answered with a redirect to another origin');
  return url.href;
}

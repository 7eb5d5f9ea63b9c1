/**
 * A consent page that can no longer be answered: the interaction expired, was
 * answered in another tab, or the sign-in ended. The page learns it from the
 * server (GET /interaction/<uid>/status, or a release POST answered with
 * session_expired); it then disables Share and offers the way back to the service.
 */
import { ApiError, type Fetch } from '../vault/api.js';

/** The release POST was refused because the interaction is gone. */
export function isStaleAnswer(err: unknown): boolean {
  return err instanceof ApiError && err.code === 'session_expired';
}

/**
 * Asks the server whether the interaction can still be answered: true or false,
 * or undefined when it could not tell (offline, an error): the page then stays as it is.
 */
export async function interactionLive(uid: string, fetchImpl: Fetch = (i, init) => fetch(i, init)): Promise<boolean | undefined> {
  try {
    const response = await fetchImpl(`/interaction/${encodeURIComponent(uid)}/status`, {
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { live?: unknown };
    return typeof body.live === 'boolean' ? body.live : undefined;
  } catch {
    return undefined;
  }
}

/** Milliseconds until `expiresAt` (seconds since the epoch), for a timer; undefined when unknown or too far for one. */
export function msUntil(expiresAt: number | null, now = Date.now()): number | undefined {
  if (expiresAt === null) return undefined;
  const ms = expiresAt * 1000 - now;
  return ms > 2 ** 31 - 1 ? undefined : Math.max(0, ms);
}

/**
 * "Back to <service>": the passport consent page sends the holder to the account
 * page to set up the vault or add a document, with `?return_to=/interaction/<uid>`.
 * Only that one shape of same-origin path is accepted, so the link can never
 * lead anywhere else. The service's name travels in sessionStorage (same origin,
 * same tab), written by the consent page, never in the URL where anyone could
 * put any name.
 */

const INTERACTION_PATH = /^\/interaction\/[A-Za-z0-9_-]{1,128}$/;
const NAME_KEY = (path: string) => `wathiqa.return.${path}`;

export interface NameStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The path if it is a same-origin interaction page, else undefined. */
export function safeReturnTo(value: unknown): string | undefined {
  return typeof value === 'string' && INTERACTION_PATH.test(value) ? value : undefined;
}

/** `/account?return_to=…` for a consent page. */
export function accountLinkFor(interactionPath: string, hash = ''): string {
  const path = safeReturnTo(interactionPath);
  if (!path) return `/account${hash}`;
  return `/account?${new URLSearchParams({ return_to: path })}${hash}`;
}

/** Remembers the service's name for the account page's "Back to <service>" (best effort). */
export function rememberReturnName(store: NameStore | undefined, path: string, name: string): void {
  if (!safeReturnTo(path)) return;
  try {
    store?.setItem(NAME_KEY(path), name.slice(0, 200));
  } catch {
    // storage disabled: the link says "Back to the sign-in" instead
  }
}

export interface ReturnTarget {
  path: string;
  /** The service's name, if the consent page left it. */
  name?: string;
}

/** The return target in a page's query string, if any and if safe. */
export function readReturnTo(search: string, store: NameStore | undefined): ReturnTarget | undefined {
  let path: string | undefined;
  try {
    path = safeReturnTo(new URLSearchParams(search).get('return_to'));
  } catch {
    path = undefined;
  }
  if (!path) return undefined;
  let name: string | undefined;
  try {
    name = store?.getItem(NAME_KEY(path)) ?? undefined;
  } catch {
    name = undefined;
  }
  return name ? { path, name } : { path };
}

/**
 * Who made an administrative change. The label is written as it was at the time
 * (an operator's email may change later; the record keeps what it was).
 */
export type ActorKind = 'operator' | 'admin_token' | 'cli' | 'registration';

export interface Actor {
  kind: ActorKind;
  /** The operator's account id, or the registered client's id; none for the token and the CLI. */
  id?: string;
  label: string;
}

/** The actor and where the request came from; every mutating admin operation takes one. */
export interface AuditContext {
  actor: Actor;
  ip?: string;
}

export const ADMIN_TOKEN_ACTOR: Actor = { kind: 'admin_token', label: 'admin token' };

/** The CLI names the OS user it runs as; over the admin socket (whose permissions are the authentication) that is trusted. */
export const CLI_USER_HEADER = 'x-wathiqa-cli-user';

/** "CLI on the host", with the OS user when known (cheap, and useful on a shared host). */
export function cliActor(osUser?: string): Actor {
  const user = osUser?.trim();
  return { kind: 'cli', label: user ? `CLI on the host (${user.slice(0, 64)})` : 'CLI on the host' };
}

export function operatorActor(accountId: string, email: string): Actor {
  return { kind: 'operator', id: accountId, label: email };
}

export function registrationActor(clientId: string): Actor {
  return { kind: 'registration', id: clientId, label: 'dynamic registration' };
}

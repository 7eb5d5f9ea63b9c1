/**
 * The database is away (restart, failover, terminated backend, refused or timed-out
 * connection). Thrown in place of the driver's error so that every layer answers
 * 503 `temporarily_unavailable` instead of 500: oidc-provider shows an error that is
 * `expose`d with its `message` as the OAuth error code and `statusCode` as status.
 */
export class DatabaseUnavailableError extends Error {
  readonly expose = true;
  readonly status = 503;
  readonly statusCode = 503;
  readonly error_description = 'the service is temporarily unavailable; try again shortly';

  constructor(cause: unknown) {
    super('temporarily_unavailable', { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

// SQLSTATE classes and codes that mean the connection, not the statement, failed.
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// node-postgres reports a lost or unobtainable connection with these messages and no code.
const DRIVER_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable)/;

export function isConnectionError(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (code.startsWith('08') || CONNECTION_SQLSTATES.has(code) || NETWORK_CODES.has(code)) return true;
  // ALLOW_CONNECTIONS false: 55000 is also used for unrelated statement errors, so match the text.
  if (code === '55000' && /not currently accepting connections/.test(message)) return true;
  return !code && DRIVER_MESSAGES.test(message);
}

/** Rethrows a connection error as DatabaseUnavailableError, anything else unchanged. */
export function rethrowUnavailable(error: unknown): never {
  if (isConnectionError(error) && !(error instanceof DatabaseUnavailableError)) throw new DatabaseUnavailableError(error);
  throw error;
}

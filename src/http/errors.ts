/**
 * Errors that reach a client. `expose` errors carry a description safe to show;
 * anything else becomes a generic 500 and is logged with its stack.
 */
export class HttpError extends Error {
  readonly expose = true;
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'HttpError';
  }
}

export const badRequest = (description: string) => new HttpError(400, 'invalid_request', description);
export const unauthorized = (description = 'authentication required') =>
  new HttpError(401, 'unauthorized', description, { 'WWW-Authenticate': 'Bearer' });
export const forbidden = (description: string) => new HttpError(403, 'forbidden', description);
export const notFound = (description = 'not found') => new HttpError(404, 'not_found', description);
export const conflict = (description: string) => new HttpError(409, 'conflict', description);
export const tooManyRequests = (description: string, retryAfterSeconds: number) =>
  new HttpError(429, 'too_many_requests', description, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });

/**
 * reportErrors: telling the holder what is wrong with released data (DESIGN 5.7),
 * like Telegram's setPassportDataErrors. The RP posts `{ errors: [ { ref, field |
 * file, message } ] }` to {issuer}/passport/errors with the access token of the
 * grant it received the release on. Each call replaces the RP's open errors on
 * that release (an empty list clears them); the holder sees them on the element
 * until they edit it.
 */
import * as z from 'zod';
import { ErrorReportSchema, utf8Decode, type ReportedError } from '../protocol/index.js';
import { deadline, readLimitedBody } from './http.js';

const DEFAULT_TIMEOUT_MS = 15_000;

export interface ReportErrorsInput {
  /** The issuer URL, exactly as in discovery. */
  issuer: string;
  /** The access token of the grant the release came with. */
  accessToken: string;
  /**
   * The problems, each naming an element by its `ref` and one released field
   * (`field`, e.g. "date_of_expiry") or scan slot (`file`, e.g. "front_side"),
   * with a short message for the holder (at most 300 characters, shown as text).
   */
  errors: readonly { ref: string; field?: string; file?: string; message: string }[];
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The report was refused (`code` is the server's `error`) or could not be sent. */
export class ReportErrorsError extends Error {
  readonly status: number | undefined;
  readonly code: string;
  readonly description: string | undefined;
  constructor(code: string, status?: number, description?: string) {
    super(`the errors were not reported (${code}${status === undefined ? '' : `, HTTP ${status}`})${description ? `: ${description}` : ''}`);
    this.code = code;
    this.status = status;
    this.description = description;
  }
}
Object.defineProperty(ReportErrorsError.prototype, 'name', { value: 'ReportErrorsError', enumerable: false, configurable: true, writable: true });

const Accepted = z.looseObject({ errors: z.number().int().min(0) });
const ServerError = z.looseObject({ error: z.string().min(1).max(100), error_description: z.string().max(1000).optional() });

function jsonOf(bytes: Uint8Array | undefined): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(utf8Decode(bytes));
  } catch {
    return undefined;
  }
}

/** Checks the report as the server will, so a malformed one fails here with a TypeError naming the problem. */
export function checkErrorReport(errors: unknown): ReportedError[] {
  const parsed = ErrorReportSchema.safeParse({ errors });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TypeError(`reportErrors: ${issue.path.join('.') || 'errors'}: ${issue.message}`);
  }
  return parsed.data.errors;
}

/** Reports (replaces) the RP's open errors on a release; returns how many are now open. */
export async function reportErrors(input: ReportErrorsInput): Promise<{ errors: number }> {
  if (typeof input !== 'object' || input === null) throw new TypeError('reportErrors: input is required');
  for (const name of ['issuer', 'accessToken'] as const) {
    if (typeof input[name] !== 'string' || input[name] === '') throw new TypeError(`reportErrors: ${name} must be a non-empty string`);
  }
  const errors = checkErrorReport(input.errors);
  const doFetch = input.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(`${input.issuer.replace(/\/+$/, '')}/passport/errors`, {
      method: 'POST',
      headers: { authorization: `Bearer ${input.accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ errors }),
      redirect: 'error',
      signal: deadline(input.timeoutMs ?? DEFAULT_TIMEOUT_MS, input.signal),
    });
  } catch {
    throw new ReportErrorsError('network_error');
  }
  const body = jsonOf(await readLimitedBody(response, 16 * 1024).catch(() => undefined));
  if (response.status === 200) {
    const ok = Accepted.safeParse(body);
    if (ok.success) return { errors: ok.data.errors };
    throw new ReportErrorsError('invalid_response', response.status);
  }
  const error = ServerError.safeParse(body);
  if (!error.success) throw new ReportErrorsError('invalid_response', response.status);
  throw new ReportErrorsError(error.data.error, response.status, error.data.error_description);
}

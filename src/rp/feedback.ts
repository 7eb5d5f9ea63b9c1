/**
 * reportErrors: telling the holder what is wrong with released data (DESIGN 5.7),
 * like Telegram's setPassportDataErrors. The RP posts `{ errors: [ { ref, field |
 * file, message } ] }` to {issuer}/passport/errors with the access token of the
 * grant it received the release on. Each call replaces the RP's open errors on
 * that release (an empty list clears them); the holder sees them on the element
 * until they edit it.
 */
import * as z from 'zod';
import { ErrorReportSchema, type ReportedError } from '../protocol/index.js';
import { postWithToken } from './http.js';

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
  const outcome = await postWithToken(input, '/passport/errors', { errors }, { status: 200, schema: Accepted }, DEFAULT_TIMEOUT_MS);
  if ('ok' in outcome) return { errors: outcome.ok.errors };
  if ('network' in outcome) throw new ReportErrorsError('network_error');
  if ('invalid' in outcome) throw new ReportErrorsError('invalid_response', outcome.invalid);
  throw new ReportErrorsError(outcome.refused.error, outcome.refused.status, outcome.refused.error_description);
}

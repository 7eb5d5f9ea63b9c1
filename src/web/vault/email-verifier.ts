/**
 * Wathiqa's own email verifier as the vault page uses it (server side:
 * src/verifiers/email-control.ts). The page sends the address of one of its
 * `email` elements, with the holder's consent, and gets a code mailed there; the
 * code typed back returns an attestation encrypted to the vault's HE key, which the
 * page opens, checks and seals exactly like an inbox item (InboxController.accept).
 */
import * as z from 'zod';
import { accountRequest, NetworkError, type Fetch } from './api.js';

const Started = z.object({ id: z.uuid() });
const Confirmed = z.object({ jwe: z.string().min(1).max(256 * 1024) });

async function json<S extends z.ZodType>(response: Response, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new NetworkError();
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new NetworkError();
  return parsed.data;
}

export class EmailVerifierApi {
  constructor(
    private readonly csrf: string,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
    private readonly base = '/api/email-verification',
  ) {}

  private post(path: string, body: unknown): Promise<Response> {
    return accountRequest(this.fetchImpl, this.csrf, `${this.base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }

  /** Mails a code to `email`; the id to confirm it with. */
  async start(email: string): Promise<string> {
    return (await json(await this.post('/start', { email }), Started)).id;
  }

  /** The code typed back: the attestation, encrypted to the vault's HE key. */
  async confirm(id: string, email: string, code: string): Promise<string> {
    return (await json(await this.post('/confirm', { id, email, code }), Confirmed)).jwe;
  }
}

/** The server's refusals the page names in its own words (vault.email_verify.error.<code>). */
export const EMAIL_VERIFY_ERRORS = ['invalid_code', 'code_expired', 'code_used', 'too_many_attempts', 'no_holder_keys', 'ip_limited', 'mail_limited', 'mail_failed'] as const;
/** After these, the code is spent: the page goes back to "Send a code". */
export const EMAIL_VERIFY_RESTART: ReadonlySet<string> = new Set(['code_expired', 'code_used', 'too_many_attempts']);

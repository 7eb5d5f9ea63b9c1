import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { sql } from 'kysely';
import type { Database } from '../db/index.js';
import type { Amr } from './acr.js';

/** A ceremony has this long; its challenge is gone after. */
const CHALLENGE_SECONDS = 300;
export const MAX_PASSKEYS = 20;

export type PasskeyProblem = 'passkey_failed' | 'passkey_unknown' | 'passkey_limit' | 'passkey_other_account' | 'account_disabled';

export class PasskeyError extends Error {
  constructor(readonly code: PasskeyProblem) {
    super(code);
    this.name = 'PasskeyError';
  }
}

export interface PasskeyView {
  id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
  backed_up: boolean;
}

/**
 * Passkeys (WebAuthn, @simplewebauthn/server): discoverable credentials with user
 * verification required, so a passkey alone is two factors (the device, and the
 * PIN or biometric that unlocks it). The relying party is this issuer: its host is
 * the RP ID, its origin the only origin accepted. Every challenge is made here,
 * kept here, and used once: the check deletes it.
 */
export class PasskeyService {
  readonly rpId: string;
  readonly origin: string;

  constructor(
    private readonly db: Database,
    issuer: string,
    private readonly rpName = 'Wathiqa',
  ) {
    const url = new URL(issuer);
    this.rpId = url.hostname;
    this.origin = url.origin;
  }

  list(accountId: string): Promise<PasskeyView[]> {
    return this.db
      .selectFrom('account_passkeys')
      .select(['id', 'name', 'created_at', 'last_used_at', 'backed_up'])
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
  }

  async registrationOptions(account: { id: string; email: string }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.list(account.id);
    if (existing.length >= MAX_PASSKEYS) throw new PasskeyError('passkey_limit');
    const options = await generateRegistrationOptions({
      rpName: this.rpName,
      rpID: this.rpId,
      userName: account.email,
      userID: new TextEncoder().encode(account.id),
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.id })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    await this.keepChallenge(options.challenge, 'register', account.id);
    return options;
  }

  async register(accountId: string, response: RegistrationResponseJSON, name: string): Promise<PasskeyView> {
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: (challenge) => this.hasChallenge(challenge, 'register', accountId),
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        requireUserVerification: true,
      });
    } catch {
      throw new PasskeyError('passkey_failed');
    }
    if (!verification.verified) throw new PasskeyError('passkey_failed');
    if (!(await this.useChallenge(challengeOf(response), 'register', accountId))) throw new PasskeyError('passkey_failed');
    const { credential, credentialBackedUp } = verification.registrationInfo;
    const row = await this.db
      .insertInto('account_passkeys')
      .values({
        id: credential.id,
        account_id: accountId,
        public_key: credential.publicKey,
        counter: credential.counter,
        transports: JSON.stringify(credential.transports ?? []),
        name,
        backed_up: credentialBackedUp,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning(['id', 'name', 'created_at', 'last_used_at', 'backed_up'])
      .executeTakeFirst();
    if (!row) throw new PasskeyError('passkey_failed'); // the same credential twice
    return row;
  }

  async rename(accountId: string, id: string, name: string): Promise<void> {
    const result = await this.db.updateTable('account_passkeys').set({ name }).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new PasskeyError('passkey_unknown');
  }

  async remove(accountId: string, id: string): Promise<void> {
    const result = await this.db.deleteFrom('account_passkeys').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new PasskeyError('passkey_unknown');
  }

  /** Options for a sign-in on one interaction: no credential list, the browser offers the passkeys it has. */
  async authenticationOptions(interactionUid: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await generateAuthenticationOptions({ rpID: this.rpId, userVerification: 'required', allowCredentials: [] });
    await this.keepChallenge(options.challenge, 'sign_in', interactionUid);
    return options;
  }

  /**
   * A sign-in assertion on one interaction. `expectAccount` (a step-up) refuses a
   * passkey of another account. The counter must move forward when the authenticator
   * keeps one (a cloned key shows an old value).
   */
  async authenticate(interactionUid: string, response: AuthenticationResponseJSON, expectAccount?: string): Promise<{ accountId: string; amr: Amr[] }> {
    const stored = await this.db.selectFrom('account_passkeys').selectAll().where('id', '=', String(response.id)).executeTakeFirst();
    if (!stored) throw new PasskeyError('passkey_unknown');
    if (expectAccount && stored.account_id !== expectAccount) throw new PasskeyError('passkey_other_account');
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (challenge) => this.hasChallenge(challenge, 'sign_in', interactionUid),
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        credential: { id: stored.id, publicKey: new Uint8Array(stored.public_key), counter: Number(stored.counter), transports: stored.transports as never },
        requireUserVerification: true,
      });
    } catch {
      throw new PasskeyError('passkey_failed');
    }
    if (!verification.verified) throw new PasskeyError('passkey_failed');
    // Spent only by an assertion that passed every check, and only once: a replay, even a simultaneous one, finds it gone.
    if (!(await this.useChallenge(challengeOf(response), 'sign_in', interactionUid))) throw new PasskeyError('passkey_failed');
    const { newCounter, credentialBackedUp } = verification.authenticationInfo;
    const moved = await this.db
      .updateTable('account_passkeys')
      .set({ counter: newCounter, backed_up: credentialBackedUp, last_used_at: sql`now()` })
      .where('id', '=', stored.id)
      .where((eb) => eb.or([eb('counter', '=', '0' as never), eb('counter', '<', newCounter as never)]))
      .executeTakeFirst();
    if (moved.numUpdatedRows === 0n) throw new PasskeyError('passkey_failed');
    // Said only after the passkey proved its holder, as a password sign-in does.
    const account = await this.db.selectFrom('accounts').select('disabled_at').where('id', '=', stored.account_id).executeTakeFirst();
    if (!account || account.disabled_at) throw new PasskeyError('account_disabled');
    // A synced passkey is a key in software; a device-bound one, in hardware (RFC 8176 swk / hwk).
    return { accountId: stored.account_id, amr: [credentialBackedUp ? 'swk' : 'hwk', 'mfa'] };
  }

  private async keepChallenge(challenge: string, purpose: 'register' | 'sign_in', binding: string): Promise<void> {
    await this.db.deleteFrom('webauthn_challenges').where('expires_at', '<', sql<Date>`now()`).execute();
    await this.db
      .insertInto('webauthn_challenges')
      .values({ challenge, purpose, binding, expires_at: sql<Date>`now() + make_interval(secs => ${CHALLENGE_SECONDS})` })
      .execute();
  }

  /** The challenge exists for this purpose and binding, unexpired (checked before the signature; spent after it). */
  private async hasChallenge(challenge: string, purpose: 'register' | 'sign_in', binding: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('webauthn_challenges')
      .select('challenge')
      .where('challenge', '=', challenge)
      .where('purpose', '=', purpose)
      .where('binding', '=', binding)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** True once: the challenge exists for this purpose and binding, unexpired; it is deleted by this check. */
  private async useChallenge(challenge: string, purpose: 'register' | 'sign_in', binding: string): Promise<boolean> {
    const used = await this.db
      .deleteFrom('webauthn_challenges')
      .where('challenge', '=', challenge)
      .where('purpose', '=', purpose)
      .where('binding', '=', binding)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return used.numDeletedRows > 0n;
  }
}

/** The challenge inside a ceremony's clientDataJSON (already checked to exist by then). */
function challengeOf(response: AuthenticationResponseJSON | RegistrationResponseJSON): string {
  try {
    const json = JSON.parse(new TextDecoder().decode(Buffer.from(response.response.clientDataJSON, 'base64url'))) as { challenge?: unknown };
    return typeof json.challenge === 'string' ? json.challenge : '';
  } catch {
    return '';
  }
}

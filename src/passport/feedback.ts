import type Provider from 'oidc-provider';
import type { Database } from '../db/index.js';
import { invalidToken, noRelease } from '../attestations/service.js';
import { badRequest } from '../http/errors.js';
import { namesPartOf, type ReportedError } from '../protocol/feedback.js';
import { releaseRepository } from './repository.js';

/**
 * RP feedback (DESIGN 5.7): a relying party tells the holder what is wrong with
 * what it received. The server sees only refs (random names of the released
 * elements), field and slot names and the RP's message; which element a ref
 * names is in the holder's sealed sharing record, opened only in the browser.
 * Each report replaces the RP's open errors on that release: retrying is harmless,
 * an empty list withdraws them, and what is stored stays bounded however often it
 * reports.
 */
export class FeedbackService {
  private readonly releases;

  constructor(private readonly db: Database) {
    this.releases = releaseRepository(db);
  }

  async report(provider: Provider, accessToken: string, errors: ReportedError[]): Promise<{ errors: number }> {
    const token = await provider.AccessToken.find(accessToken).catch(() => undefined);
    if (!token || token.isSenderConstrained?.() || !token.grantId || !token.clientId) throw invalidToken();
    const release = await this.db
      .selectFrom('releases')
      .select(['id', 'client_id', 'refs', 'element_types'])
      .where('grant_id', '=', token.grantId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!release || release.client_id !== token.clientId) throw noRelease();
    const refs = new Set(release.refs);
    errors.forEach((error, index) => {
      if (!refs.has(error.ref)) throw badRequest(`errors.${index}.ref: not one of this release's refs`);
      if (!namesPartOf(release.element_types, error)) {
        throw badRequest(error.field !== undefined ? `errors.${index}.field: not a field of a released element type` : `errors.${index}.file: not a scan slot of a released element type`);
      }
    });
    const stored = errors.map((e) => ({ ref: e.ref, ...(e.field !== undefined ? { field: e.field } : { file: e.file }), message: e.message }));
    // Revoked since the check: the same answer as a release that was never there.
    if (!(await this.releases.replaceErrors(release.id, stored))) throw noRelease();
    return { errors: stored.length };
  }
}

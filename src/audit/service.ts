import type { Database } from '../db/index.js';
import { parse } from '../http/guard.js';
import type { AuditContext } from './actor.js';
import { auditRepository } from './repository.js';
import { scrubSecrets } from './scrub.js';
import { AuditExportQuery, AuditListQuery, type AuditAction, type AuditPage } from './schemas.js';

export interface AuditEvent {
  action: AuditAction;
  /** The client_id or account id changed. */
  target?: string | null;
  details?: Record<string, unknown>;
}

const EXPORT_PAGE = 500;

/**
 * The audit trail (issue #13, point 3). `record` takes the transaction of the change
 * it describes: both are committed, or neither. Details are scrubbed of secrets here
 * too, whatever the caller passed.
 */
export class AuditService {
  constructor(private readonly db: Database) {}

  async record(trx: Database, context: AuditContext, event: AuditEvent): Promise<void> {
    await auditRepository(trx).insert({
      actor_kind: context.actor.kind,
      actor_id: context.actor.id ?? null,
      actor_label: context.actor.label,
      ip: context.ip || null,
      action: event.action,
      target: event.target ?? null,
      details: scrubSecrets(event.details ?? {}),
    });
  }

  /** A page of events, newest first; `next_before` continues it. Throws 400 on a bad filter. */
  async list(filter: unknown = {}): Promise<AuditPage> {
    const { limit, before, ...rest } = parse(AuditListQuery, filter);
    // One more than asked tells whether another page follows.
    const rows = await auditRepository(this.db).page(rest, limit + 1, before);
    const events = rows.slice(0, limit);
    return { events, next_before: rows.length > limit ? events[events.length - 1]!.id : null };
  }

  /** Every matching event, oldest first, one JSON object per line. Validates the filter before the first line. */
  exportLines(filter: unknown = {}): AsyncGenerator<string> {
    const parsed = parse(AuditExportQuery, filter);
    const repository = auditRepository(this.db);
    return (async function* () {
      let after = 0;
      for (;;) {
        const rows = await repository.pageForward(parsed, EXPORT_PAGE, after);
        for (const row of rows) yield `${JSON.stringify(row)}\n`;
        if (rows.length < EXPORT_PAGE) return;
        after = Number(rows[rows.length - 1]!.id);
      }
    })();
  }
}

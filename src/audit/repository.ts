import { sql, type ExpressionBuilder } from 'kysely';
import type { Database } from '../db/index.js';
import type { DB } from '../db/schema.js';
import type { ActorKind } from './actor.js';
import { ACTOR_KINDS, type AuditEntry, type AuditExportFilter } from './schemas.js';

export interface NewAuditEvent {
  actor_kind: ActorKind;
  actor_id: string | null;
  actor_label: string;
  ip: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

interface Row {
  id: string | number;
  at: Date;
  actor_kind: ActorKind;
  actor_id: string | null;
  actor_label: string;
  ip: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

const likeEscaped = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
const instant = (value: string) => new Date(value.length === 10 ? `${value}T00:00:00Z` : value);

function matching(filter: AuditExportFilter) {
  return (eb: ExpressionBuilder<DB, 'audit_events'>) => {
    const parts = [];
    if (filter.action) {
      parts.push(filter.action.endsWith('.') ? eb('action', 'like', `${likeEscaped(filter.action)}%`) : eb('action', '=', filter.action));
    }
    if (filter.actor) {
      const actor = filter.actor;
      parts.push(
        (ACTOR_KINDS as readonly string[]).includes(actor)
          ? eb('actor_kind', '=', actor as ActorKind)
          : eb.or([eb('actor_id', '=', actor), eb(sql<string>`lower(actor_label)`, 'like', `%${likeEscaped(actor.toLowerCase())}%`)]),
      );
    }
    if (filter.target) parts.push(eb('target', '=', filter.target));
    if (filter.since) parts.push(eb('at', '>=', instant(filter.since)));
    if (filter.until) parts.push(eb('at', '<', instant(filter.until)));
    return eb.and(parts);
  };
}

export function toEntry(row: Row): AuditEntry {
  return {
    id: String(row.id),
    at: new Date(row.at).toISOString(),
    actor: { kind: row.actor_kind, id: row.actor_id, label: row.actor_label },
    ip: row.ip,
    action: row.action,
    target: row.target,
    details: row.details,
  };
}

/** The trail's one table. Inserts and reads only: the application never changes a record. */
export function auditRepository(db: Database) {
  return {
    async insert(event: NewAuditEvent): Promise<void> {
      await db
        .insertInto('audit_events')
        .values({ ...event, details: JSON.stringify(event.details) })
        .execute();
    },
    /** Newest first, older than the `before` id when given. */
    async page(filter: AuditExportFilter, limit: number, before?: number): Promise<AuditEntry[]> {
      let query = db.selectFrom('audit_events').selectAll().where(matching(filter));
      if (before !== undefined) query = query.where('id', '<', before as never);
      const rows = await query.orderBy('id', 'desc').limit(limit).execute();
      return (rows as Row[]).map(toEntry);
    },
    /** Oldest first, newer than the `after` id: the export's pages. */
    async pageForward(filter: AuditExportFilter, limit: number, after: number): Promise<AuditEntry[]> {
      const rows = await db
        .selectFrom('audit_events')
        .selectAll()
        .where(matching(filter))
        .where('id', '>', after as never)
        .orderBy('id', 'asc')
        .limit(limit)
        .execute();
      return (rows as Row[]).map(toEntry);
    },
  };
}

import { z } from 'zod';

/** Every action the trail records; the console's filter offers these. */
export const AUDIT_ACTIONS = [
  'client.create',
  'client.update',
  'client.secret.rotate',
  'client.delete',
  'keys.rotate',
  'user.create',
  'user.disable',
  'user.enable',
  'user.signout',
  'user.delete',
  'operator.grant',
  'operator.revoke',
  'migrate',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const ACTOR_KINDS = ['operator', 'admin_token', 'cli', 'registration'] as const;

const Instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .meta({ description: 'An ISO 8601 date-time (with Z or an offset) or a date (midnight UTC)' });

/** Filters shared by the list and the export. */
const FilterFields = {
  action: z
    .string()
    .max(64)
    .regex(/^[a-z_]+(\.[a-z_]+)*\.?$/, 'must be an action such as client.update, or a prefix ending in "." such as client.')
    .optional()
    .meta({ description: `One action (${AUDIT_ACTIONS.join(', ')}), or a prefix ending in "." (client.)` }),
  actor: z
    .string()
    .trim()
    .min(1)
    .max(254)
    .optional()
    .meta({ description: `A kind (${ACTOR_KINDS.join(', ')}), an operator's account id, or part of the actor's label (an operator's email)` }),
  target: z.string().trim().min(1).max(128).optional().meta({ description: 'A client_id or an account id, exactly' }),
  since: Instant.optional().meta({ description: 'Only events at or after this instant' }),
  until: Instant.optional().meta({ description: 'Only events before this instant' }),
};

export const AuditListQuery = z
  .object({
    ...FilterFields,
    limit: z.coerce.number().int().min(1).max(1000).default(100).meta({ description: 'At most this many events (1–1000), newest first' }),
    before: z.coerce
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: 'Only events older than this id: pass next_before from the previous page' }),
  })
  .strict();
export type AuditFilter = z.input<typeof AuditListQuery>;
export type ParsedAuditFilter = z.output<typeof AuditListQuery>;

export const AuditExportQuery = z.object(FilterFields).strict();
export type AuditExportFilter = z.output<typeof AuditExportQuery>;

export const AuditEntrySchema = z
  .object({
    id: z.string().meta({ description: 'Increasing with time' }),
    at: z.iso.datetime(),
    actor: z.object({
      kind: z.enum(ACTOR_KINDS),
      id: z.string().nullable().meta({ description: "The operator's account id, or the registered client's id" }),
      label: z.string().meta({ description: 'The operator’s email at the time, "admin token", "CLI on the host (user)", …' }),
    }),
    ip: z.string().nullable(),
    action: z.string(),
    target: z.string().nullable().meta({ description: 'The client_id or account id changed' }),
    details: z.record(z.string(), z.unknown()).meta({
      description: 'What changed: for clients {changed, before, after} with every secret removed',
    }),
  })
  .meta({ description: 'One administrative change' });
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const AuditPageSchema = z.object({
  events: z.array(AuditEntrySchema),
  next_before: z.string().nullable().meta({ description: 'Pass as before= for the next (older) page; null on the last' }),
});
export type AuditPage = z.infer<typeof AuditPageSchema>;

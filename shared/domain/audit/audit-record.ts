import { z } from 'zod';

/** The operator actions that leave an audit record. */
export const AUDIT_KINDS = [
  'replay',
  'mass-delete-release',
  'key-rotate',
  'key-rekey',
  'reidentify',
  'opt-out-import',
  'restricted-export',
  'api-key-create',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** A detail value: codes, counts, ids, table names, time bounds. Never a patient identifier. */
const auditDetail = z.union([z.string().max(512), z.number(), z.boolean(), z.null()]);

/**
 * One operator action, as kept in the audit container (create-only, one object per action).
 *
 * Contract: `outcome` says what happened (`refused` when a role or guard stopped it, `dry-run` when
 * nothing was changed on purpose); `actor` is who asked (an Entra object id or app id on Azure,
 * `local:<os user>` on a laptop); `details` hold codes, counts and ids only.
 */
export const auditRecordSchema = z.object({
  kind: z.enum(AUDIT_KINDS),
  id: z.string().regex(/^[A-Za-z0-9_.=-]+$/),
  at: z.iso.datetime({ offset: false }),
  actor: z.string().min(1).max(256),
  outcome: z.enum(['done', 'failed', 'refused', 'dry-run', 'nothing-matched']),
  reason: z.string().max(512).optional(),
  details: z.record(z.string(), auditDetail),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;

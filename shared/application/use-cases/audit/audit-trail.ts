import { ConcurrencyError } from '../../../domain/errors.js';
import { randomUUID } from 'node:crypto';
import { auditRecordSchema, type AuditKind, type AuditRecord } from '../../../domain/audit/audit-record.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { Clock } from '../../ports/clock.port.js';
import type { ObjectStore } from '../../ports/object-store.port.js';

export interface AuditTrailDeps {
  readonly lake: ObjectStore;
  readonly clock: Clock;
}

/**
 * Writes one operator action's audit record to the audit container, create-only, and returns it.
 * The record is validated first (codes, counts and ids only): a detail that is not a scalar, or an
 * oversized text, is refused rather than written.
 */
export async function recordAudit(
  entry: Omit<AuditRecord, 'at' | 'id'> & { readonly id?: string },
  deps: AuditTrailDeps,
): Promise<AuditRecord> {
  const at = deps.clock.now();
  const record = auditRecordSchema.parse({ ...entry, id: entry.id ?? randomUUID(), at: at.toISOString() });
  const { created } = await deps.lake.put(
    'audit',
    lakePaths.auditRecord(at, record.kind, record.id),
    JSON.stringify(record),
    { ifNoneMatch: '*', contentType: 'application/json' },
  );
  if (!created) throw new ConcurrencyError(`audit record ${record.kind}/${record.id} already exists`);
  return record;
}

/** Audit records from `since` (a day boundary) up to now, oldest first, optionally of one kind. */
export async function readAudit(
  options: { readonly since: Date; readonly kind?: AuditKind },
  deps: AuditTrailDeps,
): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  const end = deps.clock.now();
  for (let day = startOfDay(options.since); day <= end; day = new Date(day.getTime() + 86_400_000)) {
    for await (const object of deps.lake.list('audit', lakePaths.auditDayPrefix(day))) {
      const body = await deps.lake.get('audit', object.path);
      if (!body) continue;
      const record = auditRecordSchema.parse(JSON.parse(body.toString('utf8')));
      if (options.kind && record.kind !== options.kind) continue;
      if (new Date(record.at) < options.since) continue;
      out.push(record);
    }
  }
  return out;
}

function startOfDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

import { z } from 'zod';
import { CAPTURE_NAME } from '../../../domain/capture/source-feeds.js';
import { InputError } from '../../../domain/errors.js';
import type { AuditRecord } from '../../../domain/audit/audit-record.js';
import type { Clock } from '../../ports/clock.port.js';
import type { Logger } from '../../ports/logger.port.js';
import type { ObjectStore } from '../../ports/object-store.port.js';
import type { StateStore } from '../../ports/state-store.port.js';
import { recordAudit } from '../audit/audit-trail.js';
import { MASS_DELETE_RELEASE_PARTITION, OPERATIONS_TABLE } from './operations-state.js';

export interface MassDeleteReleaseDeps {
  readonly lake: ObjectStore;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The boundary shape of a release request (CLI options, POST /api/capture/release-mass-delete body). */
export const massDeleteReleaseRequestSchema = z.object({
  /** A capture name: a declared source table or a source feed (docs/sources.md). */
  table: z.string().regex(CAPTURE_NAME, 'a capture name (a source table or feed: a-z, 0-9 and _)'),
  reason: z.string().max(300).optional(),
});

export interface MassDeleteReleaseResult {
  readonly table: string;
  /** Whether a release for the table was already pending (it is replaced). */
  readonly replacedPending: boolean;
  readonly audit: AuditRecord;
}

/**
 * Releases a tripped mass-delete guard for one table and one poll: the next poll of that table
 * accepts its deletes (`allowMassDelete`), then the release is used up. Audited (kind
 * `mass-delete-release`, step `requested`); the poll that uses it writes a second record (step
 * `applied`) with its counts. `table` is a capture name: a declared table or a source feed (a
 * feed's guard is its own). A name that is not configured for capture is refused here.
 */
export async function releaseMassDelete(
  request: z.input<typeof massDeleteReleaseRequestSchema>,
  actor: string,
  deps: MassDeleteReleaseDeps,
  capturedTables: readonly string[],
): Promise<MassDeleteReleaseResult> {
  const parsed = massDeleteReleaseRequestSchema.safeParse(request);
  if (!parsed.success)
    throw new InputError(`release-mass-delete needs --table, one of: ${capturedTables.join(', ')}`);
  const { table, reason } = parsed.data;
  if (!capturedTables.includes(table))
    throw new InputError(
      `${table} is not captured here (NHSFLOWS_CDC_TABLES); nothing to release. Captured: ${capturedTables.join(', ')}`,
    );
  await deps.state.ensureTables([OPERATIONS_TABLE]);
  const pending = await deps.state.get(OPERATIONS_TABLE, MASS_DELETE_RELEASE_PARTITION, table);
  const audit = await recordAudit(
    {
      kind: 'mass-delete-release',
      actor,
      outcome: 'done',
      ...(reason ? { reason } : {}),
      details: { table, step: 'requested', polls: 1 },
    },
    deps,
  );
  await deps.state.upsert(OPERATIONS_TABLE, MASS_DELETE_RELEASE_PARTITION, table, {
    requestedAt: deps.clock.now().toISOString(),
    actor,
    auditId: audit.id,
  });
  deps.logger.warn('mass-delete guard released for the next poll', { table, auditId: audit.id });
  return { table, replacedPending: pending !== undefined, audit };
}

/** A pending release, as the poller reads it. */
export interface PendingRelease {
  readonly table: string;
  readonly actor: string;
  readonly auditId: string;
}

/** What the poll uses: whether a table's next poll is released, and recording that it was used. */
export interface MassDeleteReleases {
  pending(table: string): Promise<PendingRelease | null>;
  /** Called after the released poll completed (a poll that fails leaves the release pending). */
  used(
    release: PendingRelease,
    outcome: { readonly deletes: number; readonly published: number },
  ): Promise<void>;
}

/** Releases kept in the operations table; a used release is deleted and audited (step `applied`). */
export function massDeleteReleases(deps: MassDeleteReleaseDeps): MassDeleteReleases {
  return {
    pending: async (table) => {
      await deps.state.ensureTables([OPERATIONS_TABLE]);
      const row = await deps.state.get(OPERATIONS_TABLE, MASS_DELETE_RELEASE_PARTITION, table);
      if (!row) return null;
      const text = (v: unknown) => (typeof v === 'string' ? v : '');
      return { table, actor: text(row.value.actor) || 'unknown', auditId: text(row.value.auditId) };
    },
    used: async (release, outcome) => {
      await deps.state.delete(OPERATIONS_TABLE, MASS_DELETE_RELEASE_PARTITION, release.table);
      await recordAudit(
        {
          kind: 'mass-delete-release',
          actor: release.actor,
          outcome: 'done',
          details: {
            table: release.table,
            step: 'applied',
            requestAuditId: release.auditId,
            deletes: outcome.deletes,
            published: outcome.published,
          },
        },
        deps,
      );
    },
  };
}

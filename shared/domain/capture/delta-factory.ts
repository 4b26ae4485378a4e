import { hash } from 'node:crypto';
import type { SourceRow, SourceTableName } from '../datasets/source-tables.js';
import type { Delta, DeltaOp } from './delta.js';
import { escapeField } from './row-hash.js';

/** What the capture engine found for one key, before it becomes a `Delta`. */
export interface CapturedChange {
  readonly op: DeltaOp;
  readonly businessKey: readonly string[];
  /** New row hash (hex) for inserts and updates. */
  readonly rowHash: string | null;
  /** Hash the update or delete replaces. */
  readonly previousHash: string | null;
  /** Change version of the new row (inserts, updates). */
  readonly sourceVersion: string | null;
  /** Change version recorded with the previous hash (updates, deletes). */
  readonly previousVersion: string | null;
  readonly row: SourceRow | null;
}

export interface DeltaContext {
  readonly table: SourceTableName;
  readonly hashSpecVersion: number;
  readonly capturedAt: Date;
  readonly snapshot: boolean;
  /**
   * Disambiguates ids when the table has no change version (the state commit sequence the poll
   * will write): without it an identical re-insert after a delete would repeat an old id.
   */
  readonly occurrence: string;
}

/**
 * The deterministic event id (contract: sinks deduplicate by it):
 * `sha256(table ␤ op ␤ escaped key fields joined by '|' ␤ rowHash ␤ previousHash ␤ version ␤ previousVersion)`,
 * where a missing value is empty and a missing version is replaced by the context's occurrence.
 * The same change captured twice (a retry after a crash, another capture path) gets the same id;
 * a re-insert, a second update to the same values or a second delete of a re-inserted row differ by version.
 */
export function eventIdOf(table: string, change: CapturedChange, occurrence: string): string {
  const versioned = change.sourceVersion !== null || change.previousVersion !== null;
  const text = [
    table,
    change.op,
    change.businessKey.map(escapeField).join('|'),
    change.rowHash ?? '',
    change.previousHash ?? '',
    change.sourceVersion ?? '',
    change.previousVersion ?? '',
    versioned ? '' : occurrence,
  ].join('\n');
  return hash('sha256', text, 'hex');
}

/** The `Delta` for a captured change (wire contract: shared/domain/capture/delta.ts). */
export function toDelta(change: CapturedChange, context: DeltaContext): Delta {
  return {
    eventId: eventIdOf(context.table, change, context.occurrence),
    op: change.op,
    sourceTable: context.table,
    businessKey: change.businessKey,
    rowHash: change.rowHash,
    previousHash: change.previousHash,
    hashSpecVersion: context.hashSpecVersion,
    sourceVersion: change.op === 'delete' ? null : change.sourceVersion,
    capturedAt: context.capturedAt.toISOString(),
    snapshot: context.snapshot,
    row: change.op === 'delete' ? null : change.row,
  };
}

import type { PortableColumn } from '../gold/portable-types.js';

/**
 * Lineage columns every silver row carries after its table's columns. Silver is a change log:
 * `_op = 'delete'` rows are tombstones (key and lineage only) so gold can remove the record.
 */
export const SILVER_LINEAGE_COLUMNS: readonly PortableColumn[] = [
  { name: '_op', type: 'string', nullable: false },
  { name: '_seq', type: 'bigint', nullable: false },
  { name: '_event_id', type: 'string', nullable: false },
  { name: '_batch_id', type: 'string', nullable: false },
  { name: '_source_version', type: 'string', nullable: true },
  { name: '_captured_at', type: 'timestamp', nullable: false },
];

/** Reporting period (YYYY-MM) of an activity date or instant; 'unknown' when absent. */
export function periodOf(activity: unknown): string {
  return typeof activity === 'string' && /^\d{4}-\d{2}/.test(activity) ? activity.slice(0, 7) : 'unknown';
}

import type { SourceRow, SourceTableName } from '../datasets/source-tables.js';

/**
 * A change captured from a source table.
 *
 * Contract (wire format on Event Hubs and in bronze, one JSON object per delta):
 * - `eventId` is deterministic: the same change captured twice gets the same id, so every sink can
 *   ignore ids it has already seen (exactly-once in effect).
 * - `row` is the full row in `SourceRow` wire form for inserts and updates, `null` for deletes.
 * - `previousHash` names the hash an update or delete replaces; `null` for inserts.
 */
export interface Delta {
  readonly eventId: string;
  readonly op: DeltaOp;
  readonly sourceTable: SourceTableName;
  /** Business key values in key-column order, as strings. */
  readonly businessKey: readonly string[];
  readonly rowHash: string | null;
  readonly previousHash: string | null;
  readonly hashSpecVersion: number;
  /** The source's change version (rowversion) when known, as a decimal string. */
  readonly sourceVersion: string | null;
  /** ISO-8601 UTC instant of capture. */
  readonly capturedAt: string;
  /** True for rows read by an initial snapshot rather than a change. */
  readonly snapshot: boolean;
  readonly row: SourceRow | null;
}

export type DeltaOp = 'insert' | 'update' | 'delete';

import type { ChangeSource } from '../../../shared/application/ports/change-source.port.js';
import type {
  EventPublisher,
  PublishReceipt,
} from '../../../shared/application/ports/event-publisher.port.js';
import type { RowHashLayout } from '../../../shared/domain/capture/row-hash.js';
import { hashHexAt } from '../../../shared/domain/capture/row-hash-page.js';
import type { Delta } from '../../../shared/domain/capture/delta.js';
import type { SourceRow, SourceTableSpec } from '../../../shared/domain/datasets/source-tables.js';

/**
 * Synthetic rows for capture tests: every column gets a value of its type derived from `i`
 * (999-range NHS numbers, no real data); `variant` changes non-key values.
 */
export function syntheticRow(spec: SourceTableSpec, i: number, variant = 0): SourceRow {
  const row: SourceRow = {};
  for (const col of spec.columns) {
    const isKey = spec.key.includes(col.name);
    const n = isKey ? i : i + variant * 7;
    if (!isKey && col.nullable && (n + col.name.length) % 5 === 0) {
      row[col.name] = null;
      continue;
    }
    switch (col.type) {
      case 'varchar':
      case 'char': {
        let text: string;
        if (isKey) text = `K${String(i).padStart(8, '0')}`;
        else if (col.identifier === 'nhs_number') text = `999${String(n % 10_000_000).padStart(7, '0')}`;
        else text = `${col.name.slice(0, 2)}${n}`;
        row[col.name] = text.slice(0, col.length ?? text.length);
        break;
      }
      case 'int':
        row[col.name] = n % 1000;
        break;
      case 'bigint':
        row[col.name] = String(n);
        break;
      case 'decimal':
        row[col.name] = `${n % 100000}.${String(n % 100)
          .padStart(col.scale ?? 0, '0')
          .slice(0, col.scale ?? 0)}`.replace(/\.$/, '');
        break;
      case 'date':
        row[col.name] =
          `2026-${String((n % 12) + 1).padStart(2, '0')}-${String((n % 28) + 1).padStart(2, '0')}`;
        break;
      case 'datetime2':
        row[col.name] =
          `2026-01-${String((n % 28) + 1).padStart(2, '0')}T10:${String(n % 60).padStart(2, '0')}:00.123Z`;
        break;
      case 'datetimeoffset':
        row[col.name] =
          `2026-03-${String((n % 28) + 1).padStart(2, '0')}T10:${String(n % 60).padStart(2, '0')}:00.500+01:00`;
        break;
      case 'bit':
        row[col.name] = n % 2 === 0;
        break;
    }
  }
  return row;
}

/** A fake of the transport that records what was published (the transport has its own tests). */
export class RecordingPublisher implements EventPublisher {
  readonly deltas: Delta[] = [];
  readonly batches: number[] = [];
  failNext = false;

  async publish(deltas: readonly Delta[]): Promise<PublishReceipt> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('transport unavailable');
    }
    this.deltas.push(...deltas);
    this.batches.push(deltas.length);
    return { deltas: deltas.length, events: 1, bytes: JSON.stringify(deltas).length };
  }

  take(): Delta[] {
    return this.deltas.splice(0, this.deltas.length);
  }

  async close(): Promise<void> {}
}

/** Every row hash of a source's full-scan stream, in key order (lowercase hex), read in small pages. */
export async function scannedHashes(source: ChangeSource, layout: RowHashLayout): Promise<string[]> {
  const out: string[] = [];
  for await (const page of source.scanRowHashes({ layout, pageSize: 3 }))
    for (let i = 0; i < page.length; i++) out.push(hashHexAt(page, i));
  return out;
}

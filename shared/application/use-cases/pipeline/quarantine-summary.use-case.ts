import { SOURCE_TABLE_NAMES, sourceTable } from '../../../domain/datasets/source-tables.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { ObjectStore } from '../../ports/object-store.port.js';
import type { StateStore } from '../../ports/state-store.port.js';
import { BATCH_LEDGER_TABLE } from './batch-ledger.use-case.js';

/** Where one rejection was found: the file (or CDC batch), row, line when known, and field. Never a value. */
export interface QuarantineLocation {
  readonly batchId: string;
  /** The landing file's name, or the batch id for CDC batches. */
  readonly file: string;
  /** 1-based row of the file or batch; 0 for a whole file rejected. */
  readonly row: number;
  readonly line?: number;
  readonly field: string;
}

export interface QuarantineGroup {
  readonly table: string;
  readonly rule: string;
  /** Rejections under this rule (a row failing it twice counts twice). */
  readonly count: number;
  /** The first few locations, in file and row order. */
  readonly examples: readonly QuarantineLocation[];
}

export interface QuarantineSummary {
  /** Groups by table and rule, worst (largest count) first. */
  readonly groups: readonly QuarantineGroup[];
  readonly total: number;
}

export interface QuarantineFilter {
  readonly table?: string;
  readonly rule?: string;
  /** Only these batches (or rejection ids). */
  readonly batchIds?: readonly string[];
  /** Locations kept per group (default 5). */
  readonly examples?: number;
}

/**
 * Why rows were rejected: the quarantine container's records (failures that reject a row, unreadable
 * rows, whole files rejected) counted by table and rule, worst first, each with the first locations
 * (file, row, line, field). Reads only the fields named here, so no value or message of a record
 * reaches the summary; warnings on accepted rows are left out.
 */
export async function quarantineSummary(
  deps: {
    readonly lake: Pick<ObjectStore, 'list' | 'get'>;
    readonly state: Pick<StateStore, 'get' | 'ensureTables'>;
  },
  filter: QuarantineFilter = {},
): Promise<QuarantineSummary> {
  const keep = filter.examples ?? 5;
  const groups = new Map<
    string,
    { table: string; rule: string; count: number; examples: QuarantineLocation[] }
  >();
  const origins = new Map<string, string>();
  const tables = filter.table ? [filter.table] : SOURCE_TABLE_NAMES;
  await deps.state.ensureTables([BATCH_LEDGER_TABLE]);
  let total = 0;
  for (const table of tables) {
    if (!(SOURCE_TABLE_NAMES as readonly string[]).includes(table)) continue;
    const spec = sourceTable(table);
    for await (const object of deps.lake.list(
      'quarantine',
      lakePaths.quarantinePrefix(spec.dataset, spec.table),
    )) {
      if (filter.batchIds && !filter.batchIds.some((b) => object.path.includes(`/${b}-`))) continue;
      const body = await deps.lake.get('quarantine', object.path);
      if (!body) continue;
      for (const text of body.toString('utf8').split('\n')) {
        if (text.trim() === '') continue;
        let r: Record<string, unknown>;
        try {
          r = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (r.severity !== 'reject' || typeof r.rule !== 'string') continue;
        if (filter.rule && r.rule !== filter.rule) continue;
        const batchId = typeof r.batchId === 'string' ? r.batchId : '';
        let file = typeof r.file === 'string' ? r.file : origins.get(batchId);
        if (file === undefined) {
          const ledger = await deps.state.get(BATCH_LEDGER_TABLE, table, batchId);
          const origin = ledger?.value.origin;
          file = typeof origin === 'string' && origin !== 'cdc' ? origin : batchId;
          origins.set(batchId, file);
        }
        total += 1;
        const key = `${table}\u0000${r.rule}`;
        const group = groups.get(key) ?? { table, rule: r.rule, count: 0, examples: [] };
        group.count += 1;
        if (group.examples.length < keep)
          group.examples.push({
            batchId,
            file,
            row: typeof r.row === 'number' ? r.row : 0,
            ...(typeof r.line === 'number' ? { line: r.line } : {}),
            field: typeof r.field === 'string' ? r.field : '(record)',
          });
        groups.set(key, group);
      }
    }
  }
  return {
    groups: [...groups.values()].sort(
      (a, b) => b.count - a.count || a.table.localeCompare(b.table) || a.rule.localeCompare(b.rule),
    ),
    total,
  };
}

import { sourceTable, SOURCE_TABLE_NAMES, type SourceTableName } from '../datasets/source-tables.js';
import { GOLD_TABLES } from '../gold/gold-tables.js';
import type { PortableColumn } from '../gold/portable-types.js';
import { lakePaths } from '../lake/lake-paths.js';
import type { BatchDescriptor } from '../pipeline/batch-record.js';
import type {
  BatchManifest,
  BuildGoldInput,
  BuildGoldResult,
  ChunkInput,
  ChunkPlan,
  FailureReport,
  LoadWarehouseInput,
  LoadWarehouseResult,
  MergeDimensionInput,
  MergeDimensionResult,
  PseudonymiseChunkResult,
  ValidateChunkResult,
  ValidatePseudonymiseChunkResult,
} from '../pipeline/pipeline-contracts.js';
import { silverColumns } from '../pseudonymise/silver-row.js';
import type { ActivityRun, DatasetRef } from './openlineage-event.js';

/**
 * What each pipeline activity read and wrote, taken from its input and from what its use case
 * returned (paths, tables and counts the use case reports; nothing is read again). One entry per
 * activity: a new activity without one still gets START / COMPLETE events, with no datasets.
 *
 * Logical names, so runs of different batches meet on the same dataset: a silver table is its
 * table prefix (`<dataset>/<table>/`), a gold table its table name; the exact objects are in the
 * `nhsflows_files` facet. Bronze batches and chunks are named by their own path.
 */
export interface ActivityLineage {
  /** Which batch (and part) an input belongs to; null when the input names none. */
  run(input: unknown): Omit<ActivityRun, 'activity' | 'startedAt'> | null;
  inputs(input: unknown): DatasetRef[];
  /** Outputs once the activity returned `result` (undefined at START). */
  outputs(input: unknown, result: unknown): DatasetRef[];
}

const fields = (columns: readonly PortableColumn[]) => columns.map((c) => ({ name: c.name, type: c.type }));

function isSourceTable(table: string): table is SourceTableName {
  return (SOURCE_TABLE_NAMES as readonly string[]).includes(table);
}

function goldTable(
  name: string,
  store: 'lake' | 'warehouse',
  files: readonly string[],
  rowCount?: number,
): DatasetRef {
  const declared = GOLD_TABLES.find((t) => t.name === name);
  return {
    store,
    ...(store === 'lake' ? { container: 'gold', name: lakePaths.goldTablePrefix(name) } : { name }),
    ...(declared ? { fields: fields(declared.columns) } : {}),
    ...(files.length > 0 ? { files } : {}),
    ...(rowCount !== undefined ? { rowCount } : {}),
  };
}

function silverTable(table: string, files: readonly string[], rowCount?: number): DatasetRef {
  if (!isSourceTable(table)) return { store: 'lake', container: 'silver', name: table, files };
  const spec = sourceTable(table);
  return {
    store: 'lake',
    container: 'silver',
    name: lakePaths.silverTablePrefix(spec.dataset, table),
    fields: fields(silverColumns(table)),
    files,
    ...(rowCount !== undefined ? { rowCount } : {}),
  };
}

function bronzeBatch(batch: BatchDescriptor, rowCount?: number): DatasetRef {
  const ref: DatasetRef = { store: 'lake', container: 'bronze', name: batch.bronzePath };
  if (isSourceTable(batch.table)) {
    const spec = sourceTable(batch.table);
    // The source table's columns as declared: names and SQL types (the values stay in bronze).
    return {
      ...ref,
      fields: spec.columns.map((c) => ({ name: c.name, type: c.type })),
      ...(rowCount !== undefined ? { rowCount } : {}),
    };
  }
  return ref;
}

const batchRun = (batch: BatchDescriptor, part: string | null) => ({
  batchId: batch.batchId,
  table: batch.table,
  part,
});
const chunkPart = (index: number) => `chunk-${String(index).padStart(5, '0')}`;
const ok = (result: unknown): boolean =>
  typeof result === 'object' && result !== null && !('permanentFailure' in result);

/** A chunk activity's run: its batch and chunk part. */
function chunkRun(input: unknown): Omit<ActivityRun, 'activity' | 'startedAt'> | null {
  const { batch, chunk } = input as ChunkInput;
  return batchRun(batch, chunkPart(chunk.index));
}

/** A chunk activity's input: the bronze chunk it reads. */
function chunkInputs(input: unknown): DatasetRef[] {
  const { chunk } = input as ChunkInput;
  return [{ store: 'lake', container: 'bronze', name: chunk.path, rowCount: chunk.records }];
}

/** What validating a chunk wrote: quarantine, the rejected numbers (version 1 only), the DQ state. */
function validatedOutputs(v: ValidateChunkResult): DatasetRef[] {
  const out: DatasetRef[] = [];
  if (v.quarantinePath)
    out.push({ store: 'lake', container: 'quarantine', name: v.quarantinePath, rowCount: v.quarantined });
  if (v.rejectedPath)
    out.push({ store: 'lake', container: 'bronze', name: v.rejectedPath, rowCount: v.quarantined });
  if (v.dqStatePath) out.push({ store: 'lake', container: 'gold', name: v.dqStatePath });
  return out;
}

/** What pseudonymising a chunk wrote: its silver table and the patient-dimension changes. */
function pseudonymisedOutputs(input: ChunkInput, p: PseudonymiseChunkResult): DatasetRef[] {
  return [
    silverTable(input.batch.table, p.silverFiles, p.rows),
    { store: 'lake', container: 'bronze', name: p.dimensionChangesPath },
  ];
}

/** Every pipeline activity's lineage, by activity name (functions/function-names.ts). */
export const ACTIVITY_LINEAGE: Readonly<Record<string, ActivityLineage>> = {
  planChunks: {
    run: (input) => batchRun(input as BatchDescriptor, null),
    inputs: (input) => [bronzeBatch(input as BatchDescriptor)],
    outputs: (_input, result) => {
      if (!ok(result)) return [];
      const plan = result as ChunkPlan;
      return [
        ...plan.chunks.map((c): DatasetRef => ({
          store: 'lake',
          container: 'bronze',
          name: c.path,
          rowCount: c.records,
        })),
        ...(plan.unreadablePath
          ? [
              {
                store: 'lake' as const,
                container: 'quarantine',
                name: plan.unreadablePath,
                rowCount: plan.unreadable,
              },
            ]
          : []),
      ];
    },
  },
  validateChunk: {
    run: chunkRun,
    inputs: chunkInputs,
    outputs: (_input, result) => (ok(result) ? validatedOutputs(result as ValidateChunkResult) : []),
  },
  validatePseudonymiseChunk: {
    run: chunkRun,
    inputs: chunkInputs,
    outputs: (input, result) => {
      if (!ok(result)) return [];
      const { validate, pseudonymise } = result as ValidatePseudonymiseChunkResult;
      return [...validatedOutputs(validate), ...pseudonymisedOutputs(input as ChunkInput, pseudonymise)];
    },
  },
  pseudonymiseChunk: {
    run: chunkRun,
    inputs: chunkInputs,
    outputs: (input, result) =>
      ok(result) ? pseudonymisedOutputs(input as ChunkInput, result as PseudonymiseChunkResult) : [],
  },
  mergePatientDimension: {
    run: (input) => batchRun((input as MergeDimensionInput).batch, null),
    inputs: (input) =>
      (input as MergeDimensionInput).changePaths.map((path): DatasetRef => ({
        store: 'lake',
        container: 'bronze',
        name: path,
      })),
    outputs: (_input, result) => {
      if (!ok(result)) return [];
      const m = result as MergeDimensionResult;
      return m.goldFile
        ? [goldTable('dim_patient', 'lake', [m.goldFile], m.inserted + m.updated + m.deleted)]
        : [];
    },
  },
  buildGold: {
    run: (input) => batchRun((input as BuildGoldInput).batch, null),
    inputs: (input) => {
      const i = input as BuildGoldInput;
      return [silverTable(i.batch.table, i.silverFiles)];
    },
    outputs: (_input, result) => {
      if (!ok(result)) return [];
      const g = result as BuildGoldResult;
      const byTable = new Map<string, string[]>();
      for (const f of g.goldFiles) byTable.set(f.table, [...(byTable.get(f.table) ?? []), f.path]);
      return [...byTable].map(([table, files]) =>
        goldTable(table, 'lake', files, table === 'fact_activity' ? g.factRows + g.factDeletes : undefined),
      );
    },
  },
  loadWarehouse: {
    run: (input) => batchRun((input as LoadWarehouseInput).batch, null),
    inputs: (input) => {
      const byTable = new Map<string, string[]>();
      for (const f of (input as LoadWarehouseInput).goldFiles)
        byTable.set(f.table, [...(byTable.get(f.table) ?? []), f.path]);
      return [...byTable].map(([table, files]) => goldTable(table, 'lake', files));
    },
    outputs: (_input, result) => {
      if (!ok(result)) return [];
      return (result as LoadWarehouseResult).tables.map((t) =>
        goldTable(t.table, 'warehouse', [], t.rowsInTable),
      );
    },
  },
  writeManifest: {
    run: (input) => ({
      batchId: (input as BatchManifest).batchId,
      table: (input as BatchManifest).table,
      part: null,
    }),
    inputs: () => [],
    outputs: (input, result) =>
      result === undefined || ok(result) || result === null
        ? [{ store: 'lake', container: 'gold', name: lakePaths.manifest((input as BatchManifest).batchId) }]
        : [],
  },
  reportFailure: {
    run: (input) => batchRun((input as FailureReport).batch, null),
    inputs: () => [],
    outputs: () => [],
  },
};

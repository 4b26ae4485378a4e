import type { BatchDescriptor } from './batch-record.js';

/** A chunk of the batch, by path: activities pass paths, never rows. */
export interface ChunkRef {
  readonly index: number;
  /** In the bronze container. */
  readonly path: string;
  readonly records: number;
  /**
   * How the file's lines are written: planned batch records (a work file; the default) or the
   * bronze delta batch itself, read in place when the whole batch fits one chunk.
   */
  readonly encoding?: 'records' | 'deltas';
}

/** A record that could not even be read (bad JSON, wrong column count): reported, never dropped. */
export interface UnreadableRecord {
  readonly row: number;
  /** 1-based physical line of the file where the row starts (landing files). */
  readonly line?: number;
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

export interface ChunkPlan {
  readonly batchId: string;
  readonly table: string;
  readonly records: number;
  readonly chunks: readonly ChunkRef[];
  readonly unreadable: number;
  /** Path (in quarantine) of the unreadable-record report, when there is one. */
  readonly unreadablePath: string | null;
  /** A landing file that held no row (FILE.EMPTY, FILE.HEADER_ONLY): the batch ends 'empty'. */
  readonly notice?: { readonly code: string; readonly message: string };
}

/**
 * Inputs and outputs of the pipeline's activities: ids, paths and counts only (never rows), so
 * durable payloads stay far below the 45 KB spill threshold.
 */
export interface PipelineInput {
  readonly batch: BatchDescriptor;
  /**
   * Chunk sub-orchestrations running at once (one wave of the fan-out). Set where the input is
   * created, from NHSFLOWS_MAX_FANOUT: the orchestrator reads no setting, so every replay of an
   * instance fans out the same way even if the setting changes while it runs.
   */
  readonly waveSize: number;
  /** Replay of a failed batch: only these chunk indexes are processed again. */
  readonly onlyChunks?: readonly number[];
  /**
   * The orchestration version the instance was started at (`PIPELINE_VERSION` then). The
   * orchestrators branch on it, never on the code's current version, so an instance in flight
   * across a deployment replays the steps it first scheduled. Absent: version 1.
   */
  readonly version?: number;
}

/**
 * The pipeline orchestration's current version (docs/adr/0005-pipeline-shape.md, "Orchestration
 * versions"):
 * 1. a chunk is validated by one activity, then pseudonymised by another that reads it again;
 * 2. a chunk is validated and pseudonymised by one activity (`validatePseudonymiseChunk`), read
 *    and decoded once.
 */
export const PIPELINE_VERSION = 2;

/** The version an orchestration input was started at (1 for inputs from before versions). */
export function pipelineVersionOf(input: { readonly version?: unknown }): number {
  const version = input.version;
  return typeof version === 'number' && Number.isInteger(version) && version >= 1 ? version : 1;
}

/**
 * Wave size of instances started before inputs carried one (their input is fixed in their
 * history): the setting's default then, so they replay as they first ran.
 */
export const WAVE_SIZE_BEFORE_INPUTS_CARRIED_IT = 500;

/** The pipeline orchestrator's input for a batch; `waveSize` is NHSFLOWS_MAX_FANOUT at the caller. */
export function pipelineInput(
  batch: BatchDescriptor,
  options: { readonly waveSize: number; readonly onlyChunks?: readonly number[] },
): PipelineInput {
  return {
    batch,
    waveSize: options.waveSize,
    ...(options.onlyChunks && options.onlyChunks.length > 0 ? { onlyChunks: options.onlyChunks } : {}),
    version: PIPELINE_VERSION,
  };
}

/** The wave size an orchestrator uses: its input's, or the old default for inputs without one. */
export function waveSizeOf(input: Pick<PipelineInput, 'waveSize'> | { readonly waveSize?: unknown }): number {
  const size = input.waveSize;
  return typeof size === 'number' && Number.isInteger(size) && size >= 1
    ? size
    : WAVE_SIZE_BEFORE_INPUTS_CARRIED_IT;
}

/** The chunks of a plan in fan-out waves of at most `waveSize` (the last may be smaller). */
export function fanOutWaves<T>(chunks: readonly T[], waveSize: number): T[][] {
  const waves: T[][] = [];
  for (let start = 0; start < chunks.length; start += waveSize)
    waves.push(chunks.slice(start, start + waveSize));
  return waves;
}

export interface ChunkInput {
  readonly batch: BatchDescriptor;
  readonly chunk: ChunkRef;
  /** The pipeline instance's version (`PipelineInput.version`), absent for version 1. */
  readonly version?: number;
}

export interface ValidateChunkResult {
  readonly chunk: number;
  readonly records: number;
  readonly accepted: number;
  readonly quarantined: number;
  readonly warnings: number;
  /**
   * Work path of the numbers (`BatchRecord.n`) of the records validation rejected (restricted
   * bronze), or null when it rejected none: the accepted records are the chunk's other records.
   */
  readonly rejectedPath: string | null;
  readonly quarantinePath: string | null;
  /** Serialised DQ accumulator of this chunk. */
  readonly dqStatePath: string | null;
}

export interface PseudonymiseChunkResult {
  readonly chunk: number;
  /** Silver rows written: one per accepted record (deletes become tombstone rows with `_op = 'delete'`). */
  readonly rows: number;
  /** Silver Parquet paths written for this chunk (one per provider × period partition). */
  readonly silverFiles: readonly string[];
  /** Work path of the patient dimension changes this chunk carries (pseudonymised attributes only). */
  readonly dimensionChangesPath: string;
}

/** What `validatePseudonymiseChunk` returns: the two steps' results, as the two activities gave them. */
export interface ValidatePseudonymiseChunkResult {
  readonly validate: ValidateChunkResult;
  readonly pseudonymise: PseudonymiseChunkResult;
}

export type ChunkOutcome =
  | {
      readonly ok: true;
      readonly validate: ValidateChunkResult;
      readonly pseudonymise: PseudonymiseChunkResult;
    }
  | {
      readonly ok: false;
      readonly chunk: number;
      readonly records: number;
      readonly stage: string;
      readonly reason: string;
    };

export interface MergeDimensionInput {
  readonly batch: BatchDescriptor;
  readonly changePaths: readonly string[];
}

export interface MergeDimensionResult {
  readonly members: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly deleted: number;
  /** Gold change-set file of the dimension versions touched. */
  readonly goldFile: string | null;
}

export interface BuildGoldInput {
  readonly batch: BatchDescriptor;
  readonly silverFiles: readonly string[];
}

export interface BuildGoldResult {
  readonly factRows: number;
  readonly factDeletes: number;
  readonly goldFiles: readonly { table: string; path: string }[];
}

export interface LoadWarehouseInput {
  readonly batch: BatchDescriptor;
  readonly goldFiles: readonly { table: string; path: string }[];
}

export interface LoadWarehouseResult {
  readonly tables: readonly {
    table: string;
    rowsInFiles: number;
    deletesInFiles: number;
    rowsInTable: number;
    /** Rows the warehouse skipped as unloadable (Synapse COPY INTO MAXERRORS > 0); in the manifest. */
    rejectedRows?: number;
  }[];
  /**
   * Surrogate references resolved after the load (ADR 0009), one per fact column: orphans and
   * mismatched must be 0. Absent in results recorded before references were resolved.
   */
  readonly references?: readonly {
    table: string;
    column: string;
    dimension: string;
    rekeyed?: number;
    orphans: number;
    mismatched: number;
  }[];
}

export interface BatchManifest {
  readonly batchId: string;
  readonly table: string;
  readonly origin: string;
  /** 'empty': a landing file with no row (see `notice`); not a failure, but never 'succeeded'. */
  readonly status: 'succeeded' | 'partial' | 'failed' | 'empty';
  readonly notice?: { readonly code: string; readonly message: string };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly counts: {
    readonly records: number;
    readonly unreadable: number;
    readonly accepted: number;
    readonly quarantined: number;
    readonly warnings: number;
    readonly silverRows: number;
    readonly failedChunkRecords: number;
    readonly factRows: number;
    readonly factDeletes: number;
    readonly dimensionMembers: number;
    readonly warehouseRows: number;
  };
  readonly chunks: {
    readonly total: number;
    readonly failed: readonly { chunk: number; stage: string; reason: string }[];
  };
  readonly plan?: ChunkPlan;
  readonly warehouse?: LoadWarehouseResult;
  readonly failure?: string;
}

export interface FailureReport {
  readonly batch: BatchDescriptor;
  readonly reason: string;
  readonly failedChunks: readonly number[];
}

// What bench/support/initial-load-worker.ts hands back to bench/initial-load.bench.ts (as JSON),
// and the small measuring helpers both sides use.
import { readFileSync } from 'node:fs';
import { ACTIVITIES, FUNCTIONS, ORCHESTRATIONS } from '../../functions/function-names.js';
import { statCpuTicks } from '../../shared/runtime/local/process-identity.js';

/** The stages the bench reports, in pipeline order, and the registrations whose invocations make them up. */
export const STAGE_FUNCTIONS: readonly (readonly [string, readonly string[]])[] = [
  ['capture + publish', [FUNCTIONS.cdcPoller]],
  ['ingest to bronze', [FUNCTIONS.cdcConsumer]],
  ['plan chunks', [ACTIVITIES.planChunks]],
  ['validate + pseudonymise', [ACTIVITIES.validatePseudonymiseChunk]],
  // Pipeline version 1 (none in a load started at version 2; listed so an old instance is counted).
  ['validate', [ACTIVITIES.validateChunk]],
  ['pseudonymise', [ACTIVITIES.pseudonymiseChunk]],
  ['SCD2 merge', [ACTIVITIES.mergePatientDimension]],
  ['build gold', [ACTIVITIES.buildGold]],
  ['warehouse load', [ACTIVITIES.loadWarehouse]],
  ['manifest + failure reports', [ACTIVITIES.writeManifest, ACTIVITIES.reportFailure]],
  ['marts refresh', [FUNCTIONS.martsRefresh]],
  ['orchestrator replays', [ORCHESTRATIONS.pipeline, ORCHESTRATIONS.chunk]],
];

/** Arguments of one worker phase (written as JSON; the path is the worker's second argument). */
export interface WorkerArgs {
  readonly dataDir: string;
  readonly patients: number;
  readonly seed: number;
  /** Where the worker writes its result JSON. */
  readonly out: string;
  /** Where the load phase writes Azurite's pid as soon as it is known (so the bench can stop it). */
  readonly pidsFile: string;
  /** Epoch ms by which the load must be idle (the load phase gives up waiting then). */
  readonly deadline: number;
  /** Rows per chunk of the in-process chain (the orchestrator's default chunk size). */
  readonly chainChunk: number;
  /** Where the load phase runs the host from: the built dist/ (as `npm start` does) or the sources. */
  readonly hostFrom: 'dist' | 'sources';
}

/** A stage's invocations on the local host: how many, busy time summed, and wall time covered. */
export interface StageTiming {
  readonly invocations: number;
  /** Sum of invocation durations (concurrent invocations each count). */
  readonly busyMs: number;
  /** Union of the invocations' intervals: wall time during which at least one was running. */
  readonly wallMs: number;
  readonly failures: number;
  /**
   * For a stage run on the activity worker threads: those threads' CPU spent on its invocations (their
   * JavaScript and garbage collection, shared among the invocations in flight on a worker; not
   * DuckDB's, libuv's or V8's helper threads). Absent for main-thread stages.
   */
  readonly workerCpuMs?: number;
}

/** Result of the prepare phase: seeding, then both baselines on the seeded source. */
export interface PrepareResult {
  readonly seedMs: number;
  readonly seedSummary: string;
  readonly sourceRecords: number;
  readonly recordsByTable: Readonly<Record<string, number>>;
  readonly chain:
    | {
        readonly ok: true;
        readonly records: number;
        readonly accepted: number;
        readonly quarantined: number;
        readonly chunks: number;
        /** Sum of the four stages' wall times. */
        readonly wallMs: number;
        readonly cpuMs: number;
        readonly stages: Readonly<Record<string, { wallMs: number; cpuMs: number }>>;
        /** Reading the rows from the embedded source (not in the chain figures). */
        readonly readMs: number;
        readonly linked: number;
      }
    | { readonly ok: false; readonly error: string };
  readonly duckdb:
    | {
        readonly ok: true;
        readonly rows: number;
        readonly wallMs: number;
        readonly files: number;
        readonly bytes: number;
        readonly threads: string;
      }
    | { readonly ok: false; readonly error: string };
}

/** CPU used over a span, per process, and how busy the host's main thread was. */
export interface CpuUse {
  readonly nodeSeconds: number;
  readonly azuriteSeconds: number;
  /**
   * Event-loop utilisation of the host's main thread over the span (0–1): the share of the time it
   * ran JavaScript or native calls rather than waiting. The triggers, orchestrators and the
   * warehouse activity run there; near 1, that thread is what the pipeline waits for.
   */
  readonly mainThreadBusy: number;
}

/** Result of the load phase: the real local host, end to end. */
export interface LoadResult {
  readonly sourceRecords: number;
  /** 'completed', 'timed out' (the deadline passed) or 'failed' (with `error`). */
  readonly outcome: 'completed' | 'timed out' | 'failed';
  readonly error?: string;
  /** Azurite start, services, host start (before the poller fires). */
  readonly bootMs: number;
  /** Fire the poller → idle after the marts refresh (or → the deadline). */
  readonly loadMs: number;
  readonly pollMs: number | null;
  readonly pipelineMs: number | null;
  readonly martsMs: number | null;
  readonly stages: Readonly<Record<string, StageTiming>>;
  /**
   * After the initial load (and after every figure above was taken): one round of simulated source
   * changes to 1 % of rows, then the poller fired and the pipeline run to idle (the warehouse
   * loaded), then the marts refresh. Null when the initial load did not complete.
   */
  readonly changeRound: {
    readonly summary: string;
    readonly applyMs: number;
    readonly pollMs: number | null;
    /** Poller fired → idle: the round's changes are in the warehouse. */
    readonly toWarehouseMs: number | null;
    readonly martsMs: number | null;
    readonly batches: number;
    /** CPU seconds from the poller fired to the warehouse loaded, per process (null if it failed). */
    readonly cpu: CpuUse | null;
    /** The round's invocations by stage, as `stages` for the load. */
    readonly stages: Readonly<Record<string, StageTiming>>;
    readonly error?: string;
  } | null;
  readonly memory: {
    /** Peak resident set (VmHWM) of the node process running the host. */
    readonly nodePeakMiB: number;
    readonly azuritePeakMiB: number;
    /** Highest sampled sum of both processes' resident sets (every 250 ms). */
    readonly sampledSumPeakMiB: number;
    /** When that sample was taken, in seconds after the poller fired (NaN before it). */
    readonly sampledPeakAtS: number;
    /** The stages with an invocation running at that sample, and how many of each. */
    readonly stagesAtPeak: Readonly<Record<string, number>>;
    /** The host main thread's V8 heap (heapTotal) at that sample. */
    readonly mainHeapAtPeakMiB: number;
  };
  /** CPU seconds used during the load (poller fired → idle after the marts), per process. */
  readonly cpu: CpuUse;
  readonly lake: Readonly<Record<string, { objects: number; bytes: number; workObjects: number }>>;
  readonly silverPartitions: {
    readonly partitions: number;
    readonly maxFiles: number;
    readonly overTwo: number;
    readonly worst: string;
  };
  readonly state: {
    readonly total: number;
    readonly byKind: Readonly<Record<string, number>>;
    readonly byTable: Readonly<Record<string, number>>;
    readonly transactedEntities: number;
  };
  /** From the batch ledger after the run. */
  readonly ledger: {
    readonly batches: number;
    readonly failedBatches: number;
    readonly records: number;
    readonly accepted: number;
    readonly quarantined: number;
  };
  readonly orchestrations: Readonly<Record<string, number>>;
  readonly failures: readonly string[];
}

/** `VmHWM` (peak) or `VmRSS` (current) of a process from /proc, in MiB; NaN when unreadable. */
export function procMemoryMiB(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds (user + system, every thread) a process has used so far, from /proc/<pid>/stat. */
export function procCpuSeconds(pid: number | 'self'): number {
  try {
    return statCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/** Total length of the union of [start, end] intervals. */
export function unionLength(intervals: readonly (readonly [number, number])[]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let from = Number.NEGATIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const [start, end] of sorted) {
    if (start > to) {
      if (to > from) total += to - from;
      from = start;
      to = end;
    } else if (end > to) to = end;
  }
  if (to > from) total += to - from;
  return total;
}

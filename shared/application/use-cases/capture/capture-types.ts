import type { ResolvedCaptureTable } from '../../../domain/capture/capture-config.js';
import type { SchemaDrift } from '../../../domain/capture/schema-drift.js';
import type { ChangeSource } from '../../ports/change-source.port.js';
import type { Clock } from '../../ports/clock.port.js';
import type { EventPublisher } from '../../ports/event-publisher.port.js';
import type { Logger } from '../../ports/logger.port.js';
import type { ObjectStore } from '../../ports/object-store.port.js';
import type { StateStore } from '../../ports/state-store.port.js';
import type { Telemetry } from '../../ports/telemetry.port.js';

/**
 * Rows a poll works through between two turns of the event loop (hashing a snapshot step, digesting
 * a publish's content claims): a step or publish is up to a chunk of rows (50,000, about 0.3 s of
 * hashing), and on the local host the poll shares its thread with the triggers, the orchestrators
 * and the warehouse load, whose every statement waited out a whole step.
 */
export const POLL_ROWS_PER_TURN = 2_000;

/** How a poll found its changes. */
export type CapturePath = 'snapshot' | 'full-scan' | 'change-version' | 'range-checksum' | 'rebase';

/**
 * Named points of a poll where a test may inject a crash. The state is advanced only after
 * 'after-publish'; 'mid-state-write' is after the new state objects are written but before the
 * manifest (the commit point) is.
 */
export type CaptureStep = 'before-publish' | 'after-publish' | 'mid-state-write' | 'after-state-write';

export interface CaptureChangesDeps {
  readonly source: ChangeSource;
  readonly publisher: EventPublisher;
  readonly objects: ObjectStore;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /**
   * Deltas per publish (and rows per snapshot step, gathered from source pages of the batch size)
   * when more than the table's batch size: with delta files (docs/adr/0019) one publish is one
   * file, read by the pipeline as one chunk.
   */
  readonly publishSize?: number;
  /** Namespace of the capture state (see `CaptureStateRepository`); default none. */
  readonly stateScope?: string;
  /** Test hook: called at each step; throwing there simulates a crash of the poller. */
  readonly crashAt?: (step: CaptureStep) => void;
}

export interface CaptureChangesRequest {
  readonly table: ResolvedCaptureTable;
  /** Run this path whatever the mode says (operators, tests, benchmarks). */
  readonly forcePath?: 'full-scan' | 'range-checksum' | 'change-version';
  /** An operator accepts a mass delete the guard stopped (one poll). */
  readonly allowMassDelete?: boolean;
  /** Stop an initial snapshot after this many pages (it resumes on the next poll). */
  readonly maxSnapshotPages?: number;
}

/** What the source sent the poller during one poll (the range-checksum path's few-KB claim). */
export interface SourceTraffic {
  readonly calls: number;
  readonly rowsRead: number;
  readonly hashesRead: number;
  readonly rangesCompared: number;
  /** Approximate payload bytes (values' text length, hashes, checksums). */
  readonly bytes: number;
}

export interface CaptureChangesResult {
  readonly table: string;
  readonly path: CapturePath;
  readonly inserts: number;
  readonly updates: number;
  readonly deletes: number;
  readonly published: number;
  readonly rowCount: number;
  readonly watermark: string | null;
  readonly snapshotComplete: boolean;
  readonly drift: SchemaDrift | null;
  /** Rows re-based after a layout change whose old hash could not be recomputed (docs/capture.md). */
  readonly unverifiedRebased: number;
  /** Rows the source's hash flagged but whose recomputed hash matched the state (hash-form divergence). */
  readonly divergentCandidates: number;
  readonly traffic: SourceTraffic;
}

/** Telemetry event when the mass-delete guard stops a poll. */
export const MASS_DELETE_GUARD_EVENT = 'CaptureMassDeleteGuard';
/** Telemetry event when a table's schema drifts from its spec (once per new drift). */
export const SCHEMA_DRIFT_EVENT = 'CaptureSchemaDrift';

/** What one capture path returns; the entry point adds the table, the drift and the traffic. */
export type PollOutcome = Omit<CaptureChangesResult, 'table' | 'drift' | 'traffic'>;

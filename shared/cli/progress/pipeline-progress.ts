import type { LogFields, LogRecord } from '../../application/ports/logger.port.js';

/** The stages a person follows on `nhs-flows start`, in pipeline order. */
export const PROGRESS_STAGES = ['captured', 'validated', 'pseudonymised', 'merged', 'loaded'] as const;
export type ProgressStage = (typeof PROGRESS_STAGES)[number];

export interface StageProgress {
  /** Records, rows or changes through the stage so far. */
  readonly count: number;
  /** When the stage last moved (ms since the epoch); null until it first does. */
  readonly lastAt: number | null;
}

/**
 * What a run has done so far, counted from the structured log records the pipeline's use cases
 * already write (never estimated):
 * - captured: deltas the CDC poller published (`capture poll done` {published}, counted when a
 *   table's poll finishes) or, while a poll is still running, the deltas the consumer has already
 *   received (`deltas received` {deltas}), whichever is larger;
 * - validated: records checked (`chunk validated` {records, accepted, quarantined});
 * - pseudonymised: silver rows written (`chunk pseudonymised` {rows});
 * - merged: SCD2 dimension changes merged (`scd2 merge done` {received});
 * - loaded: warehouse rows loaded (`warehouse loaded` {rows}).
 * Batches: `batch planned` {records}, `batch manifest written` (completed), `batch failed`.
 * An activity retried after it had logged counts twice; retries are rare and show as warnings.
 */
export interface PipelineProgress {
  readonly startedAt: number;
  /** When the last log record of any kind arrived: the run's heartbeat. */
  readonly lastEventAt: number;
  readonly stages: Readonly<Record<ProgressStage, StageProgress>>;
  readonly capture: { readonly tablesPolled: number; readonly published: number; readonly received: number };
  readonly batches: {
    readonly planned: number;
    readonly records: number;
    readonly completed: number;
    readonly failed: number;
  };
  readonly validation: { readonly accepted: number; readonly quarantined: number };
  readonly factRows: number;
  readonly martsRefreshed: boolean;
  readonly warnings: number;
  readonly errors: number;
}

export function initialProgress(startedAt: number): PipelineProgress {
  const idle: StageProgress = { count: 0, lastAt: null };
  return {
    startedAt,
    lastEventAt: startedAt,
    stages: { captured: idle, validated: idle, pseudonymised: idle, merged: idle, loaded: idle },
    capture: { tablesPolled: 0, published: 0, received: 0 },
    batches: { planned: 0, records: 0, completed: 0, failed: 0 },
    validation: { accepted: 0, quarantined: 0 },
    factRows: 0,
    martsRefreshed: false,
    warnings: 0,
    errors: 0,
  };
}

/** Applies one log record, seen at `at` (ms since the epoch), to the counters. Pure. */
export function reduceProgress(progress: PipelineProgress, record: LogRecord, at: number): PipelineProgress {
  const f = record.fields;
  const next: PipelineProgress = {
    ...progress,
    lastEventAt: Math.max(progress.lastEventAt, at),
    warnings: progress.warnings + (record.level === 'warn' ? 1 : 0),
    errors: progress.errors + (record.level === 'error' ? 1 : 0),
  };
  const advance = (stage: ProgressStage, count: number): Readonly<Record<ProgressStage, StageProgress>> => ({
    ...progress.stages,
    [stage]: { count, lastAt: at },
  });
  switch (record.message) {
    case 'capture poll done':
    case 'deltas received': {
      const capture =
        record.message === 'capture poll done'
          ? {
              ...progress.capture,
              tablesPolled: progress.capture.tablesPolled + 1,
              published: progress.capture.published + count(f, 'published'),
            }
          : { ...progress.capture, received: progress.capture.received + count(f, 'deltas') };
      const captured = Math.max(capture.published, capture.received);
      return {
        ...next,
        capture,
        stages: captured === progress.stages.captured.count ? progress.stages : advance('captured', captured),
      };
    }
    case 'batch planned':
      return {
        ...next,
        batches: {
          ...progress.batches,
          planned: progress.batches.planned + 1,
          records: progress.batches.records + count(f, 'records'),
        },
      };
    case 'chunk validated':
      return {
        ...next,
        stages: advance('validated', progress.stages.validated.count + count(f, 'records')),
        validation: {
          accepted: progress.validation.accepted + count(f, 'accepted'),
          quarantined: progress.validation.quarantined + count(f, 'quarantined'),
        },
      };
    case 'chunk pseudonymised':
      return {
        ...next,
        stages: advance('pseudonymised', progress.stages.pseudonymised.count + count(f, 'rows')),
      };
    case 'scd2 merge done':
      return { ...next, stages: advance('merged', progress.stages.merged.count + count(f, 'received')) };
    case 'gold built':
      return { ...next, factRows: progress.factRows + count(f, 'factRows') };
    case 'warehouse loaded':
      return { ...next, stages: advance('loaded', progress.stages.loaded.count + count(f, 'rows')) };
    case 'batch manifest written':
      return { ...next, batches: { ...progress.batches, completed: progress.batches.completed + 1 } };
    case 'batch failed':
      return { ...next, batches: { ...progress.batches, failed: progress.batches.failed + 1 } };
    case 'marts refreshed':
      return { ...next, martsRefreshed: true };
    default:
      return next;
  }
}

function count(fields: LogFields, name: string): number {
  const value = fields[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Keeps a run's {@link PipelineProgress}, fed one log record at a time (the logger's observer). */
export class ProgressTracker {
  #progress: PipelineProgress;

  constructor(startedAt: number) {
    this.#progress = initialProgress(startedAt);
  }

  get progress(): PipelineProgress {
    return this.#progress;
  }

  readonly observe = (record: LogRecord, at: Date): void => {
    this.#progress = reduceProgress(this.#progress, record, at.getTime());
  };
}

/**
 * Records per second through `stage`: its count over the time from the run's start to the stage's
 * last move (so a stage that has finished keeps its rate instead of decaying). 0 before it moves.
 */
export function stageRate(progress: PipelineProgress, stage: ProgressStage): number {
  const s = progress.stages[stage];
  if (s.lastAt === null || s.count === 0) return 0;
  return s.count / Math.max((s.lastAt - progress.startedAt) / 1000, 0.001);
}

/** Seconds from the run's start to `now`. */
export function elapsedSeconds(progress: PipelineProgress, now: number): number {
  return Math.max(0, (now - progress.startedAt) / 1000);
}

const n = (value: number): string => Math.round(value).toLocaleString('en-GB');

/** The stage's figure and what it is counted in, e.g. `1,234 silver rows`. */
export function stageFigure(progress: PipelineProgress, stage: ProgressStage): string {
  const c = progress.stages[stage].count;
  switch (stage) {
    case 'captured':
      return `${n(c)} deltas from ${progress.capture.tablesPolled} table(s)`;
    case 'validated':
      return `${n(c)} records: ${n(progress.validation.accepted)} accepted, ${n(progress.validation.quarantined)} quarantined`;
    case 'pseudonymised':
      return `${n(c)} silver rows`;
    case 'merged':
      return `${n(c)} SCD2 changes to the patient dimension`;
    case 'loaded':
      return `${n(c)} warehouse rows (${n(progress.factRows)} facts built)`;
  }
}

/** What the stage's bar measures against, when the pipeline already knows it; undefined otherwise. */
export function stageTotal(progress: PipelineProgress, stage: ProgressStage): number | undefined {
  if (stage === 'validated' && progress.batches.records > 0) return progress.batches.records;
  if (stage === 'pseudonymised' && progress.validation.accepted > 0) return progress.validation.accepted;
  return undefined;
}

/** One line: elapsed time, batches done and failed, warnings. */
export function progressHeadline(progress: PipelineProgress, now: number): string {
  const b = progress.batches;
  return [
    `elapsed ${formatDuration(elapsedSeconds(progress, now))}`,
    `batches ${n(b.completed)}/${n(b.planned)} done, ${n(b.failed)} failed`,
    `${n(b.records)} records planned`,
    ...(progress.warnings > 0 || progress.errors > 0
      ? [`${n(progress.warnings)} warning(s), ${n(progress.errors)} error(s) in the log`]
      : []),
    ...(progress.martsRefreshed ? ['marts refreshed'] : []),
  ].join(' · ');
}

/**
 * The final summary of a run that ended at `endedAt`: total records, records/s and the time the
 * pipeline took, then one line per stage with its count and rate.
 */
export function renderProgressSummary(progress: PipelineProgress, endedAt: number): string {
  const seconds = elapsedSeconds(progress, endedAt);
  const records = progress.batches.records;
  const lines = [
    `pipeline: ${n(records)} records in ${n(progress.batches.planned)} batch(es), ${n(progress.batches.failed)} failed, in ${formatDuration(seconds)} (${n(records / Math.max(seconds, 0.001))} records/s)`,
  ];
  for (const stage of PROGRESS_STAGES)
    lines.push(`  ${stage.padEnd(14)} ${stageFigure(progress, stage)}; ${n(stageRate(progress, stage))}/s`);
  return lines.join('\n');
}

/** `42.3 s`, `12 min 05 s`, `1 h 02 min`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.floor(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * The console line for a warning or error record when the JSON lines stay in the log file (pretty
 * format): `warning: <message> (<field> <value>, …)`; undefined for info and debug records. Log
 * fields carry ids, counts, codes and paths only, so the line carries no identifier either.
 */
export function consoleLine(record: LogRecord): string | undefined {
  if (record.level !== 'warn' && record.level !== 'error') return undefined;
  const fields = Object.entries(record.fields)
    .filter(([name, value]) => name !== 'app' && value !== undefined && value !== null && value !== '')
    .map(([name, value]) => `${name} ${String(value)}`);
  return `${record.level === 'warn' ? 'warning' : 'error'}: ${record.message}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}`;
}

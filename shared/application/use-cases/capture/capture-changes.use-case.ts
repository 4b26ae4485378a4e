import type { RowHashLayout } from '../../../domain/capture/row-hash.js';
import { layoutFingerprint } from '../../../domain/capture/row-hash.js';
import {
  detectSchemaDrift,
  driftedLayout,
  driftSignature,
  hasDrift,
} from '../../../domain/capture/schema-drift.js';
import { toError } from '../../../domain/errors.js';
import { CaptureStateRepository } from './capture-hash-state.js';
import { CapturePoll } from './capture-poll.js';
import {
  SCHEMA_DRIFT_EVENT,
  type CaptureChangesDeps,
  type CaptureChangesRequest,
  type CaptureChangesResult,
  type PollOutcome,
} from './capture-types.js';
import { captureChangeVersion } from './change-version-capture.js';
import { captureFullScan } from './full-scan-capture.js';
import { MeteredSource } from './metered-source.js';
import { captureRangeChecksums } from './range-checksum-capture.js';
import { captureRebase } from './rebase-capture.js';
import { captureSnapshot } from './snapshot-capture.js';

export {
  MASS_DELETE_GUARD_EVENT,
  SCHEMA_DRIFT_EVENT,
  type CaptureChangesDeps,
  type CaptureChangesRequest,
  type CaptureChangesResult,
  type CapturePath,
  type CaptureStep,
  type SourceTraffic,
} from './capture-types.js';

/** Creates the container and table the capture state lives in. */
export async function ensureCaptureStorage(
  deps: Pick<CaptureChangesDeps, 'objects' | 'state'>,
): Promise<void> {
  await new CaptureStateRepository(deps.objects, deps.state).ensure();
}

/**
 * Captures one table's changes since its last committed poll and publishes them as deltas.
 *
 * Guarantees:
 * - every path (snapshot, full scan, change version, range checksums, re-base) yields the same deltas
 *   for the same source history, with deterministic event ids, in business-key order;
 * - the state (hashes, watermark) is committed only after `publisher.publish` resolved for every
 *   delta of the poll; a crash anywhere before the commit re-publishes the same event ids on the next
 *   poll, and nothing is lost;
 * - a poll that would delete more than the configured share of the table throws
 *   `GuardError('MASS_DELETE_GUARD')`, publishes nothing and emits `CaptureMassDeleteGuard`;
 * - a heartbeat (last poll, last success, freshness, error code) is written for the table either way.
 */
export async function captureChanges(
  deps: CaptureChangesDeps,
  request: CaptureChangesRequest,
): Promise<CaptureChangesResult> {
  const started = deps.clock.now();
  const repo = new CaptureStateRepository(deps.objects, deps.state, deps.stateScope);
  // The capture name: state, heartbeat and source reads go by it (a feed's own, or the table's).
  const table = request.table.name;
  const log = deps.logger.child({ table });
  const meter = new MeteredSource(deps.source);
  try {
    const observed = await meter.describeTable(table);
    const drift = detectSchemaDrift(
      request.table.spec.columns.map((c) => ({ name: c.name, type: c.type })),
      observed,
    );
    const layout = driftedLayout(request.table.layout, drift);
    const loaded = await repo.loadManifest(table);
    const signature = driftSignature(drift);
    if (hasDrift(drift) && signature !== (loaded?.manifest.driftSignature ?? '')) {
      deps.telemetry.event(
        SCHEMA_DRIFT_EVENT,
        { table, drift: signature },
        {
          added: drift.added.length,
          dropped: drift.dropped.length,
          retyped: drift.retyped.length,
        },
      );
      log.warn('source schema drifted from the table spec', { drift: signature });
    }
    const poll = new CapturePoll(deps, repo, meter, request, layout, started, signature, loaded);
    const outcome = await runPath(poll, request, layout);
    const result: CaptureChangesResult = {
      ...outcome,
      table,
      drift: hasDrift(drift) ? drift : null,
      traffic: meter.traffic(),
    };
    const finished = deps.clock.now();
    await repo.writeHeartbeat(table, {
      lastPollAt: started.toISOString(),
      lastSuccessAt: started.toISOString(),
      status: 'ok',
      lastErrorCode: '',
      lastPath: result.path,
      lastDeltas: result.published,
      rowCount: result.rowCount,
      watermark: result.watermark ?? '',
      freshnessSeconds: (finished.getTime() - started.getTime()) / 1000,
    });
    deps.telemetry.metric('capture.deltas', result.published, { table, path: result.path });
    deps.telemetry.metric('capture.sourceBytes', result.traffic.bytes, { table, path: result.path });
    deps.telemetry.metric('capture.freshnessSeconds', (finished.getTime() - started.getTime()) / 1000, {
      table,
    });
    log.info('capture poll done', {
      path: result.path,
      published: result.published,
      inserts: result.inserts,
      updates: result.updates,
      deletes: result.deletes,
      rowCount: result.rowCount,
    });
    return result;
  } catch (thrown) {
    const error = toError(thrown);
    const code = (error as { code?: unknown }).code;
    await recordFailure(repo, table, started, typeof code === 'string' ? code : 'UNEXPECTED').catch(
      () => undefined,
    );
    throw error;
  }
}

async function recordFailure(
  repo: CaptureStateRepository,
  table: string,
  at: Date,
  code: string,
): Promise<void> {
  const previous = await repo.readHeartbeat(table);
  await repo.writeHeartbeat(table, {
    lastPollAt: at.toISOString(),
    lastSuccessAt: typeof previous?.lastSuccessAt === 'string' ? previous.lastSuccessAt : '',
    status: 'failed',
    lastErrorCode: code,
    lastPath: typeof previous?.lastPath === 'string' ? previous.lastPath : '',
    lastDeltas: 0,
    rowCount: typeof previous?.rowCount === 'number' ? previous.rowCount : 0,
    watermark: typeof previous?.watermark === 'string' ? previous.watermark : '',
    freshnessSeconds: typeof previous?.freshnessSeconds === 'number' ? previous.freshnessSeconds : -1,
  });
}
/**
 * Picks the capture path: a snapshot until one completes, a re-base when the layout moved, the full
 * scan when the reconciliation is due (or forced), otherwise the configured mode.
 */
function runPath(
  poll: CapturePoll,
  request: CaptureChangesRequest,
  layout: RowHashLayout,
): Promise<PollOutcome> {
  const m = poll.manifest;
  if (!m || m.status === 'snapshot') return captureSnapshot(poll);
  if (m.layoutFingerprint !== layoutFingerprint(layout)) return captureRebase(poll);
  const reconcileDue =
    m.lastReconciledAt === null ||
    poll.capturedAt.getTime() - Date.parse(m.lastReconciledAt) >=
      request.table.config.reconciliationIntervalMinutes * 60_000;
  const path = request.forcePath ?? (reconcileDue ? 'full-scan' : request.table.config.mode);
  if (path === 'full-scan') return captureFullScan(poll);
  if (path === 'range-checksum') return captureRangeChecksums(poll);
  return captureChangeVersion(poll);
}

/** A table's heartbeat and how old its captured data is now. */
export interface CaptureHeartbeat {
  readonly table: string;
  readonly status: 'ok' | 'failed' | 'never';
  readonly lastPollAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastErrorCode: string | null;
  /** Seconds since the start of the last successful poll (the age of the newest captured data). */
  readonly freshnessSeconds: number | null;
}

/** Reads a table's heartbeat and computes its freshness against the clock. */
export async function readCaptureHeartbeat(
  deps: Pick<CaptureChangesDeps, 'objects' | 'state' | 'clock' | 'stateScope'>,
  table: string,
): Promise<CaptureHeartbeat> {
  const value = await new CaptureStateRepository(deps.objects, deps.state, deps.stateScope).readHeartbeat(
    table,
  );
  if (!value)
    return {
      table,
      status: 'never',
      lastPollAt: null,
      lastSuccessAt: null,
      lastErrorCode: null,
      freshnessSeconds: null,
    };
  const lastSuccessAt =
    typeof value.lastSuccessAt === 'string' && value.lastSuccessAt ? value.lastSuccessAt : null;
  return {
    table,
    status: value.status === 'ok' ? 'ok' : 'failed',
    lastPollAt: typeof value.lastPollAt === 'string' ? value.lastPollAt : null,
    lastSuccessAt,
    lastErrorCode:
      typeof value.lastErrorCode === 'string' && value.lastErrorCode ? value.lastErrorCode : null,
    freshnessSeconds: lastSuccessAt ? (deps.clock.now().getTime() - Date.parse(lastSuccessAt)) / 1000 : null,
  };
}

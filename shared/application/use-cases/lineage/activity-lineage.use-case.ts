import { ACTIVITY_LINEAGE } from '../../../domain/lineage/activity-datasets.js';
import {
  activityRunEvent,
  type ActivityRun,
  type DatasetRef,
  type LineageNamespaces,
  type RunEvent,
} from '../../../domain/lineage/openlineage-event.js';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import { isPermanentFailure } from '../../../domain/pipeline/activity-outcome.js';
import type { Clock } from '../../ports/clock.port.js';
import type { LineageTransport } from '../../ports/lineage-transport.port.js';
import type { Logger } from '../../ports/logger.port.js';
import type { ObjectStore } from '../../ports/object-store.port.js';

/** What recording an activity's lineage needs: the lake, a clock, where events also go, and names. */
export interface LineageDeps {
  readonly lake: ObjectStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly namespaces: LineageNamespaces;
  /** The configured OpenLineage endpoint (NHSFLOWS_LINEAGE_URL), or null. */
  readonly transport: LineageTransport | null;
}

/** The stable code of a thrown value or returned permanent failure (never its message). */
function codeOf(failure: unknown): string {
  const code = (failure as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? code : 'UNEXPECTED';
}

/**
 * Runs one activity attempt and records its lineage: a START event (with the inputs the activity's
 * input names) before the work, and COMPLETE (inputs and the outputs its use case reported) or FAIL
 * (a thrown error or a returned permanent failure, by code) after it. Both events of the attempt
 * are written as one NDJSON object to `gold/lineage/batch=<batchId>/…` and, when an endpoint is
 * configured, posted there (START before the work). Lineage trouble is logged and never changes the
 * activity's outcome: the work's result is returned, its error rethrown.
 */
export async function runWithLineage<R>(
  activity: string,
  input: unknown,
  work: () => Promise<R>,
  deps: LineageDeps,
): Promise<R> {
  const described = ACTIVITY_LINEAGE[activity];
  const identity = safely(() => described?.run(input) ?? null, null);
  if (!identity) return work();
  const run: ActivityRun = { ...identity, activity, startedAt: deps.clock.now().toISOString() };
  const inputs = safely(() => described!.inputs(input), [] as DatasetRef[]);
  const event = (
    eventType: RunEvent['eventType'],
    outputs: readonly DatasetRef[],
    failureCode?: string,
  ): RunEvent =>
    activityRunEvent({
      eventType,
      eventTime: eventType === 'START' ? run.startedAt : deps.clock.now().toISOString(),
      run,
      inputs,
      outputs,
      namespaces: deps.namespaces,
      ...(failureCode ? { failureCode } : {}),
    });
  const start = event('START', []);
  await post(deps, [start], run);
  let end: RunEvent;
  try {
    const result = await work();
    end = isPermanentFailure(result)
      ? event('FAIL', [], codeOf(result))
      : event(
          'COMPLETE',
          safely(() => described!.outputs(input, result), [] as DatasetRef[]),
        );
    await record(deps, run, [start, end]);
    return result;
  } catch (error) {
    end = event('FAIL', [], codeOf(error));
    await record(deps, run, [start, end]);
    throw error;
  }
}

function safely<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

async function post(deps: LineageDeps, events: readonly RunEvent[], run: ActivityRun): Promise<void> {
  if (!deps.transport) return;
  try {
    await deps.transport.send(events);
  } catch (error) {
    deps.logger.warn('lineage events not delivered to the endpoint', {
      activity: run.activity,
      batchId: run.batchId,
      code: codeOf(error),
    });
  }
}

async function record(deps: LineageDeps, run: ActivityRun, events: readonly RunEvent[]): Promise<void> {
  try {
    await deps.lake.put(
      'gold',
      lakePaths.lineageRun(run.batchId, run.activity, run.part, run.startedAt),
      events.map((e) => `${JSON.stringify(e)}\n`).join(''),
      { contentType: 'application/x-ndjson' },
    );
  } catch (error) {
    deps.logger.warn('lineage events not written to the lake', {
      activity: run.activity,
      batchId: run.batchId,
      code: codeOf(error),
    });
  }
  const last = events[events.length - 1];
  if (last && last.eventType !== 'START') await post(deps, [last], run);
}

/** Every run event recorded for a batch, in object order (START before its COMPLETE or FAIL). */
export async function readBatchLineage(
  batchId: string,
  deps: Pick<LineageDeps, 'lake'>,
): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const object of deps.lake.list('gold', lakePaths.lineageBatchPrefix(batchId))) {
    const body = await deps.lake.get('gold', object.path);
    if (!body) continue;
    for (const line of body.toString('utf8').split('\n'))
      if (line.trim().length > 0) events.push(JSON.parse(line) as RunEvent);
  }
  return events;
}

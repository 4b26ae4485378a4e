import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { memoryLogger } from '../../shared/application/ports/logger.port.js';
import {
  InstanceAlreadyExistsError,
  OrchestrationFailedError,
} from '../../shared/runtime/local/durable/durable-errors.js';
import { ActionType, HistoryEventType } from '../../shared/runtime/local/durable/durable-wire.js';
import { createLocalHost, type LocalHost } from '../../shared/runtime/local/local-host.js';
import { captureRegistrations } from '../../shared/runtime/local/registration-capture.js';

const registry = await captureRegistrations(() => import('./fixtures/orchestration-fixtures.js'));
const { names, probe, liveSteps, oneWriter } = await import('./fixtures/orchestration-fixtures.js');

let dataDir: string;
let host: LocalHost;
const logger = memoryLogger('info');

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'nhsflows-replay-'));
  host = createLocalHost({ registry, dataDir, logger, maxConcurrentActivities: 8 });
  await host.start();
});

after(async () => {
  await host.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test('the registered orchestrators and activities are captured with their durable trigger bindings', () => {
  assert.equal(registry.get(names.fanOut)?.trigger.type, 'orchestrationTrigger');
  assert.equal(registry.get(names.double)?.trigger.type, 'activityTrigger');
  assert.equal(registry.get(names.httpStart)?.extraInputs[0]?.type, 'durableClient');
});

test('the wire enums the driver uses match the installed durable-functions package', () => {
  const require = createRequire(import.meta.url);
  const history = require('durable-functions/lib/src/history/HistoryEventType.js') as {
    HistoryEventType: Record<string, number>;
  };
  const actions = require('durable-functions/lib/src/actions/ActionType.js') as {
    ActionType: Record<string, number>;
  };
  for (const [name, value] of Object.entries(HistoryEventType))
    assert.equal(history.HistoryEventType[name], value, name);
  for (const [name, value] of Object.entries(ActionType)) assert.equal(actions.ActionType[name], value, name);
});

test('orchestrator code sees isReplaying only while history replays, so each step is logged once', async () => {
  liveSteps.length = 0;
  await host.runOrchestration(names.replayAware, null);
  assert.deepEqual(liveSteps, ['start', 'after 1', 'after 2', 'after 3']);
});

test('a fan-out of 200 activities fans in to the sum of their results, each activity run once', async () => {
  probe.reset();
  const output = await host.runOrchestration(names.fanOut, 200);
  assert.equal(output, 2 * ((199 * 200) / 2));
  assert.equal(probe.count(names.double), 200);
});

test('an activity that fails once is retried per RetryOptions and the run completes', async () => {
  probe.reset();
  probe.failuresLeft.set('once-a', 1);
  const output = await host.runOrchestration(names.retrying, 'once');
  assert.deepEqual(output, { first: 'ok:once-a', second: 42 });
  assert.equal(probe.count(names.flaky), 2);
});

test('retries in a fan-out interleave with later activities without confusing task ids', async () => {
  probe.reset();
  probe.failuresLeft.set('mix-x', 2);
  probe.failuresLeft.set('mix-y', 1);
  probe.failuresLeft.set('mix-z', 2);
  const output = await host.runOrchestration(names.retryThenSequence, 'mix');
  assert.deepEqual(output, { results: ['ok:mix-x', 'ok:mix-y', 2], after: 100, again: 'ok:mix-z' });
  assert.equal(probe.count(names.flaky), 3 + 2 + 3);
});

test('an activity that always fails is attempted maxNumberOfAttempts times and the orchestration fails with its error', async () => {
  probe.reset();
  const id = await host.startOrchestration(names.failing, null, 'always-fails-1');
  await assert.rejects(host.durable.waitForCompletion(id), (error: unknown) => {
    assert.ok(error instanceof OrchestrationFailedError);
    assert.equal(error.runtimeStatus, 'Failed');
    assert.match(
      error.message,
      /Orchestrator function 'fx_failing' failed: RangeError: the warehouse rejected the batch/,
    );
    return true;
  });
  assert.equal(probe.count(names.alwaysFails), 2);
  assert.equal(host.instance(id)?.runtimeStatus, 'Failed');
  assert.ok(host.status().lastFailures.some((f) => f.instanceId === id));
});

test('sub-orchestrations run with generated and explicit instance ids and return to the parent', async () => {
  const output = await host.runOrchestration(names.parent, null, 'parent-1');
  assert.deepEqual(output, { sum: 24, explicitChild: 'parent-1-explicit' });
  assert.equal(host.instance('parent-1:0')?.runtimeStatus, 'Completed');
  assert.deepEqual(host.instance('parent-1-explicit')?.output, {
    child: 'parent-1-explicit',
    parent: 'parent-1',
    doubled: 14,
  });
});

test('a fan-out of 30 sub-orchestrations next to an activity creates each child once and sums their results', async () => {
  const output = await host.runOrchestration(names.subFanOut, 30, 'sub-fan-1');
  assert.equal(output, 2 * ((29 * 30) / 2) + 2000);
  const children = host.durable.list().filter((s) => s.instanceId.startsWith('sub-fan-1:'));
  assert.equal(children.length, 30);
  assert.ok(children.every((c) => c.runtimeStatus === 'Completed'));
});

test('durable timers fire after their due time and advance currentUtcDateTime', async () => {
  const elapsed = (await host.runOrchestration(names.timers, null)) as number;
  assert.ok(elapsed >= 250, `expected at least 250 ms of orchestration time, got ${elapsed}`);
});

test('a cancelled timeout timer does not keep the host busy once the activity won the race', async () => {
  assert.equal(await host.runOrchestration(names.raceTimeout, null), 8);
  await host.waitForIdle({ timeoutMs: 5_000 });
});

test('continueAsNew restarts the orchestration with the new input until it returns', async () => {
  assert.equal(await host.runOrchestration(names.continues, 1, 'eternal-1'), 'finished after round 3');
});

test('a raised event resumes an orchestration waiting for it', async () => {
  const id = await host.startOrchestration(names.waitsForEvent, null);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(host.instance(id)?.runtimeStatus, 'Running');
  assert.equal(await host.durable.raiseEvent(id, 'approval', { by: 'data lead' }), 'accepted');
  assert.equal(await host.durable.waitForCompletion(id), 'approved by data lead');
});

test('starting a running instance id again is refused and a completed one is replaced, as the extension does', async () => {
  const id = await host.startOrchestration(names.waitsForEvent, null, 'singleton-1');
  await assert.rejects(
    host.startOrchestration(names.waitsForEvent, null, 'singleton-1'),
    InstanceAlreadyExistsError,
  );
  await host.durable.raiseEvent(id, 'approval', { by: 'first' });
  assert.equal(await host.durable.waitForCompletion(id), 'approved by first');
  assert.equal(await host.runOrchestration(names.fanOut, 3, 'singleton-1'), 6);
  assert.equal(host.instance('singleton-1')?.name, names.fanOut);
});

test('a terminated instance restarted under the same id runs its own activities, not waiting on the old ones', async () => {
  const id = await host.startOrchestration(names.slowThenQuick, 400, 'restart-1');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(await host.durable.terminate(id, 'replace it'), 'accepted');
  assert.equal(await host.runOrchestration(names.slowThenQuick, 5, 'restart-1'), 5);
});

test('terminating a running instance ends it as Terminated', async () => {
  const id = await host.startOrchestration(names.waitsForEvent, null);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(await host.durable.terminate(id, 'operator stop'), 'accepted');
  assert.equal(host.instance(id)?.runtimeStatus, 'Terminated');
  assert.equal(await host.durable.terminate(id, 'again'), 'gone');
  await assert.rejects(host.durable.waitForCompletion(id), /was terminated: operator stop/);
});

test('the history of an instance is journalled as NDJSON with the wire events', async () => {
  await host.runOrchestration(names.retrying, 'journal', 'journalled-1');
  const text = await readFile(join(dataDir, 'durable', 'NhsFlowsHub', 'journalled-1.ndjson'), 'utf8');
  const records = text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { kind: string; events?: { EventType: number }[] });
  assert.equal(records[0]?.kind, 'created');
  const events = records.flatMap((r) => r.events ?? []).map((e) => e.EventType);
  assert.ok(events.includes(HistoryEventType.ExecutionStarted));
  assert.ok(events.includes(HistoryEventType.TaskScheduled));
  assert.ok(events.includes(HistoryEventType.TaskCompleted));
  assert.equal(events.at(-1), HistoryEventType.ExecutionCompleted);
});

/** Runs the mixed fan-out on a host of its own with two activity slots and the given limits. */
async function mixedFanOut(activityLimits?: Record<string, number>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'nhsflows-replay-limits-'));
  const limited = createLocalHost({
    registry,
    dataDir: dir,
    logger: memoryLogger('warn'),
    maxConcurrentActivities: 2,
    ...(activityLimits && { activityLimits }),
  });
  await limited.start();
  try {
    oneWriter.reset();
    assert.equal(await limited.runOrchestration(names.mixedFanOut, { writes: 4, quick: 6, ms: 150 }), 10);
  } finally {
    await limited.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

test('without a limit, activities queued on one writer hold every activity slot while they wait', async () => {
  await mixedFanOut();
  assert.equal(oneWriter.peakInFlight, 2);
  // The quick activities could only start once writers had finished.
  assert.equal(oneWriter.events[0], 'writer');
});

test('an activity limit keeps waiting invocations out of the slots: other activities run meanwhile', async () => {
  await mixedFanOut({ [names.oneWriter]: 1 });
  assert.equal(oneWriter.peakInFlight, 1);
  const writes = oneWriter.events.flatMap((e, i) => (e === 'writer' ? [i] : []));
  const lastQuick = oneWriter.events.lastIndexOf('quick');
  assert.equal(writes.length, 4);
  assert.equal(oneWriter.events.length, 10);
  // Every quick activity ran in the slot the waiting writers no longer hold, before the writer queue
  // was half done (four writes of 150 ms, one at a time).
  assert.ok(
    lastQuick < writes[1]!,
    `quick activities finished after the second write: ${oneWriter.events.join(',')}`,
  );
});

test('an activity limit must be a whole number of at least one', () => {
  assert.throws(
    () =>
      createLocalHost({
        registry,
        dataDir: join(tmpdir(), 'nhsflows-replay-never-started'),
        logger: memoryLogger('warn'),
        activityLimits: { [names.oneWriter]: 0 },
      }),
    /activity limit of fx_oneWriter: expected a whole number ≥ 1, received 0/,
  );
});

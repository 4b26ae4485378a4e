import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ActionType as A,
  HistoryEventType as H,
  type WireAction,
  type WireOrchestratorState,
} from '../../../shared/runtime/local/durable/durable-wire.js';
import {
  planEpisode,
  replayInput,
  settleEpisode,
  type OrchestratorReply,
} from '../../../shared/runtime/local/durable/episode-plan.js';
import type { Slot } from '../../../shared/runtime/local/durable/instance-journal.js';
import { events as e, inboxOf, instanceOf, T0 } from '../../support/durable-history.js';

// The replay driver's episode planning as pure functions: given an instance's history, its inbox,
// the clock and the orchestrator's reply, what the episode appends, schedules and ends with.

const NOW = new Date('2026-12-01T10:00:00.000Z');
const AT = NOW.toISOString();
const retry = { firstRetryIntervalInMilliseconds: 2_000, maxNumberOfAttempts: 3, backoffCoefficient: 2 };
const stateOf = (actions: WireAction[], more: Partial<WireOrchestratorState> = {}): OrchestratorReply => ({
  kind: 'state',
  state: { isDone: false, actions: actions.map((a) => [a]), ...more },
});
const never = (): string => assert.fail('no new execution expected');
const types = (list: readonly { EventType: number }[]) => list.map((x) => x.EventType);

/** An instance that scheduled activity `name` (id 0) with the activity retry policy, attempt `attempt`. */
function afterScheduling(attempt: number) {
  const slot: Slot = {
    kind: 'activity',
    name: 'planChunks',
    input: { batchId: 'b-1' },
    actionIndex: 0,
    retry: { options: retry, attempt, of: 'activity', firstAttemptAt: T0 },
  };
  return instanceOf('pipelineOrchestrator', {
    history: [
      e.orchestratorStarted(),
      e.executionStarted('pipelineOrchestrator', { batch: 'b-1' }),
      e.taskScheduled(0, 'planChunks', { batchId: 'b-1' }),
      e.orchestratorCompleted(),
    ],
    slots: [[0, slot]],
    nextEventId: 1,
    actionsSeen: 1,
  });
}

describe('planning an episode before the orchestrator runs', () => {
  test('the first episode of an instance delivers OrchestratorStarted and ExecutionStarted with its input', () => {
    const plan = planEpisode(instanceOf('fx', { input: { n: 1 } }), [], NOW);
    assert.deepEqual(types(plan.delivered), [H.OrchestratorStarted, H.ExecutionStarted]);
    assert.equal(plan.delivered[1]?.Input, '{"n":1}');
    assert.equal(plan.delivered[1]?.Name, 'fx');
    assert.deepEqual(plan.scheduled, []);
    assert.equal(plan.at, AT);
  });

  test('a later episode delivers its messages after OrchestratorStarted and consumes all of them', () => {
    const inst = afterScheduling(1);
    const plan = planEpisode(inst, inboxOf(e.eventRaised('go', 1), e.taskCompleted(0, { chunks: [] })), NOW);
    assert.deepEqual(types(plan.delivered), [H.OrchestratorStarted, H.EventRaised, H.TaskCompleted]);
    assert.deepEqual(plan.consumed, ['m1', 'm2']);
    assert.equal(plan.nextEventId, 1);
  });

  test('a failed attempt with retries left gets a retry timer after the backoff and is delivered first', () => {
    const plan = planEpisode(
      afterScheduling(2),
      inboxOf(e.eventRaised('go', 1), e.taskFailed(0, 'boom')),
      NOW,
    );
    assert.deepEqual(types(plan.delivered), [H.OrchestratorStarted, H.TaskFailed, H.EventRaised]);
    assert.deepEqual(types(plan.scheduled), [H.TimerCreated]);
    // Attempt 2 failed: 2 s × 2^(2−1) = 4 s.
    assert.equal(plan.scheduled[0]?.FireAt, new Date(NOW.getTime() + 4_000).toISOString());
    assert.equal(plan.scheduled[0]?.EventId, 1);
    assert.equal(plan.slots[1]?.kind, 'retryTimer');
    assert.equal(plan.nextEventId, 2);
  });

  test('a fired retry timer schedules the next attempt of the same activity with the same input', () => {
    const inst = afterScheduling(1);
    const timer: Slot = {
      kind: 'retryTimer',
      name: 'planChunks',
      input: { batchId: 'b-1' },
      fireAt: AT,
      retry: { options: retry, attempt: 1, of: 'activity', firstAttemptAt: T0 },
    };
    const withTimer = { ...inst, slots: new Map([...inst.slots, [1, timer] as const]), nextEventId: 2 };
    const plan = planEpisode(withTimer, inboxOf(e.timerFired(1, AT)), NOW);
    assert.deepEqual(types(plan.scheduled), [H.TaskScheduled]);
    assert.equal(plan.scheduled[0]?.Name, 'planChunks');
    assert.equal(plan.scheduled[0]?.Input, '{"batchId":"b-1"}');
    assert.equal(plan.slots[2]?.retry?.attempt, 2);
  });

  test('a fired retry timer after the last attempt schedules nothing: the failure reaches the orchestrator', () => {
    const inst = afterScheduling(3);
    const timer: Slot = {
      kind: 'retryTimer',
      name: 'planChunks',
      fireAt: AT,
      retry: { options: retry, attempt: 3, of: 'activity', firstAttemptAt: T0 },
    };
    const withTimer = { ...inst, slots: new Map([...inst.slots, [1, timer] as const]), nextEventId: 2 };
    const plan = planEpisode(withTimer, inboxOf(e.timerFired(1, AT)), NOW);
    assert.deepEqual(plan.scheduled, []);
  });

  test('a failure of an activity called without retry is just delivered', () => {
    const inst = instanceOf('fx', {
      history: [e.orchestratorStarted(), e.taskScheduled(0, 'a'), e.orchestratorCompleted()],
      slots: [[0, { kind: 'activity', name: 'a', actionIndex: 0 }]],
      nextEventId: 1,
      actionsSeen: 1,
    });
    const plan = planEpisode(inst, inboxOf(e.taskFailed(0, 'boom')), NOW);
    assert.deepEqual(plan.scheduled, []);
    assert.deepEqual(types(plan.delivered), [H.OrchestratorStarted, H.TaskFailed]);
  });

  test('the replay input marks the stored history played and the new events not played', () => {
    const inst = afterScheduling(1);
    const plan = planEpisode(inst, inboxOf(e.taskCompleted(0, 1)), NOW);
    const input = replayInput(inst, plan) as { history: { IsPlayed: boolean }[]; isReplaying: boolean };
    assert.deepEqual(
      input.history.map((x) => x.IsPlayed),
      [true, true, true, true, false, false],
    );
    assert.equal(input.isReplaying, true);
  });
});

describe('settling an episode after the orchestrator ran', () => {
  test('only actions beyond those already seen are scheduled, with ids after the last one', () => {
    const inst = afterScheduling(1);
    const plan = planEpisode(inst, inboxOf(e.taskCompleted(0, {})), NOW);
    const { record } = settleEpisode(
      inst,
      plan,
      stateOf([
        {
          actionType: A.CallActivityWithRetry,
          functionName: 'planChunks',
          input: { batchId: 'b-1' },
          retryOptions: retry,
        },
        {
          actionType: A.CallSubOrchestrator,
          functionName: 'chunkOrchestrator',
          input: { c: 0 },
          instanceId: 'i-1:chunk:0',
        },
        { actionType: A.CallSubOrchestrator, functionName: 'chunkOrchestrator', input: { c: 1 } },
      ]),
      never,
    );
    const scheduled = record.events.filter((x) => x.EventId >= 0);
    assert.deepEqual(types(scheduled), [
      H.SubOrchestrationInstanceCreated,
      H.SubOrchestrationInstanceCreated,
    ]);
    assert.deepEqual(
      scheduled.map((x) => [x.EventId, x.InstanceId]),
      [
        [1, 'i-1:chunk:0'],
        [2, 'i-1:2'],
      ],
    );
    assert.equal(record.nextEventId, 3);
    assert.equal(record.actionsSeen, 3);
    assert.equal(record.outcome, undefined);
    assert.equal(record.events.at(-1)?.EventType, H.OrchestratorCompleted);
  });

  test('a first attempt called with retry carries its policy in its slot; string inputs are decoded', () => {
    const inst = instanceOf('fx');
    const plan = planEpisode(inst, [], NOW);
    const { record } = settleEpisode(
      inst,
      plan,
      stateOf([
        { actionType: A.CallActivityWithRetry, functionName: 'a', input: '"text"', retryOptions: retry },
      ]),
      never,
    );
    assert.deepEqual(record.slots[0]?.retry, {
      options: retry,
      attempt: 1,
      of: 'activity',
      firstAttemptAt: AT,
    });
    assert.equal(record.slots[0]?.input, 'text');
  });

  test('a done orchestrator completes with its output, recorded as ExecutionCompleted', () => {
    const inst = afterScheduling(1);
    const plan = planEpisode(inst, inboxOf(e.taskCompleted(0, {})), NOW);
    const { record } = settleEpisode(
      inst,
      plan,
      stateOf([{ actionType: A.CallActivity, functionName: 'planChunks' }], {
        isDone: true,
        output: { ok: 1 },
      }),
      never,
    );
    assert.deepEqual(record.outcome, { status: 'Completed', output: { ok: 1 } });
    const last = record.events.at(-1);
    assert.equal(last?.EventType, H.ExecutionCompleted);
    assert.equal(last?.Result, '{"ok":1}');
  });

  test('an orchestrator that threw fails the execution with its message', () => {
    const inst = instanceOf('fx');
    const { record } = settleEpisode(
      inst,
      planEpisode(inst, [], NOW),
      { kind: 'threw', message: 'bad' },
      never,
    );
    assert.deepEqual(record.outcome, { status: 'Failed', message: "Orchestrator function 'fx' failed: bad" });
    assert.equal(record.events.at(-1)?.OrchestrationStatus, 'Failed');
  });

  test('an orchestrator nobody registered fails the execution and schedules nothing', () => {
    const inst = instanceOf('missing');
    const { record } = settleEpisode(
      inst,
      planEpisode(inst, [], NOW),
      { kind: 'unregistered', message: 'no orchestrator missing' },
      never,
    );
    assert.equal(record.outcome?.status, 'Failed');
    assert.deepEqual(Object.keys(record.slots), []);
  });

  test('an action the local runtime does not emulate fails the execution', () => {
    const inst = instanceOf('fx');
    const { record } = settleEpisode(
      inst,
      planEpisode(inst, [], NOW),
      stateOf([{ actionType: A.CallEntity }]),
      never,
    );
    assert.match(String((record.outcome as { message?: string }).message), /does not support action type 7/);
  });

  test('continue-as-new starts a new execution with the decoded input', () => {
    const inst = instanceOf('fx');
    const { record } = settleEpisode(
      inst,
      planEpisode(inst, [], NOW),
      stateOf([{ actionType: A.ContinueAsNew, input: '{"round":2}' }], { isDone: true }),
      () => 'e-2',
    );
    assert.deepEqual(record.outcome, {
      status: 'ContinuedAsNew',
      newExecutionId: 'e-2',
      input: { round: 2 },
    });
    assert.notEqual(record.events.at(-1)?.EventType, H.ExecutionCompleted);
  });

  test('a timer the orchestrator cancelled is marked cancelled and reported for disarming', () => {
    const fireAt = '2026-12-01T11:00:00.000Z';
    const inst = instanceOf('fx', {
      history: [
        e.orchestratorStarted(),
        e.timerCreated(0, fireAt),
        e.taskScheduled(1, 'a'),
        e.orchestratorCompleted(),
      ],
      slots: [
        [0, { kind: 'timer', fireAt, actionIndex: 0 }],
        [1, { kind: 'activity', name: 'a', actionIndex: 1 }],
      ],
      nextEventId: 2,
      actionsSeen: 2,
    });
    const plan = planEpisode(inst, inboxOf(e.taskCompleted(1, 'x')), NOW);
    const { record, canceled } = settleEpisode(
      inst,
      plan,
      stateOf(
        [
          { actionType: A.CreateTimer, fireAt, isCanceled: true },
          { actionType: A.CallActivity, functionName: 'a' },
        ],
        { isDone: true, output: 'x' },
      ),
      never,
    );
    assert.deepEqual(canceled, [0]);
    assert.equal(record.slots[0]?.canceled, true);
  });

  test('the same instance, inbox, clock and reply always give the same record', () => {
    const inst = afterScheduling(2);
    const inbox = inboxOf(e.taskFailed(0, 'boom'));
    const reply = stateOf([
      { actionType: A.CallActivityWithRetry, functionName: 'planChunks', retryOptions: retry },
    ]);
    const first = settleEpisode(inst, planEpisode(inst, inbox, NOW), reply, never);
    const second = settleEpisode(inst, planEpisode(inst, inbox, NOW), reply, never);
    assert.deepEqual(first, second);
  });
});

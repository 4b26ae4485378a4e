import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogFields, LogLevel, LogRecord } from '../../../shared/application/ports/logger.port.js';
import {
  ProgressTracker,
  consoleLine,
  formatDuration,
  initialProgress,
  reduceProgress,
  renderProgressSummary,
  stageRate,
  stageTotal,
  type PipelineProgress,
  type ProgressStage,
} from '../../../shared/cli/progress/pipeline-progress.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const record = (message: string, fields: LogFields = {}, level: LogLevel = 'info'): LogRecord => ({
  level,
  message,
  fields: { app: 'nhs-flows', ...fields },
});
/** Applies [record, seconds after T0] pairs in order. */
const run = (...events: [LogRecord, number][]): PipelineProgress =>
  events.reduce((p, [r, s]) => reduceProgress(p, r, T0 + s * 1000), initialProgress(T0));

test('each pipeline log event moves its stage by the count it reports', () => {
  const cases: [string, LogRecord, ProgressStage, number][] = [
    [
      'a table poll publishing 120 deltas',
      record('capture poll done', { table: 'sus_apc_episode', published: 120, inserts: 120 }),
      'captured',
      120,
    ],
    [
      'a chunk of 50 records validated',
      record('chunk validated', { batchId: 'b-1', chunk: 0, records: 50, accepted: 48, quarantined: 2 }),
      'validated',
      50,
    ],
    [
      'a chunk written as 48 silver rows',
      record('chunk pseudonymised', { batchId: 'b-1', chunk: 0, rows: 48, files: 1 }),
      'pseudonymised',
      48,
    ],
    [
      'an SCD2 merge of 30 changes',
      record('scd2 merge done', { dimension: 'dim_patient', received: 30, members: 12 }),
      'merged',
      30,
    ],
    [
      'a warehouse load of 60 rows',
      record('warehouse loaded', { batchId: 'b-1', tables: 2, rows: 60, deletes: 0 }),
      'loaded',
      60,
    ],
  ];
  for (const [what, event, stage, expected] of cases) {
    const p = run([event, 2], [event, 4]);
    assert.equal(p.stages[stage].count, expected * 2, what);
    assert.equal(p.stages[stage].lastAt, T0 + 4000, `${what}: the stage moved at the last event`);
    for (const other of Object.keys(p.stages) as ProgressStage[])
      if (other !== stage)
        assert.equal(p.stages[other].count, 0, `${what} moves only ${stage}, not ${other}`);
  }
});

test('captured shows the larger of the deltas published by finished polls and those the consumer already received', () => {
  const received = run([record('deltas received', { batchId: 'b-1', events: 3, deltas: 40 }), 1]);
  assert.equal(received.stages.captured.count, 40, 'a poll still running: the received deltas show');
  const polled = reduceProgress(
    received,
    record('capture poll done', { table: 'csds_care_contact', published: 64 }),
    T0 + 3000,
  );
  assert.equal(polled.stages.captured.count, 64);
  assert.equal(polled.capture.tablesPolled, 1);
  const more = reduceProgress(polled, record('deltas received', { deltas: 24 }), T0 + 5000);
  assert.equal(more.stages.captured.count, 64, 'the same deltas arriving later do not count twice');
  assert.equal(more.stages.captured.lastAt, T0 + 3000);
});

test('validation splits into accepted and quarantined, and the bars measure against the records planned and accepted', () => {
  const p = run(
    [record('batch planned', { batchId: 'b-1', table: 'sus_apc_episode', records: 100, chunks: 2 }), 1],
    [record('batch planned', { batchId: 'b-2', table: 'ecds_attendance', records: 50, chunks: 1 }), 1],
    [record('chunk validated', { records: 60, accepted: 57, quarantined: 3 }), 2],
  );
  assert.deepEqual(p.validation, { accepted: 57, quarantined: 3 });
  assert.deepEqual(p.batches, { planned: 2, records: 150, completed: 0, failed: 0 });
  assert.equal(stageTotal(p, 'validated'), 150);
  assert.equal(stageTotal(p, 'pseudonymised'), 57);
  assert.equal(stageTotal(p, 'merged'), undefined, 'no total is known ahead of a merge');
});

test('batch manifests count batches done, batch failures count failed ones, marts are noted', () => {
  const p = run(
    [record('batch manifest written', { batchId: 'b-1', status: 'succeeded', records: 10 }), 1],
    [record('batch manifest written', { batchId: 'b-2', status: 'partial', records: 10 }), 2],
    [record('batch failed', { batchId: 'b-2', reason: '1 chunk(s) failed', failedChunks: 1 }, 'error'), 2],
    [record('marts refreshed', { tables: 6, attendances: 16 }), 3],
  );
  assert.equal(p.batches.completed, 2);
  assert.equal(p.batches.failed, 1);
  assert.equal(p.errors, 1);
  assert.equal(p.martsRefreshed, true);
});

test('records the reducer does not know only move the heartbeat, and a missing or non-numeric count counts as zero', () => {
  const p = run(
    [record('orchestration scheduled', { instanceId: 'b-1' }), 7],
    [record('local secret created with a random value', {}, 'warn'), 8],
    [record('chunk validated', { records: '12', accepted: null }), 9],
  );
  assert.equal(p.lastEventAt, T0 + 9000);
  assert.equal(p.warnings, 1);
  assert.equal(p.stages.validated.count, 0);
  assert.deepEqual(p.validation, { accepted: 0, quarantined: 0 });
});

test("a stage's rate is its count over the time from the run's start to its last move, and holds when the stage goes quiet", () => {
  const p = run(
    [record('chunk validated', { records: 500, accepted: 500, quarantined: 0 }), 2],
    [record('chunk validated', { records: 500, accepted: 490, quarantined: 10 }), 4],
    [record('orchestration completed', {}), 60],
  );
  assert.equal(stageRate(p, 'validated'), 250);
  assert.equal(stageRate(p, 'loaded'), 0, 'a stage that has not moved has no rate');
});

test('the final summary states total records, batches, records per second, the time taken and each stage', () => {
  const p = run(
    [record('capture poll done', { published: 2000 }), 1],
    [record('batch planned', { records: 2000 }), 2],
    [record('chunk validated', { records: 2000, accepted: 1990, quarantined: 10 }), 4],
    [record('chunk pseudonymised', { rows: 1990 }), 5],
    [record('scd2 merge done', { received: 1990, members: 400 }), 6],
    [record('gold built', { factRows: 1990 }), 7],
    [record('warehouse loaded', { rows: 2390 }), 8],
  );
  assert.equal(
    renderProgressSummary(p, T0 + 10_000),
    [
      'pipeline: 2,000 records in 1 batch(es), 0 failed, in 10.0 s (200 records/s)',
      '  captured       2,000 deltas from 1 table(s); 2,000/s',
      '  validated      2,000 records: 1,990 accepted, 10 quarantined; 500/s',
      '  pseudonymised  1,990 silver rows; 398/s',
      '  merged         1,990 SCD2 changes to the patient dimension; 332/s',
      '  loaded         2,390 warehouse rows (1,990 facts built); 299/s',
    ].join('\n'),
  );
});

test('durations read as seconds, then minutes and seconds, then hours and minutes', () => {
  const cases: [number, string][] = [
    [9.94, '9.9 s'],
    [65, '1 min 05 s'],
    [3725, '1 h 02 min'],
  ];
  for (const [seconds, text] of cases) assert.equal(formatDuration(seconds), text);
});

test('the tracker applies every record it observes at the time it was logged', () => {
  const tracker = new ProgressTracker(T0);
  tracker.observe(record('chunk pseudonymised', { rows: 7 }), new Date(T0 + 1500));
  tracker.observe(record('chunk pseudonymised', { rows: 5 }), new Date(T0 + 2500));
  assert.deepEqual(tracker.progress.stages.pseudonymised, { count: 12, lastAt: T0 + 2500 });
});

test('warnings and errors get one console line with their fields; info and debug records get none', () => {
  const cases: [LogRecord, string | undefined][] = [
    [
      record(
        'local secret created with a random value',
        { secret: 'pseudonymisation-master-key', version: undefined },
        'warn',
      ),
      'warning: local secret created with a random value (secret pseudonymisation-master-key)',
    ],
    [
      record(
        'batch failed',
        { batchId: 'b-1', table: 'sus_apc_episode', failedChunks: 1, reason: '' },
        'error',
      ),
      'error: batch failed (batchId b-1, table sus_apc_episode, failedChunks 1)',
    ],
    [record('chunk validated', { records: 5 }), undefined],
    [record('published', { deltas: 5 }, 'debug'), undefined],
  ];
  for (const [r, line] of cases) assert.equal(consoleLine(r), line, r.message);
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { captureRegistrations } from '../../shared/runtime/local/registration-capture.js';
import type { BatchDescriptor } from '../../shared/domain/pipeline/batch-record.js';
import type {
  BatchManifest,
  ChunkOutcome,
  ChunkPlan,
  ChunkRef,
  FailureReport,
  PipelineInput,
} from '../../shared/domain/pipeline/pipeline-contracts.js';
import { replayScripted, type ScriptedAnswer, type ScriptedCall } from './fixtures/scripted-replay.js';

// The pipeline and chunk orchestrators' own decisions, replayed in process from scripted histories
// (durable-functions' replay, no host, no storage): the fan-out waves come from the input, the
// order of the stages, what a failed chunk or a permanent failure leads to, and which retries run.

const registry = await captureRegistrations(() => import('../../functions/pipeline.orchestrator.js'));
const pipeline = registry.get('pipelineOrchestrator')!;
const chunkOrchestrator = registry.get('chunkOrchestrator')!;

const batch: BatchDescriptor = {
  batchId: 'batch-1',
  table: 'sus_apc_episode',
  origin: 'cdc',
  bronzePath: 'cdc/sus_apc_episode/batch-1.ndjson',
  format: 'deltas',
  receivedAt: '2026-12-01T08:59:00.000Z',
};

const chunkRef = (index: number): ChunkRef => ({ index, path: `work/batch-1/${index}.ndjson`, records: 10 });
const planOf = (chunks: number, extra: Partial<ChunkPlan> = {}): ChunkPlan => ({
  batchId: 'batch-1',
  table: 'sus_apc_episode',
  records: chunks * 10,
  chunks: Array.from({ length: chunks }, (_, i) => chunkRef(i)),
  unreadable: 0,
  unreadablePath: null,
  ...extra,
});
const goodChunk = (index: number): ChunkOutcome => ({
  ok: true,
  validate: {
    chunk: index,
    records: 10,
    accepted: 9,
    quarantined: 1,
    warnings: 0,
    rejectedPath: null,
    quarantinePath: null,
    dqStatePath: null,
  },
  pseudonymise: {
    chunk: index,
    rows: 9,
    silverFiles: [`silver/${index}.parquet`],
    dimensionChangesPath: `work/dim/${index}.ndjson`,
  },
});

/** Answers a whole batch as every stage succeeding, unless `override` answers the call. */
function script(
  plan: ChunkPlan,
  override: (call: ScriptedCall) => ScriptedAnswer | undefined = () => undefined,
): (call: ScriptedCall) => ScriptedAnswer {
  return (call) => {
    const chosen = override(call);
    if (chosen) return chosen;
    if (call.kind === 'subOrchestration')
      return { result: goodChunk((call.input as { chunk: ChunkRef }).chunk.index) };
    const input = call.input as {
      changePaths?: string[];
      silverFiles?: string[];
      goldFiles?: { table: string }[];
    };
    switch (call.name) {
      case 'planChunks':
        return { result: plan };
      case 'mergePatientDimension':
        return {
          result: {
            members: 5,
            inserted: 5,
            updated: 0,
            unchanged: 0,
            deleted: 0,
            goldFile: 'gold/dim.parquet',
          },
        };
      case 'buildGold':
        return {
          result: {
            factRows: (input.silverFiles?.length ?? 0) * 9,
            factDeletes: 0,
            goldFiles: [{ table: 'fact_episode', path: 'gold/fact.parquet' }],
          },
        };
      case 'loadWarehouse':
        return {
          result: {
            tables: (input.goldFiles ?? []).map((g) => ({
              table: g.table,
              rowsInFiles: 3,
              deletesInFiles: 0,
              rowsInTable: 3,
            })),
          },
        };
      default:
        return { result: null };
    }
  };
}

const input = (waveSize: number, onlyChunks?: number[]): PipelineInput => ({
  batch,
  waveSize,
  ...(onlyChunks ? { onlyChunks } : {}),
});
const chunkWaves = (calls: readonly ScriptedCall[]): number[][] => {
  const byEpisode = new Map<number, number[]>();
  for (const c of calls)
    if (c.kind === 'subOrchestration')
      byEpisode.set(c.episode, [
        ...(byEpisode.get(c.episode) ?? []),
        (c.input as { chunk: ChunkRef }).chunk.index,
      ]);
  return [...byEpisode.values()];
};
const activityNames = (calls: readonly ScriptedCall[]) =>
  calls.filter((c) => c.kind === 'activity').map((c) => c.name);

describe('pipeline orchestrator decisions', () => {
  test("chunk sub-orchestrations carry the instance's version; an input from before versions passes none on", async () => {
    const v2 = await replayScripted(pipeline, { ...input(10), version: 2 }, script(planOf(2)));
    const v1 = await replayScripted(pipeline, input(10), script(planOf(2)));
    const chunkInputs = (run: typeof v1) =>
      run.calls.filter((c) => c.kind === 'subOrchestration').map((c) => c.input);
    assert.deepEqual(chunkInputs(v2), [
      { batch, chunk: chunkRef(0), version: 2 },
      { batch, chunk: chunkRef(1), version: 2 },
    ]);
    assert.deepEqual(chunkInputs(v1), [
      { batch, chunk: chunkRef(0) },
      { batch, chunk: chunkRef(1) },
    ]);
    assert.equal(v2.outcome.status, 'Completed');
  });

  test('chunks fan out in waves of the input wave size, each wave after the previous one finished', async () => {
    const cases = [
      { waveSize: 2, waves: [[0, 1], [2, 3], [4]] },
      {
        waveSize: 3,
        waves: [
          [0, 1, 2],
          [3, 4],
        ],
      },
      { waveSize: 5, waves: [[0, 1, 2, 3, 4]] },
      { waveSize: 500, waves: [[0, 1, 2, 3, 4]] },
    ];
    for (const c of cases) {
      const run = await replayScripted(pipeline, input(c.waveSize), script(planOf(5)));
      assert.equal(run.outcome.status, 'Completed', `wave size ${c.waveSize}`);
      assert.deepEqual(chunkWaves(run.calls), c.waves, `wave size ${c.waveSize}`);
    }
  });

  test('an input recorded before inputs carried a wave size replays with waves of 500', async () => {
    const legacy = { batch };
    const run = await replayScripted(pipeline, legacy, script(planOf(3)));
    assert.deepEqual(chunkWaves(run.calls), [[0, 1, 2]]);
  });

  test('each chunk runs as its own sub-orchestration named after the batch and chunk', async () => {
    const run = await replayScripted(pipeline, input(10), script(planOf(2)), { instanceId: 'batch-1' });
    const children = run.calls.filter((c) => c.kind === 'subOrchestration');
    assert.deepEqual(
      children.map((c) => [c.name, c.instanceId]),
      [
        ['chunkOrchestrator', 'batch-1:chunk:0'],
        ['chunkOrchestrator', 'batch-1:chunk:1'],
      ],
    );
    assert.deepEqual(children[0]?.input, { batch, chunk: chunkRef(0) });
  });

  test('a good batch runs plan → chunks → dimension → gold → warehouse → manifest, passing paths on', async () => {
    const run = await replayScripted(pipeline, input(10), script(planOf(2)));
    assert.deepEqual(activityNames(run.calls), [
      'planChunks',
      'mergePatientDimension',
      'buildGold',
      'loadWarehouse',
      'writeManifest',
    ]);
    const byName = (name: string) => run.calls.find((c) => c.name === name)?.input;
    assert.deepEqual(byName('planChunks'), batch);
    assert.deepEqual(byName('mergePatientDimension'), {
      batch,
      changePaths: ['work/dim/0.ndjson', 'work/dim/1.ndjson'],
    });
    assert.deepEqual(byName('buildGold'), { batch, silverFiles: ['silver/0.parquet', 'silver/1.parquet'] });
    assert.deepEqual(byName('loadWarehouse'), {
      batch,
      goldFiles: [
        { table: 'dim_patient', path: 'gold/dim.parquet' },
        { table: 'fact_episode', path: 'gold/fact.parquet' },
      ],
    });
    assert.equal(run.outcome.status, 'Completed');
    const manifest = (run.outcome as { output: BatchManifest }).output;
    assert.equal(manifest.status, 'succeeded');
    assert.deepEqual(byName('writeManifest'), manifest);
  });

  test('a failed chunk leaves the others loaded, marks the batch partial and reports that chunk for replay', async () => {
    const failing = (call: ScriptedCall): ScriptedAnswer | undefined =>
      call.kind === 'subOrchestration' && (call.input as { chunk: ChunkRef }).chunk.index === 1
        ? { result: { ok: false, chunk: 1, records: 10, stage: 'validateChunk', reason: 'INPUT_INVALID' } }
        : undefined;
    const run = await replayScripted(pipeline, input(10), script(planOf(3), failing));
    assert.deepEqual(run.calls.find((c) => c.name === 'mergePatientDimension')?.input, {
      batch,
      changePaths: ['work/dim/0.ndjson', 'work/dim/2.ndjson'],
    });
    const manifest = (run.outcome as { output: BatchManifest }).output;
    assert.equal(manifest.status, 'partial');
    const report = run.calls.find((c) => c.name === 'reportFailure')?.input as FailureReport;
    assert.deepEqual(report, { batch, reason: '1 chunk(s) failed', failedChunks: [1] });
    assert.deepEqual(activityNames(run.calls).slice(-2), ['writeManifest', 'reportFailure']);
  });

  test('a replay runs only the chunks it names and reconciles against them', async () => {
    const run = await replayScripted(pipeline, input(10, [1, 3]), script(planOf(4)));
    assert.deepEqual(chunkWaves(run.calls), [[1, 3]]);
    const manifest = (run.outcome as { output: BatchManifest }).output;
    assert.equal(manifest.status, 'succeeded');
    assert.equal(manifest.chunks.total, 2);
  });

  test('an empty landing file ends with an empty manifest and reports no failure', async () => {
    const notice = { code: 'FILE.HEADER_ONLY', message: 'header only' };
    const run = await replayScripted(pipeline, input(10), script(planOf(0, { notice })));
    const manifest = (run.outcome as { output: BatchManifest }).output;
    assert.equal(manifest.status, 'empty');
    assert.equal(
      run.calls.some((c) => c.name === 'reportFailure'),
      false,
    );
  });

  test('a permanent failure is not retried: it is reported to the poison queue and fails the orchestration', async () => {
    const permanent = (call: ScriptedCall): ScriptedAnswer | undefined =>
      call.name === 'planChunks'
        ? { result: { permanentFailure: 'bad file', code: 'INPUT_INVALID' } }
        : undefined;
    const run = await replayScripted(pipeline, input(10), script(planOf(2), permanent));
    assert.deepEqual(
      run.calls.map((c) => [c.name, c.attempt]),
      [
        ['planChunks', 1],
        ['reportFailure', 1],
      ],
    );
    assert.deepEqual(run.calls[1]?.input, { batch, reason: 'planChunks: bad file', failedChunks: [] });
    assert.equal(run.outcome.status, 'Failed');
    assert.match((run.outcome as { message: string }).message, /planChunks: bad file/);
  });

  test('a transient activity failure is retried by the policy and the batch goes on', async () => {
    let failuresLeft = 2;
    const flaky = (call: ScriptedCall): ScriptedAnswer | undefined =>
      call.name === 'loadWarehouse' && failuresLeft-- > 0 ? { failure: 'ETIMEDOUT' } : undefined;
    const run = await replayScripted(pipeline, input(10), script(planOf(1), flaky));
    assert.deepEqual(
      run.calls.filter((c) => c.name === 'loadWarehouse').map((c) => c.attempt),
      [1, 2, 3],
    );
    assert.equal(run.outcome.status, 'Completed');
  });

  test('an activity failing on every attempt is reported once and fails the orchestration after 5 attempts', async () => {
    const down = (call: ScriptedCall): ScriptedAnswer | undefined =>
      call.name === 'buildGold' ? { failure: 'lake unreachable' } : undefined;
    const run = await replayScripted(pipeline, input(10), script(planOf(1), down));
    assert.deepEqual(
      run.calls.filter((c) => c.name === 'buildGold').map((c) => c.attempt),
      [1, 2, 3, 4, 5],
    );
    assert.equal(run.calls.filter((c) => c.name === 'reportFailure').length, 1);
    assert.equal(run.outcome.status, 'Failed');
  });
});

describe('chunk orchestrator decisions', () => {
  // An input recorded before versions (version 1): two activities, as such an instance first ran.
  const chunkInput = { batch, chunk: chunkRef(4) };
  const validated = goodChunk(4) as Extract<ChunkOutcome, { ok: true }>;
  const chunkInputV2 = { ...chunkInput, version: 2 };

  test('version 2: a chunk is validated and pseudonymised by one activity, whose two results make the outcome', async () => {
    const run = await replayScripted(chunkOrchestrator, chunkInputV2, () => ({
      result: { validate: validated.validate, pseudonymise: validated.pseudonymise },
    }));
    assert.deepEqual(activityNames(run.calls), ['validatePseudonymiseChunk']);
    assert.deepEqual(run.calls[0]?.input, chunkInputV2);
    assert.deepEqual((run.outcome as { output: unknown }).output, validated);
  });

  test('version 2: a chunk whose activity keeps failing returns ok: false at that stage after its retries; a permanent failure at once', async () => {
    const failing = await replayScripted(chunkOrchestrator, chunkInputV2, () => ({
      failure: 'lake unreachable',
    }));
    assert.equal(failing.calls.filter((c) => c.name === 'validatePseudonymiseChunk').length, 5);
    const output = (failing.outcome as { output: { ok: boolean; stage: string } }).output;
    assert.deepEqual([output.ok, output.stage], [false, 'validatePseudonymiseChunk']);
    const permanent = await replayScripted(chunkOrchestrator, chunkInputV2, () => ({
      result: { permanentFailure: 'unreadable chunk', code: 'INPUT_INVALID' },
    }));
    assert.equal(permanent.calls.length, 1);
    assert.deepEqual((permanent.outcome as { output: unknown }).output, {
      ok: false,
      chunk: 4,
      records: 10,
      stage: 'validatePseudonymiseChunk',
      reason: 'validatePseudonymiseChunk: unreadable chunk',
    });
  });

  test('version 1: a chunk is validated, then pseudonymised with the validation result', async () => {
    const run = await replayScripted(chunkOrchestrator, chunkInput, (call) =>
      call.name === 'validateChunk' ? { result: validated.validate } : { result: validated.pseudonymise },
    );
    assert.deepEqual(activityNames(run.calls), ['validateChunk', 'pseudonymiseChunk']);
    assert.deepEqual(run.calls[1]?.input, { ...chunkInput, validate: validated.validate });
    assert.deepEqual((run.outcome as { output: unknown }).output, validated);
  });

  test('version 1: a chunk whose validation fails permanently returns ok: false with the stage; it never throws', async () => {
    const run = await replayScripted(chunkOrchestrator, chunkInput, () => ({
      result: { permanentFailure: 'unreadable chunk', code: 'INPUT_INVALID' },
    }));
    assert.equal(run.outcome.status, 'Completed');
    assert.deepEqual((run.outcome as { output: unknown }).output, {
      ok: false,
      chunk: 4,
      records: 10,
      stage: 'validateChunk',
      reason: 'validateChunk: unreadable chunk',
    });
  });

  test('version 1: a chunk whose pseudonymisation keeps failing returns ok: false at that stage after its retries', async () => {
    const run = await replayScripted(chunkOrchestrator, chunkInput, (call) =>
      call.name === 'validateChunk' ? { result: validated.validate } : { failure: 'key vault unreachable' },
    );
    assert.equal(run.calls.filter((c) => c.name === 'pseudonymiseChunk').length, 5);
    const output = (run.outcome as { output: { ok: boolean; stage: string } }).output;
    assert.equal(output.ok, false);
    assert.equal(output.stage, 'pseudonymiseChunk');
  });
});

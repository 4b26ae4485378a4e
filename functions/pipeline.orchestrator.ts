import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { ACTIVITIES, ORCHESTRATIONS } from './function-names.js';
import {
  fanOutWaves,
  waveSizeOf,
  type BatchManifest,
  type BuildGoldResult,
  type ChunkInput,
  type ChunkOutcome,
  type ChunkPlan,
  type LoadWarehouseResult,
  type MergeDimensionResult,
  type PipelineInput,
  type PseudonymiseChunkResult,
  type ValidateChunkResult,
  type ValidatePseudonymiseChunkResult,
  pipelineVersionOf,
} from '../shared/domain/pipeline/pipeline-contracts.js';
import { reconcileBatch } from '../shared/domain/pipeline/reconcile.js';
import { settled } from '../shared/domain/pipeline/activity-outcome.js';
import { observedOrchestrator } from './observed.js';

/** One retry policy for every activity: 5 attempts, 2 s doubling (transient infrastructure faults). */
const retry = new df.RetryOptions(2_000, 5);
retry.backoffCoefficient = 2;
retry.maxRetryIntervalInMilliseconds = 60_000;

/**
 * Per chunk: validate then pseudonymise, in one activity (version 2) or two (instances started at
 * version 1, replayed as they ran). Never fails: a chunk whose activities fail after their retries
 * returns `ok: false` with the stage and reason, so one bad chunk does not lose the others.
 */
const chunkOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ChunkInput>();
  let stage: string =
    pipelineVersionOf(input) >= 2 ? ACTIVITIES.validatePseudonymiseChunk : ACTIVITIES.validateChunk;
  try {
    if (stage === ACTIVITIES.validatePseudonymiseChunk) {
      const both = settled<ValidatePseudonymiseChunkResult>(
        yield context.df.callActivityWithRetry(ACTIVITIES.validatePseudonymiseChunk, retry, input),
        ACTIVITIES.validatePseudonymiseChunk,
      );
      const outcome: ChunkOutcome = { ok: true, validate: both.validate, pseudonymise: both.pseudonymise };
      return outcome;
    }
    const validate = settled<ValidateChunkResult>(
      yield context.df.callActivityWithRetry(ACTIVITIES.validateChunk, retry, input),
      ACTIVITIES.validateChunk,
    );
    stage = ACTIVITIES.pseudonymiseChunk;
    const pseudonymise = settled<PseudonymiseChunkResult>(
      yield context.df.callActivityWithRetry(ACTIVITIES.pseudonymiseChunk, retry, {
        ...input,
        validate,
      }),
      ACTIVITIES.pseudonymiseChunk,
    );
    const outcome: ChunkOutcome = { ok: true, validate, pseudonymise };
    return outcome;
  } catch (error) {
    const outcome: ChunkOutcome = {
      ok: false,
      chunk: input.chunk.index,
      records: input.chunk.records,
      stage,
      reason: error instanceof Error ? error.message.slice(0, 500) : 'unknown failure',
    };
    return outcome;
  }
};

/**
 * Per batch: plan chunks → fan out chunks in waves of at most `input.waveSize` → SCD2 merge of
 * the patient dimension → link and build gold → load the warehouse → manifest. Counts reconcile
 * at every hop; any failure is reported to the poison queue for replay.
 */
const pipelineOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<PipelineInput>();
  const startedAt = context.df.currentUtcDateTime.toISOString();
  const failedChunks: { chunk: number; stage: string; reason: string }[] = [];
  try {
    const plan = settled<ChunkPlan>(
      yield context.df.callActivityWithRetry(ACTIVITIES.planChunks, retry, input.batch),
      ACTIVITIES.planChunks,
    );
    const chunks = plan.chunks.filter((c) => !input.onlyChunks || input.onlyChunks.includes(c.index));
    const outcomes: ChunkOutcome[] = [];
    for (const wave of fanOutWaves(chunks, waveSizeOf(input))) {
      const tasks = wave.map((chunk) =>
        context.df.callSubOrchestrator(
          ORCHESTRATIONS.chunk,
          {
            batch: input.batch,
            chunk,
            // A version-1 instance's chunk inputs stay as they were recorded.
            ...(input.version === undefined ? {} : { version: input.version }),
          } satisfies ChunkInput,
          `${context.df.instanceId}:chunk:${chunk.index}`,
        ),
      );
      outcomes.push(...((yield context.df.Task.all(tasks)) as ChunkOutcome[]));
    }
    const good = outcomes.filter((o): o is Extract<ChunkOutcome, { ok: true }> => o.ok);
    for (const o of outcomes)
      if (!o.ok) failedChunks.push({ chunk: o.chunk, stage: o.stage, reason: o.reason });

    const dimension = settled<MergeDimensionResult>(
      yield context.df.callActivityWithRetry(ACTIVITIES.mergePatientDimension, retry, {
        batch: input.batch,
        changePaths: good.map((o) => o.pseudonymise.dimensionChangesPath),
      }),
      ACTIVITIES.mergePatientDimension,
    );
    const gold = settled<BuildGoldResult>(
      yield context.df.callActivityWithRetry(ACTIVITIES.buildGold, retry, {
        batch: input.batch,
        silverFiles: good.flatMap((o) => o.pseudonymise.silverFiles),
      }),
      ACTIVITIES.buildGold,
    );
    const goldFiles = [
      ...(dimension.goldFile ? [{ table: 'dim_patient', path: dimension.goldFile }] : []),
      ...gold.goldFiles,
    ];
    const warehouse = settled<LoadWarehouseResult>(
      yield context.df.callActivityWithRetry(ACTIVITIES.loadWarehouse, retry, {
        batch: input.batch,
        goldFiles,
      }),
      ACTIVITIES.loadWarehouse,
    );

    const finishedAt = context.df.currentUtcDateTime.toISOString();
    const manifest: BatchManifest = reconcileBatch({
      batch: input.batch,
      plan,
      outcomes,
      dimension,
      gold,
      warehouse,
      startedAt,
      finishedAt,
      replayedChunks: input.onlyChunks,
    });
    yield context.df.callActivityWithRetry(ACTIVITIES.writeManifest, retry, manifest);
    // An empty landing file is reported by its manifest (status 'empty'), not as a failure to replay.
    if (manifest.status !== 'succeeded' && manifest.status !== 'empty') {
      yield context.df.callActivityWithRetry(ACTIVITIES.reportFailure, retry, {
        batch: input.batch,
        reason: `${failedChunks.length} chunk(s) failed`,
        failedChunks: failedChunks.map((f) => f.chunk),
      });
    }
    return manifest;
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 1000) : 'unknown failure';
    yield context.df.callActivityWithRetry(ACTIVITIES.reportFailure, retry, {
      batch: input.batch,
      reason,
      failedChunks: failedChunks.map((f) => f.chunk),
    });
    throw error;
  }
};

df.app.orchestration(ORCHESTRATIONS.chunk, observedOrchestrator(ORCHESTRATIONS.chunk, chunkOrchestrator));
df.app.orchestration(
  ORCHESTRATIONS.pipeline,
  observedOrchestrator(ORCHESTRATIONS.pipeline, pipelineOrchestrator),
);

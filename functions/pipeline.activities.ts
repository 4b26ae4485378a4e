import * as df from 'durable-functions';
import { ACTIVITIES } from './function-names.js';
import { permanentFailuresAsResults } from '../shared/domain/pipeline/activity-outcome.js';
import { services } from './composition-root.js';
import { observed } from './observed.js';
import { withLineage } from './with-lineage.js';
import { emitBatchDqmi } from '../shared/application/use-cases/operations/dqmi-metrics.use-case.js';
import type {
  BatchManifest,
  BuildGoldInput,
  ChunkInput,
  FailureReport,
  LoadWarehouseInput,
  MergeDimensionInput,
  ValidateChunkResult,
} from '../shared/domain/pipeline/pipeline-contracts.js';
import type { BatchDescriptor } from '../shared/domain/pipeline/batch-record.js';
import { planChunks } from '../shared/application/use-cases/pipeline/plan-chunks.use-case.js';
import { validateChunk } from '../shared/application/use-cases/pipeline/validate-chunk.use-case.js';
import { pseudonymiseChunk } from '../shared/application/use-cases/pipeline/pseudonymise-chunk.use-case.js';
import { validatePseudonymiseChunk } from '../shared/application/use-cases/pipeline/validate-pseudonymise-chunk.use-case.js';
import { mergePatientDimension } from '../shared/application/use-cases/pipeline/merge-patient-dimension.use-case.js';
import { buildGold } from '../shared/application/use-cases/pipeline/build-gold.use-case.js';
import { loadWarehouse } from '../shared/application/use-cases/pipeline/load-warehouse.use-case.js';
import {
  reportFailure,
  writeManifest,
} from '../shared/application/use-cases/pipeline/batch-ledger.use-case.js';

// Each activity: resolve the services once, call one use case with the (small) input, return its (small) result.
df.app.activity(ACTIVITIES.planChunks, {
  handler: observed(
    ACTIVITIES.planChunks,
    'activity',
    withLineage(ACTIVITIES.planChunks, async (input: BatchDescriptor) =>
      permanentFailuresAsResults(async () => planChunks(input, (await services()).pipeline)),
    ),
    { dependency: 'lake' },
  ),
});
// Pipeline version 1 (instances started before version 2 replay these two steps).
df.app.activity(ACTIVITIES.validateChunk, {
  handler: observed(
    ACTIVITIES.validateChunk,
    'activity',
    withLineage(ACTIVITIES.validateChunk, async (input: ChunkInput) =>
      permanentFailuresAsResults(async () => validateChunk(input, (await services()).pipeline)),
    ),
    { dependency: 'lake' },
  ),
});
df.app.activity(ACTIVITIES.pseudonymiseChunk, {
  handler: observed(
    ACTIVITIES.pseudonymiseChunk,
    'activity',
    withLineage(ACTIVITIES.pseudonymiseChunk, async (input: ChunkInput & { validate: ValidateChunkResult }) =>
      permanentFailuresAsResults(async () => pseudonymiseChunk(input, (await services()).pipeline)),
    ),
    { dependency: 'lake' },
  ),
});
df.app.activity(ACTIVITIES.validatePseudonymiseChunk, {
  handler: observed(
    ACTIVITIES.validatePseudonymiseChunk,
    'activity',
    withLineage(ACTIVITIES.validatePseudonymiseChunk, async (input: ChunkInput) =>
      permanentFailuresAsResults(async () => validatePseudonymiseChunk(input, (await services()).pipeline)),
    ),
    { dependency: 'lake' },
  ),
});
df.app.activity(ACTIVITIES.mergePatientDimension, {
  handler: observed(
    ACTIVITIES.mergePatientDimension,
    'activity',
    withLineage(ACTIVITIES.mergePatientDimension, async (input: MergeDimensionInput) =>
      permanentFailuresAsResults(async () => mergePatientDimension(input, (await services()).pipeline)),
    ),
    { dependency: 'lake' },
  ),
});
df.app.activity(ACTIVITIES.buildGold, {
  handler: observed(
    ACTIVITIES.buildGold,
    'activity',
    withLineage(ACTIVITIES.buildGold, async (input: BuildGoldInput) =>
      permanentFailuresAsResults(async () => buildGold(input, (await services()).pipeline)),
    ),
    { dependency: 'lake' },
  ),
});
df.app.activity(ACTIVITIES.loadWarehouse, {
  handler: observed(
    ACTIVITIES.loadWarehouse,
    'activity',
    withLineage(ACTIVITIES.loadWarehouse, async (input: LoadWarehouseInput) =>
      permanentFailuresAsResults(async () => loadWarehouse(input, (await services()).pipeline)),
    ),
    { dependency: 'warehouse' },
  ),
});
df.app.activity(ACTIVITIES.writeManifest, {
  handler: observed(
    ACTIVITIES.writeManifest,
    'activity',
    withLineage(ACTIVITIES.writeManifest, async (input: BatchManifest) =>
      permanentFailuresAsResults(async () => {
        const { pipeline } = await services();
        await writeManifest(input, pipeline);
        // DQMI per dataset of the validated batch: the dq-score-drop alert watches it.
        if (input.status !== 'failed') await emitBatchDqmi(input, pipeline);
      }),
    ),
    { dependency: 'lake' },
  ),
});
df.app.activity(ACTIVITIES.reportFailure, {
  handler: observed(
    ACTIVITIES.reportFailure,
    'activity',
    withLineage(ACTIVITIES.reportFailure, async (input: FailureReport) =>
      permanentFailuresAsResults(async () => reportFailure(input, (await services()).pipeline)),
    ),
    { dependency: 'lake' },
  ),
});

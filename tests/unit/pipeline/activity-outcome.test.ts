import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityFailedError, InputError } from '../../../shared/domain/errors.js';
import { permanentFailuresAsResults, settled } from '../../../shared/domain/pipeline/activity-outcome.js';

// A permanent failure an activity returns is thrown by the orchestrator with the activity's code
// (to the orchestration's failure metric and alerts), its message unchanged.

test('a result passes through; a permanent failure is thrown with its code and the activity named', async () => {
  assert.deepEqual(settled({ chunks: [] }, 'planChunks'), { chunks: [] });
  const returned = await permanentFailuresAsResults(async () => {
    throw new InputError('batch b-1: bronze object x does not exist');
  });
  assert.throws(
    () => settled(returned, 'planChunks'),
    (error: unknown) =>
      error instanceof ActivityFailedError &&
      error.code === 'INPUT_INVALID' &&
      error.activity === 'planChunks' &&
      error.message === 'planChunks: batch b-1: bronze object x does not exist',
  );
});

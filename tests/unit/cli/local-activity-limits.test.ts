import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localActivityLimits } from '../../../shared/cli/local-functions-host.js';
import { ACTIVITIES } from '../../../functions/function-names.js';

const activityNames = new Set<string>(Object.values(ACTIVITIES));

test('every local activity limit names a registered activity and lets at least one run, whatever the sizes', () => {
  for (let workers = 0; workers <= 16; workers++)
    for (let projects = 0; projects <= 4; projects++) {
      const limits = localActivityLimits(workers, projects);
      for (const [name, limit] of Object.entries(limits)) {
        assert.ok(activityNames.has(name), `${name} is not an activity`);
        assert.ok(Number.isInteger(limit) && limit >= 1, `${name}: ${limit} with ${workers} workers`);
      }
    }
});

test('the activities that hold a chunk or a batch of rows run one per worker thread, the warehouse load one at a time', () => {
  for (const workers of [1, 2, 4]) {
    const limits = localActivityLimits(workers, 2);
    assert.equal(limits[ACTIVITIES.validatePseudonymiseChunk], workers);
    assert.equal(limits[ACTIVITIES.buildGold], workers);
    assert.equal(limits[ACTIVITIES.loadWarehouse], 1);
    assert.equal(limits[ACTIVITIES.mergePatientDimension], 2);
  }
  // Activities on the main thread (no workers): one at a time there too.
  assert.equal(localActivityLimits(0, 2)[ACTIVITIES.validatePseudonymiseChunk], 1);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pinAssigner } from '../../../shared/runtime/local/activity-workers.js';

const byProject = { mergePatientDimension: (input: unknown) => (input as { project: string }).project };

test('invocations with the same pin key always run on the same worker, and two keys on two workers never share one', () => {
  const pin = pinAssigner(byProject, 2);
  const careflow = pin('mergePatientDimension', { project: 'careflow' });
  const community = pin('mergePatientDimension', { project: 'community360' });
  assert.notEqual(careflow, community);
  for (let i = 0; i < 5; i++) {
    assert.equal(pin('mergePatientDimension', { project: 'community360' }), community);
    assert.equal(pin('mergePatientDimension', { project: 'careflow' }), careflow);
  }
});

test('an activity that is not pinned goes to the least busy worker (no pin), and one worker takes every key', () => {
  assert.equal(pinAssigner(byProject, 2)('validateChunk', {}), undefined);
  const single = pinAssigner(byProject, 1);
  assert.equal(single('mergePatientDimension', { project: 'careflow' }), 0);
  assert.equal(single('mergePatientDimension', { project: 'community360' }), 0);
});

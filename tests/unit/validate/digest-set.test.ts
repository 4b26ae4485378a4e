import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DigestSet } from '../../../shared/domain/validate/digest-set.js';

test('a digest set says whether a digest is new, across growth and for the all-zero digest', () => {
  const set = new DigestSet(16);
  for (let i = 0; i < 5000; i++) assert.equal(set.add(i * 7919, i ^ 0xdeadbeef), true);
  assert.equal(set.size, 5000);
  for (let i = 0; i < 5000; i++) assert.equal(set.add(i * 7919, i ^ 0xdeadbeef), false);
  assert.equal(set.add(0, 0), true);
  assert.equal(set.add(0, 0), false);
  assert.equal(set.add(0xffffffff, 0xffffffff), true);
  assert.equal(set.size, 5002);
});

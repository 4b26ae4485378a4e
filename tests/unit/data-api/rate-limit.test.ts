import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBuckets } from '../../../shared/domain/data-api/rate-limit.js';

test('a client gets its whole minute at once, then is refused with the seconds until the next request', () => {
  for (const perMinute of [1, 6, 60, 600]) {
    const buckets = new TokenBuckets();
    for (let i = 0; i < perMinute; i++)
      assert.equal(buckets.take('c', perMinute, 0).allowed, true, `request ${i + 1} of ${perMinute}`);
    const refused = buckets.take('c', perMinute, 0);
    assert.equal(refused.allowed, false);
    if (!refused.allowed) assert.equal(refused.retryAfterSeconds, Math.max(1, Math.ceil(60 / perMinute)));
  }
});

test('the allowance refills at perMinute/60 a second and never beyond a minute', () => {
  const buckets = new TokenBuckets();
  for (let i = 0; i < 60; i++) buckets.take('c', 60, 0);
  assert.equal(buckets.take('c', 60, 500).allowed, false, 'half a second: no whole request yet');
  assert.equal(buckets.take('c', 60, 1_000).allowed, true, 'one second: one request');
  assert.equal(buckets.take('c', 60, 1_000).allowed, false);
  // An hour idle refills one minute's worth, not sixty.
  let allowed = 0;
  for (let i = 0; i < 200; i++) if (buckets.take('c', 60, 3_600_000).allowed) allowed++;
  assert.equal(allowed, 60);
});

test('clients have separate buckets', () => {
  const buckets = new TokenBuckets();
  assert.equal(buckets.take('a', 1, 0).allowed, true);
  assert.equal(buckets.take('a', 1, 0).allowed, false);
  assert.equal(buckets.take('b', 1, 0).allowed, true);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NEVER_CAPTURED_SECONDS,
  STALE_RULE,
  evaluateStaleness,
  freshnessSeconds,
} from '../../../shared/domain/operations/staleness.js';

const t0 = Date.parse('2026-12-06T10:00:00Z');
const at = (min: number) => new Date(t0 + min * 60_000);

test('fresh ticks are not stale; a table past the threshold is', () => {
  const samples = [
    { table: 'a', at: at(0), freshnessSeconds: 60 },
    { table: 'b', at: at(0), freshnessSeconds: 120 },
  ];
  assert.deepEqual(evaluateStaleness(samples, at(1)), { stale: false, worstSeconds: 120 });
  const late = [...samples, { table: 'b', at: at(5), freshnessSeconds: STALE_RULE.thresholdSeconds + 1 }];
  assert.deepEqual(evaluateStaleness(late, at(6)), {
    stale: true,
    reason: 'table-stale',
    worstSeconds: STALE_RULE.thresholdSeconds + 1,
    tables: ['b'],
  });
});

test('no tick within the window is stale (a stopped poller emits nothing)', () => {
  const samples = [{ table: 'a', at: at(0), freshnessSeconds: 1 }];
  assert.equal(evaluateStaleness(samples, at(STALE_RULE.windowMinutes - 1)).stale, false);
  assert.deepEqual(evaluateStaleness(samples, at(STALE_RULE.windowMinutes)), {
    stale: true,
    reason: 'no-ticks',
    worstSeconds: null,
  });
  assert.equal(evaluateStaleness([], at(0)).stale, true);
});

test('freshness is now − last success; never captured is the sentinel', () => {
  assert.equal(freshnessSeconds('2026-12-06T09:59:00.000Z', at(0)), 60);
  assert.equal(freshnessSeconds(null, at(0)), NEVER_CAPTURED_SECONDS);
  assert.equal(freshnessSeconds('junk', at(0)), NEVER_CAPTURED_SECONDS);
});

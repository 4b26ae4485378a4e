import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLOSED_BREAKER,
  afterFailure,
  afterSuccess,
  allowsNewWork,
  breakerStateOf,
  breakerStatus,
  type BreakerPolicy,
  type BreakerState,
} from '../../../shared/domain/operations/circuit-breaker.js';

const policy: BreakerPolicy = { failureThreshold: 3, windowSeconds: 60, coolDownSeconds: 300 };
const t0 = Date.parse('2026-12-06T10:00:00Z');
const at = (s: number) => new Date(t0 + s * 1000);

function fail(state: BreakerState, seconds: number[]): BreakerState {
  return seconds.reduce((s, x) => afterFailure(s, at(x), 'WAREHOUSE_UNREACHABLE', policy), state);
}

test('N consecutive failures within the window open the breaker and stop new work', () => {
  const two = fail(CLOSED_BREAKER, [0, 10]);
  assert.equal(breakerStatus(two, at(11), policy), 'closed');
  assert.equal(allowsNewWork(two, at(11), policy), true);
  const three = fail(two, [20]);
  assert.equal(three.status, 'open');
  assert.equal(three.openedAt, at(20).toISOString());
  assert.equal(breakerStatus(three, at(21), policy), 'open');
  assert.equal(allowsNewWork(three, at(21), policy), false);
});

test('failures spread beyond the window do not open it; a success resets the run', () => {
  const spread = fail(CLOSED_BREAKER, [0, 50, 120]);
  assert.equal(spread.status, 'closed');
  assert.equal(spread.consecutiveFailures, 1, 'the third failure starts a new run (window 60 s)');
  const reset = fail(afterSuccess(), [200, 210]);
  assert.equal(reset.status, 'closed');
  assert.equal(reset.consecutiveFailures, 2);
});

test('it half-opens by itself after the cool-down; a trial success closes, a trial failure re-opens', () => {
  const open = fail(CLOSED_BREAKER, [0, 1, 2]);
  assert.equal(breakerStatus(open, at(2 + 299), policy), 'open');
  assert.equal(breakerStatus(open, at(2 + 300), policy), 'half-open');
  assert.equal(allowsNewWork(open, at(2 + 300), policy), true);
  assert.deepEqual(afterSuccess(), CLOSED_BREAKER);
  const reopened = afterFailure(open, at(400), 'LAKE_WRITE_FAILED', policy);
  assert.equal(reopened.status, 'open');
  assert.equal(reopened.openedAt, at(400).toISOString());
  assert.equal(reopened.lastFailureCode, 'LAKE_WRITE_FAILED');
  assert.equal(breakerStatus(reopened, at(401), policy), 'open', 'a full cool-down again');
});

test('a stored entity reads back; junk reads as closed', () => {
  const open = fail(CLOSED_BREAKER, [0, 1, 2]);
  assert.deepEqual(breakerStateOf({ ...open }), open);
  assert.deepEqual(breakerStateOf(undefined), CLOSED_BREAKER);
  assert.deepEqual(breakerStateOf({ status: 'weird', consecutiveFailures: 'x' }), CLOSED_BREAKER);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../shared/domain/errors.js';
import {
  DEFAULT_DISCLOSURE_POLICY,
  HES_ECDS_2018_POLICY,
  parseDisclosurePolicy,
} from '../../../shared/domain/disclosure/disclosure-policy.js';
import {
  HES_SMALL_NUMBER_POLICY,
  discloseCount,
  roundCount,
} from '../../../shared/domain/disclosure/small-numbers.js';

test('the default policy is the HES/ECDS 2018 rule of REFERENCE.md §9.1', () => {
  assert.deepEqual(DEFAULT_DISCLOSURE_POLICY, {
    name: 'hes-ecds-2018',
    minCell: 8,
    roundTo: 5,
    nationalExempt: true,
    secondarySuppression: true,
    percentDecimals: 1,
    percentDecimalsMinDenominator: 4_000,
  });
  assert.ok(Object.isFrozen(DEFAULT_DISCLOSURE_POLICY));
});

test('the single-count rule of the opt-out withheld counts is the default policy, not a second copy', () => {
  assert.equal(HES_SMALL_NUMBER_POLICY, HES_ECDS_2018_POLICY);
  const dementiaDashboard = parseDisclosurePolicy({
    ...HES_ECDS_2018_POLICY,
    name: 'under-7',
    minCell: 7,
    roundTo: 1,
  });
  assert.equal(discloseCount(6, dementiaDashboard), '*');
  assert.equal(discloseCount(7, dementiaDashboard), '7');
});

test('a policy read from configuration is validated and frozen', () => {
  const policy = parseDisclosurePolicy({ ...HES_ECDS_2018_POLICY, name: 'local' });
  assert.equal(policy.name, 'local');
  assert.ok(Object.isFrozen(policy));
});

test('an invalid policy lists every problem in one configuration error, naming the field', () => {
  try {
    parseDisclosurePolicy(
      { name: '', minCell: 0, roundTo: 2.5, nationalExempt: 'yes', extra: 1 },
      'projects.careflow.disclosure',
    );
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.code, 'CONFIG_INVALID');
    const fields = error.problems.map((p) => p.split(':')[0]);
    for (const field of [
      'name',
      'minCell',
      'roundTo',
      'nationalExempt',
      'secondarySuppression',
      'percentDecimals',
    ])
      assert.ok(fields.includes(`projects.careflow.disclosure.${field}`), `${field} in ${fields.join(', ')}`);
    assert.ok(
      error.problems.some((p) => p.includes('extra')),
      'unknown keys are refused',
    );
  }
});

test('a policy whose smallest shown count would round to 0 is refused', () => {
  assert.throws(
    () => parseDisclosurePolicy({ ...HES_ECDS_2018_POLICY, minCell: 2, roundTo: 10 }),
    (e: unknown) =>
      e instanceof ConfigError && e.problems.some((p) => p.includes('minCell must be at least roundTo / 2')),
  );
  assert.doesNotThrow(() => parseDisclosurePolicy({ ...HES_ECDS_2018_POLICY, minCell: 5, roundTo: 10 }));
});

test('counts round to the nearest multiple, halves up, by exact integer arithmetic', () => {
  // With the default step of 5 a whole count is never a half: 12 → 10, 13 → 15 (REFERENCE.md gives no tie rule).
  const cases: [count: number, roundTo: number, rounded: number][] = [
    [12, 5, 10],
    [13, 5, 15],
    [1_000_002, 5, 1_000_000],
    [15, 10, 20],
    [25, 10, 30],
    [14, 10, 10],
    [7, 1, 7],
  ];
  for (const [count, roundTo, rounded] of cases)
    assert.equal(roundCount(count, { minCell: 8, roundTo }), rounded, `${count} to ${roundTo}`);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAX_PLAUSIBLE_AGE_YEARS,
  implausibleDateOfBirthRule,
} from '../../../shared/domain/validate/date-of-birth-rule.js';
import type { RuleContext } from '../../../shared/domain/validate/rule.js';

const rule = implausibleDateOfBirthRule('sus_apc', ['sus_apc_episode']);
const ctx = { extractDate: '2026-06-15' } as RuleContext;

test('a date of birth making the patient older than the plausible maximum at the extract date is flagged (warn), a real old age is not', () => {
  assert.equal(rule.severity, 'warn');
  assert.equal(rule.id, 'SUS.DATE_OF_BIRTH_IMPLAUSIBLE');
  const cases: [string | null, boolean][] = [
    ['1900-01-01', true], // the classic system default
    ['1826-05-01', true], // a wrong century
    [`${2026 - MAX_PLAUSIBLE_AGE_YEARS - 1}-06-15`, true], // 116 today
    [`${2026 - MAX_PLAUSIBLE_AGE_YEARS - 1}-06-16`, false], // 115, birthday tomorrow
    [`${2026 - MAX_PLAUSIBLE_AGE_YEARS}-01-01`, false], // 115
    ['1950-03-02', false],
    ['2026-06-14', false],
    [null, false], // absent: the contract's, not this rule's
    ['not a date', false], // unreadable: the contract's
  ];
  for (const [dob, flagged] of cases)
    assert.equal(
      rule.check({ date_of_birth: dob }, ctx),
      flagged ? 'date_of_birth' : undefined,
      `date of birth ${String(dob)}`,
    );
});

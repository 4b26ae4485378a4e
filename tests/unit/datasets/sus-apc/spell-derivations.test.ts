import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ageOnAdmission,
  lengthOfStayDays,
} from '../../../../shared/domain/datasets/sus-apc/spell-derivations.js';

test('length of stay is discharge − admission in days: 0 for a same-day discharge, across month and leap days', () => {
  assert.equal(lengthOfStayDays('2026-09-01', '2026-09-01'), 0);
  assert.equal(lengthOfStayDays('2026-09-01', '2026-09-02'), 1);
  assert.equal(lengthOfStayDays('2024-02-28', '2024-03-01'), 2, 'leap year');
  assert.equal(lengthOfStayDays('2025-02-28', '2025-03-01'), 1);
  assert.equal(lengthOfStayDays('2026-03-28', '2026-03-30'), 2, 'across the clock change');
  assert.equal(lengthOfStayDays('2025-12-31', '2026-01-01'), 1);
});

test('length of stay is null while the spell is open, for a malformed date, or a discharge before admission', () => {
  assert.equal(lengthOfStayDays('2026-09-01', null), null);
  assert.equal(lengthOfStayDays(null, '2026-09-01'), null);
  assert.equal(lengthOfStayDays('2026-09-01', 'yesterday'), null);
  assert.equal(lengthOfStayDays('2026-09-02', '2026-09-01'), null);
});

test('age on admission counts whole years: the day before the birthday, on it, and a 29 February birthday', () => {
  assert.equal(ageOnAdmission('1956-09-02', '2026-09-01'), 69);
  assert.equal(ageOnAdmission('1956-09-01', '2026-09-01'), 70);
  assert.equal(ageOnAdmission('2026-09-01', '2026-09-01'), 0, 'born on the day');
  assert.equal(ageOnAdmission('2004-02-29', '2025-02-28'), 20);
  assert.equal(ageOnAdmission('2004-02-29', '2025-03-01'), 21);
});

test('age on admission is null outside 0-120 or without both dates', () => {
  assert.equal(ageOnAdmission('1900-01-01', '2026-09-01'), null);
  assert.equal(ageOnAdmission('1906-09-01', '2026-09-01'), 120);
  assert.equal(ageOnAdmission('2026-09-02', '2026-09-01'), null);
  assert.equal(ageOnAdmission(null, '2026-09-01'), null);
});

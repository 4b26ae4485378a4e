import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instant } from '../../../shared/domain/validate/rule-builders.js';

// Rules compare row times with `instant`; an unreadable time is absent (the contract reports it),
// never a different, rolled-over instant.
const cases: [string, string, number | undefined][] = [
  ['an instant in UTC is its epoch milliseconds', '2024-02-29T10:00:00Z', Date.UTC(2024, 1, 29, 10)],
  [
    'an instant with an offset is converted to UTC',
    '2024-03-01T10:00:00.500+01:00',
    Date.UTC(2024, 2, 1, 9, 0, 0, 500),
  ],
  ['a date-time on 30 February is absent, not 1 March', '2024-02-30T10:00:00Z', undefined],
  ['a date-time on 29 February of a common year is absent', '2023-02-29T10:00:00+01:00', undefined],
  ['a date-time on 31 April is absent', '2024-04-31T23:00:00.000Z', undefined],
  ['a date-time at hour 24 is absent, not the next day', '2024-01-01T24:00:00Z', undefined],
  ['a date-time without an offset is absent (its zone is unknown)', '2024-01-01T10:00:00', undefined],
];
for (const [name, value, expected] of cases)
  test(`rule times: ${name}`, () => assert.equal(instant({ at: value }, 'at'), expected));

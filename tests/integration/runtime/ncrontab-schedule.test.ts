import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSchedule, ScheduleError } from '../../../shared/runtime/local/triggers/ncrontab-schedule.js';

const cases: { schedule: string; after: string; next: string; why: string }[] = [
  {
    schedule: '0 */5 * * * *',
    after: '2026-11-23T09:03:10Z',
    next: '2026-11-23T09:05:00.000Z',
    why: 'every five minutes',
  },
  {
    schedule: '*/15 * * * * *',
    after: '2026-11-23T09:03:10Z',
    next: '2026-11-23T09:03:15.000Z',
    why: 'every 15 seconds',
  },
  {
    schedule: '0 0 2 * * *',
    after: '2026-11-23T02:00:00Z',
    next: '2026-11-24T02:00:00.000Z',
    why: 'strictly after the given instant',
  },
  {
    schedule: '0 30 9 * * 1-5',
    after: '2026-11-27T10:00:00Z',
    next: '2026-11-30T09:30:00.000Z',
    why: 'weekdays skip the weekend (Fri → Mon)',
  },
  {
    schedule: '0 0 0 1 Jan,Jul *',
    after: '2026-02-10T00:00:00Z',
    next: '2026-07-01T00:00:00.000Z',
    why: 'month names',
  },
  {
    schedule: '0 0 6 * * Sun',
    after: '2026-11-23T09:00:00Z',
    next: '2026-11-29T06:00:00.000Z',
    why: 'weekday names, 0 = Sunday',
  },
  {
    schedule: '0 0 0 29 2 *',
    after: '2026-03-01T00:00:00Z',
    next: '2028-02-29T00:00:00.000Z',
    why: 'leap days',
  },
  {
    schedule: '5,10-12 0 0 * * *',
    after: '2026-11-23T00:00:10Z',
    next: '2026-11-23T00:00:11.000Z',
    why: 'lists and ranges',
  },
  {
    schedule: '0 0 0 13 * 5',
    after: '2026-01-01T00:00:00Z',
    next: '2026-02-13T00:00:00.000Z',
    why: 'day AND weekday both restrict (Friday the 13th)',
  },
  {
    schedule: '00:00:30',
    after: '2026-11-23T09:00:00.400Z',
    next: '2026-11-23T09:00:30.000Z',
    why: 'a TimeSpan interval',
  },
  {
    schedule: '1.00:00:00',
    after: '2026-11-23T09:00:00Z',
    next: '2026-11-24T09:00:00.000Z',
    why: 'a TimeSpan of days',
  },
];

for (const c of cases) {
  test(`the schedule "${c.schedule}" next fires at ${c.next} (${c.why})`, () => {
    assert.equal(parseSchedule(c.schedule).nextOccurrence(new Date(c.after)).toISOString(), c.next);
  });
}

const invalid: { schedule: string; message: RegExp }[] = [
  { schedule: '0 */5 * * *', message: /expected 6 fields .* received 5/ },
  { schedule: '60 * * * * *', message: /the second field expects 0-59, received "60"/ },
  { schedule: '0 0 25 * * *', message: /the hour field expects 0-23, received "25"/ },
  { schedule: '0 0 0 * Foo *', message: /the month field expects 1-12 or a name, received "Foo"/ },
  { schedule: '0 0 0 * * 7', message: /the day-of-week field expects 0-6 or a name, received "7"/ },
  { schedule: '*/0 * * * * *', message: /step "0"/ },
  { schedule: '0 0 0 10-2 * *', message: /runs backwards/ },
];

for (const c of invalid) {
  test(`the schedule "${c.schedule}" is rejected with a message naming the field`, () => {
    assert.throws(
      () => parseSchedule(c.schedule),
      (error: unknown) => error instanceof ScheduleError && c.message.test(error.message),
    );
  });
}

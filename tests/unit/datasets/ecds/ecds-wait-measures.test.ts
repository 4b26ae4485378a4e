import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timestampMillis } from '../../../../shared/domain/datasets/contract-engine.js';
import {
  ecdsWaitMeasures,
  FOUR_HOUR_STANDARD_MINS,
  TWELVE_HOURS_MINS,
} from '../../../../shared/domain/datasets/ecds/ecds-wait-measures.js';

interface Case {
  readonly name: string;
  readonly arrival: string | null;
  readonly departure: string | null;
  readonly duration: number | null;
  readonly within4: boolean | null;
  readonly over12: boolean | null;
}

const CASES: readonly Case[] = [
  {
    name: 'exactly 240 minutes is not within 4 hours (the standard is duration < 240)',
    arrival: '2026-09-01T08:00:00.000+01:00',
    departure: '2026-09-01T12:00:00.000+01:00',
    duration: 240,
    within4: false,
    over12: false,
  },
  {
    name: '240 minutes and 1 second is 240 whole minutes: not within 4 hours',
    arrival: '2026-09-01T08:00:00.000+01:00',
    departure: '2026-09-01T12:00:01.000+01:00',
    duration: 240,
    within4: false,
    over12: false,
  },
  {
    name: '239 minutes 59.999 seconds is 239 whole minutes: within 4 hours',
    arrival: '2026-09-01T08:00:00.000+01:00',
    departure: '2026-09-01T11:59:59.999+01:00',
    duration: 239,
    within4: true,
    over12: false,
  },
  {
    name: 'a stay across midnight counts the minutes on both days',
    arrival: '2026-09-01T23:10:00.000+01:00',
    departure: '2026-09-02T02:40:00.000+01:00',
    duration: 210,
    within4: true,
    over12: false,
  },
  {
    name: 'across the spring clock change (01:00 GMT → 02:00 BST) 4 wall-clock hours are 3 elapsed hours',
    arrival: '2026-03-29T00:30:00.000+00:00',
    departure: '2026-03-29T04:30:00.000+01:00',
    duration: 180,
    within4: true,
    over12: false,
  },
  {
    name: 'across the autumn clock change (02:00 BST → 01:00 GMT) 4 wall-clock hours are 5 elapsed hours',
    arrival: '2026-10-25T00:30:00.000+01:00',
    departure: '2026-10-25T04:30:00.000+00:00',
    duration: 300,
    within4: false,
    over12: false,
  },
  {
    name: 'exactly 720 minutes is not over 12 hours',
    arrival: '2026-09-01T08:00:00.000+01:00',
    departure: '2026-09-01T20:00:00.000+01:00',
    duration: 720,
    within4: false,
    over12: false,
  },
  {
    name: '720 minutes and 59 seconds is still 720 whole minutes: not over 12 hours',
    arrival: '2026-09-01T08:00:00.000+01:00',
    departure: '2026-09-01T20:00:59.000+01:00',
    duration: 720,
    within4: false,
    over12: false,
  },
  {
    name: '721 minutes is over 12 hours',
    arrival: '2026-09-01T08:00:00.000+01:00',
    departure: '2026-09-01T20:01:00.000+01:00',
    duration: 721,
    within4: false,
    over12: true,
  },
  {
    name: 'departure at the arrival instant is 0 minutes, within 4 hours',
    arrival: '2026-09-01T08:00:00.000+01:00',
    departure: '2026-09-01T07:00:00.000Z',
    duration: 0,
    within4: true,
    over12: false,
  },
  {
    name: 'a missing departure gives no measures',
    arrival: '2026-09-01T08:00:00.000+01:00',
    departure: null,
    duration: null,
    within4: null,
    over12: null,
  },
  {
    name: 'a missing arrival gives no measures',
    arrival: null,
    departure: '2026-09-01T08:00:00.000+01:00',
    duration: null,
    within4: null,
    over12: null,
  },
  {
    name: 'a departure before the arrival gives no measures (the contract quarantines the row)',
    arrival: '2026-09-01T08:00:00.000+01:00',
    departure: '2026-09-01T07:59:59.000+01:00',
    duration: null,
    within4: null,
    over12: null,
  },
  {
    name: 'a departure that is not a timestamp gives no measures',
    arrival: '2026-09-01T08:00:00.000+01:00',
    departure: '2026-09-01 12:00',
    duration: null,
    within4: null,
    over12: null,
  },
];

for (const c of CASES)
  test(`ECDS wait measures: ${c.name}`, () => {
    assert.deepEqual(ecdsWaitMeasures(c.arrival, c.departure), {
      durationMins: c.duration,
      within4Hours: c.within4,
      over12Hours: c.over12,
    });
  });

/** An instant written with another offset ('+HH:MM'), the same moment. */
function withOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

test('the measures depend only on the two instants, whatever offsets they are written with, and agree with the thresholds', () => {
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const base = timestampMillis('2026-03-28T18:00:00.000Z');
  for (let i = 0; i < 2000; i++) {
    const arrival = base + Math.floor(next() * 3 * 86_400_000);
    const stayMs = Math.floor(next() * 16 * 3_600_000);
    const departure = arrival + stayMs;
    const offsets = [0, 60, -300, 330];
    const a = offsets[Math.floor(next() * offsets.length)] ?? 0;
    const d = offsets[Math.floor(next() * offsets.length)] ?? 0;
    const m = ecdsWaitMeasures(withOffset(arrival, a), withOffset(departure, d));
    const minutes = Math.floor(stayMs / 60_000);
    assert.equal(m.durationMins, minutes, `stay of ${stayMs} ms`);
    assert.equal(m.within4Hours, minutes < FOUR_HOUR_STANDARD_MINS);
    assert.equal(m.over12Hours, minutes > TWELVE_HOURS_MINS);
  }
});

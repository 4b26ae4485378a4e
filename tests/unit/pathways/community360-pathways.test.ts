import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FACT_AE_PATHWAY_COLUMNS,
  FACT_COMMUNITY_CASELOAD_COLUMNS,
  community360PathwayFacts,
} from '../../../shared/domain/pathways/community360-pathways.js';
import { dayNumber, isoDate } from '../../../shared/domain/pathways/pathway-time.js';

const ARRIVAL = '2026-03-10T23:30:00.000+01:00'; // local date 2026-03-10 (UTC 22:30)
const plus = (days: number) => isoDate(dayNumber('2026-03-10')! + days);
const attendance = (id = 'A1', person: string | null = 'P1', arrival = ARRIVAL) => ({
  attendance_id: id,
  person_id: person,
  link_quality: person ? 'deterministic' : 'unlinked',
  provider_code: 'RRK',
  arrival_at: arrival,
});
const imaging = (day: number, person = 'P1') => ({
  imaging_test_id: `T${day}`,
  person_id: person,
  test_date: plus(day),
});
const referral = (
  received: string,
  discharged: string | null = null,
  person: string | null = 'P1',
  id = `R${received}`,
  team = 'A01',
) => ({
  referral_id: id,
  person_id: person,
  provider_code: 'RYW',
  team_type: team,
  referral_received_date: received,
  service_discharge_date: discharged,
});

const imagingCases = [
  ['imaging on day 7 counts', 7, true],
  ['imaging on day 8 does not count', 8, false],
  ['imaging on the attendance day counts', 0, true],
  ['imaging the day before does not count', -1, false],
] as const;
for (const [name, day, expected] of imagingCases) {
  test(`A&E → imaging window: ${name}`, () => {
    const facts = community360PathwayFacts({
      attendances: [attendance()],
      imagingTests: [imaging(day)],
      communityReferrals: [],
    });
    assert.equal(facts.aePathway[0]!.imaged_within_7d, expected);
    assert.equal(facts.funnel.imagedWithin7d, expected ? 1 : 0);
  });
}

const referralCases = [
  ['a community referral on day 30 counts', 30, true],
  ['a community referral on day 31 does not count', 31, false],
] as const;
for (const [name, day, expected] of referralCases) {
  test(`A&E → community referral window: ${name}`, () => {
    const facts = community360PathwayFacts({
      attendances: [attendance()],
      imagingTests: [],
      communityReferrals: [referral(plus(day))],
    });
    assert.equal(facts.aePathway[0]!.referred_within_30d, expected);
  });
}

test('the window uses the local arrival date, not the UTC date', () => {
  // 23:30 +01:00 on 10 March is 22:30 UTC the same day; 00:30 +01:00 on 11 March is 23:30 UTC on 10 March.
  const late = attendance('A2', 'P1', '2026-03-11T00:30:00.000+01:00');
  const facts = community360PathwayFacts({
    attendances: [late],
    imagingTests: [imaging(8)],
    communityReferrals: [],
  });
  assert.equal(facts.aePathway[0]!.arrival_date, '2026-03-11');
  assert.equal(facts.aePathway[0]!.days_to_imaging, 7);
});

test('the funnel counts attendances, imaged within 7 days, then referred within 30 days, and the referral share', () => {
  const facts = community360PathwayFacts({
    attendances: [
      attendance('A1', 'P1'),
      attendance('A2', 'P2'),
      attendance('A3', 'P3'),
      attendance('A4', null),
    ],
    imagingTests: [imaging(2, 'P1'), imaging(3, 'P2')],
    communityReferrals: [referral(plus(20), null, 'P1'), referral(plus(10), null, 'P3')],
  });
  assert.deepEqual(facts.funnel, {
    attendances: 4,
    imagedWithin7d: 2,
    imagedThenReferredWithin30d: 1,
    referredWithin30d: 2,
    percentReferredToCommunity: 50,
  });
  assert.deepEqual(
    Object.keys(facts.aePathway[0]!),
    FACT_AE_PATHWAY_COLUMNS.map((c) => c.name),
  );
  assert.equal(facts.aePathway[3]!.person_id, null);
});

test('caseload counts referrals open at each month end; a discharge on the last day still counts as open', () => {
  const facts = community360PathwayFacts({
    attendances: [],
    imagingTests: [],
    communityReferrals: [
      referral('2026-01-15', '2026-02-28', 'P1', 'R1'), // open end Jan, end Feb (discharged on the last day)
      referral('2026-01-31', '2026-02-27', 'P2', 'R2'), // open end Jan only
      referral('2026-02-01', null, 'P3', 'R3'), // open from end Feb on
    ],
    caseloadUntil: '2026-04-30',
  });
  assert.deepEqual(
    facts.communityCaseload.map((r) => [
      r.period,
      r.open_referrals,
      r.people,
      r.referrals_received,
      r.referrals_discharged,
    ]),
    [
      ['2026-01', 2, 2, 2, 0],
      ['2026-02', 2, 2, 1, 2],
      ['2026-03', 1, 1, 0, 0],
      ['2026-04', 1, 1, 0, 0],
    ],
  );
  assert.equal(facts.communityCaseload[0]!.period_end_date, '2026-01-31');
  assert.deepEqual(
    Object.keys(facts.communityCaseload[0]!),
    FACT_COMMUNITY_CASELOAD_COLUMNS.map((c) => c.name),
  );
});

test('one person with two overlapping referrals to one team is one person in the caseload', () => {
  const facts = community360PathwayFacts({
    attendances: [],
    imagingTests: [],
    communityReferrals: [
      referral('2026-01-05', '2026-03-10', 'P1', 'R1'),
      referral('2026-02-05', null, 'P1', 'R2'),
      referral('2026-02-06', null, null, 'R3'), // unlinked: a person of its own
    ],
    caseloadUntil: '2026-03-31',
  });
  assert.deepEqual(
    facts.communityCaseload.map((r) => [r.period, r.open_referrals, r.people]),
    [
      ['2026-01', 1, 1],
      ['2026-02', 3, 2],
      ['2026-03', 2, 2],
    ],
  );
});

test('caseload is split by provider and team type', () => {
  const facts = community360PathwayFacts({
    attendances: [],
    imagingTests: [],
    communityReferrals: [
      referral('2026-01-05', null, 'P1', 'R1', 'A01'),
      referral('2026-01-06', null, 'P1', 'R2', 'B02'),
    ],
    caseloadUntil: '2026-01-31',
  });
  assert.deepEqual(
    facts.communityCaseload.map((r) => [r.team_type, r.open_referrals, r.people]),
    [
      ['A01', 1, 1],
      ['B02', 1, 1],
    ],
  );
});

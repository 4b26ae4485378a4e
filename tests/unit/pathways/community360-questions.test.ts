import assert from 'node:assert/strict';
import { test } from 'node:test';
import { community360PathwayFacts } from '../../../shared/domain/pathways/community360-pathways.js';
import { dayNumber, isoDate } from '../../../shared/domain/pathways/pathway-time.js';

// The Community 360 questions added to the pathway facts: the funnel's steps in time order,
// frequent A&E attenders over a 12-month window, and the caseload under a successor trust.

const ARRIVAL = '2026-03-10';
const day = (plus: number, from = ARRIVAL) => isoDate(dayNumber(from)! + plus);
const attendance = (id: string, plus = 0, person = 'P1', provider = 'RRK') => ({
  attendance_id: id,
  person_id: person,
  link_quality: 'deterministic',
  provider_code: provider,
  arrival_at: `${day(plus)}T10:00:00+00:00`,
});
const imaging = (plus: number, person = 'P1') => ({
  person_id: person,
  imaging_test_id: `I${plus}`,
  test_date: day(plus),
});
const referral = (plus: number, person = 'P1', provider = 'RY4') => ({
  person_id: person,
  referral_id: `C${plus}`,
  provider_code: provider,
  team_type: 'A01',
  referral_received_date: day(plus),
  service_discharge_date: null,
});

for (const [what, imagedOn, referredOn, imaged, thenReferred, referred] of [
  ['imaging on day 2 then a referral on day 20', 2, 20, true, true, true],
  ['imaging and referral on the same day 3', 3, 3, true, true, true],
  ['a referral on day 1 before the imaging on day 5', 5, 1, true, false, true],
  ['imaging on day 8 (outside 7 days), referral on day 9', 8, 9, false, false, true],
  ['imaging on day 7, referral on day 31', 7, 31, true, false, false],
] as const)
  test(`funnel in time order: ${what}`, () => {
    const f = community360PathwayFacts({
      attendances: [attendance('A1')],
      imagingTests: [imaging(imagedOn)],
      communityReferrals: [referral(referredOn)],
    });
    const row = f.aePathway[0]!;
    assert.deepEqual(
      [row.imaged_within_7d, row.imaged_then_referred, row.referred_within_30d],
      [imaged, thenReferred, referred],
    );
    assert.equal(f.funnel.imagedThenReferredWithin30d, thenReferred ? 1 : 0);
  });

test('a frequent attender is flagged from the attendance that makes N in the 12 months ending with it', () => {
  // Days 0, 100, 200 and 364: the 4th is within 365 days of the 1st; day 400 drops day 0 out.
  const f = community360PathwayFacts({
    attendances: [0, 100, 200, 364, 400].map((d, i) => attendance(`A${i}`, d)),
    imagingTests: [],
    communityReferrals: [],
    frequentAttenderMin: 4,
  });
  assert.deepEqual(
    f.aePathway.map((r) => r.frequent_attender),
    [false, false, false, true, true],
  );
  assert.deepEqual(f.frequentAttenders, [
    {
      person_id: 'P1',
      link_quality: 'deterministic',
      provider_code: 'RRK',
      first_flagged_date: day(364),
      first_flagged_period: day(364).slice(0, 7),
      attendances: 5,
      max_attendances_12m: 4,
    },
  ]);
});

test('attendances a full year apart never make a frequent attender, and other people never add up', () => {
  const f = community360PathwayFacts({
    attendances: [
      attendance('A1', 0),
      attendance('A2', 365),
      attendance('A3', 730),
      attendance('B1', 1, 'P2'),
      attendance('B2', 2, 'P3'),
    ],
    imagingTests: [],
    communityReferrals: [],
    frequentAttenderMin: 2,
  });
  assert.deepEqual(f.frequentAttenders, []);
  assert.ok(f.aePathway.every((r) => r.frequent_attender === false));
});

test("a merged community trust's caseload appears under its successor", () => {
  const f = community360PathwayFacts({
    attendances: [],
    imagingTests: [],
    communityReferrals: [referral(0, 'P1', 'RY4'), referral(0, 'P2', 'RYX')],
    caseloadUntil: '2026-03-31',
    organisationRollUp: (code) => (code === 'RYX' ? 'RY4' : code),
  });
  assert.deepEqual(
    f.communityCaseload.map((r) => [r.provider_code, r.period, r.open_referrals, r.people]),
    [['RY4', '2026-03', 2, 2]],
  );
});

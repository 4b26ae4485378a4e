import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FACT_ACTIVITY_TRUST_MONTH_COLUMNS,
  FACT_DISCHARGE_MH_REFERRAL_COLUMNS,
  FACT_SPELL_PRESCRIBING_COLUMNS,
  careflowPathwayFacts,
} from '../../../shared/domain/pathways/careflow-pathways.js';
import { dayNumber, isoDate } from '../../../shared/domain/pathways/pathway-time.js';

const DISCHARGE = '2026-03-05';
const plus = (days: number) => isoDate(dayNumber(DISCHARGE)! + days);

const episode = (o: Record<string, string | number | null> = {}) => ({
  person_id: 'P1',
  link_quality: 'deterministic',
  provider_code: 'RRK',
  hospital_provider_spell_number: 'S1',
  episode_number: 1,
  admission_date: '2026-03-01',
  admission_method: '21',
  episode_start_date: '2026-03-01',
  discharge_date: DISCHARGE,
  discharge_method: '1',
  ...o,
});
const rx = (day: number, nic: string, person = 'P1', items = 1) => ({
  person_id: person,
  item_id: `I${day}`,
  dispensing_date: plus(day),
  nic_gbp: nic,
  items,
});
const mh = (day: number, person = 'P1', id = `R${day}`) => ({
  person_id: person,
  referral_id: id,
  provider_code: 'RXT',
  referral_received_date: plus(day),
});

const prescribingCases = [
  ['a prescription on the discharge day counts (day 0)', [0], 1],
  ['a prescription on day 90 counts', [90], 1],
  ['a prescription on day 91 does not count', [91], 0],
  ['a prescription the day before discharge does not count', [-1], 0],
  ['days 1, 45, 90 and 91', [1, 45, 90, 91], 3],
] as const;
for (const [name, days, expected] of prescribingCases) {
  test(`prescribing burden window: ${name}`, () => {
    const facts = careflowPathwayFacts({
      apcEpisodes: [episode()],
      prescriptions: days.map((d) => rx(d, '10.05')),
      mhReferrals: [],
    });
    assert.equal(facts.spellPrescribing.length, 1);
    assert.equal(facts.spellPrescribing[0]!.prescriptions_90d, expected);
  });
}

test('the prescribing burden sums NIC exactly in pence and items', () => {
  const facts = careflowPathwayFacts({
    apcEpisodes: [episode()],
    prescriptions: [rx(1, '0.10'), rx(2, '0.20', 'P1', 2), rx(3, '1234.56'), rx(4, '99.99', 'P2')],
    mhReferrals: [],
  });
  const f = facts.spellPrescribing[0]!;
  assert.equal(f.nic_90d_gbp, '1234.86');
  assert.equal(f.items_90d, 4);
  assert.equal(f.spell_key, 'RRK|S1');
});

const mhCases = [
  ['a referral on day 30 counts', [30], true, 30],
  ['a referral on day 31 does not count', [31], false, null],
  ['a referral on the discharge day counts', [0], true, 0],
  ['a referral before discharge does not count', [-3], false, null],
  ['the first referral in the window is the one reported', [12, 5], true, 5],
] as const;
for (const [name, days, referred, daysTo] of mhCases) {
  test(`emergency discharge → MH referral window: ${name}`, () => {
    const facts = careflowPathwayFacts({
      apcEpisodes: [episode()],
      prescriptions: [],
      mhReferrals: days.map((d) => mh(d)),
    });
    assert.equal(facts.dischargeMhReferral.length, 1);
    assert.equal(facts.dischargeMhReferral[0]!.referred_within_30d, referred);
    assert.equal(facts.dischargeMhReferral[0]!.days_to_mh_referral, daysTo);
  });
}

test('elective spells, deaths and open spells have no discharge → MH referral fact', () => {
  const facts = careflowPathwayFacts({
    apcEpisodes: [
      episode({ hospital_provider_spell_number: 'ELECTIVE', admission_method: '11' }),
      episode({ hospital_provider_spell_number: 'DIED', discharge_method: '4' }),
      episode({ hospital_provider_spell_number: 'OPEN', discharge_date: null }),
      episode({ hospital_provider_spell_number: 'EMERGENCY' }),
    ],
    prescriptions: [],
    mhReferrals: [mh(3)],
  });
  assert.deepEqual(
    facts.dischargeMhReferral.map((f) => f.spell_key),
    ['RRK|EMERGENCY'],
  );
  assert.equal(facts.spellPrescribing.length, 3, 'every discharged spell has a prescribing fact');
});

test('a spell of several episodes takes the admission method of episode 1 and the last discharge', () => {
  const facts = careflowPathwayFacts({
    apcEpisodes: [
      episode({
        episode_number: 2,
        admission_method: '11',
        episode_start_date: '2026-03-03',
        discharge_date: DISCHARGE,
      }),
      episode({ episode_number: 1, admission_method: '21', discharge_date: null }),
    ],
    prescriptions: [],
    mhReferrals: [],
  });
  assert.equal(facts.spellPrescribing.length, 1);
  assert.equal(facts.spellPrescribing[0]!.admission_method, '21');
  assert.equal(facts.spellPrescribing[0]!.discharge_date, DISCHARGE);
  assert.equal(facts.dischargeMhReferral.length, 1);
});

test('another person’s prescriptions and referrals never count, and unlinked spells have no pathway', () => {
  const facts = careflowPathwayFacts({
    apcEpisodes: [episode(), episode({ person_id: null, hospital_provider_spell_number: 'S2' })],
    prescriptions: [rx(1, '5.00', 'P2')],
    mhReferrals: [mh(1, 'P2')],
  });
  assert.equal(facts.spellPrescribing.length, 1);
  assert.equal(facts.spellPrescribing[0]!.prescriptions_90d, 0);
  assert.equal(facts.dischargeMhReferral[0]!.referred_within_30d, false);
});

test('activity by trust and month counts spells by admission month, episodes, MH referrals and persons', () => {
  const facts = careflowPathwayFacts({
    apcEpisodes: [
      episode(),
      episode({ episode_number: 2, episode_start_date: '2026-03-03' }),
      episode({
        hospital_provider_spell_number: 'S2',
        person_id: 'P2',
        admission_method: '11',
        admission_date: '2026-04-02',
        episode_start_date: '2026-04-02',
      }),
    ],
    prescriptions: [],
    mhReferrals: [mh(1)],
  });
  assert.deepEqual(facts.activityByTrustMonth, [
    {
      provider_code: 'RRK',
      period: '2026-03',
      spells_admitted: 1,
      emergency_spells_admitted: 1,
      episodes_started: 2,
      mh_referrals_received: 0,
      persons: 1,
      spells_discharged: 2,
      spell_cost_gbp: '0.00',
    },
    {
      provider_code: 'RRK',
      period: '2026-04',
      spells_admitted: 1,
      emergency_spells_admitted: 0,
      episodes_started: 1,
      mh_referrals_received: 0,
      persons: 1,
      spells_discharged: 0,
      spell_cost_gbp: '0.00',
    },
    {
      provider_code: 'RXT',
      period: '2026-03',
      spells_admitted: 0,
      emergency_spells_admitted: 0,
      episodes_started: 0,
      mh_referrals_received: 1,
      persons: 1,
      spells_discharged: 0,
      spell_cost_gbp: '0.00',
    },
  ]);
});

test('fact rows have exactly the exported columns', () => {
  const facts = careflowPathwayFacts({
    apcEpisodes: [episode()],
    prescriptions: [rx(1, '1.00')],
    mhReferrals: [mh(1)],
  });
  assert.deepEqual(
    Object.keys(facts.spellPrescribing[0]!),
    FACT_SPELL_PRESCRIBING_COLUMNS.map((c) => c.name),
  );
  assert.deepEqual(
    Object.keys(facts.dischargeMhReferral[0]!),
    FACT_DISCHARGE_MH_REFERRAL_COLUMNS.map((c) => c.name),
  );
  assert.deepEqual(
    Object.keys(facts.activityByTrustMonth[0]!),
    FACT_ACTIVITY_TRUST_MONTH_COLUMNS.map((c) => c.name),
  );
});

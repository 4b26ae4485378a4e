import assert from 'node:assert/strict';
import { test } from 'node:test';
import { careflowPathwayFacts } from '../../../shared/domain/pathways/careflow-pathways.js';
import { dayNumber, isoDate } from '../../../shared/domain/pathways/pathway-time.js';

// The CareFlow questions added to the pathway facts: spell cost counted once per spell, merged
// trusts under their successor, high-cost spells (threshold or top decile) with their prescribing
// burden, and 30-day emergency readmissions. Hand-built rows; docs/marts.md has the definitions.

const day = (iso: string, plus: number) => isoDate(dayNumber(iso)! + plus);

/** One spell with `episodes` episodes, and its sus_apc_spell row carrying the price once. */
function spell(
  n: number,
  o: {
    person?: string;
    provider?: string;
    admitted?: string;
    discharged?: string | null;
    method?: string;
    dischargeMethod?: string;
    tariff?: string | null;
    episodes?: number;
  } = {},
) {
  const provider = o.provider ?? 'RRK';
  const admitted = o.admitted ?? '2026-03-01';
  const discharged = o.discharged === undefined ? day(admitted, 4) : o.discharged;
  const episodes = Array.from({ length: o.episodes ?? 1 }, (_, i) => ({
    person_id: o.person ?? `P${n}`,
    link_quality: 'deterministic',
    provider_code: provider,
    hospital_provider_spell_number: `S${n}`,
    episode_number: i + 1,
    admission_date: admitted,
    admission_method: o.method ?? '21',
    episode_start_date: day(admitted, i),
    discharge_date: i === (o.episodes ?? 1) - 1 ? discharged : null,
    discharge_method: i === (o.episodes ?? 1) - 1 ? (o.dischargeMethod ?? '1') : '8',
  }));
  const row = {
    person_id: o.person ?? `P${n}`,
    link_quality: 'deterministic',
    provider_code: provider,
    hospital_provider_spell_number: `S${n}`,
    tariff_gbp: o.tariff === undefined ? '1000.00' : o.tariff,
  };
  return { episodes, row };
}

function facts(
  spells: ReturnType<typeof spell>[],
  extra: Partial<Parameters<typeof careflowPathwayFacts>[0]> = {},
) {
  return careflowPathwayFacts({
    apcEpisodes: spells.flatMap((s) => s.episodes),
    apcSpells: spells.map((s) => s.row),
    prescriptions: [],
    mhReferrals: [],
    ...extra,
  });
}

test('spell cost is counted once per spell, however many episodes it has, in its discharge month', () => {
  const f = facts([
    spell(1, { episodes: 3, tariff: '2500.10' }),
    spell(2, { episodes: 1, tariff: '99.90' }),
    spell(3, { discharged: null, tariff: null }),
  ]);
  const march = f.activityByTrustMonth.find((r) => r.period === '2026-03');
  assert.equal(march?.spell_cost_gbp, '2600.00');
  assert.equal(march?.spells_discharged, 2, 'an open spell is not discharged');
  assert.equal(march?.spells_admitted, 3);
  assert.equal(march?.episodes_started, 5);
});

test("a merged trust's activity appears under its successor, and a person seen at both counts once", () => {
  const rollUp = (code: string) => (code === 'RQ3' ? 'RRK' : code);
  const f = facts(
    [spell(1, { provider: 'RQ3', person: 'P1' }), spell(2, { provider: 'RRK', person: 'P1' })],
    {
      organisationRollUp: rollUp,
    },
  );
  assert.deepEqual(
    f.activityByTrustMonth.map((r) => [
      r.provider_code,
      r.period,
      r.spells_admitted,
      r.persons,
      r.spell_cost_gbp,
    ]),
    [['RRK', '2026-03', 2, 1, '2000.00']],
  );
  // Row-level facts keep the provider that recorded the spell.
  assert.deepEqual(new Set(f.spellPrescribing.map((r) => r.provider_code)), new Set(['RQ3', 'RRK']));
});

test('a spell is high-cost above the threshold, or in the top decile of its trust-month (ceil(n/10), ties by key)', () => {
  const cheap = Array.from({ length: 11 }, (_, i) => spell(i + 10, { tariff: '100.00' }));
  const f = facts(
    [...cheap, spell(1, { tariff: '6000.00' }), spell(2, { tariff: '4999.99', provider: 'RQ3' })],
    {
      highCostThresholdGbp: 5000,
    },
  );
  const rows = f.highCostSpells.map((r) => [r.spell_key, r.above_threshold, r.top_decile_trust_month]);
  assert.deepEqual(rows, [
    // RQ3 has one priced spell: it is its own top decile, below the threshold.
    ['RQ3|S2', false, true],
    // RRK has 12 priced spells: the top 2 (ceil(12/10)); the second is a tie among £100 spells.
    ['RRK|S1', true, true],
    ['RRK|S10', false, true],
  ]);
});

test('a high-cost spell carries its 90-day prescribing burden', () => {
  const f = facts([spell(1, { tariff: '9000.00' })], {
    prescriptions: [
      { person_id: 'P1', dispensing_date: '2026-03-05', items: 2, nic_gbp: '10.50' },
      { person_id: 'P1', dispensing_date: day('2026-03-05', 91), items: 1, nic_gbp: '99.00' },
    ],
  });
  assert.equal(f.highCostSpells.length, 1);
  assert.deepEqual(
    [
      f.highCostSpells[0]!.prescriptions_90d,
      f.highCostSpells[0]!.items_90d,
      f.highCostSpells[0]!.nic_90d_gbp,
    ],
    [1, 2, '10.50'],
  );
});

// Readmission window from the discharge of spell 1 (discharged 2026-03-05).
for (const [what, offset, method, expected] of [
  ['an emergency admission on the discharge day (day 0)', 0, '21', 0],
  ['an emergency admission on day 30', 30, '21', 30],
  ['an emergency admission on day 31', 31, '21', null],
  ['an elective admission on day 3', 3, '11', null],
] as const)
  test(`30-day emergency readmission: ${what}`, () => {
    const f = facts([
      spell(1, { person: 'P1', method: '11' }),
      spell(2, { person: 'P1', admitted: day('2026-03-05', offset), method }),
    ]);
    const index = f.emergencyReadmissions.find((r) => r.spell_key === 'RRK|S1');
    assert.ok(index);
    assert.equal(index.days_to_readmission, expected);
    assert.equal(index.readmitted_within_30d, expected !== null);
    if (expected !== null) assert.equal(index.readmission_spell_key, 'RRK|S2');
  });

test('a same-day emergency spell is not its own readmission, and a death is no index discharge', () => {
  const f = facts([
    spell(1, { person: 'P1', admitted: '2026-03-01', discharged: '2026-03-01' }),
    spell(2, { person: 'P2', dischargeMethod: '4' }),
  ]);
  assert.deepEqual(
    f.emergencyReadmissions.map((r) => [r.spell_key, r.readmitted_within_30d]),
    [['RRK|S1', false]],
  );
});

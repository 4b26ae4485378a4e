import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SOURCE_TABLES,
  type SourceRow,
  type SourceTableName,
} from '../../../shared/domain/datasets/source-tables.js';
import { MemoryReferralIndex, type ReferralIndex } from '../../../shared/domain/validate/referral-index.js';
import { ALL_RULES } from '../../../shared/domain/validate/rules/rule-catalogue.js';
import { row, validate } from './validate-fixtures.js';

/** One rule exercised both ways: a batch where it fires on a given row and field, and one where it does not. */
interface RuleCase {
  readonly rule: string;
  readonly table: SourceTableName;
  readonly fires: { rows: SourceRow[]; index?: ReferralIndex; row: number; field: string };
  readonly passes: { rows: SourceRow[]; index?: ReferralIndex };
}

const spellEpisodes = (firstEpisodeEnd: string): SourceRow[] => [
  row('sus_apc_episode', {
    episode_id: 'EP1',
    episode_number: 1,
    episode_start_date: '2026-09-01',
    episode_end_date: firstEpisodeEnd,
    discharge_date: null,
    discharge_method: '8',
    discharge_destination: '98',
  }),
  row('sus_apc_episode', {
    episode_id: 'EP2',
    episode_number: 2,
    episode_start_date: '2026-09-03',
    episode_end_date: '2026-09-05',
    discharge_date: '2026-09-05',
  }),
];

const referralIndex = (table: 'mhsds_referral' | 'csds_referral', id: string, received: string) =>
  new MemoryReferralIndex().add(table, id, received);
const contactIndex = (table: 'mhsds_referral' | 'csds_referral', id: string, contactDate: string) =>
  new MemoryReferralIndex().addContactRows(table, [{ referral_id: id, contact_date: contactDate }]);

const PERSON_TABLES: readonly SourceTableName[] = [
  'sus_apc_episode',
  'prescribing_item',
  'mhsds_referral',
  'ecds_attendance',
  'csds_referral',
  'dids_imaging_test',
];
const KEY: Readonly<Record<SourceTableName, string>> = {
  sus_apc_spell: 'spell_id',
  sus_apc_episode: 'episode_id',
  prescribing_item: 'item_id',
  mhsds_referral: 'referral_id',
  mhsds_care_contact: 'care_contact_id',
  mhsds_cluster_assessment: 'assessment_id',
  mhsds_hospital_spell: 'hospital_spell_id',
  mhsds_ward_stay: 'ward_stay_id',
  ecds_attendance: 'attendance_id',
  csds_referral: 'referral_id',
  csds_care_contact: 'care_contact_id',
  dids_imaging_test: 'imaging_test_id',
};
const PREFIX: Readonly<Record<string, string>> = {
  sus_apc_spell: 'SUS',
  sus_apc_episode: 'SUS',
  prescribing_item: 'PRESCRIBING',
  mhsds_referral: 'MHSDS',
  mhsds_care_contact: 'MHSDS',
  mhsds_cluster_assessment: 'MHSDS',
  mhsds_hospital_spell: 'MHSDS',
  mhsds_ward_stay: 'MHSDS',
  ecds_attendance: 'ECDS',
  csds_referral: 'CSDS',
  csds_care_contact: 'CSDS',
  dids_imaging_test: 'DIDS',
};

const CASES: readonly RuleCase[] = [
  {
    rule: 'SUS.EPISODE_OUTSIDE_SPELL',
    table: 'sus_apc_episode',
    fires: { rows: spellEpisodes('2026-09-10'), row: 1, field: 'episode_end_date' },
    passes: { rows: spellEpisodes('2026-09-03') },
  },
  {
    rule: 'SUS.ADMISSION_METHOD_SOURCE_INCONSISTENT',
    table: 'sus_apc_episode',
    fires: { rows: [row('sus_apc_episode', { admission_source: '51' })], row: 1, field: 'admission_source' },
    passes: { rows: [row('sus_apc_episode', { admission_source: '19' })] },
  },
  {
    rule: 'SUS.DISCHARGE_DESTINATION.DEATH_MISMATCH',
    table: 'sus_apc_episode',
    fires: {
      rows: [row('sus_apc_episode', { discharge_method: '4' })],
      row: 1,
      field: 'discharge_destination',
    },
    passes: { rows: [row('sus_apc_episode', { discharge_method: '4', discharge_destination: '79' })] },
  },
  {
    rule: 'SUS.DISCHARGE_ON_EARLIER_EPISODE',
    table: 'sus_apc_episode',
    // Episode 1 carries the spell's discharge date as well as episode 2 (the last).
    fires: {
      rows: spellEpisodes('2026-09-03').map((r, i) =>
        i === 0
          ? { ...r, discharge_date: '2026-09-05', discharge_method: '1', discharge_destination: '19' }
          : r,
      ),
      row: 1,
      field: 'discharge_date',
    },
    passes: { rows: spellEpisodes('2026-09-03') },
  },
  {
    rule: 'SUS.SPELL_NOT_FOUND',
    table: 'sus_apc_episode',
    fires: {
      rows: [row('sus_apc_episode')],
      index: new MemoryReferralIndex(),
      row: 1,
      field: 'hospital_provider_spell_number',
    },
    passes: {
      rows: [row('sus_apc_episode')],
      index: new MemoryReferralIndex().addSpellRows([row('sus_apc_spell')]),
    },
  },
  {
    rule: 'SUS.SPELL_HRG_NOT_IN_YEAR',
    table: 'sus_apc_spell',
    fires: {
      rows: [
        row('sus_apc_spell', {
          admission_date: '2022-06-01',
          discharge_date: '2022-06-05',
          age_on_admission: 66,
        }),
      ],
      row: 1,
      field: 'spell_hrg',
    },
    passes: { rows: [row('sus_apc_spell')] },
  },
  {
    rule: 'SUS.TARIFF_MISMATCH',
    table: 'sus_apc_spell',
    fires: { rows: [row('sus_apc_spell', { tariff_gbp: '3900.00' })], row: 1, field: 'tariff_gbp' },
    // EB03E non-elective 2026/27 is 2563.00 in reference/hrg-tariffs.csv, × RRK's placeholder MFF
    // 1.02000 = 2614.26; 2563.00 (no MFF) is 2% off, within tolerance.
    passes: { rows: [row('sus_apc_spell', { tariff_gbp: '2563.00' })] },
  },
  {
    rule: 'ECDS.DISCHARGE_DESTINATION.MISSING',
    table: 'ecds_attendance',
    fires: {
      rows: [row('ecds_attendance', { discharge_destination: null })],
      row: 1,
      field: 'discharge_destination',
    },
    passes: { rows: [row('ecds_attendance')] },
  },
  ...(
    [
      ['ECDS.DURATION_MINS.NOT_DERIVED', 'duration_mins', 226],
      ['ECDS.WITHIN_4_HOURS.NOT_DERIVED', 'within_4_hours', false],
      ['ECDS.OVER_12_HOURS.NOT_DERIVED', 'over_12_hours', true],
    ] as const
  ).map(([rule, field, wrong]): RuleCase => ({
    rule,
    table: 'ecds_attendance',
    fires: { rows: [row('ecds_attendance', { [field]: wrong })], row: 1, field },
    passes: { rows: [row('ecds_attendance')] },
  })),
  {
    rule: 'ECDS.DECISION_TO_ADMIT_BEFORE_ASSESSMENT',
    table: 'ecds_attendance',
    fires: {
      rows: [row('ecds_attendance', { decision_to_admit_at: '2026-09-01T08:30:00.000+01:00' })],
      row: 1,
      field: 'decision_to_admit_at',
    },
    passes: { rows: [row('ecds_attendance')] },
  },
  {
    rule: 'DIDS.MODALITY.NICIP_MISMATCH',
    table: 'dids_imaging_test',
    fires: { rows: [row('dids_imaging_test', { modality: 'U' })], row: 1, field: 'modality' },
    passes: { rows: [row('dids_imaging_test')] },
  },
  {
    rule: 'DIDS.DERIVED_MODALITY.NOT_DERIVED',
    table: 'dids_imaging_test',
    fires: { rows: [row('dids_imaging_test', { derived_modality: 'M' })], row: 1, field: 'derived_modality' },
    passes: { rows: [row('dids_imaging_test')] },
  },
  ...(['mhsds_care_contact', 'mhsds_cluster_assessment'] as const).map((table): RuleCase => ({
    rule: 'MHSDS.REFERRAL_NOT_FOUND',
    table,
    fires: { rows: [row(table)], index: new MemoryReferralIndex(), row: 1, field: 'referral_id' },
    passes: { rows: [row(table)], index: referralIndex('mhsds_referral', 'MR000000001', '2026-09-10') },
  })),
  {
    rule: 'CSDS.REFERRAL_NOT_FOUND',
    table: 'csds_care_contact',
    fires: {
      rows: [row('csds_care_contact')],
      index: new MemoryReferralIndex(),
      row: 1,
      field: 'referral_id',
    },
    passes: {
      rows: [row('csds_care_contact')],
      index: referralIndex('csds_referral', 'CR000000001', '2026-09-10'),
    },
  },
  ...(
    [
      ['MHSDS', 'mhsds_referral', 'mhsds_care_contact', 'MR000000001'],
      ['CSDS', 'csds_referral', 'csds_care_contact', 'CR000000001'],
    ] as const
  ).flatMap(([prefix, referral, contact, id]): RuleCase[] => [
    {
      rule: `${prefix}.REFERRAL_AFTER_CONTACT`,
      table: contact,
      fires: {
        rows: [row(contact)],
        index: referralIndex(referral, id, '2026-09-20'),
        row: 1,
        field: 'contact_date',
      },
      passes: { rows: [row(contact)], index: referralIndex(referral, id, '2026-09-10') },
    },
    {
      rule: `${prefix}.REFERRAL_AFTER_CONTACT`,
      table: referral,
      fires: {
        rows: [row(referral)],
        index: contactIndex(referral, id, '2026-09-05'),
        row: 1,
        field: 'referral_received_date',
      },
      passes: { rows: [row(referral)], index: contactIndex(referral, id, '2026-09-12') },
    },
  ]),
  ...PERSON_TABLES.map((table): RuleCase => ({
    rule: `${PREFIX[table]}.MISSING_NHS_NUMBER`,
    table,
    fires: { rows: [row(table, { nhs_number: null })], row: 1, field: 'nhs_number' },
    passes: { rows: [row(table)] },
  })),
  ...PERSON_TABLES.map((table): RuleCase => ({
    rule: `${PREFIX[table]}.DATE_OF_BIRTH_IMPLAUSIBLE`,
    table,
    fires: { rows: [row(table, { date_of_birth: '1900-01-01' })], row: 1, field: 'date_of_birth' },
    passes: { rows: [row(table)] },
  })),
  ...(Object.keys(KEY) as SourceTableName[]).map((table): RuleCase => {
    const key = KEY[table];
    const index = referralIndex(
      table.startsWith('csds') ? 'csds_referral' : 'mhsds_referral',
      String(row(table)['referral_id']),
      '2026-09-01',
    );
    return {
      rule: `${PREFIX[table]}.DUPLICATE_ROW`,
      table,
      fires: {
        rows: [row(table, { [key]: 'K1' }), row(table, { [key]: 'K2' })],
        index,
        row: 2,
        field: key,
      },
      passes: {
        rows: [
          row(table, { [key]: 'K1' }),
          row(table, { [key]: 'K2', [SOURCE_TABLES[table].providerColumn]: 'RQ3' }),
        ],
        index,
      },
    };
  }),
];

const declared = new Map(ALL_RULES.map((r) => [r.id, r]));

test('every declared rule has a case that fires it and one that does not', () => {
  const covered = new Set(CASES.map((c) => c.rule));
  assert.deepEqual(
    [...declared.keys()].filter((id) => !covered.has(id)),
    [],
  );
  for (const c of CASES) assert.ok(declared.has(c.rule), `case for undeclared rule ${c.rule}`);
});

for (const c of CASES) {
  const rule = declared.get(c.rule);
  test(`${c.rule} fires on ${c.table} row ${c.fires.row} field ${c.fires.field}`, async () => {
    const result = await validate(
      c.table,
      c.fires.rows,
      c.fires.index ? { referralIndex: c.fires.index } : {},
    );
    const hits = result.records.filter((r) => r.rule === c.rule);
    assert.equal(
      hits.length,
      1,
      `expected one ${c.rule} failure, got ${JSON.stringify(result.records.map((r) => r.rule))}`,
    );
    const hit = hits[0]!;
    assert.equal(hit.row, c.fires.row);
    assert.equal(hit.field, c.fires.field);
    assert.equal(hit.severity, rule?.severity);
    assert.equal(hit.outcome, rule?.severity === 'reject' ? 'quarantined' : 'accepted');
    assert.match(hit.message, new RegExp(`${c.fires.field}`));
  });
  test(`${c.rule} does not fire on ${c.table} when the data agrees`, async () => {
    const result = await validate(
      c.table,
      c.passes.rows,
      c.passes.index ? { referralIndex: c.passes.index } : {},
    );
    assert.deepEqual(
      result.records.filter((r) => r.rule === c.rule),
      [],
    );
  });
}

test('clean rows of every table pass the contract and every rule (given their referral)', async () => {
  for (const table of Object.keys(KEY) as SourceTableName[]) {
    const id = row(table)['referral_id'];
    const index =
      typeof id === 'string'
        ? referralIndex(table.startsWith('csds') ? 'csds_referral' : 'mhsds_referral', id, '2026-09-01')
        : undefined;
    const result = await validate(table, [row(table)], index ? { referralIndex: index } : {});
    assert.deepEqual(result.records, [], table);
    assert.equal(result.counts.accepted, 1);
  }
});

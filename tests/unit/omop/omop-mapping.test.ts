import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OMOP_TABLES, omopDdl } from '../../../shared/domain/omop/omop-cdm-tables.js';
import { checkOmop } from '../../../shared/domain/omop/omop-checks.js';
import {
  buildOmop,
  estimatedYearOfBirth,
  OMOP_CONCEPTS,
  OPT_OUT_REASON,
  type GoldActivity,
  type GoldExtract,
} from '../../../shared/domain/omop/omop-mapping.js';
import { parseOmopVocabulary } from '../../../shared/domain/omop/omop-vocabulary.js';

// Hand-built gold: two members with activity, one with none that has an age band (left out), a
// spell of two episodes, an episode whose spell is not in gold, an attendance, a community contact
// and a prescription item; plus a contact of a member dim_patient does not hold.
const TOKEN_A = 'a1'.repeat(32);
const TOKEN_B = 'b2'.repeat(32);
const TOKEN_C = 'c3'.repeat(32);
const act = (
  key: string,
  token: string | null,
  date: string,
  ageBand: string | null = '45-54',
): GoldActivity => ({
  key,
  project: 'icb-research',
  patientToken: token,
  providerCode: 'RRK',
  activityDate: date,
  ageBand,
});
const GOLD: GoldExtract = {
  patients: [
    { project: 'icb-research', patientToken: TOKEN_B, sex: '2', ethnicCategory: 'A' },
    { project: 'icb-research', patientToken: TOKEN_A, sex: '1', ethnicCategory: 'M' },
    { project: 'icb-research', patientToken: TOKEN_C, sex: '9', ethnicCategory: null },
  ],
  spells: [
    {
      ...act('SLT000001', TOKEN_A, '2024-05-01'),
      spellNumber: 'SPT000001',
      dischargeDate: '2024-05-09',
      admissionSource: '19',
      dischargeDestination: '19',
    },
  ],
  episodes: [
    {
      ...act('EPT000001', TOKEN_A, '2024-05-01'),
      spellNumber: 'SPT000001',
      endDate: '2024-05-04',
      primaryDiagnosis: 'I219',
      primaryProcedure: 'K401',
    },
    {
      ...act('EPT000002', TOKEN_A, '2024-05-04'),
      spellNumber: 'SPT000001',
      endDate: '2024-05-09',
      primaryDiagnosis: 'J189',
      primaryProcedure: null,
    },
    {
      ...act('EPT000003', TOKEN_B, '2024-06-01'),
      spellNumber: 'SPT999999',
      endDate: '2024-06-02',
      primaryDiagnosis: 'E119',
      primaryProcedure: null,
    },
  ],
  attendances: [
    {
      ...act('ATT000001', TOKEN_B, '2024-07-10', '25-34'),
      chiefComplaint: '900000005',
      dischargeDestination: '306689006',
    },
  ],
  contacts: [
    act('CC000001', TOKEN_B, '2024-08-01', null),
    act('CC000002', 'ff'.repeat(32), '2024-08-02', null),
  ],
  prescriptions: [{ ...act('ITEM000001', TOKEN_A, '2024-09-15'), bnfCode: '0212000AAAAAIAI', quantity: 28 }],
  organisations: [{ code: 'RRK', name: 'University Hospitals Birmingham' }],
};
const vocabulary = () =>
  parseOmopVocabulary(
    readFileSync('tests/fixtures/omop-vocabulary/CONCEPT.csv', 'utf8'),
    readFileSync('tests/fixtures/omop-vocabulary/CONCEPT_RELATIONSHIP.csv', 'utf8'),
  );

test('every gold row is in OMOP or left out for a stated reason, and the checks pass', () => {
  const build = buildOmop(GOLD);
  const { tables } = build;
  assert.equal(tables.person.length, 2, 'the member with no activity has no year of birth: left out');
  assert.equal(tables.visit_occurrence.length, 1 + 1 + 1, 'a spell, an attendance, a contact');
  assert.deepEqual(
    tables.visit_occurrence.map((v) => v.visit_concept_id).sort(),
    [OMOP_CONCEPTS.inpatientVisit, OMOP_CONCEPTS.outpatientVisit, OMOP_CONCEPTS.emergencyRoomVisit].sort(),
  );
  assert.equal(tables.visit_detail.length, 2, 'the episode whose spell is not in gold is left out');
  const spell = tables.visit_occurrence.find((v) => v.visit_concept_id === OMOP_CONCEPTS.inpatientVisit);
  assert.ok(tables.visit_detail.every((d) => d.visit_occurrence_id === spell?.visit_occurrence_id));
  assert.deepEqual(tables.condition_occurrence.map((c) => c.condition_source_value).sort(), [
    '900000005',
    'I219',
    'J189',
  ]);
  assert.deepEqual(
    tables.procedure_occurrence.map((p) => p.procedure_source_value),
    ['K401'],
  );
  assert.deepEqual(
    tables.drug_exposure.map((d) => [d.drug_source_value, d.quantity]),
    [['0212000AAAAAIAI', 28]],
  );
  assert.equal(tables.care_site.length, 1);
  assert.equal(tables.provider.length, 0);
  const dropped = Object.fromEntries(build.accounts.map((a) => [a.source, a.dropped]));
  assert.deepEqual(dropped.fact_apc_episode, { 'spell not exported': 1 });
  assert.deepEqual(dropped.fact_csds_contact, { 'patient not in dim_patient': 1 });
  const counts = {
    dim_patient: 3,
    fact_apc_spell: 1,
    fact_apc_episode: 3,
    fact_ecds_attendance: 1,
    fact_csds_contact: 2,
    fact_prescribing: 1,
  };
  const checks = checkOmop(tables, build.accounts, counts);
  assert.deepEqual(
    checks.filter((c) => !c.passed),
    [],
  );
});

test('without a vocabulary every concept of a source code is 0 and the code is kept as the source value', () => {
  const { tables } = buildOmop(GOLD);
  for (const row of tables.condition_occurrence) {
    assert.equal(row.condition_concept_id, 0);
    assert.equal(row.condition_source_concept_id, 0);
  }
  for (const row of [...tables.procedure_occurrence, ...tables.drug_exposure]) {
    assert.equal(row.procedure_concept_id ?? row.drug_concept_id, 0);
  }
});

test('with a vocabulary, source codes map through a valid Maps to a standard concept, and no further', () => {
  const build = buildOmop(GOLD, vocabulary());
  const condition = (code: string) =>
    build.tables.condition_occurrence.find((c) => c.condition_source_value === code);
  assert.equal(
    condition('I219')?.condition_source_concept_id,
    900000001,
    'the dotless SUS code matches I21.9',
  );
  assert.equal(condition('I219')?.condition_concept_id, 900000002);
  assert.equal(condition('900000005')?.condition_concept_id, 900000005, 'a standard code is its own concept');
  assert.equal(condition('J189')?.condition_source_concept_id, 900000006);
  assert.equal(condition('J189')?.condition_concept_id, 0, 'a retired Maps to is not followed');
  assert.equal(build.tables.procedure_occurrence[0]?.procedure_concept_id, 900000004);
  assert.equal(build.tables.drug_exposure[0]?.drug_concept_id, 0, 'no BNF in the vocabulary');
  assert.deepEqual(build.mapped.ICD10, { mapped: 1, seen: 2 });
});

test('a vocabulary file without its Athena columns is refused with a coded error', () => {
  assert.throws(() => parseOmopVocabulary('concept_id,concept_code\n1,A\n', ''), { code: 'INPUT_INVALID' });
});

test('no identifier of the gold rows (pseudonym, record key, spell number) reaches any OMOP value', () => {
  const build = buildOmop(GOLD, vocabulary());
  const identifiers = [
    ...GOLD.patients.map((p) => p.patientToken),
    ...[...GOLD.spells, ...GOLD.episodes, ...GOLD.attendances, ...GOLD.contacts, ...GOLD.prescriptions].map(
      (r) => r.key,
    ),
    ...GOLD.spells.map((s) => s.spellNumber),
    ...GOLD.episodes.map((e) => e.spellNumber),
  ].filter((v): v is string => v !== null);
  for (const table of OMOP_TABLES)
    for (const row of build.tables[table.name])
      for (const value of Object.values(row))
        for (const id of identifiers)
          assert.ok(!String(value).includes(id), `${table.name} holds an identifier`);
  assert.ok(
    build.tables.person.every((p) => Number.isInteger(p.person_id) && p.person_source_value === null),
  );
});

test('ids are ordinals in gold key order: the same gold in any row order gives the same OMOP', () => {
  const reversed: GoldExtract = {
    ...GOLD,
    patients: [...GOLD.patients].reverse(),
    episodes: [...GOLD.episodes].reverse(),
    contacts: [...GOLD.contacts].reverse(),
  };
  assert.deepEqual(buildOmop(reversed).tables, buildOmop(GOLD).tables);
});

test('the estimated year of birth is within the age band on the activity date', () => {
  for (const [band, from, to] of [
    ['0-4', 0, 4],
    ['45-54', 45, 54],
    ['85+', 85, 125],
  ] as const) {
    const year = estimatedYearOfBirth(band, '2024-06-30');
    assert.ok(year !== null && 2024 - year >= from - 1 && 2024 - year <= to, `${band}: ${year}`);
  }
  assert.equal(estimatedYearOfBirth('unknown', '2024-06-30'), null);
});

test('the checks catch a duplicate key, an orphan foreign key, an event outside its period and a count off gold', () => {
  const build = buildOmop(GOLD);
  const t = build.tables;
  t.visit_occurrence.push({ ...t.visit_occurrence[0]!, person_id: 999 });
  t.drug_exposure[0]!.drug_exposure_start_date = '1990-01-01';
  const failed = checkOmop(t, build.accounts, { fact_apc_spell: 5 }).filter((c) => !c.passed);
  const kinds = new Set(failed.map((c) => `${c.check} ${c.table}${c.column ? `.${c.column}` : ''}`));
  for (const expected of [
    'isPrimaryKey visit_occurrence.visit_occurrence_id',
    'isForeignKey visit_occurrence.person_id',
    'withinObservationPeriod drug_exposure',
    'reconcilesWithGold fact_apc_spell',
    'reconcilesWithGold visit_occurrence',
  ])
    assert.ok(kinds.has(expected), `${expected} not reported: ${[...kinds].join('; ')}`);
});

test('a record withheld under the National Data Opt-out is left out, counted, and gives no year of birth', () => {
  const withheld: GoldExtract = {
    ...GOLD,
    // Patient B's every record is withheld: B is no person at all.
    episodes: GOLD.episodes.map((e) => (e.patientToken === TOKEN_B ? { ...e, withheld: true } : e)),
    attendances: GOLD.attendances.map((a) => ({ ...a, withheld: true })),
    contacts: GOLD.contacts.map((c) => (c.patientToken === TOKEN_B ? { ...c, withheld: true } : c)),
  };
  const build = buildOmop(withheld);
  assert.equal(build.tables.person.length, 1);
  const dropped = Object.fromEntries(build.accounts.map((a) => [a.source, a.dropped]));
  assert.equal(dropped.fact_ecds_attendance?.[OPT_OUT_REASON], 1);
  assert.equal(dropped.fact_apc_episode?.[OPT_OUT_REASON], 1);
  assert.equal(dropped.fact_csds_contact?.[OPT_OUT_REASON], 1);
  assert.ok(!build.tables.condition_occurrence.some((c) => c.condition_source_value === '900000005'));
  const counts = {
    dim_patient: 3,
    fact_apc_spell: 1,
    fact_apc_episode: 3,
    fact_ecds_attendance: 1,
    fact_csds_contact: 2,
    fact_prescribing: 1,
  };
  assert.deepEqual(
    checkOmop(build.tables, build.accounts, counts).filter((c) => !c.passed),
    [],
  );
});

test('a person without an observation period fails hasObservationPeriod', () => {
  const build = buildOmop(GOLD);
  build.tables.observation_period.pop();
  const failed = checkOmop(build.tables, build.accounts, {}).filter((c) => !c.passed);
  assert.ok(failed.some((c) => c.check === 'hasObservationPeriod' && c.violations === 1));
});

test('infra/omop/omop-cdm-v5.4.sql is the DDL of the declaration, with every declared column', () => {
  const ddl = readFileSync('infra/omop/omop-cdm-v5.4.sql', 'utf8');
  assert.equal(ddl, omopDdl(), 'regenerate infra/omop/omop-cdm-v5.4.sql from omopDdl()');
  for (const table of OMOP_TABLES)
    for (const column of table.columns) assert.match(ddl, new RegExp(`\\n  ${column.name} [A-Z]`));
});

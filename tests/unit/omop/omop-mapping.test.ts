import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OMOP_TABLES, omopDdl } from '../../../shared/domain/omop/omop-cdm-tables.js';
import { checkOmop, omopLeftOutLines } from '../../../shared/domain/omop/omop-checks.js';
import {
  buildOmop,
  estimatedYearOfBirth,
  LEFT_OUT,
  OMOP_CONCEPTS,
  OPT_OUT_REASON,
  type GoldActivity,
  type GoldExtract,
  type OmopBuild,
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
      // I219 again: one condition, the repeat counted.
      secondaryDiagnoses: 'E119,I10X,I219',
      primaryProcedure: 'K401',
      primaryProcedureDate: '2024-05-02',
      secondaryProcedures: 'Y531',
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
      secondaryDiagnoses: 'I10X',
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
  mhsdsContacts: [],
  imagingTests: [],
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
    'E119',
    'I10X',
    'I219',
    'J189',
  ]);
  assert.deepEqual(
    tables.procedure_occurrence.map((p) => p.procedure_source_value),
    ['K401', 'Y531'],
  );
  assert.deepEqual(
    tables.drug_exposure.map((d) => [d.drug_source_value, d.quantity]),
    [['0212000AAAAAIAI', 28]],
  );
  assert.equal(tables.care_site.length, 1);
  assert.equal(tables.provider.length, 0);
  const dropped = Object.fromEntries(build.accounts.filter((a) => !a.unit).map((a) => [a.source, a.dropped]));
  assert.deepEqual(dropped.fact_apc_episode, { 'spell not exported': 1 });
  const codes = build.accounts.find((a) => a.unit === 'diagnosis codes');
  assert.deepEqual(
    [codes?.read, codes?.dropped],
    [7, { 'spell not exported': 2, 'repeats a code of its episode': 1 }],
  );
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
  assert.deepEqual(build.mapped.ICD10, { mapped: 1, seen: 4 });
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
  const dropped = Object.fromEntries(build.accounts.filter((a) => !a.unit).map((a) => [a.source, a.dropped]));
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

/** The checks of a build against gold counts equal to the rows the build read (nothing lost in the read). */
const checksAgainstRead = (build: OmopBuild) =>
  checkOmop(
    build.tables,
    build.accounts,
    Object.fromEntries(build.accounts.filter((a) => !a.unit).map((a) => [a.source, a.read])),
  );
const failures = (build: OmopBuild) => checksAgainstRead(build).filter((c) => !c.passed);

test('every coded diagnosis of an episode is a condition, primary or secondary by its status concept, on the episode dates', () => {
  const { tables } = buildOmop(GOLD);
  const detail = tables.visit_detail.find((d) => d.visit_detail_start_date === '2024-05-01');
  const ofEpisode = tables.condition_occurrence.filter((c) => c.visit_detail_id === detail?.visit_detail_id);
  assert.deepEqual(
    ofEpisode.map((c) => [
      c.condition_source_value,
      c.condition_status_concept_id,
      c.condition_status_source_value,
    ]),
    [
      ['I219', OMOP_CONCEPTS.primaryDiagnosis, 'primary diagnosis'],
      ['E119', OMOP_CONCEPTS.secondaryDiagnosis, 'secondary diagnosis'],
      ['I10X', OMOP_CONCEPTS.secondaryDiagnosis, 'secondary diagnosis'],
    ],
    'the repeated I219 is one condition',
  );
  for (const c of ofEpisode) {
    assert.equal(c.condition_start_date, '2024-05-01');
    assert.equal(c.condition_end_date, '2024-05-04');
    assert.equal(c.condition_type_concept_id, OMOP_CONCEPTS.ehr);
    assert.equal(c.visit_occurrence_id, detail?.visit_occurrence_id);
  }
  const complaint = tables.condition_occurrence.find((c) => c.condition_source_value === '900000005');
  assert.equal(complaint?.condition_status_concept_id, null, 'a chief complaint is no diagnosis');
});

test('every OPCS-4 procedure of an episode is a procedure in its episode: the primary on its date, the secondaries on the episode start', () => {
  const { tables } = buildOmop(GOLD);
  assert.deepEqual(
    tables.procedure_occurrence.map((p) => [p.procedure_source_value, p.procedure_date]),
    [
      ['K401', '2024-05-02'],
      ['Y531', '2024-05-01'],
    ],
  );
  const detail = tables.visit_detail[0];
  for (const p of tables.procedure_occurrence) {
    assert.equal(p.visit_detail_id, detail?.visit_detail_id);
    assert.equal(p.visit_occurrence_id, detail?.visit_occurrence_id);
  }
  assert.deepEqual(failures(buildOmop(GOLD)), []);
});

// Mental health contacts and imaging tests of members A and B, beside GOLD's spell (A, RRK,
// 2024-05-01 to 05-09) and attendance (B, RRK, 2024-07-10).
const MH_DIDS: GoldExtract = {
  ...GOLD,
  mhsdsContacts: [
    { ...act('MHC000001', TOKEN_B, '2024-08-03', null), attendOrDna: '5' },
    { ...act('MHC000002', TOKEN_B, '2024-08-10', null), attendOrDna: '3' },
    { ...act('MHC000003', TOKEN_B, '2024-08-17', null), attendOrDna: null },
  ],
  imagingTests: [
    {
      ...act('DIT000001', TOKEN_A, '2024-05-03'),
      nicipCode: 'CCHAPC',
      snomedCode: null,
      patientSourceSetting: '01',
    },
    {
      ...act('DIT000002', TOKEN_B, '2024-07-10'),
      nicipCode: null,
      snomedCode: '900000004',
      patientSourceSetting: '05',
    },
    {
      ...act('DIT000003', TOKEN_A, '2024-10-01'),
      nicipCode: 'XCHES',
      snomedCode: null,
      patientSourceSetting: '04',
    },
    {
      ...act('DIT000004', TOKEN_A, '2024-10-02'),
      nicipCode: null,
      snomedCode: null,
      patientSourceSetting: '03',
    },
    {
      ...act('DIT000005', TOKEN_A, '2024-11-02'),
      nicipCode: 'XCHES',
      snomedCode: null,
      patientSourceSetting: '01',
    },
  ],
};

test('a mental health care contact the patient attended (or not known) is an outpatient visit; one not attended is left out, counted', () => {
  const build = buildOmop(MH_DIDS);
  const mh = build.tables.visit_occurrence.filter((v) => v.visit_source_value === 'MHSDS contact');
  assert.deepEqual(
    mh.map((v) => [v.visit_start_date, v.visit_end_date, v.visit_concept_id]),
    [
      ['2024-08-03', '2024-08-03', OMOP_CONCEPTS.outpatientVisit],
      ['2024-08-17', '2024-08-17', OMOP_CONCEPTS.outpatientVisit],
    ],
  );
  const account = build.accounts.find((a) => a.source === 'fact_mhsds_contact');
  assert.deepEqual([account?.read, account?.dropped], [3, { [LEFT_OUT.notAttended]: 1 }]);
  assert.deepEqual(failures(build), []);
});

test('an imaging test is a procedure with its SNOMED CT or NICIP code, in its own visit or the visit it took place in', () => {
  const build = buildOmop(MH_DIDS, vocabulary());
  const { tables } = build;
  const visitOf = (concept: number) =>
    tables.visit_occurrence.find((v) => v.visit_concept_id === concept)?.visit_occurrence_id;
  const imaging = tables.procedure_occurrence.filter(
    (p) => !['K401', 'Y531'].includes(String(p.procedure_source_value)),
  );
  const own = tables.visit_occurrence.find((v) => v.visit_source_value === 'DIDS imaging test');
  assert.equal(own?.visit_concept_id, OMOP_CONCEPTS.outpatientVisit);
  assert.equal(own?.visit_start_date, '2024-10-01');
  assert.deepEqual(
    imaging.map((p) => [
      p.procedure_source_value,
      p.procedure_date,
      p.procedure_concept_id,
      p.visit_occurrence_id,
    ]),
    [
      ['CCHAPC', '2024-05-03', 0, visitOf(OMOP_CONCEPTS.inpatientVisit)],
      ['900000004', '2024-07-10', 900000004, visitOf(OMOP_CONCEPTS.emergencyRoomVisit)],
      ['XCHES', '2024-10-01', 0, own?.visit_occurrence_id],
      ['XCHES', '2024-11-02', 0, null],
    ],
    'an inpatient test outside any exported spell names no visit; a test with no code is left out',
  );
  const dids = build.accounts.filter((a) => a.source === 'fact_dids_test');
  assert.deepEqual(
    dids.map((a) => [a.target, a.read, a.dropped]),
    [
      ['procedure_occurrence', 5, { [LEFT_OUT.noImagingCode]: 1 }],
      ['visit_occurrence', 5, { [LEFT_OUT.noOwnVisit]: 3, [LEFT_OUT.noImagingCode]: 1 }],
    ],
  );
  assert.deepEqual(failures(build), []);
});

test('a member with no age band on any activity is no person, and every row and code of theirs is counted as left out', () => {
  const NO_BAND = 'd4'.repeat(32);
  const gold: GoldExtract = {
    ...MH_DIDS,
    patients: [
      ...GOLD.patients,
      { project: 'icb-research', patientToken: NO_BAND, sex: '1', ethnicCategory: null },
    ],
    spells: [
      ...GOLD.spells,
      {
        ...act('SLT000002', NO_BAND, '2024-03-01', null),
        spellNumber: 'SPT000002',
        dischargeDate: '2024-03-04',
        admissionSource: null,
        dischargeDestination: null,
      },
    ],
    episodes: [
      ...GOLD.episodes,
      {
        ...act('EPT000004', NO_BAND, '2024-03-01', null),
        spellNumber: 'SPT000002',
        endDate: '2024-03-04',
        primaryDiagnosis: 'J189',
        secondaryDiagnoses: 'E119',
        primaryProcedure: 'K401',
      },
    ],
    mhsdsContacts: [{ ...act('MHC000009', NO_BAND, '2024-03-10', null), attendOrDna: '5' }],
    imagingTests: [
      {
        ...act('DIT000009', NO_BAND, '2024-03-02', null),
        nicipCode: 'XCHES',
        snomedCode: null,
        patientSourceSetting: '04',
      },
    ],
  };
  const build = buildOmop(gold);
  assert.equal(build.tables.person.length, 2);
  const left = (source: string, unit?: string) =>
    build.accounts.find((a) => a.source === source && a.unit === unit)?.dropped[LEFT_OUT.noYearOfBirth];
  assert.equal(
    build.accounts.find((a) => a.source === 'dim_patient')?.dropped[LEFT_OUT.noAgeBand],
    2,
    'C (no activity) and the new member',
  );
  assert.equal(left('fact_apc_spell'), 1);
  assert.equal(left('fact_apc_episode'), 1);
  assert.equal(left('fact_apc_episode', 'diagnosis codes'), 2);
  assert.equal(left('fact_apc_episode', 'procedure codes'), 1);
  assert.equal(left('fact_mhsds_contact'), 1);
  assert.equal(left('fact_dids_test'), 1);
  assert.equal(left('fact_dids_test', 'tests as visits'), 1);
  const reconciled = checksAgainstRead(build).filter((c) => c.check === 'reconcilesWithGold');
  for (const table of ['visit_occurrence', 'visit_detail', 'condition_occurrence', 'procedure_occurrence'])
    assert.ok(
      reconciled.some((c) => c.table === table && c.passed),
      `${table} reconciles with gold less the rows left out`,
    );
  assert.deepEqual(failures(build), []);
});

test('the reconciliation catches a condition or procedure row that no gold code accounts for', () => {
  const build = buildOmop(MH_DIDS);
  build.tables.condition_occurrence.push({
    ...build.tables.condition_occurrence[0]!,
    condition_occurrence_id: 999,
  });
  build.tables.procedure_occurrence.pop();
  const failed = failures(build).map((c) => `${c.check} ${c.table}`);
  assert.deepEqual(failed.sort(), [
    'reconcilesWithGold condition_occurrence',
    'reconcilesWithGold procedure_occurrence',
  ]);
});

test('what is left out is reported per gold table, unit and reason; opt-out counts disclosure-controlled', () => {
  const lines = omopLeftOutLines([
    { source: 'dim_patient', target: 'person', read: 40, dropped: { [LEFT_OUT.noAgeBand]: 3 } },
    { source: 'fact_apc_episode', target: 'visit_detail', read: 50, dropped: { [OPT_OUT_REASON]: 12 } },
    {
      source: 'fact_apc_episode',
      target: 'condition_occurrence',
      unit: 'diagnosis codes',
      read: 120,
      dropped: { [LEFT_OUT.noYearOfBirth]: 9, [OPT_OUT_REASON]: 2 },
    },
  ]);
  assert.deepEqual(lines, [
    'left out: dim_patient: 3 rows (no age band to estimate a year of birth)',
    'left out: fact_apc_episode: 10 rows (National Data Opt-out)',
    'left out: fact_apc_episode: 9 diagnosis codes (person has no year of birth)',
    'left out: fact_apc_episode: * diagnosis codes (National Data Opt-out)',
  ]);
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  exportOmop,
  publishOmopToLake,
  type OmopExport,
} from '../../../shared/application/use-cases/omop/export-omop.use-case.js';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';
import { OMOP_TABLES } from '../../../shared/domain/omop/omop-cdm-tables.js';
import { OMOP_CONCEPTS } from '../../../shared/domain/omop/omop-mapping.js';
import type { PipelineInput } from '../../../shared/domain/pipeline/pipeline-contracts.js';
import { CLEAN_ROWS } from '../../unit/datasets/clean-rows.js';
import {
  csv,
  episode,
  openPipelineHarness,
  testNhsNumber,
  waitUntil,
  type PipelineHarness,
} from '../pipeline/pipeline-harness.js';

// OMOP CDM v5.4 from gold on the embedded default at a small size: two SUS spells (three episodes
// and one, coded with secondary diagnoses and procedures), two A&E attendances, an MHSDS referral
// with a contact attended and one not, and two DIDS imaging tests, dropped as landing files
// through the real host into DuckDB; then the export, its checks, the lake copy, and a search of
// every value for an identifier.

let h: PipelineHarness;
let result: OmopExport;
after(async () => {
  await h?.close();
});

const spell = (i: number): SourceRow => {
  const id = String(i).padStart(6, '0');
  return {
    ...CLEAN_ROWS.sus_apc_spell,
    spell_id: `SLT${id}`,
    hospital_provider_spell_number: `SPT${id}`,
    nhs_number: testNhsNumber(i),
  };
};
const SPELLS = [spell(1), spell(2)];
const EPISODES = [
  episode(1, {
    episode_id: 'EPT000001',
    episode_number: 1,
    primary_procedure: 'K401',
    primary_procedure_date: '2026-09-02',
    secondary_procedures: 'Y531',
  }),
  episode(1, { episode_id: 'EPT000002', episode_number: 2 }),
  episode(1, { episode_id: 'EPT000003', episode_number: 3 }),
  episode(2, { episode_id: 'EPT000004', episode_number: 1 }),
];
const ATTENDANCES = [1, 3].map((i) => ({
  ...CLEAN_ROWS.ecds_attendance,
  attendance_id: `EC00000000${i}`,
  nhs_number: testNhsNumber(i),
}));

const REFERRALS: SourceRow[] = [{ ...CLEAN_ROWS.mhsds_referral, nhs_number: testNhsNumber(1) }];
const MH_CONTACTS: SourceRow[] = [
  CLEAN_ROWS.mhsds_care_contact,
  {
    ...CLEAN_ROWS.mhsds_care_contact,
    care_contact_id: 'MC000000002',
    contact_date: '2026-09-22',
    attend_or_dna: '3',
  },
];
// DIDS shares its project with ECDS (projects/projects.json): an A&E test of patient 1 on the day
// of their attendance, and a GP direct access test of patient 3.
const IMAGING: SourceRow[] = [
  {
    ...CLEAN_ROWS.dids_imaging_test,
    nhs_number: testNhsNumber(1),
    patient_source_setting: '05',
    test_date: '2026-09-01',
  },
  {
    ...CLEAN_ROWS.dids_imaging_test,
    imaging_test_id: 'DI000000002',
    nhs_number: testNhsNumber(3),
    patient_source_setting: '04',
    accession_number: 'RA000123457',
  },
];

/** A landing file with its supplier manifest (MHSDS tables require one). */
async function landWithManifest(name: string, body: string, table: string, supplier: string): Promise<void> {
  const rows = body.split('\n').filter((l) => l.length > 0).length - 1;
  const sha256 = createHash('sha256').update(body).digest('hex');
  await h.drop(`${name}.manifest.json`, JSON.stringify({ rows, sha256, table, period: '2026-09', supplier }));
  await land(name, body);
}

async function land(name: string, body: string): Promise<void> {
  await h.drop(name, body);
  await waitUntil(`an orchestration for landing/${name}`, () =>
    h.host.durable
      .list()
      .some(
        (i) => i.name === 'pipelineOrchestrator' && (i.input as PipelineInput | null)?.batch.origin === name,
      ),
  );
  await h.host.waitForIdle({ timeoutMs: 60_000 });
}

const count = async (table: string): Promise<number> => {
  const [row] = await (await h.services.pipeline.warehouse()).query(`SELECT COUNT(*) AS n FROM "${table}"`);
  return Number(row?.n ?? 0);
};

before(async () => {
  h = await openPipelineHarness();
  const columns = (t: keyof typeof SOURCE_TABLES) => SOURCE_TABLES[t].columns.map((c) => c.name);
  await land('sus_apc_spell/omop-spells.csv', csv(SPELLS, columns('sus_apc_spell')));
  await land('sus_apc_episode/omop-episodes.csv', csv(EPISODES));
  await land('ecds_attendance/omop-attendances.csv', csv(ATTENDANCES, columns('ecds_attendance')));
  await landWithManifest(
    'mhsds_referral/omop-referrals.csv',
    csv(REFERRALS, columns('mhsds_referral')),
    'mhsds_referral',
    'RXT',
  );
  await landWithManifest(
    'mhsds_care_contact/omop-contacts.csv',
    csv(MH_CONTACTS, columns('mhsds_care_contact')),
    'mhsds_care_contact',
    'RXT',
  );
  await land('dids_imaging_test/omop-imaging.csv', csv(IMAGING, columns('dids_imaging_test')));
  result = await exportOmop(await h.services.pipeline.warehouse());
});

test('the export passes every check and its visits reconcile with gold', async () => {
  assert.deepEqual(
    result.checks.filter((c) => !c.passed),
    [],
  );
  const { tables } = result.build;
  const spells = await count('fact_apc_spell');
  const attendances = await count('fact_ecds_attendance');
  const contacts = await count('fact_csds_contact');
  assert.equal(spells, SPELLS.length);
  assert.equal(attendances, ATTENDANCES.length);
  assert.equal(await count('fact_mhsds_contact'), MH_CONTACTS.length);
  assert.equal(await count('fact_dids_test'), IMAGING.length);
  // The contact not attended is no visit; the GP direct access test is a visit of its own.
  assert.equal(tables.visit_occurrence.length, spells + attendances + contacts + 1 + 1);
  assert.equal(tables.visit_detail.length, await count('fact_apc_episode'));
  const [members] = await (
    await h.services.pipeline.warehouse()
  ).query(
    `SELECT COUNT(*) AS n FROM (SELECT DISTINCT project, patient_token FROM (
       SELECT project, patient_token FROM fact_apc_spell UNION ALL
       SELECT project, patient_token FROM fact_apc_episode UNION ALL
       SELECT project, patient_token FROM fact_ecds_attendance) f
     WHERE EXISTS (SELECT 1 FROM dim_patient d WHERE d.project = f.project AND d.patient_token = f.patient_token AND d.is_current))`,
  );
  assert.ok(Number(members?.n) >= 3, 'patients 1 and 2 in hospital, 3 at A&E only');
  assert.equal(tables.person.length, Number(members?.n), 'one person per patient with activity');
  assert.equal(tables.observation_period.length, tables.person.length);
  assert.ok(
    tables.condition_occurrence.length >= EPISODES.length,
    'a diagnosis per episode, a complaint per attendance',
  );
});

test('secondary diagnoses and procedures, mental health contacts and imaging tests reach OMOP and reconcile', () => {
  const { tables, accounts } = result.build;
  const status = (concept: number) =>
    tables.condition_occurrence.filter((c) => c.condition_status_concept_id === concept).length;
  assert.equal(status(OMOP_CONCEPTS.primaryDiagnosis), EPISODES.length);
  assert.equal(status(OMOP_CONCEPTS.secondaryDiagnosis), EPISODES.length * 2, 'E119 and I10X on each');
  assert.deepEqual(
    tables.procedure_occurrence.map((p) => [p.procedure_source_value, p.procedure_date]).sort(),
    [
      ['399208008', '2026-09-01'],
      ['399208008', '2026-09-02'],
      ['K401', '2026-09-02'],
      ['Y531', '2026-09-01'],
    ],
  );
  const mh = tables.visit_occurrence.filter((v) => v.visit_source_value === 'MHSDS contact');
  assert.equal(mh.length, 1, 'the contact attended; the one not attended is left out');
  const attendance = tables.visit_occurrence.find(
    (v) => v.visit_concept_id === OMOP_CONCEPTS.emergencyRoomVisit && v.visit_start_date === '2026-09-01',
  );
  const own = tables.visit_occurrence.find((v) => v.visit_source_value === 'DIDS imaging test');
  assert.deepEqual(
    tables.procedure_occurrence
      .filter((p) => p.procedure_source_value === '399208008')
      .map((p) => p.visit_occurrence_id)
      .sort(),
    [attendance?.visit_occurrence_id, own?.visit_occurrence_id].sort(),
    'the A&E test in its attendance, the GP direct access test in its own visit',
  );
  assert.deepEqual(accounts.find((a) => a.source === 'fact_mhsds_contact')?.dropped, {
    'not attended (attend_or_dna 2, 3, 4 or 7)': 1,
  });
  for (const table of ['condition_occurrence', 'procedure_occurrence', 'visit_occurrence'])
    assert.ok(
      result.checks.some((c) => c.check === 'reconcilesWithGold' && c.table === table && c.passed),
      table,
    );
});

test('no NHS number, date of birth, postcode, pseudonym, linked person id or record id is in any OMOP value', async () => {
  const gold = await (
    await h.services.pipeline.warehouse()
  ).query(
    'SELECT DISTINCT CAST(patient_token AS VARCHAR) AS t, CAST(person_id AS VARCHAR) AS p FROM fact_activity',
  );
  const identifiers = new Set<string>(
    [
      ...[...SPELLS, ...EPISODES, ...ATTENDANCES, ...REFERRALS, ...MH_CONTACTS, ...IMAGING].flatMap(
        (r: SourceRow) => [r.nhs_number, r.postcode, r.date_of_birth, r.local_patient_id],
      ),
      ...gold.flatMap((r) => [r.t, r.p]),
      ...SPELLS.map((s) => s.spell_id),
      ...EPISODES.map((e) => e.episode_id),
      ...ATTENDANCES.map((a) => a.attendance_id),
      ...REFERRALS.map((r) => r.referral_id),
      ...MH_CONTACTS.map((c) => c.care_contact_id),
      ...IMAGING.flatMap((t) => [t.imaging_test_id, t.accession_number]),
    ].filter((v): v is string => typeof v === 'string' && v.length > 0),
  );
  assert.ok(identifiers.size > 10);
  for (const table of OMOP_TABLES)
    for (const row of result.build.tables[table.name])
      for (const value of Object.values(row))
        for (const id of identifiers)
          assert.ok(!String(value).includes(id), `${table.name} holds an identifier`);
});

test('the lake copy holds one Parquet file per OMOP table with the rows built', async () => {
  const written = await publishOmopToLake(h.services.pipeline.parquet, 'test-run', result.build);
  assert.deepEqual(
    written.map((w) => w.table),
    OMOP_TABLES.map((t) => t.name),
  );
  for (const w of written) {
    assert.equal(w.path, `omop/run=test-run/${w.table}.parquet`);
    assert.equal(await h.services.pipeline.parquet.count('gold', [w.path]), w.rows);
    assert.equal(w.rows, result.build.tables[w.table as keyof typeof result.build.tables].length);
  }
});

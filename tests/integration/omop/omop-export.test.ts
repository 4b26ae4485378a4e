import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  exportOmop,
  publishOmopToLake,
  type OmopExport,
} from '../../../shared/application/use-cases/omop/export-omop.use-case.js';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';
import { OMOP_TABLES } from '../../../shared/domain/omop/omop-cdm-tables.js';
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
// and one), and two A&E attendances, dropped as landing files through the real host into DuckDB;
// then the export, its checks, the lake copy, and a search of every value for an identifier.

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
  episode(1, { episode_id: 'EPT000001', episode_number: 1 }),
  episode(1, { episode_id: 'EPT000002', episode_number: 2 }),
  episode(1, { episode_id: 'EPT000003', episode_number: 3 }),
  episode(2, { episode_id: 'EPT000004', episode_number: 1 }),
];
const ATTENDANCES = [1, 3].map((i) => ({
  ...CLEAN_ROWS.ecds_attendance,
  attendance_id: `EC00000000${i}`,
  nhs_number: testNhsNumber(i),
}));

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
  assert.equal(tables.visit_occurrence.length, spells + attendances + contacts);
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

test('no NHS number, date of birth, postcode, pseudonym, linked person id or record id is in any OMOP value', async () => {
  const gold = await (
    await h.services.pipeline.warehouse()
  ).query(
    'SELECT DISTINCT CAST(patient_token AS VARCHAR) AS t, CAST(person_id AS VARCHAR) AS p FROM fact_activity',
  );
  const identifiers = new Set<string>(
    [
      ...[...SPELLS, ...EPISODES, ...ATTENDANCES].flatMap((r: SourceRow) => [
        r.nhs_number,
        r.postcode,
        r.date_of_birth,
      ]),
      ...gold.flatMap((r) => [r.t, r.p]),
      ...SPELLS.map((s) => s.spell_id),
      ...EPISODES.map((e) => e.episode_id),
      ...ATTENDANCES.map((a) => a.attendance_id),
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

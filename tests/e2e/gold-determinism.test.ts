import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openEmbeddedSource } from '../../shared/adapters/local/embedded-source/embedded-source.js';
import { systemClock } from '../../shared/application/ports/clock.port.js';
import { runCli, warehouseDigest } from '../support/cli-process.js';
import { feedsPatientDimension } from '../../shared/application/use-cases/pipeline/patient-dimension.js';
import { SOURCE_TABLE_NAMES } from '../../shared/domain/datasets/source-tables.js';

/** The source tables whose rows feed the patient dimension, as a SQL list. */
const FEEDING_TABLES = SOURCE_TABLE_NAMES.filter((t) => feedsPatientDimension(t))
  .map((t) => `'${t}'`)
  .join(', ');

// Issue 9 item 3: gold is referentially whole and deterministic. Two uninterrupted starts of the
// same population (same seed, same pseudonymisation key) load the same warehouse, patient_sk
// included; every fact's patient_sk is the dim_patient version in force on its activity date, after
// a clean run and after a late change that re-cuts a version.

const root = mkdtempSync(join(tmpdir(), 'nhsflows-gold-'));
after(() => rmSync(root, { recursive: true, force: true }));

// Issue 8 (ADR 0019): run a sends the snapshot of every table of 20 rows or more as a delta file
// (most of the 12), run b every delta inline; the warehouse must not depend on which way they travelled.
function envFor(name: string, fileMinDeltas: string): NodeJS.ProcessEnv {
  const dataDir = join(root, name);
  return {
    ...process.env,
    NHSFLOWS_DATA_DIR: dataDir,
    NHSFLOWS_LOCAL_SECRETS_FILE: join(dataDir, 'secrets.json'),
    NHSFLOWS_SECRET_PSEUDONYMISATION_MASTER_KEY: 'Z29sZC1kZXRlcm1pbmlzbS10ZXN0LWtleS0wMDAwMDA=',
    NHSFLOWS_SYNTHETIC_PATIENTS: '300',
    NHSFLOWS_SEED: '5',
    NHSFLOWS_TEST_AZURITE: '',
    NHSFLOWS_CDC_FILE_MIN_DELTAS: fileMinDeltas,
  };
}
const runs = { a: envFor('a', '20'), b: envFor('b', '0') };
const dirOf = (env: NodeJS.ProcessEnv): string => env.NHSFLOWS_DATA_DIR ?? '';

async function warehouse(dataDir: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(join(dataDir, 'warehouse.duckdb'), { access_mode: 'READ_ONLY' });
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson();
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

/**
 * Facts whose patient_sk resolves to no dim_patient row (orphans), and facts whose patient_sk is a
 * version of their patient that is not the one in force on the activity date (stale).
 */
async function factKeyProblems(dataDir: string): Promise<{ facts: number; orphans: number; stale: number }> {
  const [row] = await warehouse(
    dataDir,
    `SELECT
       (SELECT count(*) FROM fact_activity WHERE patient_sk IS NOT NULL)::INTEGER AS facts,
       (SELECT count(*) FROM fact_activity f WHERE f.patient_sk IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM dim_patient d WHERE d.patient_sk = f.patient_sk))::INTEGER AS orphans,
       (SELECT count(*) FROM fact_activity f JOIN dim_patient d ON d.patient_sk = f.patient_sk
          WHERE NOT (d.valid_from <= f.activity_date AND f.activity_date < d.valid_to))::INTEGER AS stale`,
  );
  return { facts: Number(row?.facts), orphans: Number(row?.orphans), stale: Number(row?.stale) };
}

/** Delta files the consumer received in a data dir's runs, from its JSON log lines. */
function deltaFilesReceived(dataDir: string): number {
  let files = 0;
  for (const name of readdirSync(join(dataDir, 'logs')))
    for (const line of readFileSync(join(dataDir, 'logs', name), 'utf8').split('\n'))
      if (line.includes('"deltas received"'))
        files += Number((JSON.parse(line) as { deltaFiles?: number }).deltaFiles ?? 0);
  return files;
}

before(async () => {
  // One after the other: two hosts at once on two cores would change nothing but the timing.
  for (const env of [runs.a, runs.b]) {
    const run = await runCli(['start'], env, 8 * 60_000);
    assert.equal(run.code, 0, run.stderr.slice(-3000));
  }
});

test('two clean runs of the same seed, one by delta files and one inline, load identical warehouses, patient_sk and the kept copy of each duplicate pair included', async () => {
  const files = deltaFilesReceived(dirOf(runs.a));
  assert.ok(files >= 5, `run a took its larger tables in by delta files (${files})`);
  assert.equal(deltaFilesReceived(dirOf(runs.b)), 0, 'run b took every delta inline');
  const a = await warehouseDigest(dirOf(runs.a));
  const b = await warehouseDigest(dirOf(runs.b));
  assert.ok((a.fact_activity?.rows ?? 0) > 300, 'the run loaded facts');
  assert.ok((a.dim_patient?.rows ?? 0) > 100, 'the run loaded patient versions');
  assert.deepEqual(b, a);
});

test('after a clean run every fact with a patient_sk points at the dim_patient version in force on its activity date', async () => {
  for (const env of [runs.a, runs.b]) {
    const problems = await factKeyProblems(dirOf(env));
    assert.ok(problems.facts > 100, 'facts carry patient keys');
    assert.deepEqual({ orphans: problems.orphans, stale: problems.stale }, { orphans: 0, stale: 0 });
  }
});

test('a late change that re-cuts a patient version leaves no orphan or stale patient_sk', async () => {
  const dataDir = dirOf(runs.a);
  // The earliest SUS episode of a patient whose first version is covered by later facts too, and
  // the only record of a table feeding the dimension on its date (its spell, same date, feeds none):
  // changing its practice re-cuts that version (the old attributes now start at the next record).
  const [pick] = await warehouse(
    dataDir,
    `WITH sus AS (
       SELECT f.record_key, f.activity_date, d.patient_token, d.valid_from
       FROM fact_activity f JOIN dim_patient d ON d.patient_sk = f.patient_sk
       WHERE f.source_table = 'sus_apc_episode' AND f.activity_date = d.valid_from),
     covered AS (
       SELECT d.patient_sk, count(*) AS facts FROM fact_activity f JOIN dim_patient d ON d.patient_sk = f.patient_sk
       WHERE f.activity_date > d.valid_from GROUP BY 1)
     SELECT sus.record_key FROM sus
       JOIN dim_patient d ON d.patient_token = sus.patient_token AND d.valid_from = sus.valid_from
       JOIN covered c ON c.patient_sk = d.patient_sk
     WHERE (SELECT count(*) FROM fact_activity f2 JOIN dim_patient d2 ON d2.patient_sk = f2.patient_sk
            WHERE d2.patient_token = sus.patient_token AND f2.activity_date = sus.activity_date
              AND f2.source_table IN (${FEEDING_TABLES})) = 1
     ORDER BY sus.record_key LIMIT 1`,
  );
  assert.ok(pick, 'a SUS episode that opens a patient version covering later facts');
  const source = await openEmbeddedSource({ path: join(dataDir, 'source.duckdb'), clock: systemClock });
  try {
    const [episode] = await source.querySql(
      `SELECT episode_id, gp_practice_code FROM sus_apc_episode WHERE episode_id = '${String(pick.record_key)}'`,
    );
    assert.ok(episode);
    const practice = episode.gp_practice_code === 'M85001' ? 'M85002' : 'M85001';
    assert.equal(
      await source.updateRows('sus_apc_episode', [
        { episode_id: episode.episode_id as string, gp_practice_code: practice },
      ]),
      1,
    );
  } finally {
    await source.close();
  }
  const again = await runCli(['start'], runs.a, 8 * 60_000);
  assert.equal(again.code, 0, again.stderr.slice(-3000));
  const problems = await factKeyProblems(dataDir);
  assert.deepEqual({ orphans: problems.orphans, stale: problems.stale }, { orphans: 0, stale: 0 });
});

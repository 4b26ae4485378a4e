import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../../../shared/domain/datasets/source-tables.js';
import type { PopulationConfigInput } from '../../../shared/synthetic/synthetic-config.js';
import { generateAll } from './synthetic-fixture.js';

// The generator's output for one small fixed population, recorded as a digest per table, so any
// change to what it emits (a row builder in shared/synthetic/rows/, the patient pathway, the defect
// planter, the reference data the catalogue reads) is made on purpose. When the change is intended,
// the failure prints the new digests: paste them below and say in the commit what changed and why.

const GOLDEN_POPULATION: PopulationConfigInput = { patients: 250, seed: 20261206, defects: { rate: 0.03 } };

/** Rows and sha256 (first 16 hex digits) of the JSON of each table's rows in emission order. */
const GOLDEN_ROWS: Record<SourceTableName, string> = {
  sus_apc_spell: '72 rows 1acc4664643202ff',
  sus_apc_episode: '90 rows 0fc8f23aeeb3e2bb',
  prescribing_item: '322 rows e7c73873d7fdbc8b',
  mhsds_referral: '7 rows c89a9f1bc69b7517',
  mhsds_care_contact: '35 rows 55c2da4b02af0f81',
  mhsds_cluster_assessment: '6 rows 86c579b3ac75df57',
  mhsds_hospital_spell: '1 rows 684637f6d0588c7c',
  mhsds_ward_stay: '1 rows e5f8fd4a886e9022',
  ecds_attendance: '124 rows 4a56258c840b5624',
  csds_referral: '23 rows 2f6c6c12a37adff4',
  csds_care_contact: '186 rows fe24942241deaa35',
  dids_imaging_test: '38 rows 51d8555e06c61b49',
};
/** The generation report of the same run (counts, planted defects and their keys, pathway counts). */
const GOLDEN_REPORT = 'b7e6c4fca23d481a';

const digest = (value: unknown): string =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);

test('a fixed small population gives exactly the recorded rows, table by table, and the recorded report', () => {
  const { rows, report } = generateAll(GOLDEN_POPULATION);
  const now = Object.fromEntries(
    SOURCE_TABLE_NAMES.map((table) => [table, `${rows[table].length} rows ${digest(rows[table])}`]),
  ) as Record<SourceTableName, string>;
  const changed = SOURCE_TABLE_NAMES.filter((table) => now[table] !== GOLDEN_ROWS[table]);
  const reportNow = digest(report);
  assert.ok(
    changed.length === 0 && reportNow === GOLDEN_REPORT,
    `the generator's output changed (${[...changed, ...(reportNow === GOLDEN_REPORT ? [] : ['the report'])].join(', ')}); ` +
      `if that is intended, record it in tests/unit/synthetic/golden-rows.test.ts:\n` +
      `const GOLDEN_ROWS: Record<SourceTableName, string> = ${JSON.stringify(now, null, 2)};\n` +
      `const GOLDEN_REPORT = '${reportNow}';`,
  );
});

test('every table of the golden population has rows, so each row builder is under the checksum', () => {
  const { rows } = generateAll(GOLDEN_POPULATION);
  for (const table of SOURCE_TABLE_NAMES) assert.ok(rows[table].length > 0, `${table} has no rows`);
});

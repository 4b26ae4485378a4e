import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PopulationConfigInput } from '../../../shared/synthetic/synthetic-config.js';
import { contractFor } from '../../../shared/domain/datasets/contracts.js';
import {
  SOURCE_TABLES,
  SOURCE_TABLE_NAMES,
  type SourceTableName,
} from '../../../shared/domain/datasets/source-tables.js';
import { isTestRangeNhsNumber } from '../../../shared/domain/nhs/nhs-number.js';
import { createRng, deriveSeed } from '../../../shared/synthetic/prng.js';
import { generated, generateAll, keyOf, plantedKeys, reference } from './synthetic-fixture.js';

const CLEAN: PopulationConfigInput = { patients: 1500, seed: 7, defects: { classes: [] } };
const AS_OF = '2026-11-23';

test('the same seed gives identical rows in identical batches, and another seed does not', () => {
  const a = generateAll({ patients: 300, seed: 42 });
  const b = generateAll({ patients: 300, seed: 42 });
  const c = generateAll({ patients: 300, seed: 43 });
  assert.equal(JSON.stringify(a.rows), JSON.stringify(b.rows));
  assert.deepEqual(a.report, b.report);
  assert.notEqual(JSON.stringify(a.rows.sus_apc_episode), JSON.stringify(c.rows.sus_apc_episode));
});

test('the prng is deterministic per seed and uniform enough', () => {
  const r1 = createRng(deriveSeed(5, 'x', 1));
  const r2 = createRng(deriveSeed(5, 'x', 1));
  const draws = Array.from({ length: 10_000 }, () => r1.next());
  assert.deepEqual(
    draws.slice(0, 100),
    Array.from({ length: 100 }, () => r2.next()),
  );
  const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  assert.ok(draws.every((x) => x >= 0 && x < 1));
  assert.notEqual(deriveSeed(5, 'x', 1), deriveSeed(5, 'x', 2));
});

test('every clean row passes its table contract (reference data, extract date)', () => {
  const { rows } = generated(CLEAN);
  for (const table of SOURCE_TABLE_NAMES) {
    const contract = contractFor(table, reference, { asOf: AS_OF });
    assert.ok(rows[table].length > 0, `${table} has rows`);
    for (const row of rows[table]) {
      const result = contract.check(row);
      if (!result.ok)
        assert.fail(`${table} ${keyOf(table, row)}: ${result.failures.map((f) => f.rule).join(', ')}`);
    }
  }
});

/** The row builder that makes each table's rows (where a new column of the table goes). */
const ROW_BUILDER: Readonly<Record<SourceTableName, string>> = {
  sus_apc_spell: 'sus-apc.rows.ts',
  sus_apc_episode: 'sus-apc.rows.ts',
  prescribing_item: 'prescribing.rows.ts',
  mhsds_referral: 'mhsds.rows.ts',
  mhsds_care_contact: 'mhsds.rows.ts',
  mhsds_cluster_assessment: 'mhsds.rows.ts',
  mhsds_hospital_spell: 'mhsds.rows.ts',
  mhsds_ward_stay: 'mhsds.rows.ts',
  ecds_attendance: 'ecds.rows.ts',
  csds_referral: 'csds.rows.ts',
  csds_care_contact: 'csds.rows.ts',
  dids_imaging_test: 'dids.rows.ts',
};

test('rows carry exactly the spec columns in spec order, and primary keys are unique', () => {
  const { rows } = generated(CLEAN);
  for (const table of SOURCE_TABLE_NAMES) {
    assert.ok(
      existsSync(join(import.meta.dirname, '../../../shared/synthetic/rows', ROW_BUILDER[table])),
      `${table}'s row builder ${ROW_BUILDER[table]} exists`,
    );
    const columns = SOURCE_TABLES[table].columns.map((c) => c.name);
    const keys = new Set<string>();
    for (const row of rows[table]) {
      const built = Object.keys(row);
      const missing = columns.filter((c) => !built.includes(c));
      const undeclared = built.filter((c) => !columns.includes(c));
      assert.deepEqual(
        built,
        columns,
        `${table}: shared/synthetic/rows/${ROW_BUILDER[table]} must build the declared columns in declared order` +
          ` (missing: ${missing.join(', ') || 'none'}; not declared: ${undeclared.join(', ') || 'none'})`,
      );
      keys.add(keyOf(table, row));
    }
    assert.equal(keys.size, rows[table].length, `${table} keys unique`);
  }
});

test('patients are registered in both ICBs with valid 999-range NHS numbers and one local id per provider', () => {
  const { rows } = generated(CLEAN);
  const commissioners = new Set(rows.sus_apc_episode.map((r) => r.commissioner_code));
  assert.deepEqual([...commissioners].sort(), ['15E00', '26A00']);
  const byLocal = new Map<string, string>();
  for (const table of [
    'sus_apc_episode',
    'ecds_attendance',
    'mhsds_referral',
    'csds_referral',
    'dids_imaging_test',
  ] as const)
    for (const row of rows[table]) {
      assert.ok(isTestRangeNhsNumber(String(row.nhs_number)));
      const local = `${String(row.provider_code)}|${String(row.local_patient_id)}`;
      const seen = byLocal.get(local);
      if (seen) assert.equal(seen, row.nhs_number, 'a local id belongs to one patient');
      byLocal.set(local, String(row.nhs_number));
    }
  const imd = new Set(
    rows.sus_apc_episode.map((r) => reference.imdDecile(reference.lsoaForPostcode(String(r.postcode)) ?? '')),
  );
  assert.ok(imd.size >= 8, 'patients live across deprivation deciles');
  assert.ok(!imd.has(undefined), 'every postcode maps to an LSOA with an IMD decile');
});

test('spells hold 1..n contiguous episodes inside the spell (their spell rows and prices: sus-apc-spells.test.ts)', () => {
  const { rows } = generated(CLEAN);
  const spells = new Map<string, typeof rows.sus_apc_episode>();
  for (const row of rows.sus_apc_episode) {
    const list = spells.get(String(row.hospital_provider_spell_number)) ?? [];
    list.push(row);
    spells.set(String(row.hospital_provider_spell_number), list);
  }
  let multi = 0;
  for (const episodes of spells.values()) {
    assert.deepEqual(
      episodes.map((e) => e.episode_number),
      episodes.map((_, i) => i + 1),
    );
    if (episodes.length > 1) multi++;
    for (let i = 1; i < episodes.length; i++)
      assert.equal(episodes[i]!.episode_start_date, episodes[i - 1]!.episode_end_date);
  }
  assert.ok(multi > 0, 'some spells have several episodes');
});

test('high-cost patients have repeat emergency admissions', () => {
  const { report } = generated(CLEAN);
  assert.ok(report.pathways.highCostPatients > 0);
  assert.ok(report.pathways.highCostPatientEmergencySpells / report.pathways.highCostPatients >= 3);
});

test('the community caseload grows and shrinks over the months', () => {
  const { report } = generated(CLEAN);
  const series = Object.values(report.pathways.communityCaseloadByMonthEnd);
  assert.equal(series.length, 24);
  const ups = series.slice(1).filter((v, i) => v > series[i]!).length;
  const downs = series.slice(1).filter((v, i) => v < series[i]!).length;
  assert.ok(ups > 0 && downs > 0, `caseload ${series.join(',')}`);
});

test('switching defects on changes only the rows that carry a defect', () => {
  const clean = generateAll({ patients: 600, seed: 11, defects: { classes: [] } });
  const dirty = generateAll({ patients: 600, seed: 11, defects: { rate: 0.02 } });
  const planted = plantedKeys(dirty.report);
  for (const table of SOURCE_TABLE_NAMES) {
    const skip = planted.get(table) ?? new Set();
    const a = clean.rows[table].filter((r) => !skip.has(keyOf(table, r)));
    const b = dirty.rows[table].filter((r) => !skip.has(keyOf(table, r)));
    assert.deepEqual(b, a, table);
  }
});

test('--episodes mode stops once the SUS episode count is reached', () => {
  const g = generateAll({ patients: 5000, maxEpisodes: 200, defects: { classes: [] } });
  assert.ok(g.rows.sus_apc_episode.length >= 200);
  assert.ok(g.rows.sus_apc_episode.length < 220);
  assert.ok(g.report.patients < 5000);
});

test('emitting only SUS episodes gives exactly the SUS rows of a full run', () => {
  const full = generateAll({ patients: 400, seed: 8, defects: { rate: 0.02 } });
  const sus = generateAll({ patients: 400, seed: 8, defects: { rate: 0.02 }, tables: ['sus_apc_episode'] });
  assert.deepEqual(sus.rows.sus_apc_episode, full.rows.sus_apc_episode);
  assert.equal(sus.rows.ecds_attendance.length, 0);
  assert.deepEqual(
    sus.report.defects.duplicate_row.keys.sus_apc_episode,
    full.report.defects.duplicate_row.keys.sus_apc_episode,
  );
});

test('emitting a subset of tables reports defects only for the emitted tables', () => {
  const full = generateAll({ patients: 400, seed: 8, defects: { rate: 0.02 } });
  const subset = generateAll({
    patients: 400,
    seed: 8,
    defects: { rate: 0.02 },
    tables: ['ecds_attendance', 'dids_imaging_test'],
  });
  assert.deepEqual(subset.rows.ecds_attendance, full.rows.ecds_attendance);
  assert.deepEqual(subset.rows.dids_imaging_test, full.rows.dids_imaging_test);
  for (const tally of Object.values(subset.report.defects))
    for (const table of Object.keys(tally.byTable))
      assert.ok(table === 'ecds_attendance' || table === 'dids_imaging_test', table);
  assert.equal(subset.report.rows.sus_apc_episode, 0);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import {
  generatePopulation,
  sourceWriterSink,
} from '../../../shared/application/use-cases/generate-population.use-case.js';
import { simulateChanges } from '../../../shared/application/use-cases/simulate-changes.use-case.js';
import { openEmbeddedSource } from '../../../shared/adapters/local/embedded-source/embedded-source.js';
import { SOURCE_TABLE_NAMES } from '../../../shared/domain/datasets/source-tables.js';
import type { PopulationConfigInput } from '../../../shared/synthetic/synthetic-config.js';

const reference = loadReferenceData();
const POPULATION: PopulationConfigInput = { patients: 600, seed: 5, batchSize: 700, defects: { rate: 0.02 } };

const sqlList = (keys: readonly string[]): string => keys.map((k) => `'${k.replace(/'/g, "''")}'`).join(', ');

test('a generated population lands in the embedded source with every row, and change simulation bumps change versions', async () => {
  const clock = fixedClock('2026-01-05T09:00:00.000Z');
  const source = await openEmbeddedSource({ path: ':memory:', clock });
  try {
    let progress = 0;
    const report = await generatePopulation(POPULATION, {
      reference,
      sink: sourceWriterSink(source),
      onProgress: (n) => (progress = n),
    });
    let total = 0;
    for (const table of SOURCE_TABLE_NAMES) {
      assert.equal(await source.countRows(table), report.rows[table], `${table} row count`);
      total += report.rows[table];
    }
    assert.equal(progress, total);

    const before = await source.querySql(`SELECT max(change_version)::VARCHAR AS v FROM sus_apc_episode`);
    const maxBefore = BigInt(String(before[0]?.v));
    clock.advance(3_600_000);
    const changes = await simulateChanges(
      { population: POPULATION, seed: 9, round: 1, rate: 0.05 },
      { writer: source, reference },
    );
    for (const kind of Object.keys(changes.counts) as (keyof typeof changes.counts)[])
      assert.ok(changes.counts[kind] > 0, `${kind} changed something`);

    // Late-coded and corrected episodes now carry a newer change version and the new modified_at.
    const changed = [
      ...(changes.keys.late_coded_diagnosis.sus_apc_episode ?? []),
      ...(changes.keys.corrected_discharge_date.sus_apc_episode ?? []),
    ];
    const versions = await source.querySql(
      `SELECT change_version::VARCHAR AS v, strftime(modified_at, '%Y-%m-%dT%H') AS m FROM sus_apc_episode WHERE episode_id IN (${sqlList(changed)})`,
    );
    assert.equal(versions.length, new Set(changed).size);
    for (const row of versions) {
      assert.ok(BigInt(String(row.v)) > maxBefore);
      assert.equal(row.m, '2026-01-05T10');
    }
    // Untouched episodes keep their version.
    const untouched = await source.querySql(
      `SELECT count(*)::INTEGER AS n FROM sus_apc_episode WHERE change_version > ${maxBefore} AND episode_id NOT IN (${sqlList(changed)}) AND episode_id NOT IN (${sqlList([...(changes.keys.gp_practice_change.sus_apc_episode ?? []), ...(changes.keys.new_activity.sus_apc_episode ?? []), 'none'])})`,
    );
    assert.equal(untouched[0]?.n, 0);

    // Deleted duplicates are gone; new activity is there; counts reconcile.
    for (const [table, keys] of Object.entries(changes.keys.duplicate_deletion)) {
      const keyColumn =
        table === 'sus_apc_episode' ? 'episode_id' : table === 'prescribing_item' ? 'item_id' : null;
      if (!keyColumn || !keys?.length) continue;
      const left = await source.querySql(
        `SELECT count(*)::INTEGER AS n FROM ${table} WHERE ${keyColumn} IN (${sqlList(keys)})`,
      );
      assert.equal(left[0]?.n, 0, `${table} duplicates deleted`);
    }
    let after = 0;
    for (const table of SOURCE_TABLE_NAMES) after += await source.countRows(table);
    assert.equal(after, total + changes.rowsInserted - changes.rowsDeleted);

    // Another round with the same seed and round number changes the same rows the same way (deterministic).
    const again = await simulateChanges(
      { population: POPULATION, seed: 9, round: 1, rate: 0.05, kinds: ['late_coded_diagnosis'] },
      { writer: source, reference },
    );
    assert.deepEqual(again.keys.late_coded_diagnosis, changes.keys.late_coded_diagnosis);
  } finally {
    await source.close();
  }
});

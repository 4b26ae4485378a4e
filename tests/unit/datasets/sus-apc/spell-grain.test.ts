import assert from 'node:assert/strict';
import { test } from 'node:test';
import { feedsPatientDimension } from '../../../../shared/application/use-cases/pipeline/patient-dimension.js';
import { SOURCE_TABLE_NAMES, SOURCE_TABLES } from '../../../../shared/domain/datasets/source-tables.js';
import { ACTIVITY_MAPPING } from '../../../../shared/domain/gold/activity-mapping.js';
import { projectForTable } from '../../../../shared/domain/pseudonymise/projects.js';
import { silverColumns } from '../../../../shared/domain/pseudonymise/silver-row.js';

const SUS = SOURCE_TABLE_NAMES.filter((t) => SOURCE_TABLES[t].dataset === 'sus_apc');

test('SUS+ APC has both grains, the spell captured before its episodes (parents first)', () => {
  assert.deepEqual(SUS, ['sus_apc_spell', 'sus_apc_episode']);
  assert.ok(SOURCE_TABLE_NAMES.indexOf('sus_apc_spell') < SOURCE_TABLE_NAMES.indexOf('sus_apc_episode'));
  for (const t of SUS) assert.equal(projectForTable(t), 'careflow');
});

test("a spell's price is on one table only: fact_activity takes the cost from the spell, never per episode", () => {
  const costed = SUS.filter((t) => ACTIVITY_MAPPING[t].costColumn !== null);
  assert.deepEqual(costed, ['sus_apc_spell']);
  const columnsOf = (t: (typeof SUS)[number]) => SOURCE_TABLES[t].columns.map((c) => c.name);
  for (const t of SUS) {
    const { codeColumn, costColumn } = ACTIVITY_MAPPING[t];
    if (codeColumn !== null) assert.ok(columnsOf(t).includes(codeColumn), `${t} has ${codeColumn}`);
    if (costColumn !== null) assert.ok(columnsOf(t).includes(costColumn), `${t} has ${costColumn}`);
  }
  // No column of the episode holds a price (nothing a mart could sum per episode).
  assert.ok(!SOURCE_TABLES.sus_apc_episode.columns.some((c) => c.type === 'decimal'));
});

test('the episode feeds the patient dimension; the spell does not (no registration fields), yet links by token and age', () => {
  assert.equal(feedsPatientDimension('sus_apc_episode'), true);
  assert.equal(feedsPatientDimension('sus_apc_spell'), false);
  const silver = silverColumns('sus_apc_spell').map((c) => c.name);
  for (const c of ['patient_token', 'age_at_activity', 'age_band', 'age_on_admission'])
    assert.ok(silver.includes(c), c);
  for (const c of ['nhs_number', 'date_of_birth']) assert.ok(!silver.includes(c), `${c} never leaves bronze`);
});

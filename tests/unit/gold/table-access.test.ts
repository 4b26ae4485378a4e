import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  WAREHOUSE_TABLES,
  accessFromColumns,
  personLevelColumns,
} from '../../../shared/domain/gold/table-access.js';
import type { PortableColumn } from '../../../shared/domain/gold/portable-types.js';

const c = (name: string, type: PortableColumn['type'] = 'string') => ({ name, type });

test('no table declared published carries a person-level column (person, pseudonym, record id, date below month)', () => {
  for (const table of WAREHOUSE_TABLES) {
    if (table.access !== 'published') continue;
    assert.deepEqual(personLevelColumns(table.columns), [], `${table.name} is declared published`);
  }
});

test('every warehouse table has a one-line description and a unique name', () => {
  const names = WAREHOUSE_TABLES.map((t) => t.name);
  assert.equal(new Set(names).size, names.length);
  for (const table of WAREHOUSE_TABLES) {
    assert.match(table.description, /^\S.{9,}$/, `${table.name}: a one-line description`);
    assert.ok(!/[\r\n]/.test(table.description), table.name);
  }
});

test('each kind of person-level column makes a table restricted, whatever else it holds', () => {
  const aggregate = [c('provider_code'), c('period'), c('persons', 'int'), c('cost_gbp', 'decimal(12,2)')];
  assert.equal(accessFromColumns(aggregate), 'published');
  const cases: [ReturnType<typeof c>, string][] = [
    [c('person_id'), 'person'],
    [c('patient_token'), 'person'],
    [c('patient_sk'), 'person'],
    [c('nhs_number'), 'person'],
    [c('attendance_id'), 'record id'],
    [c('spell_key'), 'record id'],
    [c('hospital_provider_spell_number'), 'record id'],
    [c('discharge_date', 'date'), 'exact date'],
    [c('arrival_at', 'timestamp'), 'exact date'],
    [c('period_end_date', 'date'), 'exact date'],
  ];
  for (const [column, why] of cases) {
    assert.deepEqual(personLevelColumns([...aggregate, column]), [{ column: column.name, why }], column.name);
    assert.equal(accessFromColumns([...aggregate, column]), 'restricted', column.name);
  }
  // Ids of things that are not patients' records do not restrict a table.
  assert.equal(accessFromColumns([...aggregate, c('batch_id'), c('rule_id')]), 'published');
});

test('the row-level tables are restricted: the patient dimension, the activity fact and the per-record marts', () => {
  const restricted = WAREHOUSE_TABLES.filter((t) => t.access === 'restricted').map((t) => t.name);
  for (const name of [
    'dim_patient',
    'fact_activity',
    'fact_spell_prescribing',
    'fact_discharge_mh_referral',
    'fact_ae_pathway',
  ])
    assert.ok(restricted.includes(name), name);
});

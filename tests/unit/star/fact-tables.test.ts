import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableDeclaration } from '../../../shared/domain/datasets/dataset-declarations.js';
import { SOURCE_TABLE_NAMES, sourceTable } from '../../../shared/domain/datasets/source-tables.js';
import { FACT_ACTIVITY, GOLD_TABLES, changeSetColumns } from '../../../shared/domain/gold/gold-tables.js';
import type { PortableColumn, PortableRow } from '../../../shared/domain/gold/portable-types.js';
import { SILVER_LINEAGE_COLUMNS } from '../../../shared/domain/pipeline/silver-lineage.js';
import { personLevelColumns } from '../../../shared/domain/gold/table-access.js';
import { silverColumns } from '../../../shared/domain/pseudonymise/silver-row.js';
import type { Organisation } from '../../../shared/domain/reference/reference-data.js';
import {
  activityFactRow,
  activityFactSilverColumns,
  datasetFactRow,
  type FactContext,
  datasetFactSilverColumns,
  starKeyLookup,
} from '../../../shared/domain/star/fact-rows.js';
import {
  DATASET_FACT_DECLARATIONS,
  DATASET_FACT_TABLES,
  datasetFactTable,
} from '../../../shared/domain/star/fact-tables.js';

/** The fact context of a linked row, and a lookup that echoes what it is asked (the row tests below). */
const LINKED: FactContext = {
  project: 'p',
  patientSk: 'sk',
  patientToken: 'tok',
  personId: 'person',
  linkQuality: 'deterministic',
  batchId: 'b',
  loadedAt: 'now',
  seq: 3,
};
const ECHO_LOOKUP = { organisationSk: (code: unknown, date: string | null) => `${String(code)}@${date}` };

test('a fact column taken from silver has the silver type and the declared width and description: declared once', () => {
  for (const fact of DATASET_FACT_DECLARATIONS) {
    const table = datasetFactTable(fact);
    const silver = new Map(silverColumns(fact.source).map((c) => [c.name, c]));
    const declared = new Map(tableDeclaration(fact.source).table.columns.map((c) => [c.name, c]));
    for (const name of [...fact.keep, ...sourceTable(fact.source).key]) {
      const c = table.columns.find((col) => col.name === name);
      assert.ok(c, `${fact.name}.${name}`);
      assert.equal(c.type, silver.get(name)?.type, `${fact.name}.${name} type`);
      const d = declared.get(name);
      if (d) {
        assert.equal(c.description, d.description, `${fact.name}.${name} description`);
        if (d.type === 'varchar' || d.type === 'char')
          assert.equal(c.maxLength, d.length, `${fact.name}.${name} width`);
      }
    }
  }
});

test('every dataset fact is restricted, keyed by its source key, versioned, and references the patient and organisation versions', () => {
  for (const fact of DATASET_FACT_TABLES) {
    assert.equal(fact.access, 'restricted', fact.name);
    assert.ok(
      personLevelColumns(fact.columns).some((c) => c.column === 'patient_sk'),
      fact.name,
    );
    assert.deepEqual(fact.version, ['source_captured_at']);
    assert.deepEqual(
      (fact.references ?? []).map((r) => r.dimension).slice(0, 2),
      ['dim_patient', 'dim_organisation'],
      fact.name,
    );
    for (const r of fact.references ?? []) {
      assert.ok(
        fact.columns.some((c) => c.name === r.column),
        `${fact.name}.${r.column}`,
      );
      for (const m of r.member)
        assert.ok(
          fact.columns.some((c) => c.name === m),
          `${fact.name} member ${m}`,
        );
      const dimension = GOLD_TABLES.find((t) => t.name === r.dimension);
      for (const m of r.dimensionMember ?? r.member)
        assert.ok(
          dimension?.columns.some((c) => c.name === m),
          `${r.dimension} member ${m}`,
        );
    }
    const names = fact.columns.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, `${fact.name}: no column twice`);
  }
  // Only the spell carries a price: a cost column on any other APC fact would be summed per episode.
  const priced = DATASET_FACT_TABLES.filter((t) => t.columns.some((c) => /tariff|cost/.test(c.name)));
  assert.deepEqual(
    priced.map((t) => t.name),
    ['fact_apc_spell', 'fact_prescribing'],
  );
});

const org = (code: string, effectiveFrom: string, effectiveTo: string | null): Organisation =>
  ({ code, effectiveFrom, effectiveTo }) as Organisation;

test('a fact row takes the organisation version in force on its activity date, its date keys and its HRG year', () => {
  const versions = [org('RRK', '2015-04-01', '2026-09-02'), org('RRK', '2026-09-03', null)];
  const lookup = starKeyLookup({
    organisation: (code, asOf) =>
      versions.find(
        (v) =>
          v.code === code &&
          asOf !== undefined &&
          v.effectiveFrom <= asOf &&
          (v.effectiveTo === null || asOf <= v.effectiveTo),
      ),
  });
  const fact = DATASET_FACT_DECLARATIONS.find((f) => f.name === 'fact_apc_spell');
  assert.ok(fact);
  const table = datasetFactTable(fact);
  const silver = (admission: string): PortableRow => ({
    spell_id: 'S1',
    provider_code: 'RRK',
    admission_date: admission,
    discharge_date: '2027-04-02',
    spell_hrg: 'EB03E',
    tariff_gbp: '100.00',
    _op: 'upsert',
    _captured_at: '2026-12-01T00:00:00.000Z',
    _event_id: 'e1',
  });
  const ctx = {
    project: 'careflow',
    patientSk: null,
    patientToken: null,
    personId: null,
    linkQuality: 'unlinked',
    batchId: 'b',
    loadedAt: 'now',
    seq: 1,
  };
  const before = datasetFactRow(table, fact, silver('2026-09-02'), ctx, lookup);
  const after = datasetFactRow(table, fact, silver('2026-09-03'), ctx, lookup);
  assert.equal(before.organisation_sk, 'RRK@2015-04-01');
  assert.equal(after.organisation_sk, 'RRK@2026-09-03');
  assert.equal(after.date_key, 20260903);
  assert.equal(after.discharge_date_key, 20270402);
  assert.equal(after.period, '2026-09');
  assert.equal(after.hrg_sk, 'EB03E|2026/27');
  assert.equal(datasetFactRow(table, fact, silver('2026-03-31'), ctx, lookup).hrg_sk, 'EB03E|2025/26');
  assert.equal(after.tariff_gbp, '100.00');
  // Every declared column is present, nothing else but _op and _seq.
  assert.deepEqual(Object.keys(after).sort(), [...table.columns.map((c) => c.name), '_op', '_seq'].sort());
});

test('a silver delete becomes a tombstone: key, project and lineage only', () => {
  for (const fact of DATASET_FACT_DECLARATIONS) {
    const table = datasetFactTable(fact);
    const key = sourceTable(fact.source).key;
    const silver: PortableRow = { _op: 'delete', _captured_at: '2026-12-01T00:00:00.000Z', _event_id: 'e2' };
    for (const k of key) silver[k] = 'K1';
    const row = datasetFactRow(
      table,
      fact,
      silver,
      {
        project: 'p',
        patientSk: null,
        patientToken: null,
        personId: null,
        linkQuality: null,
        batchId: 'b',
        loadedAt: 'now',
        seq: 2,
      },
      { organisationSk: () => 'X' },
    );
    assert.equal(row._op, 'delete');
    const filled = Object.entries(row)
      .filter(([, v]) => v !== null)
      .map(([k]) => k)
      .sort();
    assert.deepEqual(
      filled,
      [...key, 'project', 'source_captured_at', 'event_id', 'batch_id', 'loaded_at', '_op', '_seq'].sort(),
      fact.name,
    );
    for (const c of table.columns)
      if (!c.nullable) assert.notEqual(row[c.name], null, `${fact.name}.${c.name} is not null`);
  }
});

test('the gold facts read from silver only the columns declared for them, and a row holding only those builds the same facts', () => {
  const value = (c: PortableColumn): PortableRow[string] => {
    if (c.type === 'date') return '2026-09-03';
    if (c.type === 'timestamp') return '2026-09-03T10:15:00.000Z';
    if (c.type === 'int') return 7;
    if (c.type === 'bigint') return '9007199254740993';
    if (c.type === 'double') return 1.5;
    if (c.type === 'boolean') return true;
    if (c.type.startsWith('decimal')) return '12.50';
    return `${c.name}-value`;
  };
  for (const table of SOURCE_TABLE_NAMES) {
    const fact = DATASET_FACT_DECLARATIONS.find((f) => f.source === table);
    for (const op of ['upsert', 'delete']) {
      const full: PortableRow = {};
      for (const c of [...silverColumns(table), ...SILVER_LINEAGE_COLUMNS]) full[c.name] = value(c);
      full._op = op;
      const read = new Set<string>();
      const watched = new Proxy(full, {
        get(target, name, receiver) {
          if (typeof name === 'string') read.add(name);
          return Reflect.get(target, name, receiver) as unknown;
        },
      });
      const declared = new Set(activityFactSilverColumns(table));
      const activity = activityFactRow(table, watched, LINKED);
      assert.deepEqual(
        [...read].filter((n) => !declared.has(n)),
        [],
        `${table} fact_activity (${op})`,
      );
      const only = (names: Iterable<string>): PortableRow =>
        Object.fromEntries([...names].map((n) => [n, full[n] ?? null]));
      assert.deepEqual(
        activityFactRow(table, only(declared), LINKED),
        activity,
        `${table} fact_activity (${op})`,
      );
      if (!fact) continue;
      read.clear();
      const factTable = datasetFactTable(fact);
      const datasetDeclared = new Set(datasetFactSilverColumns(fact));
      const dataset = datasetFactRow(factTable, fact, watched, LINKED, ECHO_LOOKUP);
      assert.deepEqual(
        [...read].filter((n) => !datasetDeclared.has(n)),
        [],
        `${fact.name} (${op})`,
      );
      assert.deepEqual(
        datasetFactRow(factTable, fact, only(datasetDeclared), LINKED, ECHO_LOOKUP),
        dataset,
        `${fact.name} (${op})`,
      );
    }
  }
});

test('a fact_activity row, upsert or tombstone, has exactly the change set columns of fact_activity, in order', () => {
  // activityFactRow spells its row out (one literal, no spread), so this keeps it to the declaration.
  const expected = changeSetColumns(FACT_ACTIVITY).map((c) => c.name);
  for (const table of SOURCE_TABLE_NAMES) {
    for (const op of ['upsert', 'delete']) {
      const silver: PortableRow = { _op: op, _captured_at: '2026-01-01T00:00:00.000Z', _event_id: 'e' };
      for (const k of sourceTable(table).key) silver[k] = 'k';
      const row = activityFactRow(table, silver, LINKED);
      assert.deepEqual(Object.keys(row), expected, `${table} (${op})`);
      assert.equal(row._op, op);
    }
  }
});

test("a dataset fact row, upsert or tombstone, has exactly its table's change set columns, in order", () => {
  // Rows are copied from the table's empty row and every store replaces a value (no property is
  // added: V8 adds properties to a copied object slowly), so the keys are the declaration's.
  for (const fact of DATASET_FACT_DECLARATIONS) {
    const table = datasetFactTable(fact);
    const expected = changeSetColumns(table).map((c) => c.name);
    for (const op of ['upsert', 'delete']) {
      const silver: PortableRow = {};
      for (const c of [...silverColumns(fact.source), ...SILVER_LINEAGE_COLUMNS]) silver[c.name] = 'x';
      silver._op = op;
      silver[sourceTable(fact.source).activityDateColumn] = '2026-01-02';
      const row = datasetFactRow(table, fact, silver, LINKED, ECHO_LOOKUP);
      assert.deepEqual(Object.keys(row), expected, `${fact.name} (${op})`);
      assert.equal(row._op, op);
    }
  }
});

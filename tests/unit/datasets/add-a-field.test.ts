import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { compileContract } from '../../../shared/domain/datasets/contract-engine.js';
import { codeList } from '../../../shared/domain/datasets/contract-rules.js';
import { renderDatasetDoc } from '../../../shared/domain/datasets/dataset-docs.js';
import { DATASET_DECLARATIONS } from '../../../shared/domain/datasets/dataset-declarations.js';
import {
  col,
  nhsName,
  sourceTableSpecOf,
  type ColumnDeclaration,
  type DatasetDeclaration,
} from '../../../shared/domain/datasets/declaration.js';
import { wireSchemaOf } from '../../../shared/domain/datasets/wire-schema.js';
import { dqItemsOf } from '../../../shared/domain/dq/dq-items.js';
import { CLEAN_ROWS, EXTRACT_DATE } from './clean-rows.js';

/**
 * docs/datasets/README.md "How to add a field": a new column is one entry in its table's
 * declaration. Here every declared table gets an extra column, and every derived form (SQL spec,
 * zod wire schema, row contract, DQ items, dataset doc) shows it without any other edit.
 */
const reference = loadReferenceData();
const extra: ColumnDeclaration = col.varchar('test_added_code', 2, 'A field added by the test', {
  nullable: true,
  nhs: nhsName('TestAddedCode', 'test'),
  rules: [codeList('sex')],
  dq: { index: true },
});

function withExtraColumn(d: DatasetDeclaration, tableIndex: number): DatasetDeclaration {
  return {
    ...d,
    tables: d.tables.map((t, i) => (i === tableIndex ? { ...t, columns: [...t.columns, extra] } : t)),
  };
}

for (const dataset of DATASET_DECLARATIONS)
  dataset.tables.forEach((table, index) => {
    test(`a column added to the ${table.table} declaration appears in its SQL spec, zod schema, contract, DQ items and doc`, () => {
      const changed = withExtraColumn(dataset, index);
      const declared = changed.tables[index];
      assert.ok(declared);

      const spec = sourceTableSpecOf(declared);
      assert.deepEqual(spec.columns.at(-1), {
        name: 'test_added_code',
        type: 'varchar',
        length: 2,
        nullable: true,
      });
      assert.equal(spec.columns.length, table.columns.length + 1);

      const schema = wireSchemaOf(declared);
      const clean = CLEAN_ROWS[table.table];
      assert.equal(schema.safeParse({ ...clean, test_added_code: '1' }).success, true);
      assert.equal(schema.safeParse({ ...clean, test_added_code: 'TOO LONG' }).success, false);
      assert.equal(schema.safeParse(clean).success, false, 'the schema requires the new column');

      const contract = compileContract(changed, declared, reference, { asOf: EXTRACT_DATE });
      assert.equal(contract.check({ ...clean, test_added_code: '1' }).ok, true);
      const bad = contract.check({ ...clean, test_added_code: 'Q' });
      assert.equal(bad.ok, false);
      if (!bad.ok)
        assert.deepEqual(
          bad.failures.map((f) => f.rule),
          [`${dataset.rulePrefix}.TEST_ADDED_CODE.CODE_LIST`],
        );
      const missing = contract.check(clean);
      assert.equal(missing.ok, false);
      if (!missing.ok)
        assert.deepEqual(
          missing.failures.map((f) => f.rule),
          [`${dataset.rulePrefix}.TEST_ADDED_CODE.COLUMN_MISSING`],
        );

      assert.deepEqual(dqItemsOf(declared).at(-1), {
        table: table.table,
        field: 'test_added_code',
        defaults: [],
        defaultPrefixes: [],
        defaultThreshold: 1,
        inIndex: true,
      });

      const doc = renderDatasetDoc(changed, []);
      const row = doc.split('\n').find((line) => line.startsWith('| test_added_code |'));
      assert.ok(row, 'the doc has a row for the new column');
      for (const shown of [
        '`TestAddedCode` (test)',
        'varchar(2)',
        'A field added by the test',
        `${dataset.rulePrefix}.TEST_ADDED_CODE.{TYPE, LENGTH, CODE_LIST}`,
        'code list `sex`',
        'index item',
      ])
        assert.ok(row.includes(shown), `the doc row shows ${shown}`);
    });
  });

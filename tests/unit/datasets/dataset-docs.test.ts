import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderDatasetDocs } from '../../../shared/domain/datasets/dataset-docs.js';
import { DATASET_DECLARATIONS } from '../../../shared/domain/datasets/dataset-declarations.js';

const docs = renderDatasetDocs();

test('there is one generated doc per declared dataset', () => {
  assert.deepEqual(
    docs.map((d) => d.path),
    DATASET_DECLARATIONS.map((d) => `docs/datasets/${d.slug}.md`),
  );
});

for (const { path, text } of docs) {
  test(`${path} is the doc generated from its declaration (run npm run docs:datasets when this fails)`, () => {
    const committed = readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
    assert.equal(committed, text, `${path} is stale: run npm run docs:datasets`);
  });
}

for (const dataset of DATASET_DECLARATIONS) {
  test(`the ${dataset.dataset} doc lists every declared field of every table, with its NHS name column filled`, () => {
    const text = docs.find((d) => d.path === `docs/datasets/${dataset.slug}.md`)?.text ?? '';
    for (const table of dataset.tables)
      for (const col of table.columns) {
        const row = text
          .split('\n')
          .find(
            (line) =>
              line.startsWith(`| ${col.name} | `) &&
              line.includes(`${dataset.rulePrefix}.${col.name.toUpperCase()}.`),
          );
        assert.ok(row, `${table.table}.${col.name} has no row in the doc`);
        const nhsCell = row.split(' | ')[1] ?? '';
        assert.ok(nhsCell.trim().length > 0, `${table.table}.${col.name} has an empty NHS name cell`);
        if (col.nhsName) assert.ok(nhsCell.includes(col.nhsName.name), `${table.table}.${col.name} NHS name`);
      }
  });
}

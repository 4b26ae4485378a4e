import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { contractFieldTable } from '../../../shared/domain/datasets/contract-docs.js';
import { SOURCE_TABLES, SOURCE_TABLE_NAMES } from '../../../shared/domain/datasets/source-tables.js';

const DOC: Record<string, string> = {
  sus_apc: 'sus-apc',
  prescribing: 'prescribing',
  mhsds: 'mhsds',
  ecds: 'ecds',
  csds: 'csds',
  dids: 'dids',
};

for (const table of SOURCE_TABLE_NAMES) {
  test(`docs/datasets holds the current field table of ${table}`, () => {
    const doc = readFileSync(
      new URL(`../../../docs/datasets/${DOC[SOURCE_TABLES[table].dataset]}.md`, import.meta.url),
      'utf8',
    );
    assert.ok(
      doc.includes(contractFieldTable(table)),
      `regenerate the ${table} table with contractFieldTable()`,
    );
  });
}

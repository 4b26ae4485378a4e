import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WAREHOUSE_TABLES } from '../../../shared/domain/gold/table-access.js';
import { REFERENCE_DIMENSIONS } from '../../../shared/domain/star/reference-dimensions.js';
import {
  renderStarArtefacts,
  SYNAPSE_DDL_PATH,
  OUTPUTS_DOC_PATH,
} from '../../../shared/domain/star/star-artefacts.js';
import {
  PERIOD_PARTITION_BOUNDARIES,
  synapseColumnType,
} from '../../../shared/domain/warehouse/synapse-ddl.js';

const artefacts = renderStarArtefacts();
const text = (path: string): string => artefacts.find((a) => a.path === path)?.text ?? '';

for (const { path, text: generated } of artefacts) {
  test(`${path} is the file generated from the declarations (run npm run star:generate when this fails)`, () => {
    const committed = readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
    assert.equal(committed, generated, `${path} is stale: run npm run star:generate`);
  });
}

/** The CREATE TABLE statement of a table in the generated DDL, as its column lines and WITH clause. */
function createTable(name: string): { columns: Map<string, string>; options: string } {
  const ddl = text(SYNAPSE_DDL_PATH);
  const start = ddl.indexOf(`CREATE TABLE [gold].[${name}] (`);
  assert.ok(start >= 0, `${name} has a CREATE TABLE`);
  const end = ddl.indexOf(';', start);
  const body = ddl.slice(start, end);
  const columns = new Map<string, string>();
  for (const m of body.matchAll(/^ {2}\[([^\]]+)\] (.+?),?$/gm)) columns.set(m[1] ?? '', m[2] ?? '');
  return { columns, options: body.slice(body.lastIndexOf(') WITH (')) };
}

test('the Synapse DDL has every warehouse table with every declared column, its type and nullability, in order', () => {
  for (const table of WAREHOUSE_TABLES) {
    const { columns } = createTable(table.name);
    assert.deepEqual(
      [...columns.keys()],
      table.columns.map((c) => c.name),
      table.name,
    );
    for (const c of table.columns)
      assert.equal(
        columns.get(c.name),
        `${synapseColumnType(c)} ${c.nullable ? 'NULL' : 'NOT NULL'}`,
        `${table.name}.${c.name}`,
      );
  }
});

test('strings of the star schema are typed at their declared width, not one string width', () => {
  for (const table of WAREHOUSE_TABLES.filter((t) => t.kind !== 'mart')) {
    const { columns } = createTable(table.name);
    for (const c of table.columns.filter((col) => col.type === 'string')) {
      assert.ok(c.maxLength, `${table.name}.${c.name} declares its width`);
      assert.equal(columns.get(c.name)?.split(' ')[0], `NVARCHAR(${c.maxLength})`, `${table.name}.${c.name}`);
    }
  }
});

test('distribution follows the joins: patient tables hashed on the stable patient token, reference dimensions replicated, marts round-robin; all columnstore', () => {
  for (const table of WAREHOUSE_TABLES) {
    const { options } = createTable(table.name);
    assert.match(options, /CLUSTERED COLUMNSTORE INDEX/, table.name);
    const expected =
      table.kind === 'mart'
        ? 'ROUND_ROBIN'
        : table.columns.some((c) => c.name === 'patient_token')
          ? 'HASH([patient_token])'
          : table.kind === 'dimension'
            ? 'REPLICATE'
            : `HASH([${table.key[0]}])`;
    assert.ok(options.includes(`DISTRIBUTION = ${expected}`), `${table.name}: ${options}`);
    // patient_sk is re-keyed in place after every batch (ADR 0009): never the distribution column.
    assert.ok(!options.includes('HASH([patient_sk])'), table.name);
  }
  for (const table of REFERENCE_DIMENSIONS) assert.match(createTable(table.name).options, /REPLICATE/);
});

test('every fact with a period is partitioned on it by financial year, and nothing else is partitioned', () => {
  for (const table of WAREHOUSE_TABLES) {
    const { options } = createTable(table.name);
    const partitioned = table.kind === 'fact' && table.columns.some((c) => c.name === 'period');
    assert.equal(options.includes('PARTITION ([period] RANGE RIGHT FOR VALUES ('), partitioned, table.name);
  }
  assert.ok(
    PERIOD_PARTITION_BOUNDARIES.every((b) => /^\d{4}-04$/.test(b)),
    'boundaries are 1 April, YYYY-MM like period',
  );
  assert.deepEqual([...PERIOD_PARTITION_BOUNDARIES].sort(), PERIOD_PARTITION_BOUNDARIES);
});

test('docs/outputs.md lists every warehouse table with its access and every column, marts included', () => {
  const doc = text(OUTPUTS_DOC_PATH);
  for (const table of WAREHOUSE_TABLES) {
    const start = doc.indexOf(`\n### ${table.name}\n`);
    assert.ok(start >= 0, `${table.name} has a section`);
    const next = doc.indexOf('\n### ', start + 1);
    const section = doc.slice(start, next < 0 ? undefined : next);
    assert.ok(section.includes(`access: **${table.access}**`), `${table.name} access`);
    for (const c of table.columns) assert.ok(section.includes(`\n| ${c.name} | `), `${table.name}.${c.name}`);
  }
  for (const term of ['patient_sk', 'person_id', 'link_quality', 'DuckDB', 'Power BI', 'Synapse'])
    assert.ok(doc.includes(term), term);
});

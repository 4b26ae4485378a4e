import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPowerBiModel, tmdlDataType } from '../../../shared/domain/star/powerbi-model.js';
import { STAR_MEASURES, STAR_TABLES, starRelationships } from '../../../shared/domain/star/star-schema.js';
import { DATASET_FACT_TABLES } from '../../../shared/domain/star/fact-tables.js';

const files = renderPowerBiModel();
const file = (suffix: string): string => files.find((f) => f.path.endsWith(suffix))?.text ?? '';

interface TmdlTable {
  name: string;
  columns: Map<string, string>;
  measures: string[];
  partitionItem: string | undefined;
}

/** A small TMDL reader: the table, its columns with data types, its measures and its partition's item. */
function readTable(text: string): TmdlTable {
  const unquote = (s: string) => s.replace(/^'(.*)'$/, '$1').replace(/''/g, "'");
  const name = unquote(/^table (.+)$/m.exec(text)?.[1] ?? '');
  const columns = new Map<string, string>();
  for (const m of text.matchAll(/^\tcolumn (.+)\n\t\tdataType: (\w+)$/gm))
    columns.set(unquote(m[1] ?? ''), m[2] ?? '');
  const measures = [...text.matchAll(/^\tmeasure (.+?) = /gm)].map((m) => unquote(m[1] ?? ''));
  const partitionItem = /Item="([^"]+)"/.exec(text)?.[1];
  return { name, columns, measures, partitionItem };
}

const tables = new Map(
  files
    .filter((f) => f.path.includes('/definition/tables/'))
    .map((f) => {
      const t = readTable(f.text);
      return [t.name, t] as const;
    }),
);

test('every star table is in the model with every declared column and its data type, read from its Synapse table', () => {
  assert.deepEqual([...tables.keys()].sort(), STAR_TABLES.map((t) => t.name).sort());
  for (const declared of STAR_TABLES) {
    const t = tables.get(declared.name);
    assert.ok(t, declared.name);
    assert.deepEqual(
      [...t.columns.keys()],
      declared.columns.map((c) => c.name),
      declared.name,
    );
    for (const c of declared.columns)
      assert.equal(t.columns.get(c.name), tmdlDataType(c), `${declared.name}.${c.name}`);
    assert.equal(t.partitionItem, declared.name);
  }
  const model = file('/definition/model.tmdl');
  for (const declared of STAR_TABLES)
    assert.ok(model.includes(`\nref table ${declared.name}\n`), declared.name);
});

test('relationships join existing fact columns to their dimension key, one active path per pair of tables', () => {
  const text = file('/definition/relationships.tmdl');
  const blocks = text.split('\n\n').filter((b) => b.trim().length > 0);
  assert.equal(blocks.length, starRelationships().length);
  const active = new Set<string>();
  for (const block of blocks) {
    const from = /fromColumn: (\w+)\.(\w+)/.exec(block);
    const to = /toColumn: (\w+)\.(\w+)/.exec(block);
    assert.ok(from && to, block);
    const [, fact = '', factColumn = ''] = from;
    const [, dimension = '', dimensionColumn = ''] = to;
    assert.ok(tables.get(fact)?.columns.has(factColumn), `${fact}.${factColumn} exists`);
    assert.ok(tables.get(dimension)?.columns.has(dimensionColumn), `${dimension}.${dimensionColumn} exists`);
    const dim = STAR_TABLES.find((t) => t.name === dimension);
    assert.deepEqual(
      dim?.key,
      [dimensionColumn],
      `${dimension}.${dimensionColumn} is the dimension's key (the one side)`,
    );
    assert.equal(
      tmdlDataType(
        STAR_TABLES.find((t) => t.name === fact)?.columns.find((c) => c.name === factColumn) ?? {
          type: 'string',
        },
      ),
      tables.get(dimension)?.columns.get(dimensionColumn),
      `${fact}.${factColumn} and ${dimension}.${dimensionColumn} have one type`,
    );
    if (!block.includes('isActive: false')) {
      assert.ok(!active.has(`${fact}|${dimension}`), `one active relationship ${fact} → ${dimension}`);
      active.add(`${fact}|${dimension}`);
    }
  }
});

test('every dataset fact reaches the patient, organisation and date dimensions; every surrogate reference is a relationship', () => {
  const rels = starRelationships();
  for (const fact of DATASET_FACT_TABLES) {
    for (const dimension of ['dim_patient', 'dim_organisation', 'dim_date'])
      assert.ok(
        rels.some((r) => r.fact === fact.name && r.dimension === dimension && r.active),
        `${fact.name} → ${dimension}`,
      );
    for (const ref of fact.references ?? [])
      assert.ok(
        rels.some((r) => r.fact === fact.name && r.column === ref.column && r.dimension === ref.dimension),
        `${fact.name}.${ref.column}`,
      );
  }
});

test('the key measures sit on their table and name only columns that exist there', () => {
  for (const name of ['Spells', 'Spell cost', 'Attendances'])
    assert.ok(
      STAR_MEASURES.some((m) => m.name === name),
      name,
    );
  for (const m of STAR_MEASURES) {
    assert.ok(tables.get(m.table)?.measures.includes(m.name), `${m.table} has measure ${m.name}`);
    for (const ref of m.expression.matchAll(/'(\w+)'\[(\w+)\]/g))
      assert.ok(tables.get(ref[1] ?? '')?.columns.has(ref[2] ?? ''), `${m.name}: ${ref[0]}`);
  }
});

test('the model reads Synapse through the server and database parameters and the project opens the model', () => {
  const expressions = file('/definition/expressions.tmdl');
  for (const p of ['SynapseServer', 'SynapseDatabase'])
    assert.match(expressions, new RegExp(`^expression ${p} = ".+" meta \\[IsParameterQuery=true`, 'm'));
  for (const t of tables.values())
    assert.ok(
      files.some((f) => f.text.includes('Sql.Database(SynapseServer, SynapseDatabase)')),
      t.name,
    );
  const pbip = JSON.parse(file('.pbip')) as { artifacts: { report: { path: string } }[] };
  const pbir = JSON.parse(file('/definition.pbir')) as { datasetReference: { byPath: { path: string } } };
  assert.equal(pbip.artifacts[0]?.report.path, 'nhs-flows.Report');
  assert.equal(pbir.datasetReference.byPath.path, '../nhs-flows.SemanticModel');
});

import { RULES_BY_DATASET } from '../validate/rules/rule-catalogue.js';
import type { Rule } from '../validate/rule.js';
import { typeRuleSuffixes } from './contract-engine.js';
import { sqlTypeOf } from './contracts.js';
import { DATASET_DECLARATIONS } from './dataset-declarations.js';
import type { ColumnDeclaration, DatasetDeclaration, TableDeclaration } from './declaration.js';

/**
 * docs/datasets/<slug>.md, generated from the dataset declarations (`npm run docs:datasets`
 * writes them; tests/unit/datasets/dataset-docs.test.ts regenerates them in memory and fails when
 * a committed doc differs). Deterministic: declaration order, no dates.
 */

/** Where the declarations live, relative to the repository root. */
const DATASETS_DIR = 'shared/domain/datasets';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const kebab = (table: string): string => table.replace(/_/g, '-');

function nhsNameCell(c: ColumnDeclaration): string {
  if (c.system) return 'source system column';
  if (!c.nhsName) return '— (not in the reference: unverified)';
  const tag =
    c.nhsName.verified === 'V' ? '' : c.nhsName.verified === 'P' ? ', partly verified' : ', unverified';
  return `\`${c.nhsName.name}\` (${c.nhsName.source}${tag})`;
}

function ruleIdsCell(prefix: string, t: TableDeclaration, c: ColumnDeclaration): string {
  const suffixes = [
    ...typeRuleSuffixes(c),
    ...c.rules.flatMap((r) => r.rules),
    ...t.rowRules.filter((r) => r.field === c.name).map((r) => r.rule),
  ].filter((r) => r !== 'COLUMN_MISSING');
  return `\`${prefix}.${c.name.toUpperCase()}.{${[...new Set(suffixes)].join(', ')}}\``;
}

function lookupsCell(c: ColumnDeclaration): string {
  return c.rules
    .flatMap((r) => [
      ...(r.codeList === undefined ? [] : [`code list \`${r.codeList}\``]),
      ...(r.reference === undefined ? [] : [r.reference]),
    ])
    .join('; ');
}

function dqCell(c: ColumnDeclaration): string {
  if (c.system || !c.dq) return c.system ? '' : 'item';
  const parts = [c.dq.index ? 'index item' : 'item'];
  const defaults = [...(c.dq.defaults ?? []), ...(c.dq.prefixes ?? []).map((p) => `${p}…`)];
  if (defaults.length > 0)
    parts.push(`defaults ${defaults.join(', ')} (up to ${Math.round((c.dq.threshold ?? 1) * 1000) / 10} %)`);
  return parts.join('; ');
}

/** The field table of one declared table. */
export function renderFieldTable(prefix: string, t: TableDeclaration): string {
  const lines = [
    '| field | NHS name | type | nullable | identifier | description | rule ids | code list / reference | DQ |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of t.columns)
    lines.push(
      `| ${c.name} | ${nhsNameCell(c)} | ${sqlTypeOf(c)} | ${c.nullable ? 'yes' : 'no'} | ${c.identifier ?? ''} | ${cell(c.description)} | ${ruleIdsCell(prefix, t, c)} | ${cell(lookupsCell(c))} | ${dqCell(c)} |`,
    );
  return lines.join('\n');
}

const SCOPE: Readonly<Record<Rule['scope'], string>> = {
  row: 'row',
  batch: 'batch (cross-row)',
  contract: 'contract (severity set here)',
};

function renderRules(rules: readonly Rule[]): string {
  const lines = ['| id | scope | tables | fields | severity | message |', '|---|---|---|---|---|---|'];
  for (const r of rules)
    lines.push(
      `| \`${r.id}\` | ${SCOPE[r.scope]} | ${r.tables.join(', ')} | ${r.fields.join(', ')} | ${r.severity} | ${cell(r.message)} |`,
    );
  return lines.join('\n');
}

/** The whole of docs/datasets/<slug>.md for one dataset and its validation rules. */
export function renderDatasetDoc(d: DatasetDeclaration, rules: readonly Rule[]): string {
  const dir = `${DATASETS_DIR}/${d.slug}`;
  const parts = [
    `# ${d.title}: fields and rules`,
    '',
    `<!-- Generated from ${dir}/ by \`npm run docs:datasets\`; do not edit (tests/unit/datasets/dataset-docs.test.ts fails when it is stale). -->`,
    '',
    `Declared in \`${dir}/${d.slug}.dataset.ts\` and one \`<table>.table.ts\` per table (see [How to add a field](README.md#how-to-add-a-field)). Rule-id prefix \`${d.rulePrefix}\`. The row contract is built by \`contractFor(table, reference, { asOf })\` (\`${DATASETS_DIR}/contracts.ts\`), the zod wire schema by \`wireSchemaOf(declaration)\` (\`${DATASETS_DIR}/wire-schema.ts\`), the SQL spec \`SOURCE_TABLES\` (\`${DATASETS_DIR}/source-tables.ts\`) and the DQ items (\`shared/domain/dq/dq-items.ts\`) from the same declaration.`,
    '',
    "Rule ids are `<PREFIX>.<FIELD>.<RULE>`; every field can also fail `COLUMN_MISSING` (the key is absent from the row; send `null` for no value), and a row that is not an object fails `<PREFIX>.(ROW).NOT_AN_OBJECT`, a column the table does not have `<PREFIX>.<COLUMN>.UNKNOWN_COLUMN`. Types are the `SourceRow` wire form: dates `'YYYY-MM-DD'`, `datetime2` UTC ISO strings ending in `Z`, `datetimeoffset` ISO strings with their offset, `int` numbers, `bigint`/`decimal` strings. Code lists are the files in `reference/code-lists/`, checked as effective on the row's activity date. `FUTURE_DATE` applies only when the contract is built with an extract date. A null NHS number passes the contract (it is flagged by the validation rules); a present, invalid one fails.",
    '',
    '**NHS name** is the field\'s name in the NHS publication or national extract it comes from, as `../shared/nhs/REFERENCE.md` gives it (NHS Data Dictionary element where the reference names one, else the NCDR/SUS, MHSDS, CSDS, DIDS or EPD field name), with where that name is used; "partly verified" and "unverified" carry the reference\'s P and K tags. A field the reference does not name is marked unverified. **DQ**: every non-system field is a data-quality item; an *index item* counts towards the dataset\'s DQMI score; *defaults* are the values meaning "not known", allowed up to the share shown.',
    '',
  ];
  for (const t of d.tables) {
    parts.push(
      `## \`${t.table}\``,
      '',
      `${t.description}. Key ${t.key.map((k) => `\`${k}\``).join(', ')}; provider \`${t.providerColumn}\`; activity date \`${t.activityDateColumn}\`. Declared in \`${dir}/${kebab(t.table)}.table.ts\`.`,
      '',
    );
    for (const note of t.notes) parts.push(note, '');
    parts.push(renderFieldTable(d.rulePrefix, t), '');
  }
  parts.push(
    '## Validation rules beyond the row contract',
    '',
    `Declared in \`shared/domain/datasets/${d.slug}/${d.slug}.batch-rules.ts\` and run by the batch engine (docs/validation-rules.md has their severities and reasons).`,
    '',
    rules.length === 0 ? 'None.' : renderRules(rules),
    '',
  );
  return parts.join('\n');
}

/** Every dataset doc: the path under the repository root and its text. */
export function renderDatasetDocs(): readonly { readonly path: string; readonly text: string }[] {
  return DATASET_DECLARATIONS.map((d) => ({
    path: `docs/datasets/${d.slug}.md`,
    text: renderDatasetDoc(d, RULES_BY_DATASET[d.dataset]),
  }));
}

import { describeContract } from './contracts.js';
import type { SourceTableName } from './source-tables.js';

/**
 * The field table of a contract as Markdown, the form docs/datasets/<dataset>.md embeds.
 * A unit test checks each doc holds the current table, so the docs cannot drift from the rules.
 * Rule ids are shown as `<PREFIX>.<FIELD>.{RULE, …}`; every field can also fail `COLUMN_MISSING`.
 */
export function contractFieldTable(table: SourceTableName): string {
  const lines = [
    '| field | type | nullable | identifier | rule ids | code list |',
    '|---|---|---|---|---|---|',
  ];
  for (const f of describeContract(table)) {
    const suffixes = f.rules
      .map((r) => r.slice(r.lastIndexOf('.') + 1))
      .filter((r) => r !== 'COLUMN_MISSING');
    const stem = f.rules[0]?.slice(0, f.rules[0].lastIndexOf('.')) ?? '';
    lines.push(
      `| ${f.field} | ${f.sqlType} | ${f.nullable ? 'yes' : 'no'} | ${f.identifier ?? ''} | \`${stem}.{${suffixes.join(', ')}}\` | ${f.codeLists.join(', ')} |`,
    );
  }
  return lines.join('\n');
}

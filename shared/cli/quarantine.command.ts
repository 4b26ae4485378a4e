import { services, resetServices } from '../../functions/composition-root.js';
import {
  quarantineSummary,
  type QuarantineSummary,
} from '../application/use-cases/pipeline/quarantine-summary.use-case.js';
import { SOURCE_TABLE_NAMES } from '../domain/datasets/source-tables.js';
import type { CliCommand } from './cli-io.js';
import { openLocalEnvironment } from './local-environment.js';

/**
 * `nhs-flows quarantine [--table T] [--rule R]`: why rows were rejected, from the quarantine
 * container: counts by table and rule, worst first, each with its first locations (file, row, line,
 * field). Whole files rejected (a manifest mismatch, say) show as row 0, field `(file)`. Never a value.
 */
export const quarantineCommand: CliCommand = {
  name: 'quarantine',
  summary: 'why rows were rejected: counts by table and rule, worst first, with file/row/field locations',
  usage: 'nhs-flows quarantine [--table T] [--rule R] [--examples N] [--json]',
  options: {
    table: { type: 'string', description: 'only this source table' },
    rule: { type: 'string', description: 'only this rule (e.g. NHS_NUMBER.CHECK_DIGIT, FILE.COLUMN_COUNT)' },
    examples: { type: 'string', description: 'locations listed per rule (default 5)' },
    json: { type: 'boolean', description: 'print JSON instead of a table' },
  },
  run: async (args, io) => {
    const table = typeof args.values.table === 'string' ? args.values.table : undefined;
    if (table !== undefined && !(SOURCE_TABLE_NAMES as readonly string[]).includes(table)) {
      io.err(
        `nhs-flows quarantine: --table: '${table}' is not a source table; expected one of ${SOURCE_TABLE_NAMES.join(', ')}`,
      );
      return 2;
    }
    const examples = args.values.examples === undefined ? 5 : Number(args.values.examples);
    if (!Number.isInteger(examples) || examples < 0) {
      io.err(
        `nhs-flows quarantine: --examples: expected a whole number, received '${String(args.values.examples)}'`,
      );
      return 2;
    }
    const env = await openLocalEnvironment();
    try {
      const { pipeline } = await services();
      const summary = await quarantineSummary(pipeline, {
        ...(table ? { table } : {}),
        ...(typeof args.values.rule === 'string' ? { rule: args.values.rule } : {}),
        examples,
      });
      io.out(args.values.json === true ? JSON.stringify(summary, null, 2) : renderQuarantine(summary));
      return 0;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

export function renderQuarantine(summary: QuarantineSummary): string {
  if (summary.groups.length === 0) return 'quarantine: nothing rejected';
  const lines = [
    `quarantine: ${summary.total} rejection(s) under ${summary.groups.length} table/rule pair(s), worst first`,
  ];
  lines.push(`  ${'count'.padStart(7)}  ${'table'.padEnd(26)} rule`);
  for (const g of summary.groups) {
    lines.push(`  ${String(g.count).padStart(7)}  ${g.table.padEnd(26)} ${g.rule}`);
    for (const e of g.examples)
      lines.push(
        `           ${e.file} row ${e.row}${e.line !== undefined ? ` (line ${e.line})` : ''}, field ${e.field}  [batch ${e.batchId}]`,
      );
  }
  return lines.join('\n');
}

import { services, resetServices } from '../../functions/composition-root.js';
import { ExportKeyError } from '../domain/errors.js';
import { GOLD_TABLES } from '../domain/gold/gold-tables.js';
import type { CliCommand } from './cli-io.js';
import { openLocalEnvironment } from './local-environment.js';

/** `nhs-flows export <table>`: a warehouse table as CSV on stdout, for inspection. */
export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'print a warehouse table as CSV',
  usage: `nhs-flows export <table> [--limit N]   tables: ${GOLD_TABLES.map((t) => t.name).join(', ')}`,
  options: { limit: { type: 'string', description: 'at most N rows (default: all)' } },
  run: async (args, io) => {
    const name = args.positionals[0];
    const table = GOLD_TABLES.find((t) => t.name === name);
    if (!table) {
      io.err(
        `export: unknown table '${name ?? ''}'; expected one of ${GOLD_TABLES.map((t) => t.name).join(', ')}`,
      );
      return 2;
    }
    const limit = args.values.limit === undefined ? undefined : Number(args.values.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      io.err(`export: --limit expects a whole number, received '${String(args.values.limit)}'`);
      return 2;
    }
    const env = await openLocalEnvironment();
    try {
      const warehouse = await (await services()).pipeline.warehouse();
      await warehouse.ensureSchema(GOLD_TABLES);
      const columns = table.columns.map((c) => c.name);
      const select = table.columns.map((c) => `CAST("${c.name}" AS VARCHAR) AS "${c.name}"`).join(', ');
      const order = table.key.map((k) => `"${k}"`).join(', ');
      const rows = await warehouse.query(
        `SELECT ${select} FROM "${table.name}" ORDER BY ${order}${limit !== undefined ? ` LIMIT ${limit}` : ''}`,
      );
      io.out(csvHeader(columns));
      for (const row of rows) io.out(columns.map((c) => csvField(row[c])).join(','));
      return 0;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

/** A cell a spreadsheet would run as a formula: =, +, -, @, tab or carriage return first. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain number is not a formula (a spreadsheet reads `-12.5` as the number either way). */
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * RFC 4180 field: quoted when it holds a comma, quote or line break; NULL as empty. A cell that
 * starts like a formula (OWASP "CSV injection": `=cmd|' /C calc'!A0`) is written as text: prefixed
 * with a single quote and quoted. Plain numbers are left as they are.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) return `"'${text.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The header row of an export; refuses keys with control characters (they would split the row). */
export function csvHeader(columns: readonly string[]): string {
  columns.forEach((c, i) => {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(c))
      throw new ExportKeyError(`export: column ${i + 1} of the header holds a control character`);
  });
  return columns.map(csvField).join(',');
}

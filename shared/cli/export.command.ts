import { services, resetServices } from '../../functions/composition-root.js';
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
      io.out(columns.join(','));
      for (const row of rows) io.out(columns.map((c) => csvField(row[c])).join(','));
      return 0;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

/** RFC 4180 field: quoted when it holds a comma, quote or line break; NULL as empty. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

import { setTimeout as sleep } from 'node:timers/promises';
import { services, resetServices } from '../../functions/composition-root.js';
import type { Warehouse } from '../application/ports/warehouse.port.js';
import { loadOptOutApplication, type OptOutApplication } from '../application/use-cases/opt-out.use-case.js';
import { discloseCount, type DisclosedCount } from '../domain/disclosure/small-numbers.js';
import { ExportKeyError } from '../domain/errors.js';
import { GOLD_TABLES } from '../domain/gold/gold-tables.js';
import type { ProjectId } from '../domain/pseudonymise/projects.js';
import type { CliCommand } from './cli-io.js';
import { runningHost } from './host-lock.js';
import { exportThroughHost } from './host-read-server.js';
import { localSettings, openLocalEnvironment } from './local-environment.js';

/**
 * `nhs-flows export <table>`: a warehouse table as CSV on stdout, for inspection. While a local
 * host runs in the data dir (`nhs-flows start`, `--watch`), it holds the embedded warehouse file,
 * so the rows come from it through its loopback read endpoint (`host-read-server.ts`); otherwise
 * the file is opened here.
 */
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
    const { dataDir } = localSettings();
    // A host that has just started publishes its read endpoint within moments.
    for (let waited = 0; ; waited += 200) {
      const host = runningHost(dataDir);
      if (!host) break;
      if (host.read) {
        const { withheld } = await exportThroughHost(
          { ...host, read: host.read },
          table.name,
          limit,
          (line) => io.out(line),
        );
        if (withheld !== undefined) io.err(withheldLine(withheld));
        return 0;
      }
      if (waited >= 30_000)
        throw new Error(`the local host in ${dataDir} (pid ${host.pid}) has not opened its read endpoint`);
      await sleep(200);
    }
    const env = await openLocalEnvironment();
    try {
      const { pipeline } = await services();
      let withheld: DisclosedCount = '0';
      await writeTableCsv(await pipeline.warehouse(), table.name, limit, (line) => io.out(line), {
        optOut: await loadOptOutApplication(pipeline),
        onWithheld: (n) => (withheld = n),
      });
      io.err(withheldLine(withheld));
      return 0;
    } finally {
      try {
        await resetServices();
      } finally {
        await env.stop();
      }
    }
  },
};

/** The stderr line of `nhs-flows export` saying how many rows the opt-out withheld (disclosure-controlled). */
export function withheldLine(withheld: DisclosedCount): string {
  return `export: rows withheld under the National Data Opt-out: ${withheld} (0, * for 1-7, else to the nearest 5)`;
}

/**
 * Writes a warehouse table as CSV lines (header first, rows in key order, at most `limit`); false
 * when `name` is not a warehouse table. What `nhs-flows export` prints, here or in the running host.
 */
export async function writeTableCsv(
  warehouse: Warehouse,
  name: string,
  limit: number | undefined,
  write: (line: string) => void,
  options: ExportOptOutOptions = {},
): Promise<boolean> {
  const table = GOLD_TABLES.find((t) => t.name === name);
  if (!table) return false;
  await warehouse.ensureSchema(GOLD_TABLES);
  const columns = table.columns.map((c) => c.name);
  const select = table.columns.map((c) => `CAST("${c.name}" AS VARCHAR) AS "${c.name}"`).join(', ');
  const order = table.key.map((k) => `"${k}"`).join(', ');
  const filters = options.optOut?.filters;
  const dateColumn = EXPORT_OPT_OUT_DATE[table.name];
  const filtering = filters !== undefined && filters.size > 0 && dateColumn !== undefined;
  // With the opt-out applied the limit counts rows that are shown, so it is applied after the filter.
  const rows = await warehouse.query(
    `SELECT ${select} FROM "${table.name}" ORDER BY ${order}${limit !== undefined && !filtering ? ` LIMIT ${limit}` : ''}`,
  );
  let withheld = 0;
  const shown = filtering
    ? rows.filter((row) => {
        const filter = typeof row.project === 'string' ? filters.get(row.project as ProjectId) : undefined;
        const out = filter !== undefined && filter.withholds(row, row[dateColumn]);
        if (out) withheld++;
        return !out;
      })
    : rows;
  options.onWithheld?.(discloseCount(withheld));
  write(csvHeader(columns));
  for (const row of limit !== undefined ? shown.slice(0, limit) : shown)
    write(columns.map((c) => csvField(row[c])).join(','));
  return true;
}

/**
 * The date each exported table's rows are judged at under the National Data Opt-out: a fact at its
 * activity date, a dimension version at the date it came into force (docs/opt-out.md).
 */
const EXPORT_OPT_OUT_DATE: Readonly<Record<string, string>> = {
  fact_activity: 'activity_date',
  dim_patient: 'valid_from',
};

export interface ExportOptOutOptions {
  /** The opt-out in force (`loadOptOutApplication`); absent: nothing is withheld. */
  readonly optOut?: OptOutApplication;
  /** Told the disclosure-controlled count of rows withheld, before the first line is written. */
  readonly onWithheld?: (withheld: DisclosedCount) => void;
}

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

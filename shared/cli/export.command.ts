import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { services, resetServices } from '../../functions/composition-root.js';
import type { Warehouse } from '../application/ports/warehouse.port.js';
import { recordAudit } from '../application/use-cases/audit/audit-trail.js';
import { loadOptOutApplication, type OptOutApplication } from '../application/use-cases/opt-out.use-case.js';
import { discloseCount, type DisclosedCount } from '../domain/disclosure/small-numbers.js';
import { InvariantError } from '../domain/errors.js';
import { GOLD_TABLES, type GoldTable } from '../domain/gold/gold-tables.js';
import { MART_TABLES } from '../domain/gold/mart-tables.js';
import { personLevelColumns, WAREHOUSE_TABLES } from '../domain/gold/table-access.js';
import { disclosureControlledRows } from '../domain/disclosure/published-rows.js';
import { csvField, csvHeader } from '../domain/export/csv-cells.js';
import { PUBLISHED_MARTS } from '../domain/disclosure/published-marts.js';
import type { PublishedTable } from '../domain/disclosure/published-table.js';
import type { ProjectId } from '../domain/pseudonymise/projects.js';
import type { CliCommand } from './cli-io.js';
import { runningHost, type RunningHost } from './host-lock.js';
import { exportThroughHost } from './host-read-server.js';
import { localActor, localSettings, openLocalEnvironment } from './local-environment.js';

/** The CSV cells of an export (shared with the data API: shared/domain/export/csv-cells.ts). */
export { csvField, csvHeader };

/**
 * `nhs-flows export <table>`: a warehouse table (gold table or mart) as CSV on stdout. Published
 * tables (aggregates, `access` on the table declaration) by default; a restricted (row-level) one
 * only with `--restricted`, and each such export is recorded in the audit trail
 * (`restricted-export`) and the log before its first row is written. `--list` names every table
 * with its access and description. While a local host runs in the data dir (`nhs-flows start`,
 * `--watch`), it holds the embedded warehouse file, so the rows come from it through its loopback
 * read endpoint (`host-read-server.ts`); otherwise the file is opened here.
 */
export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'print a warehouse table or mart as CSV (published ones; restricted with --restricted)',
  usage: 'nhs-flows export <table> [--limit N] [--restricted]   |   nhs-flows export --list',
  options: {
    list: { type: 'boolean', description: 'list every table: name, published or restricted, description' },
    limit: { type: 'string', description: 'at most N rows (default: all)' },
    restricted: {
      type: 'boolean',
      description:
        'allow a restricted (row-level) table; the export is recorded in the audit trail and the log',
    },
  },
  run: async (args, io) => {
    const parsed = exportArgsSchema.safeParse({ ...args.values, tables: args.positionals });
    if (!parsed.success) {
      io.err(`export: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      return 2;
    }
    const options = parsed.data;
    if (options.list) {
      for (const line of tableList()) io.out(line);
      return 0;
    }
    const name = options.tables[0];
    const table = WAREHOUSE_TABLES.find((t) => t.name === name);
    if (!table) {
      io.err(
        `export: unknown table '${name ?? ''}'; expected one of ${WAREHOUSE_TABLES.map((t) => t.name).join(', ')} (nhs-flows export --list)`,
      );
      return 2;
    }
    if (table.access === 'restricted' && !options.restricted) {
      io.err(restrictedRefusal(table));
      return 2;
    }
    const { limit } = options;
    const { dataDir } = localSettings();
    const host = await hostReadEndpoint(dataDir);
    if (host && table.access === 'published') {
      const { withheld } = await exportThroughHost(host, table.name, limit, (line) => io.out(line));
      if (withheld !== undefined && reportsWithheld(table)) io.err(withheldLine(withheld));
      return 0;
    }
    const env = await openLocalEnvironment();
    try {
      const { pipeline, logger } = await services();
      if (table.access === 'restricted') {
        const record = await recordAudit(
          {
            kind: 'restricted-export',
            actor: localActor(),
            outcome: 'done',
            reason: 'nhs-flows export --restricted',
            details: { table: table.name, limit: limit ?? null, via: host ? 'local host' : 'warehouse file' },
          },
          pipeline,
        );
        logger.warn('restricted table exported', { table: table.name, auditId: record.id });
        io.err(`export: ${table.name} is restricted: exported under --restricted, audit record ${record.id}`);
      }
      if (host) {
        const { withheld } = await exportThroughHost(host, table.name, limit, (line) => io.out(line));
        if (withheld !== undefined && reportsWithheld(table)) io.err(withheldLine(withheld));
        return 0;
      }
      let withheld: DisclosedCount = '0';
      await writeTableCsv(await pipeline.warehouse(), table.name, limit, (line) => io.out(line), {
        optOut: await loadOptOutApplication(pipeline),
        onWithheld: (n) => (withheld = n),
      });
      if (reportsWithheld(table)) io.err(withheldLine(withheld));
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

/** The options of `nhs-flows export`, checked at the boundary (parseArgs has already typed them). */
const exportArgsSchema = z
  .object({
    list: z.boolean().optional(),
    restricted: z.boolean().optional(),
    limit: z
      .string()
      .optional()
      .refine((v) => v === undefined || /^\d+$/.test(v), {
        error: (issue) => `--limit expects a whole number, received '${String(issue.input)}'`,
      })
      .transform((v) => (v === undefined ? undefined : Number(v))),
    tables: z.array(z.string()),
  })
  .superRefine((o, ctx) => {
    if (o.list && o.tables.length > 0)
      ctx.addIssue({ code: 'custom', message: '--list takes no table name' });
    if (!o.list && o.tables.length === 0)
      ctx.addIssue({
        code: 'custom',
        message: 'name a table to export (nhs-flows export --list names them)',
      });
    if (o.tables.length > 1)
      ctx.addIssue({ code: 'custom', message: `one table at a time; received ${o.tables.join(', ')}` });
  });

/** `nhs-flows export --list`: one line per table: name, published or restricted, description. */
export function tableList(): string[] {
  const width = Math.max(...WAREHOUSE_TABLES.map((t) => t.name.length));
  return WAREHOUSE_TABLES.map((t) => `${t.name.padEnd(width)}  ${t.access.padEnd(10)}  ${t.description}`);
}

/** The refusal of a restricted table without `--restricted`: why, and the flag that allows it. */
export function restrictedRefusal(table: GoldTable): string {
  const rank = { person: 0, 'record id': 1, 'exact date': 2 } as const;
  const columns = personLevelColumns(table.columns)
    .sort((a, b) => rank[a.why] - rank[b.why])
    .map((c) => c.column);
  const shown = columns.length > 4 ? `${columns.slice(0, 4).join(', ')}, …` : columns.join(', ');
  return (
    `export: ${table.name} is restricted (${shown ? `row-level: ${shown}` : 'not yet disclosure-controlled'}); ` +
    'pass --restricted to export it, which is recorded in the audit trail'
  );
}

/** The running host's read endpoint, waited for while a just-started host opens it; undefined without a host. */
async function hostReadEndpoint(
  dataDir: string,
): Promise<(RunningHost & { read: NonNullable<RunningHost['read']> }) | undefined> {
  // A host that has just started publishes its read endpoint within moments.
  for (let waited = 0; ; waited += 200) {
    const host = runningHost(dataDir);
    if (!host) return undefined;
    if (host.read) return { ...host, read: host.read };
    if (waited >= 30_000)
      throw new Error(`the local host in ${dataDir} (pid ${host.pid}) has not opened its read endpoint`);
    await sleep(200);
  }
}

/**
 * Whether the export itself applies the National Data Opt-out to the table (the gold tables, by
 * their date); marts leave opted-out records out when they are refreshed (docs/opt-out.md).
 */
const reportsWithheld = (table: GoldTable): boolean => EXPORT_OPT_OUT_DATE[table.name] !== undefined;

/** The stderr line of `nhs-flows export` saying how many rows the opt-out withheld (disclosure-controlled). */
export function withheldLine(withheld: DisclosedCount): string {
  return `export: rows withheld under the National Data Opt-out: ${withheld} (0, * for 1-7, else to the nearest 5)`;
}

/**
 * Writes a warehouse table or mart as CSV lines (header first, rows in key order, at most `limit`);
 * false when `name` is not a warehouse table. It does not check `access`: the caller does. What `nhs-flows export` prints, here or in the running host.
 */
export async function writeTableCsv(
  warehouse: Warehouse,
  name: string,
  limit: number | undefined,
  write: (line: string) => void,
  options: ExportOptOutOptions = {},
): Promise<boolean> {
  const table = WAREHOUSE_TABLES.find((t) => t.name === name);
  if (!table) return false;
  await warehouse.ensureSchema(table.kind === 'mart' ? MART_TABLES : GOLD_TABLES);
  const columns = table.columns.map((c) => c.name);
  const select = table.columns.map((c) => `CAST("${c.name}" AS VARCHAR) AS "${c.name}"`).join(', ');
  // A mart has no key (it is replaced whole): its rows are ordered by every column, in order.
  const order = (table.key.length > 0 ? table.key : columns).map((k) => `"${k}"`).join(', ');
  const filters = options.optOut?.filters;
  const dateColumn = EXPORT_OPT_OUT_DATE[table.name];
  const filtering = filters !== undefined && filters.size > 0 && dateColumn !== undefined;
  // A published table is disclosure-controlled as a whole (secondary suppression looks across rows),
  // and with the opt-out applied the limit counts rows that are shown: both limit after.
  const published = table.access === 'published' ? publishedDeclaration(table.name) : undefined;
  const limitInSql = limit !== undefined && !filtering && published === undefined;
  const queried = await warehouse.query(
    `SELECT ${select} FROM "${table.name}" ORDER BY ${order}${limitInSql ? ` LIMIT ${limit}` : ''}`,
  );
  const rows = published ? disclosureControlledRows(published, queried) : queried;
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

/** The disclosure-control declaration of a published table; a published table without one is a bug. */
function publishedDeclaration(name: string): PublishedTable {
  const declaration = PUBLISHED_MARTS[name];
  if (!declaration)
    throw new InvariantError(
      `export: ${name} is published but has no disclosure-control declaration (shared/domain/disclosure/published-marts.ts)`,
    );
  return declaration;
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

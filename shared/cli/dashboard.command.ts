import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { services, resetServices } from '../../functions/composition-root.js';
import { loadDashboardAssets } from '../adapters/local/dashboard-assets.js';
import { loadReferenceData } from '../adapters/local/reference-data.loader.js';
import type { Warehouse } from '../application/ports/warehouse.port.js';
import {
  buildDashboard,
  type DashboardResult,
} from '../application/use-cases/dashboard/build-dashboard.use-case.js';
import { publishedRowsFromCsv } from '../domain/dashboard/published-csv.js';
import { InvariantError } from '../domain/errors.js';
import { WAREHOUSE_TABLES } from '../domain/gold/table-access.js';
import { projectsInForce } from '../domain/pseudonymise/projects.js';
import type { CliCommand } from './cli-io.js';
import { writeTableCsv } from './export.command.js';
import { runningHost } from './host-lock.js';
import { dashboardThroughHost } from './host-read-server.js';
import { localSettings, openLocalEnvironment } from './local-environment.js';

/**
 * `nhs-flows dashboard [--project P] --out report.html`: the commissioners' dashboard as ONE
 * self-contained HTML file (charts inlined, works offline, no external requests; ADR 0014), built
 * from the published (disclosure-controlled) marts only, read through the same path as
 * `nhs-flows export`. While a local host runs in the data dir it holds the warehouse, so the page
 * comes from its loopback read endpoint (`GET /dashboard`), built by the same code.
 */
export const dashboardCommand: CliCommand = {
  name: 'dashboard',
  summary: 'write the commissioners’ dashboard (published marts, DQ coverage) as one offline HTML file',
  usage: 'nhs-flows dashboard [--project careflow|community360] --out report.html',
  options: {
    project: { type: 'string', description: 'one project’s page (default: every project)' },
    out: { type: 'string', description: 'the HTML file to write' },
  },
  run: async (args, io) => {
    const parsed = dashboardArgsSchema.safeParse(args.values);
    if (!parsed.success) {
      io.err(`nhs-flows dashboard: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      return 2;
    }
    const { project, out } = parsed.data;
    const projects = projectDatasets();
    if (project !== undefined && projects[project] === undefined) {
      io.err(
        `nhs-flows dashboard: unknown project '${project}'; expected one of ${Object.keys(projects).join(', ')}`,
      );
      return 2;
    }
    const { dataDir } = localSettings();
    const host = runningHost(dataDir);
    let html: string;
    let summary: string;
    if (host?.read) {
      html = await dashboardThroughHost({ ...host, read: host.read }, project);
      summary = ' (from the running local host)';
    } else {
      const env = await openLocalEnvironment();
      try {
        const { pipeline } = await services();
        const result = await dashboardFromWarehouse(await pipeline.warehouse(), project);
        html = result.html;
        summary = ` (${describe(result)})`;
      } finally {
        try {
          await resetServices();
        } finally {
          await env.stop();
        }
      }
    }
    const path = resolve(out);
    writeFileSync(path, html, 'utf8');
    io.out(`dashboard: wrote ${path}${summary}`);
    return 0;
  },
};

const dashboardArgsSchema = z.object({
  project: z.string().optional(),
  out: z.string({ error: '--out <file.html> is required' }).min(1, '--out <file.html> is required'),
});

/**
 * The dashboard from a warehouse: published marts through the export's own path (`writeTableCsv`:
 * disclosure-controlled), the DQ views from the scorecard, the charting library from
 * node_modules. What the CLI writes and the local host's `GET /dashboard` serves.
 */
export async function dashboardFromWarehouse(
  warehouse: Warehouse,
  project: string | undefined,
  now: () => Date = () => new Date(),
): Promise<DashboardResult> {
  return buildDashboard(project === undefined ? {} : { project }, {
    warehouse,
    publishedRows: async (table) => {
      // Never a restricted table, whatever a declaration says: the warehouse table must be published.
      const declared = WAREHOUSE_TABLES.find((t) => t.name === table.name);
      if (declared?.access !== 'published')
        throw new InvariantError(`dashboard: ${table.name} is not a published warehouse table`);
      const lines: string[] = [];
      await writeTableCsv(warehouse, table.name, undefined, (line) => lines.push(line));
      return publishedRowsFromCsv(table, lines);
    },
    reference: loadReferenceData(),
    assets: loadDashboardAssets(),
    now,
    projects: projectDatasets(),
  });
}

/** Each project's datasets, as the projects file in force declares them. */
function projectDatasets(): Record<string, string[]> {
  return Object.fromEntries(projectsInForce().projects.map((p) => [p.id, [...p.datasets]]));
}

function describe(result: DashboardResult): string {
  const tables = result.data.pages.flatMap((p) => p.tables);
  const rows = tables.reduce((n, t) => n + t.rows.length, 0);
  return `${result.data.pages.map((p) => p.title).join(', ')}: ${tables.length} published tables, ${rows} rows`;
}

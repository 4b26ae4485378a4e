import type { PublishedRow } from '../../../domain/disclosure/apply-disclosure-control.js';
import {
  DEFAULT_DISCLOSURE_POLICY,
  type DisclosurePolicy,
} from '../../../domain/disclosure/disclosure-policy.js';
import { PUBLISHED_MARTS } from '../../../domain/disclosure/published-marts.js';
import type { PublishedTable } from '../../../domain/disclosure/published-table.js';
import { dashboardData, type DashboardData } from '../../../domain/dashboard/dashboard-data.js';
import { renderDashboardPage, type DashboardAssets } from '../../../domain/dashboard/dashboard-page.js';
import { dqDashboardViews, type DqSubmission } from '../../../domain/dashboard/dq-dashboard.js';
import { InputError } from '../../../domain/errors.js';
import { MART_DQ_SCORECARD } from '../../../domain/gold/mart-tables.js';
import { SUBMITTED_DATASETS, type ReferenceData } from '../../../domain/reference/reference-data.js';
import type { Warehouse } from '../../ports/warehouse.port.js';

export interface DashboardRequest {
  /** One project's page (and the DQ rows of its datasets); absent: every project. */
  readonly project?: string;
}

export interface DashboardDeps {
  readonly warehouse: Warehouse;
  /**
   * A published table's rows exactly as `nhs-flows export` serves them: disclosure-controlled,
   * from the published interface, never from a restricted table.
   */
  readonly publishedRows: (table: PublishedTable) => Promise<readonly PublishedRow[]>;
  readonly reference: ReferenceData;
  readonly assets: DashboardAssets;
  readonly now: () => Date;
  /** The projects a `project` may name, with their datasets (to keep one project's DQ rows). */
  readonly projects: Readonly<Record<string, readonly string[]>>;
  /** Default: every declaration in `PUBLISHED_MARTS`. */
  readonly published?: readonly PublishedTable[];
  readonly policy?: DisclosurePolicy;
}

export interface DashboardResult {
  readonly html: string;
  readonly data: DashboardData;
}

/**
 * Builds the commissioners' dashboard: ONE self-contained HTML page (docs: README "Dashboard",
 * ADR 0014) with a page per project, made of its published marts, and a data-quality page.
 *
 * Guarantees: every figure comes from a published table (the `PUBLISHED_MARTS` declarations, read
 * through `publishedRows`, i.e. disclosure-controlled) or from the scorecard's DQ views passed
 * through disclosure control here; a restricted table is never read for the page except
 * `dq_scorecard`, of which only per provider × dataset × month records and DQMI score are taken
 * and then disclosure-controlled; coverage is submitted ÷ expected providers per dataset and month
 * (the reference data's expected submitters). Throws `InputError` for an unknown project.
 */
export async function buildDashboard(
  request: DashboardRequest,
  deps: DashboardDeps,
): Promise<DashboardResult> {
  if (request.project !== undefined && deps.projects[request.project] === undefined)
    throw new InputError(
      `dashboard: '${request.project}' is not a project (expected one of ${Object.keys(deps.projects).join(', ')})`,
    );
  const policy = deps.policy ?? DEFAULT_DISCLOSURE_POLICY;
  const published = deps.published ?? Object.values(PUBLISHED_MARTS);
  const marts = [];
  for (const table of published) marts.push({ table, rows: await deps.publishedRows(table) });
  const generatedAt = deps.now().toISOString();
  const submissions = await dqSubmissions(deps.warehouse);
  const dq = dqDashboardViews(
    submissions,
    (dataset, monthStart) =>
      deps.reference
        .expectedSubmitters(dataset as (typeof SUBMITTED_DATASETS)[number], monthStart)
        .map((s) => s.providerCode),
    SUBMITTED_DATASETS,
    policy,
    generatedAt.slice(0, 7),
  );
  const data = dashboardData({
    marts,
    dq,
    policy,
    generatedAt,
    ...(request.project === undefined ? {} : { project: request.project }),
    projectDatasets: deps.projects,
  });
  return { html: renderDashboardPage(data, deps.assets), data };
}

/**
 * Records and DQMI score per provider × dataset × month from the warehouse's `dq_scorecard`
 * (records summed over the dataset's tables), for the datasets providers submit. Empty before the
 * first marts refresh.
 */
async function dqSubmissions(warehouse: Warehouse): Promise<DqSubmission[]> {
  await warehouse.ensureSchema([MART_DQ_SCORECARD]);
  const datasets = SUBMITTED_DATASETS.map((d) => `'${d}'`).join(', ');
  const rows = await warehouse.query(
    `SELECT provider_code, dataset, period,
       SUM(CASE WHEN measure = 'records' THEN numerator ELSE 0 END) AS records,
       MAX(CASE WHEN measure = 'dqmi_score' THEN score END) AS dqmi_score
     FROM dq_scorecard WHERE dataset IN (${datasets})
     GROUP BY provider_code, dataset, period ORDER BY provider_code, dataset, period`,
  );
  return rows.map((r) => ({
    provider_code: String(r.provider_code),
    dataset: String(r.dataset),
    period: String(r.period),
    records: Math.round(Number(r.records ?? 0)),
    dqmi_score: r.dqmi_score === null || r.dqmi_score === undefined ? null : Number(r.dqmi_score),
  }));
}

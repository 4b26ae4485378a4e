import type { PublishedRow } from '../disclosure/apply-disclosure-control.js';
import type { DisclosurePolicy } from '../disclosure/disclosure-policy.js';
import { assertPublishable } from '../disclosure/publishable.js';
import { columnsOfRole, type PublishedTable } from '../disclosure/published-table.js';
import { InvariantError } from '../errors.js';
import {
  chartFor,
  MART_CHART_SPECS,
  projectOfMart,
  projectTitle,
  type ChartKind,
  type MartChartSpec,
} from './dashboard-charts.js';
import {
  PUBLISHED_DQ_COVERAGE_MONTH,
  PUBLISHED_DQ_PROVIDER_MONTH,
  type DqDashboardViews,
} from './dq-dashboard.js';

/**
 * The data a dashboard page embeds: published tables only, each with its rows as disclosure
 * control left them (counts rounded or `*`), the chart to draw and the columns the filters act on.
 * Built by {@link dashboardData}, which refuses anything that is not fit to publish.
 */
export interface DashboardColumn {
  readonly name: string;
  /** The declaration's role: dimension, count, total, percentage, statistic or context. */
  readonly role: string;
}

export interface DashboardTable {
  readonly name: string;
  readonly title: string;
  readonly question: string;
  readonly kind: ChartKind;
  readonly measures: readonly string[];
  readonly unit?: string;
  readonly columns: readonly DashboardColumn[];
  /** The month dimension (the period filter and the x axis); absent: no period filter applies. */
  readonly period?: string;
  /** The dimension the trust filter acts on; absent: the trust filter does not apply. */
  readonly trust?: string;
  /** The dimensions other than the period: one line (series) per combination of their values. */
  readonly series: readonly string[];
  readonly rows: readonly PublishedRow[];
}

export interface DashboardPage {
  readonly id: string;
  readonly title: string;
  readonly tables: readonly DashboardTable[];
}

export interface DashboardData {
  readonly title: string;
  /** ISO instant the page was built. */
  readonly generatedAt: string;
  readonly policy: { readonly name: string; readonly minCell: number; readonly roundTo: number };
  readonly pages: readonly DashboardPage[];
}

/** One published table and its disclosure-controlled rows. */
export interface PublishedTableRows {
  readonly table: PublishedTable;
  readonly rows: readonly PublishedRow[];
}

/** Dimension names the trust filter acts on, in order of preference. */
const TRUST_DIMENSIONS = ['provider_code', 'trust_code', 'organisation_code', 'provider'];

/**
 * The dashboard's data: a page per project (its published marts), then the data-quality page.
 * `project` keeps one project's page (and the DQ rows of its datasets).
 *
 * Guarantees (each throws `InvariantError` naming the table, never a value): every table passes
 * the publishability guard (no person id, token, exact date or single-year age: `assertPublishable`
 * with its rows); no count or total cell below a national row holds 1 to `minCell − 1`; every table
 * is one the caller was given as published (restricted tables never reach here: the caller reads
 * only `PUBLISHED_MARTS`).
 */
export function dashboardData(input: {
  readonly marts: readonly PublishedTableRows[];
  readonly dq?: DqDashboardViews;
  readonly policy: DisclosurePolicy;
  readonly generatedAt: string;
  readonly project?: string;
  /** Datasets of each project, to keep one project's DQ rows. */
  readonly projectDatasets?: Readonly<Record<string, readonly string[]>>;
  /** The chart specs (default `MART_CHART_SPECS`). */
  readonly specs?: readonly MartChartSpec[];
}): DashboardData {
  const specs = input.specs ?? MART_CHART_SPECS;
  const pages = new Map<string, DashboardTable[]>();
  for (const { table, rows } of input.marts) {
    const project = projectOfMart(table, specs);
    if (project === undefined)
      throw new InvariantError(
        `dashboard: published table ${table.name} belongs to no project (give it a chart spec with its project, shared/domain/dashboard/dashboard-charts.ts)`,
      );
    if (input.project !== undefined && project !== input.project) continue;
    const list = pages.get(project) ?? [];
    list.push(dashboardTable(table, rows, input.policy, chartFor(table, specs)));
    pages.set(project, list);
  }
  const order = (id: string) => (input.project === id ? -1 : 0);
  const projectPages: DashboardPage[] = [...pages.entries()]
    .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
    .map(([id, tables]) => ({ id, title: projectTitle(id), tables }));
  if (input.project !== undefined && projectPages.length === 0)
    projectPages.push({ id: input.project, title: projectTitle(input.project), tables: [] });

  const pagesOut: DashboardPage[] = [...projectPages];
  if (input.dq) {
    const keep =
      input.project === undefined ? undefined : new Set(input.projectDatasets?.[input.project] ?? []);
    const ofProject = (rows: readonly PublishedRow[]) =>
      keep === undefined ? rows : rows.filter((r) => keep.has(String(r.dataset)));
    pagesOut.push({
      id: 'data-quality',
      title: 'Data quality',
      tables: [
        dashboardTable(PUBLISHED_DQ_COVERAGE_MONTH, ofProject(input.dq.coverageMonth), input.policy, {
          title: 'Coverage by dataset and month',
          question:
            'Of the providers expected to submit each dataset (reference data: expected submitters), how many did each month? Coverage = submitted ÷ expected.',
          kind: 'trend',
          measures: ['coverage_pct', 'submitted_providers', 'expected_providers', 'unexpected_providers'],
          unit: 'coverage %',
        }),
        dashboardTable(PUBLISHED_DQ_PROVIDER_MONTH, ofProject(input.dq.providerMonth), input.policy, {
          title: 'DQMI-style score by provider, dataset and month',
          question:
            'How good is each provider’s submission of each dataset, month by month (DQMI-style: mean item score × coverage)?',
          kind: 'trend',
          measures: ['dqmi_score', 'records'],
          unit: 'score',
        }),
      ],
    });
  }
  return {
    title:
      input.project === undefined
        ? 'nhs-flows dashboard'
        : `nhs-flows dashboard: ${projectTitle(input.project)}`,
    generatedAt: input.generatedAt,
    policy: { name: input.policy.name, minCell: input.policy.minCell, roundTo: input.policy.roundTo },
    pages: pagesOut,
  };
}

function dashboardTable(
  table: PublishedTable,
  rows: readonly PublishedRow[],
  policy: DisclosurePolicy,
  spec: { title: string; question: string; kind: ChartKind; measures: readonly string[]; unit?: string },
): DashboardTable {
  assertPublishable(table, rows);
  const dimensions = columnsOfRole(table, 'dimension');
  const national = table.national;
  const controlled = [...columnsOfRole(table, 'count'), ...columnsOfRole(table, 'total')].map((c) => c.name);
  rows.forEach((row, r) => {
    if (national && row[national.dimension] === national.value && policy.nationalExempt) return;
    for (const column of controlled) {
      const value = row[column];
      if (typeof value === 'number' && value >= 1 && value < policy.minCell)
        throw new InvariantError(
          `dashboard: ${table.name} row ${r + 1}: ${column} is a small count that disclosure control should have suppressed`,
        );
    }
  });
  const period = dimensions.find((d) => d.type === 'month')?.name;
  const trust = TRUST_DIMENSIONS.find((name) => dimensions.some((d) => d.name === name));
  return {
    name: table.name,
    title: spec.title,
    question: spec.question,
    kind: spec.kind,
    measures: spec.measures,
    ...(spec.unit === undefined ? {} : { unit: spec.unit }),
    columns: table.columns.map((c) => ({ name: c.name, role: c.role })),
    ...(period === undefined ? {} : { period }),
    ...(trust === undefined ? {} : { trust }),
    series: dimensions.filter((d) => d.name !== period).map((d) => d.name),
    rows: rows.map((row) => Object.fromEntries(table.columns.map((c) => [c.name, row[c.name] ?? null]))),
  };
}

import type { SourceTableName } from '../datasets/source-tables.js';
import { columnsOfRole, type PublishedTable } from '../disclosure/published-table.js';
import { MART_SOURCE_TABLES } from '../gold/mart-tables.js';
import { projectForTable } from '../pseudonymise/projects.js';

/**
 * How the dashboard draws each published table: a chart spec per mart, as data. A published mart
 * without a spec still appears (the page is built from `PUBLISHED_MARTS`): as a trend of its
 * measures when it has a month dimension, else as a table. A spec only adds a title, the question
 * the mart answers and a better chart.
 *
 * Charts never add cells up: a published cell is rounded or suppressed, and a sum of rounded cells
 * is not a published total (docs/disclosure-control.md). A trend draws one line per series (the
 * table's other dimensions, e.g. each trust); a funnel draws each step's bar per month and series.
 */
export type ChartKind = 'trend' | 'funnel' | 'table';

export interface MartChartSpec {
  /** The published table drawn. */
  readonly mart: string;
  /** The project whose page shows it; derived from the mart's source tables when absent. */
  readonly project?: string;
  readonly title: string;
  /** The commissioner's question, in words. */
  readonly question: string;
  readonly kind: ChartKind;
  /**
   * `trend`: the measures a reader can pick (the first is shown first); `funnel`: its steps, in
   * time order (A&E attendance → imaging → community referral). Columns of role count, total,
   * percentage or statistic.
   */
  readonly measures: readonly string[];
  /** Axis title of the value (default: the measure's name in words). */
  readonly unit?: string;
}

/**
 * The chart specs of the published marts. Add one here when a published mart deserves a title and
 * a better chart than the default; the marts themselves are listed in `PUBLISHED_MARTS`.
 */
export const MART_CHART_SPECS: readonly MartChartSpec[] = [
  {
    mart: 'fact_activity_trust_month',
    title: 'Activity by trust and month',
    question:
      'How do admitted spells, emergency spells, episodes and mental health referrals trend by trust and month?',
    kind: 'trend',
    measures: [
      'spells_admitted',
      'emergency_spells_admitted',
      'episodes_started',
      'mh_referrals_received',
      'persons',
    ],
    unit: 'count',
  },
];

/** A project as the dashboard names it. */
export const PROJECT_TITLES: Readonly<Record<string, string>> = {
  careflow: 'CareFlow Insights',
  community360: 'Community 360',
};

export const projectTitle = (project: string): string => PROJECT_TITLES[project] ?? project;

/** The chart a published table gets: its spec, else the default from its declaration. */
export function chartFor(
  table: PublishedTable,
  specs: readonly MartChartSpec[] = MART_CHART_SPECS,
): MartChartSpec {
  const spec = specs.find((s) => s.mart === table.name);
  const measures = measureColumns(table);
  if (spec) {
    const unknown = spec.measures.filter((m) => !measures.includes(m));
    if (unknown.length === 0) return spec;
    // A spec out of step with its mart's declaration falls back to the declaration (a test flags it).
  }
  const hasMonth = columnsOfRole(table, 'dimension').some((d) => d.type === 'month');
  return {
    mart: table.name,
    title: spec?.title ?? sentence(table.name),
    question: spec?.question ?? table.description ?? '',
    kind: hasMonth && measures.length > 0 ? 'trend' : 'table',
    measures,
  };
}

/** The columns a chart can draw: counts, totals, percentages and statistics, in declaration order. */
export function measureColumns(table: PublishedTable): string[] {
  return table.columns
    .filter(
      (c) => c.role === 'count' || c.role === 'total' || c.role === 'percentage' || c.role === 'statistic',
    )
    .map((c) => c.name);
}

/**
 * The project whose page shows a mart: its spec's, else the project of the source tables it is
 * built from (`MART_SOURCE_TABLES`), else its description's prefix ('CareFlow: …'); undefined
 * when none says.
 */
export function projectOfMart(
  table: PublishedTable,
  specs: readonly MartChartSpec[] = MART_CHART_SPECS,
): string | undefined {
  const spec = specs.find((s) => s.mart === table.name);
  if (spec?.project) return spec.project;
  const sources: readonly SourceTableName[] = MART_SOURCE_TABLES[table.name] ?? [];
  const projects = new Set(sources.map((t) => String(projectForTable(t))));
  if (projects.size === 1) return [...projects][0];
  const prefix = /^([^:]+):/
    .exec(table.description ?? '')?.[1]
    ?.trim()
    .toLowerCase()
    .replace(/\s+/g, '');
  if (prefix === undefined) return undefined;
  return Object.keys(PROJECT_TITLES).find(
    (id) => id === prefix || (PROJECT_TITLES[id] ?? '').toLowerCase().replace(/\s+/g, '').startsWith(prefix),
  );
}

/** 'fact_activity_trust_month' → 'Activity trust month'. */
export function sentence(name: string): string {
  const words = name
    .replace(/^(fact|mart|pub|published)_/, '')
    .split('_')
    .filter(Boolean);
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

import type { SourceTableName } from '../datasets/source-tables.js';
import { columnsOfRole, type PublishedTable } from '../disclosure/published-table.js';
import { MART_SOURCE_TABLES } from '../gold/mart-tables.js';
import { projectForTable, projectsInForce } from '../pseudonymise/projects.js';

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
    mart: 'pub_activity_trust_month',
    title: 'Activity and cost by trust and month',
    question:
      'How do admitted spells, emergency spells, episodes, MH referrals and spell cost (counted once per spell) trend by trust and month? A merged trust appears under its successor.',
    kind: 'trend',
    measures: [
      'spells_admitted',
      'emergency_spells_admitted',
      'episodes_started',
      'mh_referrals_received',
      'spells_discharged',
      'spell_cost_gbp',
      'persons',
    ],
  },
  {
    mart: 'pub_high_cost_spell_trust_month',
    title: 'High-cost inpatients and their 90-day prescribing',
    question:
      'How many discharged spells were high-cost (above the cost threshold or in the top decile of their trust-month), and how many of them had prescriptions dispensed within 90 days?',
    kind: 'trend',
    measures: [
      'high_cost_spells',
      'pct_high_cost_prescribed_90d',
      'high_cost_items_90d',
      'high_cost_nic_90d_gbp',
      'above_threshold_spells',
      'spells_discharged',
    ],
  },
  {
    mart: 'pub_discharge_prescribing_trust_month',
    title: 'Prescribing burden after discharge',
    question:
      'Of the spells discharged each month, what share had prescriptions dispensed within 90 days, with how many items and what NIC?',
    kind: 'trend',
    measures: [
      'pct_prescribed_90d',
      'spells_prescribed_90d',
      'items_90d',
      'nic_90d_gbp',
      'spells_discharged',
    ],
  },
  {
    mart: 'pub_discharge_mh_referral_trust_month',
    title: 'MH referral within 30 days of discharge',
    question: 'What share of emergency discharges were referred to mental health services within 30 days?',
    kind: 'trend',
    measures: ['pct_referred_mh_30d', 'referred_mh_30d', 'emergency_discharges'],
  },
  {
    mart: 'pub_emergency_readmission_trust_month',
    title: '30-day emergency readmissions',
    question: 'What share of live discharges were followed by an emergency readmission within 30 days?',
    kind: 'trend',
    measures: ['pct_readmitted_30d', 'readmitted_30d', 'discharges'],
  },
  {
    mart: 'pub_ae_funnel_trust_month',
    title: 'A&E → imaging → community funnel',
    question:
      'Of A&E attendances, how many had diagnostic imaging within 7 days, and of those how many were then referred to community services within 30 days (steps in time order)?',
    kind: 'funnel',
    measures: ['attendances', 'imaged_7d', 'imaged_then_referred_30d'],
  },
  {
    mart: 'pub_ae_community_referral_trust_month',
    title: 'A&E attendances referred to community services within 30 days',
    question:
      'What percentage of A&E attendances were referred to community services within 30 days, per trust and month?',
    kind: 'trend',
    measures: ['pct_referred_community_30d', 'referred_community_30d', 'attendances'],
  },
  {
    mart: 'pub_ae_imaging_trust_month',
    title: 'Imaging after A&E within 7 days',
    question: 'What percentage of A&E attendances had a diagnostic imaging test within 7 days?',
    kind: 'trend',
    measures: ['pct_imaged_7d', 'imaged_7d', 'attendances'],
  },
  {
    mart: 'pub_community_caseload_month',
    title: 'Community caseload',
    question:
      'How do open community referrals, people on the caseload, referrals received and discharged trend by provider and team type?',
    kind: 'trend',
    measures: ['open_referrals', 'people', 'referrals_received', 'referrals_discharged'],
  },
  {
    mart: 'pub_frequent_ae_attender_trust_month',
    title: 'Frequent A&E attenders',
    question:
      'What share of A&E attendances were by frequent attenders (N or more attendances in 12 months), and how many such attenders were there?',
    kind: 'trend',
    measures: [
      'pct_frequent_attender_attendances',
      'frequent_attender_attendances',
      'frequent_attenders',
      'attendances',
    ],
  },
];

/** A project's title as the projects file declares it (its id when no project has that id). */
export const projectTitle = (project: string): string =>
  projectsInForce().projects.find((p) => p.id === project)?.title ?? project;

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
 * The project whose page shows a mart: its spec's, else its declaration's, else the project whose
 * `publishedMarts` (projects file) lists it, else the project of the source tables it is built
 * from (`MART_SOURCE_TABLES`), else its description's prefix ('CareFlow: …'); undefined when none
 * says.
 */
export function projectOfMart(
  table: PublishedTable,
  specs: readonly MartChartSpec[] = MART_CHART_SPECS,
): string | undefined {
  const spec = specs.find((s) => s.mart === table.name);
  if (spec?.project) return spec.project;
  // A published declaration may name its project (shared/domain/disclosure/published-table.ts).
  const declared = (table as { readonly project?: unknown }).project;
  if (typeof declared === 'string' && declared !== '') return declared;
  const { projects } = projectsInForce();
  const publishing = projects.find((p) => p.publishedMarts.includes(table.name));
  if (publishing) return publishing.id;
  const sources: readonly SourceTableName[] = MART_SOURCE_TABLES[table.name] ?? [];
  const owners = new Set(sources.map((t) => String(projectForTable(t))));
  if (owners.size === 1) return [...owners][0];
  const prefix = /^([^:]+):/
    .exec(table.description ?? '')?.[1]
    ?.trim()
    .toLowerCase()
    .replace(/\s+/g, '');
  if (prefix === undefined) return undefined;
  return projects.find((p) => p.id === prefix || p.title.toLowerCase().replace(/\s+/g, '').startsWith(prefix))
    ?.id;
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

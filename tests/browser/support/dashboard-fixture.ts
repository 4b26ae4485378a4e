// A small, hand-built set of published tables for the dashboard tests: exact counts chosen so that
// disclosure control suppresses known cells (1-7) and rounds the rest, run through the real engine
// and the real page builder.
import {
  applyDisclosureControl,
  type AggregateRow,
} from '../../../shared/domain/disclosure/apply-disclosure-control.js';
import { DEFAULT_DISCLOSURE_POLICY } from '../../../shared/domain/disclosure/disclosure-policy.js';
import { parsePublishedTable } from '../../../shared/domain/disclosure/published-table.js';
import type { MartChartSpec } from '../../../shared/domain/dashboard/dashboard-charts.js';
import { MART_CHART_SPECS } from '../../../shared/domain/dashboard/dashboard-charts.js';
import { dashboardData, type DashboardData } from '../../../shared/domain/dashboard/dashboard-data.js';
import { dqDashboardViews, type DqSubmission } from '../../../shared/domain/dashboard/dq-dashboard.js';

export const TRUSTS = ['RRK', 'RM1', 'RGP'] as const;
export const MONTHS = ['2025-01', '2025-02', '2025-03', '2025-04'] as const;

/** The trust-month whose emergency spells (3) disclosure control must show as `*`. */
export const SMALL_CELL = {
  provider_code: 'RGP',
  period: '2025-02',
  column: 'emergency_spells_admitted',
} as const;

/** A CareFlow activity mart declared for the test (the shipped marts' declarations evolve on their own). */
export const TEST_ACTIVITY = parsePublishedTable({
  name: 'test_activity_trust_month',
  description: 'CareFlow: activity by trust and month',
  columns: [
    { role: 'dimension', name: 'provider_code', type: 'code' },
    { role: 'dimension', name: 'period', type: 'month' },
    { role: 'count', name: 'spells_admitted' },
    { role: 'count', name: 'emergency_spells_admitted' },
    { role: 'count', name: 'episodes_started' },
    { role: 'count', name: 'mh_referrals_received' },
    { role: 'count', name: 'persons', distinct: true },
  ],
});

/** A Community 360 funnel mart declared for the test (the marts' own published funnel may differ). */
export const TEST_FUNNEL = parsePublishedTable({
  name: 'test_ae_funnel_trust_month',
  description: 'Community 360: A&E attendances, imaging within 7 days, community referral within 30 days',
  columns: [
    { role: 'dimension', name: 'provider_code', type: 'code' },
    { role: 'dimension', name: 'period', type: 'month' },
    { role: 'count', name: 'attendances' },
    { role: 'count', name: 'imaged_within_7_days' },
    { role: 'count', name: 'community_referral_within_30_days' },
    {
      role: 'percentage',
      name: 'referred_pct',
      numerator: 'community_referral_within_30_days',
      denominator: 'attendances',
    },
  ],
});

export const TEST_SPECS: readonly MartChartSpec[] = [
  ...MART_CHART_SPECS,
  {
    mart: TEST_ACTIVITY.name,
    title: 'Activity by trust and month',
    question: 'How do admitted spells and MH referrals trend by trust and month?',
    kind: 'trend',
    measures: ['spells_admitted', 'emergency_spells_admitted', 'episodes_started', 'mh_referrals_received'],
  },
  {
    mart: TEST_FUNNEL.name,
    project: 'community360',
    title: 'A&E → imaging → community funnel',
    question:
      'Of A&E attendances, how many had imaging within 7 days, then a community referral within 30 days?',
    kind: 'funnel',
    measures: ['attendances', 'imaged_within_7_days', 'community_referral_within_30_days'],
  },
];

function activityRows(): AggregateRow[] {
  return TRUSTS.flatMap((provider_code, t) =>
    MONTHS.map((period, m) => {
      const spells = 40 + 17 * t + 9 * m;
      const emergency =
        provider_code === SMALL_CELL.provider_code && period === SMALL_CELL.period ? 3 : 12 + 5 * t + m;
      return {
        provider_code,
        period,
        spells_admitted: spells,
        emergency_spells_admitted: emergency,
        episodes_started: spells + 11,
        mh_referrals_received: 9 + t + 2 * m,
        persons: spells - 4,
      };
    }),
  );
}

function funnelRows(): AggregateRow[] {
  return TRUSTS.flatMap((provider_code, t) =>
    MONTHS.map((period, m) => ({
      provider_code,
      period,
      attendances: 120 + 30 * t + 10 * m,
      imaged_within_7_days: 40 + 6 * t + 3 * m,
      community_referral_within_30_days: 15 + 2 * t + m,
    })),
  );
}

export function dqSubmissions(): DqSubmission[] {
  return [
    ...TRUSTS.flatMap((provider_code, t) =>
      MONTHS.map((period, m) => ({
        provider_code,
        dataset: 'ecds',
        period,
        records: 200 + 20 * t + m,
        dqmi_score: 88 + t + m / 2,
      })),
    ),
    // RGP sends no SUS+ APC in 2025-03: coverage 2 of 3 that month.
    ...TRUSTS.flatMap((provider_code, t) =>
      MONTHS.filter((period) => !(provider_code === 'RGP' && period === '2025-03')).map((period, m) => ({
        provider_code,
        dataset: 'sus_apc',
        period,
        records: provider_code === 'RM1' && period === '2025-04' ? 5 : 300 + 10 * t + m,
        dqmi_score: 92 - t + m / 4,
      })),
    ),
  ];
}

export const EXPECTED: Readonly<Record<string, readonly string[]>> = { ecds: TRUSTS, sus_apc: TRUSTS };

export function fixtureData(project?: string): DashboardData {
  const policy = DEFAULT_DISCLOSURE_POLICY;
  return dashboardData({
    marts: [
      { table: TEST_ACTIVITY, rows: applyDisclosureControl(TEST_ACTIVITY, activityRows(), policy).rows },
      { table: TEST_FUNNEL, rows: applyDisclosureControl(TEST_FUNNEL, funnelRows(), policy).rows },
    ],
    dq: dqDashboardViews(
      dqSubmissions(),
      (dataset) => EXPECTED[dataset] ?? [],
      ['sus_apc', 'ecds', 'mhsds'],
      policy,
    ),
    policy,
    generatedAt: '2026-12-06T10:00:00.000Z',
    specs: TEST_SPECS,
    projectDatasets: {
      careflow: ['sus_apc', 'prescribing', 'mhsds'],
      community360: ['ecds', 'csds', 'dids'],
    },
    ...(project === undefined ? {} : { project }),
  });
}

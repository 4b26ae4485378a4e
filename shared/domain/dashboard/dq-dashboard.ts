import { applyDisclosureControl, type PublishedRow } from '../disclosure/apply-disclosure-control.js';
import { DEFAULT_DISCLOSURE_POLICY, type DisclosurePolicy } from '../disclosure/disclosure-policy.js';
import { parsePublishedTable, type PublishedTable } from '../disclosure/published-table.js';

/**
 * The dashboard's data-quality page: two aggregate views of the DQMI-style scorecard
 * (`dq_scorecard`, restricted because its per provider-month counts can be small), each declared
 * as a published table and passed through disclosure control before it reaches the page.
 *
 * - `dq_provider_month`: per provider × dataset × month, the records received (a count: 1–7 as
 *   `*`, the rest rounded to 5) and the DQMI score (a statistic over those records: `*` when 1–7
 *   records contribute, REFERENCE.md §9.1).
 * - `dq_coverage_month`: per dataset × month, the providers expected to submit it (the reference
 *   data's expected submitters), how many of them did, and coverage = submitted ÷ expected
 *   (REFERENCE.md §10.1: "coverage measures whether a provider submitted a dataset it was expected
 *   to submit"). Numbers of providers are not about individuals (§9.1): shown as given.
 */

/** Records and DQMI score per provider × dataset × month, as the dashboard publishes them. */
export const PUBLISHED_DQ_PROVIDER_MONTH: PublishedTable = parsePublishedTable({
  name: 'dq_provider_month',
  description: 'Data quality: records received and DQMI-style score per provider, dataset and month',
  columns: [
    { role: 'dimension', name: 'provider_code', type: 'code' },
    { role: 'dimension', name: 'dataset', type: 'code' },
    { role: 'dimension', name: 'period', type: 'month' },
    { role: 'count', name: 'records' },
    { role: 'statistic', name: 'dqmi_score', contributors: 'records' },
  ],
});

/** Expected and submitting providers per dataset × month, and the coverage they give. */
export const PUBLISHED_DQ_COVERAGE_MONTH: PublishedTable = parsePublishedTable({
  name: 'dq_coverage_month',
  description: 'Data quality: coverage per dataset and month (expected providers that submitted ÷ expected)',
  columns: [
    { role: 'dimension', name: 'dataset', type: 'code' },
    { role: 'dimension', name: 'period', type: 'month' },
    { role: 'context', name: 'expected_providers', reason: 'a number of providers, not of individuals' },
    { role: 'context', name: 'submitted_providers', reason: 'a number of providers, not of individuals' },
    { role: 'context', name: 'coverage_pct', reason: 'a share of providers, not of individuals' },
    { role: 'context', name: 'unexpected_providers', reason: 'a number of providers, not of individuals' },
  ],
});

/** One provider × dataset × month of the scorecard: what the DQ page is built from. */
export interface DqSubmission {
  readonly provider_code: string;
  readonly dataset: string;
  /** 'YYYY-MM'. */
  readonly period: string;
  /** Records received across the dataset's tables (the scorecard's `records` measure, summed). */
  readonly records: number;
  /** The scorecard's `dqmi_score` (0–100), null when the provider-month has none. */
  readonly dqmi_score: number | null;
}

/** The providers expected to submit `dataset` in the month starting `monthStart` ('YYYY-MM-01'). */
export type ExpectedProviders = (dataset: string, monthStart: string) => readonly string[];

export interface DqDashboardViews {
  readonly providerMonth: PublishedRow[];
  readonly coverageMonth: PublishedRow[];
}

/**
 * The DQ page's two views, disclosure-controlled. Coverage is measured for the datasets that have
 * expected submitters, over every month from the first to the last month anything was submitted,
 * up to `until` ('YYYY-MM', the month the page is built: records dated in the future are a
 * validity problem the scorecard shows, not months anyone was expected to submit); a month in
 * which an expected provider sent nothing counts against it; a dataset without expected
 * submitters (prescribing: NHSBSA, not providers) has no coverage row.
 */
export function dqDashboardViews(
  submissions: readonly DqSubmission[],
  expectedProviders: ExpectedProviders,
  datasets: readonly string[],
  policy: DisclosurePolicy = DEFAULT_DISCLOSURE_POLICY,
  until?: string,
): DqDashboardViews {
  const providerMonth = applyDisclosureControl(
    PUBLISHED_DQ_PROVIDER_MONTH,
    [...submissions]
      .sort((a, b) => key(a).localeCompare(key(b)))
      .map((s) => ({ ...s, dqmi_score: s.dqmi_score === null ? null : Math.round(s.dqmi_score * 10) / 10 })),
    policy,
  ).rows;
  const months = monthSpan(submissions.map((s) => s.period).filter((p) => until === undefined || p <= until));
  const submitted = new Set(
    submissions.filter((s) => s.records > 0).map((s) => `${s.dataset}|${s.period}|${s.provider_code}`),
  );
  const coverage = datasets.flatMap((dataset) =>
    months.flatMap((period) => {
      const expected = new Set(expectedProviders(dataset, `${period}-01`));
      if (expected.size === 0) return [];
      const sent = submissions.filter((s) => s.dataset === dataset && s.period === period && s.records > 0);
      const fromExpected = [...expected].filter((p) => submitted.has(`${dataset}|${period}|${p}`)).length;
      return [
        {
          dataset,
          period,
          expected_providers: expected.size,
          submitted_providers: fromExpected,
          coverage_pct: Math.round((fromExpected / expected.size) * 1000) / 10,
          unexpected_providers: sent.filter((s) => !expected.has(s.provider_code)).length,
        },
      ];
    }),
  );
  return {
    providerMonth,
    coverageMonth: applyDisclosureControl(PUBLISHED_DQ_COVERAGE_MONTH, coverage, policy).rows,
  };
}

const key = (s: DqSubmission): string => `${s.provider_code}|${s.dataset}|${s.period}`;

/** Every 'YYYY-MM' from the earliest to the latest of `periods`, in order; empty for none. */
export function monthSpan(periods: readonly string[]): string[] {
  const valid = periods.filter((p) => /^\d{4}-(0[1-9]|1[0-2])$/.test(p)).sort();
  const first = valid[0];
  const last = valid[valid.length - 1];
  if (first === undefined || last === undefined) return [];
  const out: string[] = [];
  let year = Number(first.slice(0, 4));
  let month = Number(first.slice(5, 7));
  for (;;) {
    const period = `${year}-${String(month).padStart(2, '0')}`;
    out.push(period);
    if (period >= last) return out;
    month += 1;
    if (month === 13) {
      month = 1;
      year += 1;
    }
  }
}

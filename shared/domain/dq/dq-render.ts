import { dqItem } from './dq-items.js';
import type { DqScorecardRow } from './dq-scorecard.js';

/**
 * Text rendering of scorecard rows for the CLI (`nhs-flows dq`): one line per provider × dataset ×
 * month with records, quarantined share, coverage, the DQMI score and the worst index fields and
 * most-failed rule. Shows counts and field names only, never values.
 */
export function renderDqScorecard(
  rows: readonly DqScorecardRow[],
  options: {
    worst?: number;
    /** `worst`: lowest DQMI first (then most quarantined, most records); default: by provider, dataset, month. */
    order?: 'key' | 'worst';
    /** At most this many lines, and a last line saying how many more there are. */
    top?: number;
  } = {},
): string {
  const worstN = options.worst ?? 3;
  interface Group {
    provider: string;
    dataset: string;
    period: string;
    records: number;
    quarantined: number;
    coverage: number | null;
    dqmi: number | null;
    items: { name: string; score: number }[];
    rules: { rule: string; rate: number }[];
    tables: Set<string>;
  }
  const groups = new Map<string, Group>();
  for (const row of rows) {
    const key = `${row.provider_code}|${row.dataset}|${row.period}`;
    let g = groups.get(key);
    if (!g)
      groups.set(
        key,
        (g = {
          provider: row.provider_code,
          dataset: row.dataset,
          period: row.period,
          records: 0,
          quarantined: 0,
          coverage: null,
          dqmi: null,
          items: [],
          rules: [],
          tables: new Set(),
        }),
      );
    if (row.table) g.tables.add(row.table);
    switch (row.measure) {
      case 'records':
        g.records += row.numerator;
        break;
      case 'quarantined':
        g.quarantined += row.numerator;
        break;
      case 'coverage':
        g.coverage = row.score;
        break;
      case 'dqmi_score':
        g.dqmi = row.score;
        break;
      case 'item_score':
        if (row.score !== null && row.field)
          g.items.push({ name: `${row.table ?? ''}.${row.field}`, score: row.score });
        break;
      case 'rule_failure_rate':
        if (row.score !== null && row.rule_id) g.rules.push({ rule: row.rule_id, rate: row.score });
        break;
      default:
        break;
    }
  }
  if (groups.size === 0) return 'no data-quality results\n';

  const fmt = (n: number | null, digits = 1) => (n === null ? '-' : n.toFixed(digits));
  const header = [
    'provider',
    'dataset',
    'period',
    'records',
    'quar%',
    'cover%',
    'DQMI',
    'worst fields',
    'top rule',
  ];
  const lines: string[][] = [];
  const ordered = [...groups.keys()].sort().map((key) => groups.get(key) as Group);
  if (options.order === 'worst')
    ordered.sort(
      (a, b) =>
        byScore(a.dqmi, b.dqmi) ||
        b.quarantined / Math.max(b.records, 1) - a.quarantined / Math.max(a.records, 1) ||
        b.records - a.records,
    );
  const shown = options.top === undefined ? ordered : ordered.slice(0, options.top);
  for (const g of shown) {
    const single = g.tables.size <= 1;
    const worst = g.items
      .filter((i) => i.score < 100)
      .sort((a, b) => a.score - b.score || (a.name < b.name ? -1 : 1))
      .slice(0, worstN)
      .map((i) => `${single ? i.name.slice(i.name.indexOf('.') + 1) : i.name} ${fmt(i.score)}`)
      .join(', ');
    const top = g.rules.sort((a, b) => b.rate - a.rate || (a.rule < b.rule ? -1 : 1))[0];
    lines.push([
      g.provider,
      g.dataset,
      g.period,
      String(g.records),
      fmt(g.records === 0 ? null : (g.quarantined / g.records) * 100),
      fmt(g.coverage, 0),
      fmt(g.dqmi),
      worst || '-',
      top ? `${top.rule} ${fmt(top.rate)}%` : '-',
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i >= 3 && i <= 6 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const table = [render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)];
  return `${[...table, ...moreLine(ordered.length - shown.length, 'month line')].join('\n')}\n`;
}

/** Lowest score first; a missing score (nothing to score) after every score. */
const byScore = (a: number | null, b: number | null): number =>
  a === null ? (b === null ? 0 : 1) : b === null ? -1 : a - b;

const moreLine = (hidden: number, what: string): string[] =>
  hidden > 0
    ? [`… ${hidden} more ${what}${hidden === 1 ? '' : 's'}: --top N shows more, a filter narrows`]
    : [];

/** Which scorecard rows `nhs-flows dq` looks at: any of dataset, provider (ODS code), month. */
export interface DqFilter {
  readonly dataset?: string;
  readonly provider?: string;
  /** 'YYYY-MM'. */
  readonly period?: string;
}

export function filterDqRows(rows: readonly DqScorecardRow[], filter: DqFilter): DqScorecardRow[] {
  return rows.filter(
    (r) =>
      (filter.dataset === undefined || r.dataset === filter.dataset) &&
      (filter.provider === undefined || r.provider_code === filter.provider) &&
      (filter.period === undefined || r.period === filter.period),
  );
}

/** One provider × dataset over every month in the rows (or one dataset over every provider). */
export interface DqSummaryLine {
  readonly provider: string | null;
  readonly dataset: string;
  readonly providers: number;
  readonly months: number;
  readonly records: number;
  readonly quarantined: number;
  /** DQMI-style score: the monthly `dqmi_score`s weighted by each month's records; null when none. */
  readonly dqmi: number | null;
  /** The month with the lowest DQMI score. */
  readonly worstMonth: { readonly period: string; readonly dqmi: number } | null;
  /** DQMI index items (table.field, the ones the score is made of) below 100 in at least one month. */
  readonly failingItems: number;
  /** Validation rules that failed at least one record. */
  readonly failingRules: number;
}

/**
 * The `nhs-flows dq` summary lines: per dataset (`provider` null) and per provider × dataset, each
 * worst first: lowest DQMI, then most failing items, then most records.
 */
export function summariseDq(rows: readonly DqScorecardRow[]): {
  datasets: DqSummaryLine[];
  providers: DqSummaryLine[];
} {
  interface Acc {
    provider: string | null;
    dataset: string;
    providers: Set<string>;
    months: Set<string>;
    records: number;
    quarantined: number;
    weighted: number;
    weight: number;
    monthly: Map<string, { dqmi: number | null; records: number }>;
    items: Set<string>;
    rules: Set<string>;
  }
  const accumulate = (by: (r: DqScorecardRow) => string | null): Acc[] => {
    const accs = new Map<string, Acc>();
    for (const r of rows) {
      const provider = by(r);
      const key = `${r.dataset}|${provider ?? ''}`;
      let a = accs.get(key);
      if (!a)
        accs.set(
          key,
          (a = {
            provider,
            dataset: r.dataset,
            providers: new Set(),
            months: new Set(),
            records: 0,
            quarantined: 0,
            weighted: 0,
            weight: 0,
            monthly: new Map(),
            items: new Set(),
            rules: new Set(),
          }),
        );
      a.providers.add(r.provider_code);
      a.months.add(r.period);
      const monthKey = `${r.provider_code}|${r.period}`;
      const month = a.monthly.get(monthKey) ?? { dqmi: null, records: 0 };
      a.monthly.set(monthKey, month);
      if (r.measure === 'records') {
        a.records += r.numerator;
        month.records += r.numerator;
      } else if (r.measure === 'quarantined') a.quarantined += r.numerator;
      else if (r.measure === 'dqmi_score') month.dqmi = r.score;
      else if (
        r.measure === 'item_score' &&
        r.score !== null &&
        r.score < 100 &&
        r.table &&
        r.field &&
        dqItem(r.table, r.field)?.inIndex
      )
        a.items.add(`${r.table}.${r.field}`);
      else if (r.measure === 'rule_failure_rate' && r.numerator > 0 && r.rule_id) a.rules.add(r.rule_id);
    }
    return [...accs.values()];
  };
  const line = (a: Acc): DqSummaryLine => {
    let weighted = 0;
    let weight = 0;
    let worstMonth: DqSummaryLine['worstMonth'] = null;
    for (const [key, m] of a.monthly) {
      if (m.dqmi === null) continue;
      // A month with no records counted still counts once, so its score is not lost.
      weighted += m.dqmi * Math.max(m.records, 1);
      weight += Math.max(m.records, 1);
      const period = key.slice(key.indexOf('|') + 1);
      if (
        !worstMonth ||
        m.dqmi < worstMonth.dqmi ||
        (m.dqmi === worstMonth.dqmi && period < worstMonth.period)
      )
        worstMonth = { period, dqmi: m.dqmi };
    }
    return {
      provider: a.provider,
      dataset: a.dataset,
      providers: a.providers.size,
      months: a.months.size,
      records: a.records,
      quarantined: a.quarantined,
      dqmi: weight === 0 ? null : weighted / weight,
      worstMonth,
      failingItems: a.items.size,
      failingRules: a.rules.size,
    };
  };
  const worstFirst = (a: DqSummaryLine, b: DqSummaryLine): number =>
    byScore(a.dqmi, b.dqmi) ||
    b.failingItems - a.failingItems ||
    b.records - a.records ||
    (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0) ||
    ((a.provider ?? '') < (b.provider ?? '') ? -1 : 1);
  return {
    datasets: accumulate(() => null)
      .map(line)
      .sort(worstFirst),
    providers: accumulate((r) => r.provider_code)
      .map(line)
      .sort(worstFirst),
  };
}

/**
 * The `nhs-flows dq` summary: a line per dataset, then per provider × dataset (at most `top`, and
 * how many more), worst first, with the DQMI-style score, its worst month and the failing item
 * and rule counts. Counts, codes and field names only, never values.
 */
export function renderDqSummary(rows: readonly DqScorecardRow[], options: { top: number }): string {
  const { datasets, providers } = summariseDq(rows);
  if (datasets.length === 0) return 'no data-quality results\n';
  const fmt = (n: number | null, digits = 1) => (n === null ? '-' : n.toFixed(digits));
  const cells = (l: DqSummaryLine, first: string[]): string[] => [
    ...first,
    String(l.months),
    String(l.records),
    fmt(l.records === 0 ? null : (l.quarantined / l.records) * 100),
    fmt(l.dqmi),
    l.worstMonth ? `${l.worstMonth.period} ${fmt(l.worstMonth.dqmi)}` : '-',
    String(l.failingItems),
    String(l.failingRules),
  ];
  const tail = ['months', 'records', 'quar%', 'DQMI', 'worst month', 'failing items', 'failing rules'];
  const block = (header: string[], body: string[][], numeric: (i: number) => boolean): string[] => {
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((l) => (l[i] ?? '').length)));
    const render = (row: readonly string[]) =>
      row
        .map((c, i) => (numeric(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd();
    return [render(header), render(widths.map((w) => '-'.repeat(w))), ...body.map(render)];
  };
  const shown = providers.slice(0, options.top);
  // Numeric columns are right-aligned; the worst month (a period and a score) reads left to right.
  const worstMonthAt = 2 + tail.indexOf('worst month');
  const numericFrom = (first: number) => (i: number) => i >= first && i !== worstMonthAt;
  return `${[
    'per dataset, worst first:',
    ...block(
      ['dataset', 'providers', ...tail],
      datasets.map((l) => cells(l, [l.dataset, String(l.providers)])),
      numericFrom(1),
    ),
    '',
    'per provider and dataset, worst first:',
    ...block(
      ['provider', 'dataset', ...tail],
      shown.map((l) => cells(l, [l.provider ?? '', l.dataset])),
      numericFrom(2),
    ),
    ...moreLine(providers.length - shown.length, 'provider line'),
  ].join('\n')}\n`;
}

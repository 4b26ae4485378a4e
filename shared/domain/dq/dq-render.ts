import type { DqScorecardRow } from './dq-scorecard.js';

/**
 * Text rendering of scorecard rows for the CLI (`nhs-flows dq`): one line per provider × dataset ×
 * month with records, quarantined share, coverage, the DQMI score and the worst index fields and
 * most-failed rule. Shows counts and field names only, never values.
 */
export function renderDqScorecard(rows: readonly DqScorecardRow[], options: { worst?: number } = {}): string {
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
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key) as Group;
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
  return `${[render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join('\n')}\n`;
}

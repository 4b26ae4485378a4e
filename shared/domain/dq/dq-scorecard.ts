import type { DatasetId, SourceTableName } from '../datasets/source-tables.js';
import type { PortableColumn } from '../gold/portable-types.js';
import type { DqCellState, DqState } from './dq-accumulator.js';
import { dqItem } from './dq-items.js';
import { defaultsInExcess, dqmiDatasetScore, dqmiItemScore } from './dqmi.js';

/**
 * The DQ scorecard as rows of the gold table `dq_scorecard`.
 *
 * Contract (gold table; columns in {@link DQ_SCORECARD_COLUMNS}): one row per provider × dataset ×
 * month × measure, and per table/field/rule where the measure has one. `score` is a percentage
 * (0–100) or null when the denominator is 0. Measures:
 * - `records` (n/n), `quarantined` (rows with a reject / records) per table;
 * - per field: `completeness` (populated / records), `validity` (valid / populated), `default_use`
 *   (defaults / records), `item_score` (DQMI: valid and complete − defaults in excess, / records);
 * - per rule and field: `rule_failure_rate` (rows failing / records);
 * - per provider × dataset × month (table, field, rule null): `coverage` (submitted / expected) and
 *   `dqmi_score` (numerator Σ index-item scores as fractions, denominator the number of items,
 *   score = mean item score × coverage × 100).
 */
export type DqMeasure =
  | 'records'
  | 'quarantined'
  | 'completeness'
  | 'validity'
  | 'default_use'
  | 'item_score'
  | 'rule_failure_rate'
  | 'coverage'
  | 'dqmi_score';

export interface DqScorecardRow {
  readonly provider_code: string;
  readonly dataset: DatasetId;
  readonly table: SourceTableName | null;
  /** 'YYYY-MM'. */
  readonly period: string;
  readonly field: string | null;
  readonly rule_id: string | null;
  readonly measure: DqMeasure;
  readonly numerator: number;
  readonly denominator: number;
  readonly score: number | null;
}

/** Columns of the gold `dq_scorecard` table, with portable types for Parquet and the warehouse. */
export const DQ_SCORECARD_COLUMNS = [
  { name: 'provider_code', type: 'string', nullable: false },
  { name: 'dataset', type: 'string', nullable: false },
  { name: 'table', type: 'string', nullable: true },
  { name: 'period', type: 'string', nullable: false },
  { name: 'field', type: 'string', nullable: true },
  { name: 'rule_id', type: 'string', nullable: true },
  { name: 'measure', type: 'string', nullable: false },
  { name: 'numerator', type: 'double', nullable: false },
  { name: 'denominator', type: 'int', nullable: false },
  { name: 'score', type: 'double', nullable: true },
] as const satisfies readonly (PortableColumn & { type: 'string' | 'int' | 'double' | 'date' })[];

/** A provider expected to submit a dataset for a month (the coverage denominator). */
export interface ExpectedSubmission {
  readonly provider: string;
  readonly dataset: DatasetId;
  /** 'YYYY-MM'. */
  readonly period: string;
}

export interface ScorecardOptions {
  /** Expected submitters; without it every present provider × dataset × month has coverage 1. */
  readonly expected?: readonly ExpectedSubmission[];
}

const pct = (numerator: number, denominator: number): number | null =>
  denominator === 0 ? null : (numerator / denominator) * 100;

function cellRows(cell: DqCellState, itemScores: number[]): DqScorecardRow[] {
  const base = {
    provider_code: cell.provider,
    dataset: cell.dataset,
    table: cell.table,
    period: cell.period,
  };
  const rows: DqScorecardRow[] = [
    {
      ...base,
      field: null,
      rule_id: null,
      measure: 'records',
      numerator: cell.records,
      denominator: cell.records,
      score: pct(cell.records, cell.records),
    },
    {
      ...base,
      field: null,
      rule_id: null,
      measure: 'quarantined',
      numerator: cell.quarantined,
      denominator: cell.records,
      score: pct(cell.quarantined, cell.records),
    },
  ];
  for (const field of Object.keys(cell.fields).sort()) {
    const c = cell.fields[field];
    const item = dqItem(cell.table, field);
    if (!c || !item) continue;
    const f = { ...base, field, rule_id: null };
    rows.push(
      {
        ...f,
        measure: 'completeness',
        numerator: c.populated,
        denominator: cell.records,
        score: pct(c.populated, cell.records),
      },
      {
        ...f,
        measure: 'validity',
        numerator: c.valid,
        denominator: c.populated,
        score: pct(c.valid, c.populated),
      },
      {
        ...f,
        measure: 'default_use',
        numerator: c.defaults,
        denominator: cell.records,
        score: pct(c.defaults, cell.records),
      },
    );
    const score = dqmiItemScore({
      records: cell.records,
      validAndComplete: c.valid,
      defaults: c.defaults,
      threshold: item.defaultThreshold,
    });
    const excess = defaultsInExcess(c.defaults, cell.records, item.defaultThreshold);
    rows.push({
      ...f,
      measure: 'item_score',
      numerator: Math.max(0, c.valid - excess),
      denominator: cell.records,
      score,
    });
    if (item.inIndex && score !== null) itemScores.push(score);
  }
  for (const key of Object.keys(cell.rules).sort()) {
    const r = cell.rules[key];
    if (!r) continue;
    rows.push({
      ...base,
      field: r.field,
      rule_id: r.rule,
      measure: 'rule_failure_rate',
      numerator: r.failed,
      denominator: cell.records,
      score: pct(r.failed, cell.records),
    });
  }
  return rows;
}

/**
 * Scorecard rows from merged DQ counts. Deterministic: rows are ordered by provider, dataset,
 * period, table and field, so equal states give equal outputs.
 */
export function scorecardRows(state: DqState, options: ScorecardOptions = {}): DqScorecardRow[] {
  const groups = new Map<
    string,
    { provider: string; dataset: DatasetId; period: string; cells: DqCellState[] }
  >();
  const groupKey = (provider: string, dataset: string, period: string) => `${provider}|${dataset}|${period}`;
  for (const cell of Object.values(state.cells)) {
    const key = groupKey(cell.provider, cell.dataset, cell.period);
    let g = groups.get(key);
    if (!g)
      groups.set(
        key,
        (g = { provider: cell.provider, dataset: cell.dataset, period: cell.period, cells: [] }),
      );
    g.cells.push(cell);
  }
  const expected = new Set<string>();
  for (const e of options.expected ?? []) {
    const key = groupKey(e.provider, e.dataset, e.period);
    expected.add(key);
    if (!groups.has(key))
      groups.set(key, { provider: e.provider, dataset: e.dataset, period: e.period, cells: [] });
  }

  const rows: DqScorecardRow[] = [];
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key);
    if (!g) continue;
    const itemScores: number[] = [];
    g.cells.sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
    for (const cell of g.cells) rows.push(...cellRows(cell, itemScores));
    const submitted = g.cells.some((c) => c.records > 0) ? 1 : 0;
    const coverage = submitted; // one month: submitted or not (rollups average months)
    const base = {
      provider_code: g.provider,
      dataset: g.dataset,
      table: null,
      period: g.period,
      field: null,
      rule_id: null,
    };
    rows.push({ ...base, measure: 'coverage', numerator: submitted, denominator: 1, score: coverage * 100 });
    rows.push({
      ...base,
      measure: 'dqmi_score',
      numerator: itemScores.reduce((a, s) => a + s / 100, 0),
      denominator: itemScores.length,
      score: dqmiDatasetScore(itemScores, [coverage]),
    });
  }
  return rows;
}

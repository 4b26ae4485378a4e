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

/** Where a scorecard row belongs: its provider × dataset × month, and its table when it has one. */
interface CellKey {
  readonly provider: string;
  readonly dataset: DatasetId;
  readonly table: SourceTableName | null;
  readonly period: string;
}

/**
 * One scorecard row, as one object literal (no spread: V8 adds each property after a spread
 * through the runtime, and a large batch's scorecard has tens of thousands of rows).
 */
function scoreRow(
  at: CellKey,
  field: string | null,
  ruleId: string | null,
  measure: DqMeasure,
  numerator: number,
  denominator: number,
  score: number | null,
): DqScorecardRow {
  return {
    provider_code: at.provider,
    dataset: at.dataset,
    table: at.table,
    period: at.period,
    field,
    rule_id: ruleId,
    measure,
    numerator,
    denominator,
    score,
  };
}

function cellRows(cell: DqCellState, itemScores: number[], rows: DqScorecardRow[]): void {
  const records = cell.records;
  rows.push(
    scoreRow(cell, null, null, 'records', records, records, pct(records, records)),
    scoreRow(cell, null, null, 'quarantined', cell.quarantined, records, pct(cell.quarantined, records)),
  );
  for (const field of Object.keys(cell.fields).sort()) {
    const c = cell.fields[field];
    const item = dqItem(cell.table, field);
    if (!c || !item) continue;
    rows.push(
      scoreRow(cell, field, null, 'completeness', c.populated, records, pct(c.populated, records)),
      scoreRow(cell, field, null, 'validity', c.valid, c.populated, pct(c.valid, c.populated)),
      scoreRow(cell, field, null, 'default_use', c.defaults, records, pct(c.defaults, records)),
    );
    const score = dqmiItemScore({
      records,
      validAndComplete: c.valid,
      defaults: c.defaults,
      threshold: item.defaultThreshold,
    });
    const excess = defaultsInExcess(c.defaults, records, item.defaultThreshold);
    rows.push(scoreRow(cell, field, null, 'item_score', Math.max(0, c.valid - excess), records, score));
    if (item.inIndex && score !== null) itemScores.push(score);
  }
  for (const key of Object.keys(cell.rules).sort()) {
    const r = cell.rules[key];
    if (!r) continue;
    rows.push(
      scoreRow(cell, r.field, r.rule, 'rule_failure_rate', r.failed, records, pct(r.failed, records)),
    );
  }
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
    for (const cell of g.cells) cellRows(cell, itemScores, rows);
    const submitted = g.cells.some((c) => c.records > 0) ? 1 : 0;
    const coverage = submitted; // one month: submitted or not (rollups average months)
    const at: CellKey = { provider: g.provider, dataset: g.dataset, table: null, period: g.period };
    rows.push(
      scoreRow(at, null, null, 'coverage', submitted, 1, coverage * 100),
      scoreRow(
        at,
        null,
        null,
        'dqmi_score',
        itemScores.reduce((a, s) => a + s / 100, 0),
        itemScores.length,
        dqmiDatasetScore(itemScores, [coverage]),
      ),
    );
  }
  return rows;
}

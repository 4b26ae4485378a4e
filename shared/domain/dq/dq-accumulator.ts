import {
  SOURCE_TABLES,
  type DatasetId,
  type SourceRow,
  type SourceTableName,
} from '../datasets/source-tables.js';
import type { RuleFailure, Severity } from '../validate/rule.js';
import { DQ_CHECKS } from './dq-checks.js';
import { DQ_ITEMS, type DqItem } from './dq-items.js';
import { scorecardRows, type DqScorecardRow, type ScorecardOptions } from './dq-scorecard.js';

/**
 * Data-quality counts per provider × dataset × table × month, kept as plain numbers so that
 * accumulators of different chunks, batches and months MERGE by addition (associative and
 * commutative) without re-reading rows.
 *
 * Contract (`DqState`, JSON, stored beside batch manifests): version 1; `cells` keyed by
 * `<provider>|<dataset>|<table>|<YYYY-MM>`; counts are non-negative integers; no row values.
 */
export interface DqState {
  readonly version: 1;
  readonly cells: Readonly<Record<string, DqCellState>>;
}

export interface DqCellState {
  readonly provider: string;
  readonly dataset: DatasetId;
  readonly table: SourceTableName;
  /** 'YYYY-MM' of the table's activity date, or 'unknown' when it is missing or malformed. */
  readonly period: string;
  records: number;
  /** Rows with at least one reject failure. */
  quarantined: number;
  /** Per field: populated, valid (populated and named by no contract failure), default-valued. */
  readonly fields: Record<string, DqFieldCounts>;
  /** Per rule and field (`<rule>|<field>`): rows failing it. */
  readonly rules: Record<string, DqRuleCounts>;
}

export interface DqFieldCounts {
  populated: number;
  valid: number;
  defaults: number;
}

export interface DqRuleCounts {
  readonly rule: string;
  readonly field: string;
  readonly severity: Severity;
  failed: number;
}

const UNKNOWN = 'unknown';
const PERIOD = /^\d{4}-\d{2}/;

function isDefault(item: DqItem, value: string): boolean {
  if (item.defaults.includes(value)) return true;
  for (const prefix of item.defaultPrefixes) if (value.startsWith(prefix)) return true;
  return false;
}

function emptyCell(
  provider: string,
  dataset: DatasetId,
  table: SourceTableName,
  period: string,
): DqCellState {
  const fields: Record<string, DqFieldCounts> = {};
  for (const item of DQ_ITEMS[table]) fields[item.field] = { populated: 0, valid: 0, defaults: 0 };
  return { provider, dataset, table, period, records: 0, quarantined: 0, fields, rules: {} };
}

/** A copy of a cell's counts: its fields and rules in `fieldOrder` and `ruleOrder`. */
function copyCell(
  cell: DqCellState,
  fieldOrder: readonly string[] = Object.keys(cell.fields),
  ruleOrder: readonly string[] = Object.keys(cell.rules),
): DqCellState {
  const fields: Record<string, DqFieldCounts> = {};
  for (const f of fieldOrder) {
    const c = cell.fields[f] as DqFieldCounts;
    fields[f] = { populated: c.populated, valid: c.valid, defaults: c.defaults };
  }
  const rules: Record<string, DqRuleCounts> = {};
  for (const k of ruleOrder) {
    const r = cell.rules[k] as DqRuleCounts;
    rules[k] = { rule: r.rule, field: r.field, severity: r.severity, failed: r.failed };
  }
  // Spelled out, not spread: V8 adds each property after a spread through the runtime.
  return {
    provider: cell.provider,
    dataset: cell.dataset,
    table: cell.table,
    period: cell.period,
    records: cell.records,
    quarantined: cell.quarantined,
    fields,
    rules,
  };
}

/** Key of a cell in `DqState.cells`. */
export function dqCellKey(provider: string, dataset: string, table: string, period: string): string {
  return `${provider}|${dataset}|${table}|${period}`;
}

/**
 * Accumulates DQ counts row by row (`add`, for one table) and merges with other accumulators or
 * stored states (`merge`, any tables). `state()` is the JSON-serialisable, merge-able snapshot.
 */
export class DqAccumulator {
  private readonly cells = new Map<string, DqCellState>();
  private lastKey = '';
  private lastCell: DqCellState | undefined;

  /** @param table the table rows given to `add` belong to (omit for a merge-only accumulator). */
  constructor(private readonly table?: SourceTableName) {}

  /** An accumulator holding a copy of stored states. */
  static fromStates(...states: readonly DqState[]): DqAccumulator {
    const acc = new DqAccumulator();
    for (const s of states) acc.merge(s);
    return acc;
  }

  /** Counts one row as submitted (accepted or quarantined) with its failures (empty when clean). */
  add(row: SourceRow, failures: readonly RuleFailure[]): void {
    const table = this.table;
    if (table === undefined) throw new Error('DqAccumulator.add needs the table the rows belong to');
    const spec = SOURCE_TABLES[table];
    const providerValue = row[spec.providerColumn];
    const provider = typeof providerValue === 'string' && providerValue.length > 0 ? providerValue : UNKNOWN;
    const activity = row[spec.activityDateColumn];
    const period = typeof activity === 'string' && PERIOD.test(activity) ? activity.slice(0, 7) : UNKNOWN;
    const key = dqCellKey(provider, spec.dataset, table, period);
    let cell = this.lastKey === key ? this.lastCell : this.cells.get(key);
    if (!cell) {
      cell = emptyCell(provider, spec.dataset, table, period);
      this.cells.set(key, cell);
    }
    this.lastKey = key;
    this.lastCell = cell;

    cell.records++;
    let invalid: Set<string> | undefined;
    if (failures.length > 0) {
      let rejected = false;
      const counted = new Set<string>();
      for (const f of failures) {
        if (f.severity === 'reject') rejected = true;
        if (f.origin === 'contract') (invalid ??= new Set()).add(f.field);
        const ruleKey = `${f.rule}|${f.field}`;
        if (counted.has(ruleKey)) continue;
        counted.add(ruleKey);
        const r = (cell.rules[ruleKey] ??= { rule: f.rule, field: f.field, severity: f.severity, failed: 0 });
        r.failed++;
      }
      if (rejected) cell.quarantined++;
    }
    for (const item of DQ_ITEMS[table]) {
      const value = row[item.field];
      if (value === null || value === undefined || value === '') continue;
      const counts = cell.fields[item.field] as DqFieldCounts;
      counts.populated++;
      if (!invalid?.has(item.field)) counts.valid++;
      if ((item.defaults.length > 0 || item.defaultPrefixes.length > 0) && isDefault(item, String(value)))
        counts.defaults++;
    }
    // DQ checks (NHS number range, NHS Number Status): counted like warn rules, never a rejection.
    for (const check of DQ_CHECKS[table]) {
      const value = row[check.field];
      if (typeof value !== 'string' || value === '' || !check.flags(value)) continue;
      const ruleKey = `${check.id}|${check.field}`;
      const r = (cell.rules[ruleKey] ??= { rule: check.id, field: check.field, severity: 'warn', failed: 0 });
      r.failed++;
    }
  }

  /** Adds another accumulator's or a stored state's counts to this one. */
  merge(other: DqAccumulator | DqState): this {
    const state = other instanceof DqAccumulator ? other.state() : other;
    if (state.version !== 1)
      throw new Error(`DQ state version ${String(state.version)} is not supported (expected 1)`);
    for (const [key, cell] of Object.entries(state.cells)) {
      const mine = this.cells.get(key);
      if (!mine) {
        this.cells.set(key, copyCell(cell));
        continue;
      }
      mine.records += cell.records;
      mine.quarantined += cell.quarantined;
      for (const [field, c] of Object.entries(cell.fields)) {
        const m = (mine.fields[field] ??= { populated: 0, valid: 0, defaults: 0 });
        m.populated += c.populated;
        m.valid += c.valid;
        m.defaults += c.defaults;
      }
      for (const [ruleKey, r] of Object.entries(cell.rules)) {
        const m = (mine.rules[ruleKey] ??= { rule: r.rule, field: r.field, severity: r.severity, failed: 0 });
        m.failed += r.failed;
      }
    }
    this.lastKey = '';
    this.lastCell = undefined;
    return this;
  }

  /** The scorecard rows of everything accumulated (see dq-scorecard.ts for the measures). */
  result(options: ScorecardOptions = {}): DqScorecardRow[] {
    return scorecardRows(this.state(), options);
  }

  /** A canonical (key-sorted) deep copy of the counts, safe to JSON-serialise and merge later. */
  state(): DqState {
    const cells: Record<string, DqCellState> = {};
    for (const key of [...this.cells.keys()].sort()) {
      const c = this.cells.get(key) as DqCellState;
      cells[key] = copyCell(c, Object.keys(c.fields).sort(), Object.keys(c.rules).sort());
    }
    return { version: 1, cells };
  }
}

/** An empty state (the identity of merge). */
export const EMPTY_DQ_STATE: DqState = Object.freeze({ version: 1, cells: Object.freeze({}) });

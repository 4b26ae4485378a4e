import { discloseCount } from '../disclosure/small-numbers.js';
import { OMOP_TABLES, type OmopTableName, type OmopTables } from './omop-cdm-tables.js';
import { eventDates, OPT_OUT_REASON, type OmopGoldSource, type OmopSourceAccount } from './omop-mapping.js';

/**
 * Checks of an OMOP export in the manner of the OHDSI Data Quality Dashboard (conformance,
 * completeness, plausibility), run after every export: primary keys unique, required columns
 * present, foreign keys resolve, event dates inside the person's observation period, and counts
 * reconciled with gold. Pure; the messages name tables, columns and counts, never a value.
 */
export interface OmopCheck {
  /** DQD-style check name: isPrimaryKey, isRequired, isForeignKey, hasObservationPeriod, withinObservationPeriod, reconcilesWithGold. */
  readonly check: string;
  readonly table: string;
  readonly column?: string;
  readonly passed: boolean;
  /** Failing rows (0 when passed) or, for reconciliation, the difference. */
  readonly violations: number;
  readonly detail: string;
}

/**
 * Runs every check. `goldCounts` are the gold tables' row counts as the warehouse reports them,
 * counted apart from the rows the export read, so a read that lost rows fails.
 */
export function checkOmop(
  tables: OmopTables,
  accounts: readonly OmopSourceAccount[],
  goldCounts: Readonly<Partial<Record<OmopGoldSource, number>>>,
): OmopCheck[] {
  const out: OmopCheck[] = [];
  for (const table of OMOP_TABLES) {
    const rows = tables[table.name];
    const seen = new Set<unknown>();
    let duplicates = 0;
    for (const row of rows) {
      const key = row[table.primaryKey];
      if (seen.has(key)) duplicates++;
      seen.add(key);
    }
    out.push(result('isPrimaryKey', table.name, duplicates, 'rows share a primary key', table.primaryKey));
    for (const column of table.columns.filter((c) => c.required)) {
      const missing = rows.filter((r) => r[column.name] === null || r[column.name] === undefined).length;
      out.push(result('isRequired', table.name, missing, 'rows lack a required value', column.name));
    }
    for (const fk of table.foreignKeys) {
      const target = OMOP_TABLES.find((t) => t.name === fk.table);
      const keys = new Set(tables[fk.table].map((r) => r[target?.primaryKey ?? '']));
      const orphans = rows.filter((r) => r[fk.column] !== null && !keys.has(r[fk.column])).length;
      out.push(result('isForeignKey', table.name, orphans, `rows name no ${fk.table}`, fk.column));
    }
  }

  const periods = new Map<unknown, { from: string; to: string }[]>();
  for (const p of tables.observation_period) {
    const list = periods.get(p.person_id) ?? [];
    list.push({ from: String(p.observation_period_start_date), to: String(p.observation_period_end_date) });
    periods.set(p.person_id, list);
  }
  const withoutPeriod = tables.person.filter((p) => !periods.has(p.person_id)).length;
  out.push(result('hasObservationPeriod', 'person', withoutPeriod, 'persons have no observation period'));
  const events: OmopTableName[] = [
    'visit_occurrence',
    'visit_detail',
    'condition_occurrence',
    'procedure_occurrence',
    'drug_exposure',
  ];
  for (const name of events) {
    const outside = tables[name].filter((row) => {
      const within = periods.get(row.person_id) ?? [];
      return eventDates(name, row).some(
        (d) => typeof d === 'string' && !within.some((p) => p.from <= d && d <= p.to),
      );
    }).length;
    out.push(result('withinObservationPeriod', name, outside, 'rows fall outside their observation period'));
  }

  // Every gold row (and every code or visit a row holds) read is in OMOP or left out for a stated
  // reason, and the read missed no row of gold.
  const targets = new Map<OmopTableName, number>();
  for (const a of accounts) {
    const dropped = Object.values(a.dropped).reduce((n, d) => n + d, 0);
    targets.set(a.target, (targets.get(a.target) ?? 0) + a.read - dropped);
    const counted = goldCounts[a.source];
    if (counted !== undefined && a.unit === undefined)
      out.push(
        result(
          'reconcilesWithGold',
          a.source,
          Math.abs(counted - a.read),
          `gold holds ${counted} rows, the export read ${a.read}`,
        ),
      );
  }
  for (const [target, expected] of targets) {
    const sources = accounts
      .filter((a) => a.target === target)
      .map((a) => (a.unit ? `${a.source} ${a.unit}` : a.source));
    out.push(
      result(
        'reconcilesWithGold',
        target,
        Math.abs(tables[target].length - expected),
        `${tables[target].length} rows; ${expected} expected from ${sources.join(' + ')} less the rows left out`,
      ),
    );
  }
  return out;
}

function result(check: string, table: string, violations: number, what: string, column?: string): OmopCheck {
  return {
    check,
    table,
    ...(column ? { column } : {}),
    passed: violations === 0,
    violations,
    detail: check === 'reconcilesWithGold' ? what : `${violations} ${what}`,
  };
}

/** One printed line per check: PASS/FAIL, check, table.column, detail. */
export function omopCheckLines(checks: readonly OmopCheck[]): string[] {
  return checks.map(
    (c) =>
      `${c.passed ? 'PASS' : 'FAIL'}  ${c.check.padEnd(24)} ${`${c.table}${c.column ? `.${c.column}` : ''}`.padEnd(44)} ${c.detail}`,
  );
}

/** What an export left out, one entry per gold table, unit and reason. */
export interface OmopLeftOut {
  readonly source: OmopGoldSource;
  /** 'rows', or what the rows hold ('diagnosis codes', 'tests as visits', …). */
  readonly unit: string;
  readonly reason: string;
  /** The count as shown: disclosure-controlled (0, `*` for 1–7, else to the nearest 5) for the National Data Opt-out, exact otherwise. */
  readonly count: string;
}

/**
 * Everything an export left out, as the CLI prints it and the timer logs it: the people with no
 * year of birth (dim_patient), then each row, code or visit left out with its reason. Counts of
 * records withheld under the National Data Opt-out are disclosure-controlled.
 */
export function omopLeftOut(accounts: readonly OmopSourceAccount[]): OmopLeftOut[] {
  return accounts.flatMap((a) =>
    Object.entries(a.dropped).map(([reason, n]) => ({
      source: a.source,
      unit: a.unit ?? 'rows',
      reason,
      count: reason === OPT_OUT_REASON ? discloseCount(n) : String(n),
    })),
  );
}

/** One printed line per entry: `left out: <gold table>: N <unit> (<reason>)`. */
export function omopLeftOutLines(accounts: readonly OmopSourceAccount[]): string[] {
  return omopLeftOut(accounts).map((l) => `left out: ${l.source}: ${l.count} ${l.unit} (${l.reason})`);
}

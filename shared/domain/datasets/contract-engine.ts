import type { ValueCheck, ValueFailure } from '../nhs/value-check.js';
import type { CodeListName, ReferenceData } from '../reference/reference-data.js';
import type { DatasetDeclaration, TableDeclaration } from './declaration.js';
import type { ColumnSpec, DatasetId, SourceRow, SourceRowValue, SourceTableName } from './source-tables.js';
import { civilDays } from '../time/iso-time.js';

/**
 * The generic row-contract engine: wire-form type checks compiled once from the table's
 * declaration (shared/domain/datasets/<dataset>/), then its columns' field rules (value
 * validators, code lists, reference lookups) and its row rules (within-row date order and
 * consistency). Built once per table; `check` allocates nothing for a clean row beyond its result
 * object.
 */

/** One failed contract rule. `message` names dataset, field and rule in words and never holds a value. */
export interface ContractFailure {
  readonly dataset: DatasetId;
  readonly table: SourceTableName;
  readonly field: string;
  /** Stable id `<DATASET>.<FIELD>.<RULE>`, e.g. `SUS.NHS_NUMBER.CHECK_DIGIT`. */
  readonly rule: string;
  readonly message: string;
}

export type ContractResult =
  | { readonly ok: true; readonly row: SourceRow }
  | { readonly ok: false; readonly failures: ContractFailure[] };

/** A compiled, row-level contract for one source table. */
export interface RowContract {
  readonly table: SourceTableName;
  check(row: unknown): ContractResult;
}

/** Options fixed when a contract is built. */
export interface ContractOptions {
  /**
   * The extract date ('YYYY-MM-DD'): dates after it fail `<FIELD>.FUTURE_DATE`. Injected (never
   * the wall clock); when absent the future-date rules are not applied.
   */
  readonly asOf?: string;
}

/** What a field or row rule sees besides the value. */
export interface RowContext {
  readonly reference: ReferenceData;
  /** Extract date ('YYYY-MM-DD') or undefined. */
  readonly asOf: string | undefined;
  /** Date part of the table's activity-date column when it is well formed, else undefined (code lists then ignore effective dates). */
  activityDate: string | undefined;
  readonly row: SourceRow;
}

/** A single-field rule; runs only when the value is present (not null) and passed its type check. */
export interface FieldRule {
  (value: string | number | boolean, ctx: RowContext): ValueCheck;
  /** Rule-id suffixes the rule can produce (for docs and drift tests). */
  readonly rules: readonly string[];
  /** The reference code list the rule checks against, if any. */
  readonly codeList?: CodeListName;
  /** The reference lookup the rule makes, in words, if any ('organisations (ODS) on the activity date'). */
  readonly reference?: string;
}

/** Tags a check function with the rule ids it can produce (and the code list or reference lookup it reads). */
export function fieldRule(
  rules: readonly string[],
  check: (value: string | number | boolean, ctx: RowContext) => ValueCheck,
  codeList?: CodeListName,
  reference?: string,
): FieldRule {
  return Object.assign(
    check,
    { rules },
    codeList === undefined ? {} : { codeList },
    reference === undefined ? {} : { reference },
  );
}

/** A within-row rule; `fields` must all be present and well typed for it to run. */
export interface RowRule {
  /** The field a failure is reported against. */
  readonly field: string;
  /** The rule-id suffix a failure carries (for docs and drift tests). */
  readonly rule: string;
  /** Fields that must be non-null and type-valid for the rule to apply. */
  readonly fields: readonly string[];
  readonly check: (row: SourceRow, ctx: RowContext) => ValueCheck;
}

// ---------- wire-form type checks ----------

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digitsAt(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** True when the first 10 characters of `s` are a real calendar date 'YYYY-MM-DD' (leap years included). */
function datePrefixOk(s: string): boolean {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  const y = digitsAt(s, 0, 4);
  const m = digitsAt(s, 5, 7);
  const d = digitsAt(s, 8, 10);
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  if (d > (DAYS_IN_MONTH[m - 1] ?? 0)) return false;
  if (m === 2 && d === 29) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return true;
}

/** True for a real calendar date 'YYYY-MM-DD' (leap years included). */
export function isIsoDate(s: string): boolean {
  return s.length === 10 && datePrefixOk(s);
}

/**
 * Epoch milliseconds of an ISO-8601 timestamp with an offset
 * ('YYYY-MM-DDTHH:mm:ss[.f{1,7}]' then 'Z' or '±HH:MM'), or NaN when it is not one.
 * Hand-written because Date.parse costs about a microsecond a call on the contract hot path.
 */
export function timestampMillis(s: string): number {
  const n = s.length;
  if (n < 20 || !datePrefixOk(s) || s.charCodeAt(10) !== 84) return NaN;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  const hh = digitsAt(s, 11, 13);
  const mi = digitsAt(s, 14, 16);
  const ss = digitsAt(s, 17, 19);
  if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59) return NaN;
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    i++;
    const start = i;
    while (i < n) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      if (i - start < 3) ms = ms * 10 + d;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 7) return NaN;
    if (digits === 1) ms *= 100;
    else if (digits === 2) ms *= 10;
  }
  let offsetMinutes = 0;
  const c = s.charCodeAt(i);
  if (c === 90 && i === n - 1) {
    // UTC: no offset
  } else if ((c === 43 || c === 45) && i === n - 6 && s.charCodeAt(i + 3) === 58) {
    const oh = digitsAt(s, i + 1, i + 3);
    const om = digitsAt(s, i + 4, i + 6);
    if (oh < 0 || oh > 14 || om < 0 || om > 59) return NaN;
    offsetMinutes = (c === 43 ? 1 : -1) * (oh * 60 + om);
  } else return NaN;
  const days = civilDays(digitsAt(s, 0, 4), digitsAt(s, 5, 7), digitsAt(s, 8, 10));
  return ((days * 24 + hh) * 60 + mi - offsetMinutes) * 60000 + ss * 1000 + ms;
}

/** datetimeoffset wire form: 'YYYY-MM-DDTHH:mm:ss[.fff]' + 'Z' or '±HH:MM'. */
export function isIsoTimestampWithOffset(s: string): boolean {
  return !Number.isNaN(timestampMillis(s));
}

/** datetime2 wire form: ISO-8601 UTC 'YYYY-MM-DDTHH:mm:ss[.fff]Z'. */
export function isIsoUtcTimestamp(s: string): boolean {
  return s.charCodeAt(s.length - 1) === 90 && isIsoTimestampWithOffset(s);
}

type TypeCheck = (v: SourceRowValue) => string | null; // null = ok, else rule suffix

/** Rule-id suffixes the wire-form type check of a column can produce. */
export function typeRuleSuffixes(col: ColumnSpec): readonly string[] {
  return [...(col.nullable ? [] : ['REQUIRED']), 'COLUMN_MISSING', ...Object.keys(typeCheckFor(col).reasons)];
}

function typeCheckFor(col: ColumnSpec): { check: TypeCheck; reasons: Record<string, string> } {
  const len = col.length ?? 0;
  switch (col.type) {
    case 'varchar':
      return {
        check: (v) => (typeof v !== 'string' ? 'TYPE' : v.length > len ? 'LENGTH' : null),
        reasons: { TYPE: 'is not text', LENGTH: `is longer than ${len} characters` },
      };
    case 'char':
      return {
        check: (v) => (typeof v !== 'string' ? 'TYPE' : v.length !== len ? 'LENGTH' : null),
        reasons: { TYPE: 'is not text', LENGTH: `is not exactly ${len} characters` },
      };
    case 'date':
      return {
        check: (v) => (typeof v !== 'string' || !isIsoDate(v) ? 'DATE_FORMAT' : null),
        reasons: { DATE_FORMAT: "is not a calendar date 'YYYY-MM-DD'" },
      };
    case 'datetime2':
      return {
        check: (v) => (typeof v !== 'string' || !isIsoUtcTimestamp(v) ? 'TIMESTAMP_FORMAT' : null),
        reasons: { TIMESTAMP_FORMAT: 'is not an ISO-8601 UTC timestamp ending in Z' },
      };
    case 'datetimeoffset':
      return {
        check: (v) => (typeof v !== 'string' || !isIsoTimestampWithOffset(v) ? 'TIMESTAMP_FORMAT' : null),
        reasons: { TIMESTAMP_FORMAT: 'is not an ISO-8601 timestamp with an offset (Z or +HH:MM)' },
      };
    case 'int':
      return {
        check: (v) =>
          typeof v !== 'number' || !Number.isInteger(v) || v > 2147483647 || v < -2147483648 ? 'TYPE' : null,
        reasons: { TYPE: 'is not a whole number in the int range' },
      };
    case 'bigint': {
      const re = /^-?[0-9]{1,19}$/;
      return {
        check: (v) => (typeof v !== 'string' || !re.test(v) ? 'TYPE' : null),
        reasons: { TYPE: 'is not a whole number written as a decimal string (bigint wire form)' },
      };
    }
    case 'decimal': {
      const p = col.precision ?? 18;
      const s = col.scale ?? 0;
      const re = new RegExp(s > 0 ? `^-?[0-9]{1,${p - s}}(\\.[0-9]{1,${s}})?$` : `^-?[0-9]{1,${p}}$`);
      return {
        check: (v) => (typeof v !== 'string' || !re.test(v) ? 'DECIMAL_FORMAT' : null),
        reasons: { DECIMAL_FORMAT: `is not a decimal(${p},${s}) written as a string` },
      };
    }
    case 'bit':
      return {
        check: (v) => (typeof v !== 'boolean' ? 'TYPE' : null),
        reasons: { TYPE: 'is not true or false' },
      };
  }
}

// ---------- compilation ----------

interface CompiledColumn {
  readonly name: string;
  readonly nullable: boolean;
  readonly type: TypeCheck;
  readonly typeReasons: Record<string, string>;
  readonly rules: readonly FieldRule[];
}

const DATASET_FIELD = (name: string) => name.toUpperCase();

/** Builds the {@link RowContract} for a table from its declaration. */
export function compileContract(
  declared: Pick<DatasetDeclaration, 'rulePrefix' | 'name'>,
  spec: TableDeclaration,
  reference: ReferenceData,
  options: ContractOptions = {},
): RowContract {
  const dataset = spec.dataset;
  const table = spec.table;
  const prefix = declared.rulePrefix;
  const datasetName = declared.name;
  const activityColumn = spec.activityDateColumn;
  const columns: CompiledColumn[] = spec.columns.map((col) => {
    const t = typeCheckFor(col);
    return {
      name: col.name,
      nullable: col.nullable,
      type: t.check,
      typeReasons: t.reasons,
      rules: col.rules,
    };
  });
  const rowRules = spec.rowRules;
  const columnNames = new Set(spec.columns.map((c) => c.name));
  const columnCount = columnNames.size;
  const asOf = options.asOf;

  const failure = (field: string, rule: string, reason: string): ContractFailure => ({
    dataset,
    table,
    field,
    rule: `${prefix}.${DATASET_FIELD(field)}.${rule}`,
    message: `${datasetName} (${table}) field '${field}' fails rule ${prefix}.${DATASET_FIELD(field)}.${rule}: ${field.replace(/_/g, ' ')} ${reason}`,
  });
  const valueFailure = (field: string, f: ValueFailure): ContractFailure => ({
    dataset,
    table,
    field,
    rule: `${prefix}.${DATASET_FIELD(field)}.${f.rule}`,
    message: `${datasetName} (${table}) field '${field}' fails rule ${prefix}.${DATASET_FIELD(field)}.${f.rule}: ${f.reason}`,
  });

  return {
    table,
    check(input: unknown): ContractResult {
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        return {
          ok: false,
          failures: [failure('(row)', 'NOT_AN_OBJECT', 'is not an object of column values')],
        };
      const row = input as SourceRow;
      let failures: ContractFailure[] | undefined;
      let bad: Set<string> | undefined;
      // 1. shape: unknown columns
      let keyCount = 0;
      for (const k in row) if (k !== undefined) keyCount++;
      if (keyCount > columnCount) {
        for (const k in row) {
          if (!columnNames.has(k)) {
            (failures ??= []).push(failure(k, 'UNKNOWN_COLUMN', 'is not a column of the table'));
            (bad ??= new Set()).add(k);
          }
        }
      }
      // 2. wire-form types
      for (const col of columns) {
        const v = row[col.name];
        if (v === undefined) {
          (failures ??= []).push(
            failure(col.name, 'COLUMN_MISSING', 'is missing from the row (send null for no value)'),
          );
          (bad ??= new Set()).add(col.name);
          continue;
        }
        if (v === null || (v === '' && !col.nullable)) {
          if (!col.nullable) {
            (failures ??= []).push(failure(col.name, 'REQUIRED', 'is required but empty'));
            (bad ??= new Set()).add(col.name);
          }
          continue;
        }
        const t = col.type(v);
        if (t !== null) {
          (failures ??= []).push(failure(col.name, t, col.typeReasons[t] ?? 'has the wrong type'));
          (bad ??= new Set()).add(col.name);
        }
      }
      const act = row[activityColumn];
      const ctx: RowContext = {
        reference,
        asOf,
        activityDate: typeof act === 'string' && !bad?.has(activityColumn) ? act.slice(0, 10) : undefined,
        row,
      };
      // 3. field rules
      for (const col of columns) {
        if (col.rules.length === 0) continue;
        const v = row[col.name];
        if (v === null || v === undefined || bad?.has(col.name)) continue;
        for (const rule of col.rules) {
          const r = rule(v, ctx);
          if (!r.ok) {
            (failures ??= []).push(valueFailure(col.name, r));
            (bad ??= new Set()).add(col.name);
            break; // one failure per field: the first rule that fails says why
          }
        }
      }
      // 4. row rules
      for (const rule of rowRules) {
        let applies = true;
        for (const f of rule.fields) {
          const v = row[f];
          if (v === null || v === undefined || bad?.has(f)) {
            applies = false;
            break;
          }
        }
        if (!applies) continue;
        const r = rule.check(row, ctx);
        if (!r.ok) (failures ??= []).push(valueFailure(rule.field, r));
      }
      return failures ? { ok: false, failures } : { ok: true, row };
    },
  };
}

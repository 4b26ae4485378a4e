import { SOURCE_TABLES, type SourceTableName, type SourceTableSpec } from '../datasets/source-tables.js';
import { nhsNumberIssuingRange, validateNhsNumber } from '../nhs/nhs-number.js';
import { RULE_PREFIX } from '../validate/rule.js';

/**
 * Data-quality checks: properties of a field that are counted on the scorecard and NEVER reject a
 * row (they are not validation rules and have no quarantine record). Each is declared once by
 * column name and applies to every table that has the column, so a table that gains the column
 * (DIDS `nhs_number_status`, say) is counted without another edit here.
 *
 * Contract: a failing row is counted in the DQ state like a `warn` rule failure, under the key
 * `<id>|<field>` with id `<dataset prefix>.<suffix>` (`DIDS.NHS_NUMBER_STATUS.NOT_VERIFIED`), so it
 * shows as a `rule_failure_rate` row of `dq_scorecard`; ids are stable. Only populated values are
 * judged (completeness is the field's own measure).
 */
export interface DqCheck {
  /** Rule id on the scorecard (`SUS.NHS_NUMBER.OUTSIDE_ENGLAND_RANGES`). */
  readonly id: string;
  readonly table: SourceTableName;
  readonly field: string;
  /** Words, never values. */
  readonly message: string;
  /** True when the (populated) value is flagged. */
  readonly flags: (value: string) => boolean;
}

interface CheckSpec {
  readonly field: string;
  readonly suffix: string;
  readonly message: string;
  readonly flags: (value: string) => boolean;
}

/** NHS Number Status Indicator Code 01: number present and verified (REFERENCE.md §1.3). */
export const NHS_NUMBER_STATUS_VERIFIED = '01';

const CHECKS: readonly CheckSpec[] = [
  {
    field: 'nhs_number_status',
    suffix: 'NHS_NUMBER_STATUS.NOT_VERIFIED',
    message: 'NHS Number Status Indicator Code is not 01 (number present and verified)',
    flags: (value) => value !== NHS_NUMBER_STATUS_VERIFIED,
  },
  {
    // Only numbers that pass modulus 11: an invalid number is already counted by its contract rule.
    field: 'nhs_number',
    suffix: 'NHS_NUMBER.OUTSIDE_ENGLAND_RANGES',
    message:
      'NHS number lies outside the ranges issued in England (Northern Ireland, Scottish CHI or unallocated)',
    flags: (value) => {
      if (!validateNhsNumber(value).ok) return false;
      const range = nhsNumberIssuingRange(value);
      return range !== 'england' && range !== 'test';
    },
  },
  {
    field: 'nhs_number',
    suffix: 'NHS_NUMBER.TEST_RANGE',
    message: 'NHS number is in the 999 test range (never issued to a patient)',
    flags: (value) => validateNhsNumber(value).ok && nhsNumberIssuingRange(value) === 'test',
  },
];

/** The DQ checks of a table: those whose column it has. */
export function dqChecksOf(spec: SourceTableSpec): readonly DqCheck[] {
  const table = spec.table;
  const columns = new Set(spec.columns.map((col) => col.name));
  return CHECKS.filter((c) => columns.has(c.field)).map((c) => ({
    id: `${RULE_PREFIX[spec.dataset]}.${c.suffix}`,
    table,
    field: c.field,
    message: c.message,
    flags: c.flags,
  }));
}

/** Every table's DQ checks (only those whose column the table has). */
export const DQ_CHECKS: Readonly<Record<SourceTableName, readonly DqCheck[]>> = Object.fromEntries(
  (Object.keys(SOURCE_TABLES) as SourceTableName[]).map((t) => [t, dqChecksOf(SOURCE_TABLES[t])]),
) as Record<SourceTableName, readonly DqCheck[]>;

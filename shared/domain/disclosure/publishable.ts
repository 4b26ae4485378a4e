import { GuardError } from '../errors.js';
import type { AggregateRow } from './apply-disclosure-control.js';
import { columnsOfRole, type PublishedTable } from './published-table.js';

/** The code of the `GuardError` thrown when a table may not be published. */
export const NOT_PUBLISHABLE = 'NOT_PUBLISHABLE';

/** The smallest age band a published table may show, in years. */
export const MIN_PUBLISHED_AGE_BAND_YEARS = 5;

// Column names that identify a person or carry a pseudonym, whatever role they are declared with.
const IDENTIFIER_NAME =
  /(^|_)(person_id|patient_id|patient_sk|patient_token|link_key|nhs_number|local_patient_id|pseudo_nhs_number|date_of_birth|dob|postcode)($|_)|token/;
// Column names that read as an exact day or instant.
const DATE_NAME = /(^|_)(date|datetime|timestamp|dob)($|_)|_at$/;
const AGE_NAME = /(^|_)age($|_)/;
const MONTH_VALUE = /^\d{4}-(0[1-9]|1[0-2])$/;
const DAY_VALUE = /^\d{4}-\d{2}-\d{2}/;
const TOKEN_VALUE = /^[0-9a-f]{32,}$/i;
const AGE_BAND_VALUE = /^(\d{1,3})\s*(?:-|–|to)\s*(\d{1,3})$|^(\d{1,3})\s*\+$/;

/**
 * Every reason a table may not be published (empty when it may): it must be an aggregate, with no
 * column that identifies a person (`person_id`, a patient token or surrogate key), no exact date
 * below month, and no age below a 5-year band. The declaration is checked by role, type and name;
 * when `rows` are given their dimension values are checked too (a month column holding days, a
 * value that looks like a token, an age band narrower than 5 years). Problems name the column and
 * row number, never a value.
 */
export function publishabilityProblems(table: PublishedTable, rows?: readonly AggregateRow[]): string[] {
  const problems: string[] = [];
  for (const column of table.columns) {
    const what = `${table.name}.${column.name}`;
    if (IDENTIFIER_NAME.test(column.name))
      problems.push(`${what}: a column that identifies a person (person id, token, key) is not published`);
    if (column.role !== 'dimension') {
      if (DATE_NAME.test(column.name))
        problems.push(`${what}: an exact date is not published (month at most)`);
      continue;
    }
    if (column.type === 'person')
      problems.push(`${what}: a column that identifies a person (person id, token, key) is not published`);
    if (column.type === 'date' || (DATE_NAME.test(column.name) && column.type === 'code'))
      problems.push(`${what}: an exact date is not published (month, quarter or year)`);
    if (column.type === 'age')
      problems.push(
        `${what}: a single year of age is not published (bands of ${MIN_PUBLISHED_AGE_BAND_YEARS} years or more)`,
      );
    if (column.type === 'age-band' && (column.bandYears ?? 0) < MIN_PUBLISHED_AGE_BAND_YEARS)
      problems.push(
        `${what}: age bands of ${column.bandYears ?? 0} years are too narrow (${MIN_PUBLISHED_AGE_BAND_YEARS} or more)`,
      );
    if (AGE_NAME.test(column.name) && column.type !== 'age-band' && column.type !== 'age')
      problems.push(
        `${what}: an age column must be declared as an age-band of ${MIN_PUBLISHED_AGE_BAND_YEARS} years or more`,
      );
  }
  if (rows) problems.push(...valueProblems(table, rows));
  return [...new Set(problems)];
}

/**
 * Throws `GuardError` (`NOT_PUBLISHABLE`) listing every problem when the table may not be
 * published; the marts refresh and the exports call it before writing a published table.
 */
export function assertPublishable(table: PublishedTable, rows?: readonly AggregateRow[]): void {
  const problems = publishabilityProblems(table, rows);
  if (problems.length > 0)
    throw new GuardError(
      NOT_PUBLISHABLE,
      `table ${table.name} may not be published:\n  - ${problems.join('\n  - ')}`,
    );
}

/** The first offending row per column and check, so a large table gives a short list. */
function valueProblems(table: PublishedTable, rows: readonly AggregateRow[]): string[] {
  const problems = new Map<string, string>();
  const note = (key: string, message: string): void => {
    if (!problems.has(key)) problems.set(key, message);
  };
  const dimensions = columnsOfRole(table, 'dimension');
  rows.forEach((row, r) => {
    for (const column of dimensions) {
      const value = row[column.name];
      if (typeof value !== 'string') continue;
      const at = `${table.name}.${column.name}, row ${r + 1}`;
      if (TOKEN_VALUE.test(value))
        note(`${column.name}:token`, `${at}: a value looks like a token or key; not published`);
      if (column.type === 'month' && !MONTH_VALUE.test(value))
        note(`${column.name}:month`, `${at}: a month must be YYYY-MM`);
      else if (DAY_VALUE.test(value))
        note(`${column.name}:day`, `${at}: a value is an exact date; not published`);
      if (column.type === 'age-band' && value !== column.totalValue && !wideEnough(value))
        note(
          `${column.name}:age`,
          `${at}: an age band must be 'a-b' spanning ${MIN_PUBLISHED_AGE_BAND_YEARS} years or more, or 'a+'`,
        );
    }
  });
  return [...problems.values()];
}

function wideEnough(band: string): boolean {
  const m = AGE_BAND_VALUE.exec(band.trim());
  if (!m) return false;
  if (m[3] !== undefined) return true;
  return Number(m[2]) - Number(m[1]) + 1 >= MIN_PUBLISHED_AGE_BAND_YEARS;
}

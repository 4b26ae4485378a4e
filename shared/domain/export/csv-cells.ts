import { ExportKeyError } from '../errors.js';

/**
 * CSV as commissioners' spreadsheets read it: what `nhs-flows export` and the data API write.
 * RFC 4180 quoting, and formula-injection escaping (OWASP "CSV injection").
 */

/** A cell a spreadsheet would run as a formula: =, +, -, @, tab or carriage return first. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain number is not a formula (a spreadsheet reads `-12.5` as the number either way). */
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * RFC 4180 field: quoted when it holds a comma, quote or line break; NULL as empty. A cell that
 * starts like a formula (`=cmd|' /C calc'!A0`) is written as text: prefixed with a single quote and
 * quoted. Plain numbers are left as they are.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) return `"'${text.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The header row of an export; refuses keys with control characters (they would split the row). */
export function csvHeader(columns: readonly string[]): string {
  columns.forEach((c, i) => {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(c))
      throw new ExportKeyError(`export: column ${i + 1} of the header holds a control character`);
  });
  return columns.map(csvField).join(',');
}

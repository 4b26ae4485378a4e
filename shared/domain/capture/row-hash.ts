import { hash } from 'node:crypto';
import type { ColumnSpec, SourceRow, SourceRowValue, SqlType } from '../datasets/source-tables.js';
import { InputError } from '../errors.js';
import { isRealCalendarDate } from '../time/iso-time.js';

/**
 * Canonical row hash, spec version 1 (docs/row-hash-spec.md is the contract; the golden vectors in
 * tests/unit/capture/row-hash.vectors.json pin it).
 *
 * Contract (changing any of this is a new spec version, never an edit of version 1):
 * - the hashed text is the canonical text of each hashed column, in layout order, escaped
 *   (`\` → `\\`, `|` → `\|`) and joined with `|`; SQL NULL is the sentinel `\N`, which escaping can
 *   never produce, so NULL and '' differ;
 * - canonical text per type: integers in plain decimal; decimals with trailing fractional zeros and a
 *   trailing point removed and `-0` as `0`; `date` as `YYYY-MM-DD`; `datetime2` and `datetimeoffset`
 *   as the UTC instant `YYYY-MM-DDTHH:mm:ss.sssZ` (milliseconds, truncated); `bit` as `1`/`0`;
 *   binary as lowercase hex; strings exactly as stored (no trimming, no case folding);
 * - the hash is SHA-256 of the UTF-8 bytes of that text, as 64 lowercase hex digits.
 */
export const ROW_HASH_SPEC_VERSION = 1;

/** Versions this code can compute (state written under another version is re-based, see docs/capture.md). */
export const SUPPORTED_ROW_HASH_SPEC_VERSIONS: readonly number[] = [1];

export const FIELD_SEPARATOR = '|';
export const NULL_SENTINEL = '\\N';

/** SQL types the canonical form covers: the source table types plus binary. */
export type CanonicalType = SqlType | 'binary';

/** One column as the hash sees it. */
export interface HashColumn {
  readonly name: string;
  readonly type: CanonicalType;
}

/**
 * Which columns of a table make up the key and the row hash, and under which spec version.
 * Both sides of every comparison (the capture state and the source's pushed-down checksums) are
 * computed from the same layout.
 */
export interface RowHashLayout {
  readonly specVersion: number;
  readonly table: string;
  /** Business key columns in key order. */
  readonly keyColumns: readonly HashColumn[];
  /** Hashed columns in hash order (table spec order after include/exclude). */
  readonly hashColumns: readonly HashColumn[];
  /** The change-version column (rowversion), or null when the table has none. */
  readonly versionColumn: string | null;
}

const canonicalDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const decimalText = /^([+-]?)(\d*)(?:\.(\d*))?$/;
const hexText = /^(?:0x)?([0-9a-fA-F]*)$/;
const needsEscape = /[\\|]/;
const escapeChars = /[\\|]/g;

function wrongType(column: string, type: CanonicalType, value: SourceRowValue | Uint8Array): InputError {
  const received = value instanceof Uint8Array ? 'bytes' : typeof value;
  return new InputError(
    `row hash: column '${column}' (${type}) expected its wire form, received a value of type ${received} that does not fit`,
  );
}

/** Removes trailing fractional zeros and leading integer zeros; `-0` becomes `0`. */
export function canonicalDecimal(text: string, column = '?'): string {
  const match = decimalText.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === ''))
    throw new InputError(`row hash: column '${column}' (decimal) expected decimal digits`);
  const sign = match[1] === '-' ? '-' : '';
  const whole = (match[2] ?? '').replace(/^0+(?=\d)/, '') || '0';
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  const body = fraction ? `${whole}.${fraction}` : whole;
  return body === '0' ? '0' : `${sign}${body}`;
}

const datePrefix = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}))?/;
/** False when the text starts with an ISO date that does not exist, or its hour is past 23. */
function realDateAndClock(text: string): boolean {
  const m = datePrefix.exec(text);
  if (!m) return true;
  return isRealCalendarDate(Number(m[1]), Number(m[2]), Number(m[3])) && Number(m[4] ?? 0) <= 23;
}

const two = (s: string, at: number) => (s.charCodeAt(at) - 48) * 10 + s.charCodeAt(at + 1) - 48;
/** The canonical form's fields exist (cheap: the capture hot path hashes many of these). */
function realCanonicalDateTime(s: string): boolean {
  const month = two(s, 5);
  const day = two(s, 8);
  if (month < 1 || month > 12 || day < 1 || two(s, 11) > 23 || two(s, 14) > 59 || two(s, 17) > 59)
    return false;
  return day <= 28 || isRealCalendarDate(Number(s.slice(0, 4)), month, day);
}

function canonicalInstant(text: string, column: string, type: CanonicalType, naive: boolean): string {
  if (canonicalDateTime.test(text) && realCanonicalDateTime(text)) return text;
  // datetime2 carries no offset: a wire value without one is already UTC.
  const withZone = naive && !/(?:Z|[+-]\d{2}:?\d{2})$/.test(text) ? `${text}Z` : text;
  if (!naive && !/(?:Z|[+-]\d{2}:?\d{2})$/.test(text))
    throw new InputError(`row hash: column '${column}' (${type}) expected an ISO-8601 value with an offset`);
  const ms = Date.parse(withZone);
  if (Number.isNaN(ms))
    throw new InputError(`row hash: column '${column}' (${type}) expected an ISO-8601 date-time`);
  // Date.parse rolls 2024-02-30 into March and T24:00 into the next day. A source can hold such a
  // value (text columns, a bad feed): it is hashed as its own text, which no real instant's canonical
  // form equals, so its correction is still a change; validation quarantines the row.
  if (!realDateAndClock(text)) return text;
  return new Date(ms).toISOString();
}

/**
 * The canonical text of one value (before escaping), or null for SQL NULL.
 * Throws `InputError` naming the column (never the value) when the value does not fit the type.
 */
export function canonicalValue(
  type: CanonicalType,
  value: SourceRowValue | Uint8Array | undefined,
  column = '?',
): string | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'varchar':
    case 'char':
      if (typeof value !== 'string') throw wrongType(column, type, value);
      return value;
    case 'int':
      if (typeof value === 'number') {
        if (!Number.isSafeInteger(value)) throw wrongType(column, type, value);
        return value === 0 ? '0' : String(value);
      }
      if (typeof value === 'string' && /^[+-]?\d+$/.test(value)) return BigInt(value).toString();
      throw wrongType(column, type, value);
    case 'bigint':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value === 0 ? '0' : String(value);
      if (typeof value === 'string' && /^[+-]?\d+$/.test(value)) return BigInt(value).toString();
      throw wrongType(column, type, value);
    case 'decimal':
      if (typeof value === 'number') {
        if (!Number.isFinite(value) || /e/i.test(String(value))) throw wrongType(column, type, value);
        return canonicalDecimal(String(value), column);
      }
      if (typeof value === 'string') return canonicalDecimal(value, column);
      throw wrongType(column, type, value);
    case 'date':
      // A date that does not exist (2023-02-29) is hashed as its text, as for date-times.
      if (typeof value !== 'string' || !isoDate.test(value)) throw wrongType(column, type, value);
      return value;
    case 'datetime2':
      if (typeof value !== 'string') throw wrongType(column, type, value);
      return canonicalInstant(value, column, type, true);
    case 'datetimeoffset':
      if (typeof value !== 'string') throw wrongType(column, type, value);
      return canonicalInstant(value, column, type, false);
    case 'bit':
      if (value === true || value === 1 || value === '1' || value === 'true') return '1';
      if (value === false || value === 0 || value === '0' || value === 'false') return '0';
      throw wrongType(column, type, value);
    case 'binary': {
      if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
      const match = typeof value === 'string' ? hexText.exec(value) : null;
      if (!match || (match[1] ?? '').length % 2 !== 0) throw wrongType(column, type, value);
      return (match[1] ?? '').toLowerCase();
    }
  }
}

/** Escapes `\` and `|` so the separator is unambiguous. */
export function escapeField(text: string): string {
  return needsEscape.test(text) ? text.replace(escapeChars, (c) => `\\${c}`) : text;
}

/** The exact text that is hashed (contract: docs/row-hash-spec.md). */
export function canonicalRowText(columns: readonly HashColumn[], row: SourceRow): string {
  let text = '';
  for (let i = 0; i < columns.length; i++) {
    const col = columns[i]!;
    const canonical = canonicalValue(col.type, row[col.name], col.name);
    const field = canonical === null ? NULL_SENTINEL : escapeField(canonical);
    text = i === 0 ? field : `${text}${FIELD_SEPARATOR}${field}`;
  }
  return text;
}

/** SHA-256 (lowercase hex) of the canonical row text under spec version 1. */
export function rowHash(columns: readonly HashColumn[], row: SourceRow): string {
  return hash('sha256', canonicalRowText(columns, row), 'hex');
}

/**
 * The business key of a row as canonical text per key column (unescaped). Key columns must not be
 * NULL.
 */
export function businessKeyOf(keyColumns: readonly HashColumn[], row: SourceRow): string[] {
  return keyColumns.map((col) => {
    const value = canonicalValue(col.type, row[col.name], col.name);
    if (value === null) throw new InputError(`capture: key column '${col.name}' is NULL`);
    return value;
  });
}

/** The hash columns of a column spec list, minus excluded names (or only included names). */
export function selectHashColumns(
  columns: readonly Pick<ColumnSpec, 'name' | 'type'>[],
  options: { readonly include?: readonly string[]; readonly exclude?: readonly string[] },
): HashColumn[] {
  const include = options.include && options.include.length > 0 ? new Set(options.include) : undefined;
  const exclude = new Set(options.exclude ?? []);
  return columns
    .filter((col) => (include ? include.has(col.name) : true) && !exclude.has(col.name))
    .map((col) => ({ name: col.name, type: col.type }));
}

/**
 * The signed 64-bit integer formed by the first 8 bytes (big-endian) of a row hash: what range
 * checksums sum. SQL Server computes it as `CAST(SUBSTRING(HASHBYTES(...), 1, 8) AS bigint)`.
 */
export function rowHashPrefix64(rowHashHex: string): bigint {
  return BigInt.asIntN(64, BigInt(`0x${rowHashHex.slice(0, 16)}`));
}

/**
 * Types whose canonical text is the same for the same value: a retype inside a family (int → bigint,
 * decimal scale, varchar → char, datetime2 → datetimeoffset) does not change any hash.
 */
export type CanonicalFamily = 'text' | 'number' | 'date' | 'instant' | 'bit' | 'binary';

export function canonicalFamily(type: CanonicalType): CanonicalFamily {
  switch (type) {
    case 'varchar':
    case 'char':
      return 'text';
    case 'int':
    case 'bigint':
    case 'decimal':
      return 'number';
    case 'date':
      return 'date';
    case 'datetime2':
    case 'datetimeoffset':
      return 'instant';
    case 'bit':
      return 'bit';
    case 'binary':
      return 'binary';
  }
}

/**
 * Fingerprint of a layout (spec version, key columns, hashed columns with their canonical families):
 * the capture state records it, and hashes are only compared under the same fingerprint.
 */
export function layoutFingerprint(
  layout: Pick<RowHashLayout, 'specVersion' | 'keyColumns' | 'hashColumns'>,
): string {
  const lines = [
    String(layout.specVersion),
    ...layout.keyColumns.map((c) => `${c.name}:${canonicalFamily(c.type)}`),
    '--',
    ...layout.hashColumns.map((c) => `${c.name}:${canonicalFamily(c.type)}`),
  ];
  return hash('sha256', lines.join('\n'), 'hex');
}

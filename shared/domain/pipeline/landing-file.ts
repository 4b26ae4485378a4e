import { SOURCE_TABLE_NAMES, sourceTable, type SourceTableSpec } from '../datasets/source-tables.js';
import { LandingFileRejectedError } from '../errors.js';
import { fhirFileKind } from '../fhir/fhir-resource-set.js';
import type { BatchDescriptor } from './batch-record.js';

/**
 * The rules of a supplier's landing file (docs/validation-rules.md, "Landing files"): which problems
 * reject the whole file (a `LandingFileRejectedError` with a `FILE.*` code) and which only one row
 * (an unreadable row with its line number; the rest of the file loads). Pure: the streaming reader
 * is `shared/application/use-cases/pipeline/landing-file-reader.ts`.
 */

/** Why one row of a landing file could not be read (reported in quarantine; the file still loads). */
export const UNREADABLE_ROW_RULES = [
  /** The row has more or fewer fields than the header. */
  'FILE.COLUMN_COUNT',
  /** A quoted field opens on this line and is never closed (the lines after it are read again). */
  'FILE.QUOTE_UNBALANCED',
  /** A quote inside an unquoted field, or text between a closing quote and the next comma. */
  'FILE.QUOTE_MALFORMED',
  /** An NDJSON line that is not JSON. */
  'FILE.JSON_MALFORMED',
  /** An NDJSON line that is JSON but not an object. */
  'FILE.NOT_AN_OBJECT',
  /** A line of a bronze delta batch that is JSON but not a valid delta (docs/events.md). */
  'FILE.DELTA_INVALID',
] as const;
export type UnreadableRowRule = (typeof UNREADABLE_ROW_RULES)[number];

/** A file that loads but holds no row: reported in the ledger and status as such, not "succeeded". */
export const LANDING_NOTICE_CODES = ['FILE.EMPTY', 'FILE.HEADER_ONLY'] as const;
export type LandingNoticeCode = (typeof LANDING_NOTICE_CODES)[number];

/**
 * Encodings a file may declare in its name, before the extension (`2026-11.latin1.csv`), mapped to
 * the WHATWG decoder used (Latin-1 labels decode as windows-1252, as browsers do). Without one a
 * file must be UTF-8 (a BOM is accepted).
 */
const DECLARED_ENCODINGS: Readonly<Record<string, string>> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  latin1: 'windows-1252',
  'iso-8859-1': 'windows-1252',
  'windows-1252': 'windows-1252',
  cp1252: 'windows-1252',
};

/** Where a landing file goes: its table, format and declared encoding (from its name only). */
export interface LandingTarget {
  readonly spec: SourceTableSpec;
  readonly format: Exclude<BatchDescriptor['format'], 'deltas'>;
  readonly encoding: string | undefined;
}

/**
 * Reads `<source table>/<file>.csv|.ndjson|.jsonl|.json|.fhir.ndjson` (the blob name under `landing/`). Throws
 * `LandingFileRejectedError` with FILE.WRONG_FOLDER, FILE.UNKNOWN_TABLE or FILE.UNSUPPORTED_FORMAT.
 */
export function landingTarget(name: string): LandingTarget {
  const file = printableName(name);
  const [tableName, ...rest] = name.split('/');
  if (!tableName || rest.length === 0 || rest.join('/') === '')
    throw new LandingFileRejectedError(
      'FILE.WRONG_FOLDER',
      file,
      'expected landing/<source table>/<file name>, e.g. sus_apc_episode/2026-11.csv',
    );
  if (!(SOURCE_TABLE_NAMES as readonly string[]).includes(tableName))
    throw new LandingFileRejectedError(
      'FILE.UNKNOWN_TABLE',
      file,
      `the folder is not a source table; expected one of ${SOURCE_TABLE_NAMES.join(', ')}`,
    );
  const lower = name.toLowerCase();
  // FHIR first: a bulk-export `.fhir.ndjson` is FHIR, a plain `.ndjson` rows of the table (docs/fhir.md).
  const format: LandingTarget['format'] | undefined = fhirFileKind(lower)
    ? 'fhir'
    : lower.endsWith('.csv')
      ? 'csv'
      : lower.endsWith('.ndjson') || lower.endsWith('.jsonl')
        ? 'ndjson'
        : undefined;
  if (!format)
    throw new LandingFileRejectedError(
      'FILE.UNSUPPORTED_FORMAT',
      file,
      'expected .csv, .ndjson or .jsonl (rows), .json (a FHIR R4 Bundle) or .fhir.ndjson (FHIR bulk export)',
    );
  if (format === 'fhir') return { spec: sourceTable(tableName), format, encoding: undefined };
  const label = /\.([a-z0-9-]+)\.(?:csv|ndjson|jsonl)$/.exec(lower)?.[1];
  return { spec: sourceTable(tableName), format, encoding: label ? DECLARED_ENCODINGS[label] : undefined };
}

/** A file name fit for a message or log line: control characters (line breaks) become '?'. */
export function printableName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 300);
}

/** One CSV record parsed from the text of one or more physical lines (joined with '\n'). */
export type CsvRecordParse =
  | { readonly kind: 'fields'; readonly fields: string[] }
  /** A quoted field is still open at the end of the text (it may close on a later line). */
  | { readonly kind: 'open' }
  /** A quote inside an unquoted field, or text after a closing quote. */
  | { readonly kind: 'malformed' };

/**
 * RFC 4180 fields of one record: comma-separated, `"` quotes a field, `""` is a quote inside one,
 * a quoted field may hold commas and line breaks. Unquoted fields are taken as they are (no trim).
 */
export function parseCsvRecord(text: string): CsvRecordParse {
  if (!text.includes('"')) return { kind: 'fields', fields: text.split(',') };
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return { kind: 'open' };
        if (text.charCodeAt(q + 1) === 34) {
          value += text.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        value += text.slice(j, q);
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return { kind: 'fields', fields };
      if (text.charCodeAt(i) !== 44) return { kind: 'malformed' };
      i += 1;
      continue;
    }
    const comma = text.indexOf(',', i);
    const value = text.slice(i, comma === -1 ? n : comma);
    if (value.includes('"')) return { kind: 'malformed' };
    fields.push(value);
    if (comma === -1) return { kind: 'fields', fields };
    i = comma + 1;
  }
}

/**
 * Checks the header row of a CSV file against the table and returns the column names in file
 * order. The rejections name the table's own columns and the positions of unknown ones, never a
 * header cell: in a file without a header row, the "header" is a patient's row.
 */
export function csvHeaderColumns(cells: readonly string[], spec: SourceTableSpec, file: string): string[] {
  const names = cells.map((c) => c.trim());
  const known = new Set(spec.columns.map((c) => c.name));
  const unknownAt = names.flatMap((h, i) => (known.has(h) ? [] : [i + 1]));
  if (unknownAt.length === names.length)
    throw new LandingFileRejectedError(
      'FILE.HEADER_MISSING',
      file,
      `the first row names none of the columns of ${spec.table}; a CSV file must start with a header row naming its columns`,
    );
  if (unknownAt.length > 0)
    throw new LandingFileRejectedError(
      'FILE.HEADER_UNKNOWN_COLUMN',
      file,
      `header column${unknownAt.length > 1 ? 's' : ''} ${positions(unknownAt)} (counting from 1) ${unknownAt.length > 1 ? 'are not columns' : 'is not a column'} of ${spec.table}`,
    );
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const h of names) (seen.has(h) ? twice : seen).add(h);
  if (twice.size > 0)
    throw new LandingFileRejectedError(
      'FILE.HEADER_DUPLICATE_COLUMN',
      file,
      `header names ${[...twice].join(', ')} more than once`,
    );
  const missing = spec.columns.filter(
    (c) =>
      !c.nullable && !seen.has(c.name) && c.name !== spec.changeVersionColumn && c.name !== 'modified_at',
  );
  if (missing.length > 0)
    throw new LandingFileRejectedError(
      'FILE.HEADER_MISSING_COLUMNS',
      file,
      `header lacks required columns of ${spec.table}: ${missing.map((c) => c.name).join(', ')}`,
    );
  return names;
}

function positions(list: readonly number[]): string {
  const shown = list.slice(0, 10).join(', ');
  return list.length > 10 ? `${shown} and ${list.length - 10} more` : shown;
}

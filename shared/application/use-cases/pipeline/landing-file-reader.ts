import { epdLayoutColumns } from '../../../domain/datasets/prescribing/epd-layouts.js';
import type { ColumnSpec, SourceRow, SourceTableSpec } from '../../../domain/datasets/source-tables.js';
import { LandingFileRejectedError } from '../../../domain/errors.js';
import { mappedHeader, recodesByColumn, type ColumnMap } from '../../../domain/landing/column-map.js';
import type { BatchDescriptor, BatchRecord } from '../../../domain/pipeline/batch-record.js';
import { hashHex } from '../../../domain/pipeline/ids.js';
import {
  csvHeaderColumns,
  parseCsvRecord,
  printableName,
  type LandingNoticeCode,
  type UnreadableRowRule,
} from '../../../domain/pipeline/landing-file.js';
import type { UnreadableRecord } from '../../../domain/pipeline/pipeline-contracts.js';
import { readFhirFile, type FhirReadOptions } from './fhir-file-reader.js';

/** A landing file that held no row at all (the last item the reader yields for it). */
export interface LandingNotice {
  readonly notice: LandingNoticeCode;
  readonly message: string;
}

/** What a FHIR file's resources became, counted (docs/fhir.md): the last item the reader yields for it. */
export interface LandingReport {
  readonly report: 'FHIR.RESOURCES';
  readonly counts: Readonly<Record<string, number>>;
  readonly message: string;
}

export type LandingItem = BatchRecord | UnreadableRecord | LandingNotice | LandingReport;

/** A quoted field may span at most this many lines before its opening line is called unbalanced. */
const MAX_RECORD_LINES = 100;
const MAX_RECORD_CHARS = 1 << 20;

/**
 * Reads a landing file (CSV with a header row, NDJSON, or FHIR: fhir-file-reader.ts) from its bronze stream, streaming: memory
 * holds one chunk of bytes and at most one multi-line record.
 *
 * Guarantees:
 * - every non-blank row ends as a record or an unreadable row (row number, line number, rule), so
 *   `records + unreadable` = rows; a broken row never stops the rows after it;
 * - a file-level problem (NUL bytes, bytes that are not UTF-8 or the declared encoding, a missing
 *   or wrong header) throws `LandingFileRejectedError` (permanent: never retried);
 * - a file with no row ends with a `LandingNotice` (FILE.EMPTY, FILE.HEADER_ONLY);
 * - a UTF-8 BOM and CRLF line ends are accepted;
 * - no message carries a cell of the file: only the file name, row and line numbers, field names;
 * - with a supplier column map, header names (CSV) and keys (NDJSON) are our columns under the map
 *   and mapped columns' values are recoded, before any check.
 */
export async function* readLandingFile(
  batch: BatchDescriptor,
  spec: SourceTableSpec,
  bronze: NodeJS.ReadableStream,
  columnMap?: ColumnMap,
  fhir?: FhirReadOptions & {
    /** Opens the file again from its start (a bulk FHIR file is then mapped in two streaming passes). */
    readonly reopenStream?: () => Promise<NodeJS.ReadableStream>;
  },
): AsyncIterable<LandingItem> {
  const file = printableName(batch.origin);
  const encoding = batch.encoding ?? 'utf-8';
  const lines = decodedLines(bronze, file, encoding);
  const reopenStream = fhir?.reopenStream;
  if (batch.format === 'fhir')
    yield* readFhirFile(batch, spec, file, lines, {
      ...(fhir?.dmdPrice ? { dmdPrice: fhir.dmdPrice } : {}),
      ...(reopenStream ? { reopen: async () => decodedLines(await reopenStream(), file, encoding) } : {}),
    });
  else if (batch.format === 'csv') yield* csvItems(batch, spec, file, lines, columnMap);
  else yield* ndjsonItems(batch, spec, file, lines, columnMap);
}

/** Text lines (split at LF; a CR before it is kept), a chunk's worth at a time, with the first's number. */
async function* decodedLines(
  bronze: NodeJS.ReadableStream,
  file: string,
  encoding: string,
): AsyncIterable<{ readonly first: number; readonly lines: string[] }> {
  // fatal: invalid bytes throw instead of becoming U+FFFD; the BOM is consumed (ignoreBOM false).
  const decoder = new TextDecoder(encoding, { fatal: true });
  let rest = '';
  let next = 1;
  const lineOf = (lossy: string, at: number): number => {
    const before = rest + lossy.slice(0, Math.max(0, at));
    let count = 0;
    for (let i = before.indexOf('\n'); i !== -1; i = before.indexOf('\n', i + 1)) count += 1;
    return next + count;
  };
  // Lines keep a CR before their LF: a CSV record drops its last one, and a quoted field that spans
  // lines keeps its CR LF as sent.
  const split = (text: string, final: boolean) => {
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    if (final && rest !== '') {
      lines.push(rest);
      rest = '';
    }
    return lines;
  };
  for await (const chunk of bronze as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const nul = bytes.indexOf(0);
    if (nul !== -1)
      throw new LandingFileRejectedError(
        'FILE.BINARY',
        file,
        `NUL bytes at line ${lineOf(new TextDecoder('utf-8').decode(bytes.subarray(0, nul)), nul)}: a binary file (a spreadsheet, an archive) or UTF-16 text; landing files are UTF-8 text`,
      );
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch {
      const lossy = new TextDecoder(encoding).decode(bytes);
      throw new LandingFileRejectedError(
        'FILE.NOT_UTF8',
        file,
        `line ${lineOf(lossy, lossy.indexOf('\uFFFD'))} is not valid ${encoding === 'utf-8' ? 'UTF-8' : encoding}; save the file as UTF-8, or declare its encoding in its name (e.g. 2026-11.latin1.csv)`,
      );
    }
    const lines = split(rest + text, false);
    if (lines.length > 0) {
      yield { first: next, lines };
      next += lines.length;
    }
  }
  let tail: string;
  try {
    tail = decoder.decode();
  } catch {
    throw new LandingFileRejectedError(
      'FILE.NOT_UTF8',
      file,
      `line ${next} ends in an incomplete UTF-8 character`,
    );
  }
  const lines = split(rest + tail, true);
  if (lines.length > 0) yield { first: next, lines };
}

async function* csvItems(
  batch: BatchDescriptor,
  spec: SourceTableSpec,
  file: string,
  chunks: AsyncIterable<{ readonly first: number; readonly lines: string[] }>,
  columnMap: ColumnMap | undefined,
): AsyncIterable<LandingItem> {
  let header: string[] | undefined;
  let types: (ColumnSpec['type'] | undefined)[] = [];
  let recodes: (ReadonlyMap<string, string> | undefined)[] = [];
  let n = 0;
  let out: LandingItem[] = [];
  const unreadable = (line: number, rule: UnreadableRowRule, words: string): void => {
    n += 1;
    out.push({ row: n, line, field: '(record)', rule, message: `${file} row ${n}: ${words}` });
  };
  const records = new CsvRecords(
    () => header?.length,
    (fields, line) => {
      if (!header) {
        // Prescribing files may name their columns by the EPD names of either layout (epd-layouts.ts).
        const named = columnMap ? fields.map((f) => mappedHeader(columnMap, f)) : fields;
        header = csvHeaderColumns(
          spec.table === 'prescribing_item' ? epdLayoutColumns(named).columns : named,
          spec,
          file,
        );
        const known = new Map(spec.columns.map((c) => [c.name, c.type]));
        types = header.map((h) => known.get(h));
        const byColumn = recodesByColumn(columnMap);
        recodes = header.map((h) => byColumn.get(h));
        return;
      }
      if (fields.length !== header.length) {
        unreadable(line, 'FILE.COLUMN_COUNT', `expected ${header.length} fields, received ${fields.length}`);
        return;
      }
      n += 1;
      const row: SourceRow = {};
      for (let i = 0; i < header.length; i += 1) {
        const cell = fields[i] ?? '';
        const raw = recodes[i]?.get(cell) ?? cell;
        const type = types[i];
        row[header[i] ?? ''] =
          raw === ''
            ? null
            : type === 'int' && /^-?\d+$/.test(raw)
              ? Number(raw)
              : type === 'bit'
                ? raw === '1' || raw.toLowerCase() === 'true'
                : raw;
      }
      out.push(fileRecord(batch, spec, row, n));
    },
    (line, rule) => {
      if (!header)
        throw new LandingFileRejectedError(
          'FILE.HEADER_MALFORMED',
          file,
          `the header row (line ${line}) has broken quoting`,
        );
      unreadable(
        line,
        rule,
        rule === 'FILE.QUOTE_UNBALANCED'
          ? `a quoted field opened on line ${line} is not closed; the lines after it were read as rows`
          : `a quote inside an unquoted field, or text after a closing quote, on line ${line}`,
      );
    },
  );
  for await (const { first, lines } of chunks) {
    for (let i = 0; i < lines.length; i += 1) records.push(lines[i] ?? '', first + i);
    if (out.length > 0) {
      yield* out;
      out = [];
    }
  }
  records.end();
  yield* out;
  if (!header) yield { notice: 'FILE.EMPTY', message: `landing file ${file} is empty (no header, no rows)` };
  else if (n === 0)
    yield { notice: 'FILE.HEADER_ONLY', message: `landing file ${file} has a header row and no data rows` };
}

/**
 * Assembles CSV records from physical lines. A record whose quoted field is still open takes the
 * next lines too, up to MAX_RECORD_LINES; if it then never closes, or closes into a malformed
 * record or one with the wrong number of fields, only its first line is reported unbalanced and
 * the lines after it are read again as rows of their own.
 */
class CsvRecords {
  private pending: { text: string; line: number }[] = [];
  private pendingChars = 0;

  constructor(
    private readonly expectedFields: () => number | undefined,
    private readonly onRecord: (fields: string[], line: number) => void,
    private readonly onBroken: (line: number, rule: 'FILE.QUOTE_UNBALANCED' | 'FILE.QUOTE_MALFORMED') => void,
  ) {}

  push(text: string, line: number): void {
    if (this.pending.length === 0) {
      if (text.trim() === '') return;
      const parsed = parseCsvRecord(withoutCr(text));
      if (parsed.kind === 'fields') this.onRecord(parsed.fields, line);
      else if (parsed.kind === 'malformed') this.onBroken(line, 'FILE.QUOTE_MALFORMED');
      else {
        this.pending.push({ text, line });
        this.pendingChars = text.length;
      }
      return;
    }
    this.pending.push({ text, line });
    this.pendingChars += text.length + 1;
    // A line without a quote cannot close the open field: read on without parsing again.
    const parsed = text.includes('"')
      ? parseCsvRecord(withoutCr(this.pending.map((p) => p.text).join('\n')))
      : ({ kind: 'open' } as const);
    if (
      parsed.kind === 'open' &&
      this.pending.length < MAX_RECORD_LINES &&
      this.pendingChars < MAX_RECORD_CHARS
    )
      return;
    const expected = this.expectedFields();
    if (parsed.kind === 'fields' && (expected === undefined || parsed.fields.length === expected)) {
      const start = this.pending[0]?.line ?? line;
      this.pending = [];
      this.pendingChars = 0;
      this.onRecord(parsed.fields, start);
      return;
    }
    this.resync();
  }

  /** The end of the file: a quoted field still open there was never closed. */
  end(): void {
    while (this.pending.length > 0) this.resync();
  }

  private resync(): void {
    const [first, ...rest] = this.pending;
    this.pending = [];
    this.pendingChars = 0;
    if (first) this.onBroken(first.line, 'FILE.QUOTE_UNBALANCED');
    for (const p of rest) this.push(p.text, p.line);
  }
}

/** A record's text without the CR of its CR LF line end. */
function withoutCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

async function* ndjsonItems(
  batch: BatchDescriptor,
  spec: SourceTableSpec,
  file: string,
  chunks: AsyncIterable<{ readonly first: number; readonly lines: string[] }>,
  columnMap: ColumnMap | undefined,
): AsyncIterable<LandingItem> {
  let n = 0;
  for await (const { first, lines } of chunks) {
    const out: LandingItem[] = [];
    for (let i = 0; i < lines.length; i += 1) {
      const text = lines[i] ?? '';
      if (text.trim() === '') continue;
      n += 1;
      const line = first + i;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        out.push({
          row: n,
          line,
          field: '(record)',
          rule: 'FILE.JSON_MALFORMED',
          message: `${file} row ${n}: not valid JSON`,
        });
        continue;
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        out.push({
          row: n,
          line,
          field: '(record)',
          rule: 'FILE.NOT_AN_OBJECT',
          message: `${file} row ${n}: expected a JSON object`,
        });
        continue;
      }
      out.push(
        fileRecord(
          batch,
          spec,
          columnMap ? mappedRow(columnMap, parsed as SourceRow) : (parsed as SourceRow),
          n,
        ),
      );
    }
    yield* out;
  }
  if (n === 0) yield { notice: 'FILE.EMPTY', message: `landing file ${file} is empty (no rows)` };
}

/** An NDJSON row under a column map: keys renamed, mapped values recoded (text values only). */
function mappedRow(map: ColumnMap, row: SourceRow): SourceRow {
  const out: SourceRow = {};
  for (const [key, value] of Object.entries(row)) {
    const mapping = map.columns.get(key.trim());
    out[mapping?.column ?? key] =
      mapping && value !== null ? (mapping.recode.get(String(value)) ?? value) : value;
  }
  return out;
}

/** A row of a landing file as a batch record: an insert, keyed by the table's business key. */
export function fileRecord(
  batch: BatchDescriptor,
  spec: SourceTableSpec,
  row: SourceRow,
  n: number,
): BatchRecord {
  const key = spec.key.map((k) => (row[k] === null || row[k] === undefined ? '' : String(row[k])));
  return {
    n,
    seq: n,
    op: 'insert',
    eventId: hashHex(`${batch.batchId}|${n}`),
    key,
    row,
    sourceVersion: null,
    capturedAt: batch.receivedAt,
  };
}

import { InputError } from '../errors.js';

/** One parsed CSV record with the 1-based line number it started on (for error messages). */
export interface CsvRecord {
  readonly line: number;
  readonly values: Readonly<Record<string, string>>;
}

/** One CSV row as cells, with the 1-based line number it started on (headerless files, streaming). */
export interface CsvRow {
  readonly line: number;
  readonly cells: readonly string[];
}

/** The characters that end a run of ordinary characters outside quotes. */
const SPECIAL = /[,\n\r"]/g;

/**
 * An incremental RFC 4180 CSV reader (quoted fields, doubled quotes, embedded commas and newlines,
 * CRLF or LF, a leading UTF-8 byte-order mark dropped). Text is pushed in chunks of any size, so a
 * file of any length is read a row at a time; blank lines are skipped. `end()` throws
 * {@link InputError} naming `file` and the line when a quote is left open.
 */
export class CsvRowReader {
  private cells: string[] = [];
  private cell = '';
  private quoted = false;
  /** The previous chunk ended on a quote inside a quoted field: doubled quote or closing quote. */
  private pendingQuote = false;
  private pendingCr = false;
  private line = 1;
  private rowLine = 1;
  private rowHasContent = false;
  private started = false;

  constructor(readonly file: string) {}

  /** Reads `chunk` and returns the rows completed by it. */
  push(chunk: string): CsvRow[] {
    const rows: CsvRow[] = [];
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const n = text.length;
    let i = 0;
    // Runs of ordinary characters are sliced, not appended one by one (national files are large).
    while (i < n) {
      if (this.pendingCr) {
        this.pendingCr = false;
        if (text[i] === '\n') {
          i++;
          continue;
        }
      }
      if (this.pendingQuote) {
        this.pendingQuote = false;
        if (text[i] === '"') {
          this.cell += '"';
          i++;
          continue;
        }
        this.quoted = false;
      }
      if (this.quoted) {
        const quote = text.indexOf('"', i);
        const stop = quote === -1 ? n : quote;
        const run = text.slice(i, stop);
        for (let at = run.indexOf('\n'); at !== -1; at = run.indexOf('\n', at + 1)) this.line++;
        this.cell += run;
        if (quote === -1) break;
        this.pendingQuote = true;
        i = quote + 1;
        continue;
      }
      SPECIAL.lastIndex = i;
      const match = SPECIAL.exec(text);
      const stop = match ? match.index : n;
      if (stop > i) {
        this.cell += text.slice(i, stop);
        this.rowHasContent = true;
      }
      if (!match) break;
      const ch = text[stop];
      i = stop + 1;
      if (ch === '"') {
        this.quoted = true;
        this.rowHasContent = true;
      } else if (ch === ',') {
        this.cells.push(this.cell);
        this.cell = '';
        this.rowHasContent = true;
      } else {
        if (ch === '\r') this.pendingCr = true;
        this.endRow(rows);
        this.line++;
        this.rowLine = this.line;
      }
    }
    return rows;
  }

  /** Ends the input: returns the last row when the text did not end with a newline. */
  end(): CsvRow[] {
    if (this.pendingQuote) {
      this.pendingQuote = false;
      this.quoted = false;
    }
    if (this.quoted) throw new InputError(`${this.file} line ${this.rowLine}: a quoted field is never closed`);
    const rows: CsvRow[] = [];
    this.endRow(rows);
    return rows;
  }

  private endRow(rows: CsvRow[]): void {
    if (this.rowHasContent || this.cell.length > 0) rows.push({ line: this.rowLine, cells: [...this.cells, this.cell] });
    this.cells = [];
    this.cell = '';
    this.rowHasContent = false;
  }
}

/** Every row of a CSV text (no header handling). See {@link CsvRowReader}. */
export function parseCsvRows(text: string, file: string): CsvRow[] {
  const reader = new CsvRowReader(file);
  return [...reader.push(text), ...reader.end()];
}

/**
 * Parses RFC 4180 CSV text with a header row (quoted fields, doubled quotes, embedded commas and
 * newlines). Throws {@link InputError} naming the file and line when a record has the wrong number
 * of fields or a quote is left open. Blank lines are skipped.
 */
export function parseCsv(text: string, file: string): { header: readonly string[]; records: CsvRecord[] } {
  const rows = parseCsvRows(text, file);
  const head = rows.shift();
  if (!head) throw new InputError(`${file}: empty file, expected a header row`);
  const header = head.cells;
  const records = rows.map(({ line: at, cells: values }) => {
    if (values.length !== header.length)
      throw new InputError(`${file} line ${at}: expected ${header.length} fields, found ${values.length}`);
    const record: Record<string, string> = {};
    header.forEach((h, idx) => (record[h] = values[idx] ?? ''));
    return { line: at, values: record };
  });
  return { header, records };
}

/** One CSV line (no line ending): cells with a comma, quote, CR or LF are quoted, quotes doubled. */
export function formatCsvRow(cells: readonly string[]): string {
  return cells.map((c) => (/[",\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
}

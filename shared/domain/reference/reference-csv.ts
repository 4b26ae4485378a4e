import { InputError } from '../errors.js';

/** One parsed CSV record with the 1-based line number it started on (for error messages). */
export interface CsvRecord {
  readonly line: number;
  readonly values: Readonly<Record<string, string>>;
}

/**
 * Parses RFC 4180 CSV text with a header row (quoted fields, doubled quotes, embedded commas and
 * newlines). Throws {@link InputError} naming the file and line when a record has the wrong number
 * of fields or a quote is left open. Blank lines are skipped.
 */
export function parseCsv(text: string, file: string): { header: readonly string[]; records: CsvRecord[] } {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let rowHasContent = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"') {
      quoted = true;
      rowHasContent = true;
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
      rowHasContent = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      if (rowHasContent || cell.length > 0) rows.push({ line: rowLine, cells: [...cells, cell] });
      cells = [];
      cell = '';
      rowHasContent = false;
      line++;
      rowLine = line;
    } else {
      cell += ch;
      rowHasContent = true;
    }
  }
  if (quoted) throw new InputError(`${file} line ${rowLine}: a quoted field is never closed`);
  if (rowHasContent || cell.length > 0) rows.push({ line: rowLine, cells: [...cells, cell] });
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

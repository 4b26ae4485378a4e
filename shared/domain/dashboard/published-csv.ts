import type { PublishedRow } from '../disclosure/apply-disclosure-control.js';
import type { PublishedTable } from '../disclosure/published-table.js';
import { InputError } from '../errors.js';

/**
 * A published table's rows read back from the CSV lines `nhs-flows export` writes for it (header
 * first; RFC 4180 quoting; a formula-like text cell `'`-prefixed): the dashboard takes its figures
 * from the same published interface as the export and the host's read endpoint. Measures become
 * numbers, `*` stays `*`, an empty cell is null; dimensions and context columns stay text.
 * Throws `InputError` when the header does not carry the declaration's columns (naming the
 * table and the columns, never a value).
 */
export function publishedRowsFromCsv(table: PublishedTable, lines: readonly string[]): PublishedRow[] {
  const [headerLine, ...body] = lines.filter((l) => l !== '');
  if (headerLine === undefined) return [];
  const header = splitCsvLine(headerLine);
  const missing = table.columns.map((c) => c.name).filter((c) => !header.includes(c));
  if (missing.length > 0)
    throw new InputError(`dashboard: the export of ${table.name} has no column ${missing.join(', ')}`);
  const numeric = new Set(
    table.columns.filter((c) => c.role !== 'dimension' && c.role !== 'context').map((c) => c.name),
  );
  return body.map((line, index) => {
    const cells = splitCsvLine(line);
    if (cells.length !== header.length)
      throw new InputError(
        `dashboard: the export of ${table.name} line ${index + 2} has ${cells.length} cells, expected ${header.length}`,
      );
    const row: PublishedRow = {};
    header.forEach((name, i) => {
      const text = cells[i] ?? '';
      if (text === '') row[name] = null;
      else if (numeric.has(name) && text !== '*' && Number.isFinite(Number(text))) row[name] = Number(text);
      else row[name] = text;
    });
    return row;
  });
}

/** One RFC 4180 line (no embedded line breaks: published cells have none); undoes the formula prefix. */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let text = '';
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) throw new InputError('dashboard: an export line has an unclosed quote');
        text += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          text += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      // The export writes a formula-like text cell as "'<text>" (csvField): the dashboard shows the text.
      cells.push(/^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text);
    } else {
      const comma = line.indexOf(',', i);
      cells.push(comma < 0 ? line.slice(i) : line.slice(i, comma));
      i = comma < 0 ? line.length : comma;
    }
    if (i >= line.length) return cells;
    i++; // the comma
    if (i === line.length) {
      cells.push('');
      return cells;
    }
  }
}

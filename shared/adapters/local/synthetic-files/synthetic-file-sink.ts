import { once } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { SyntheticRowSink } from '../../../application/use-cases/generate-population.use-case.js';
import {
  SOURCE_TABLES,
  type SourceRow,
  type SourceRowValue,
  type SourceTableName,
} from '../../../domain/datasets/source-tables.js';
import { InfrastructureError } from '../../../domain/errors.js';

/** File formats for the blob-drop path. */
export type SyntheticFileFormat = 'csv' | 'ndjson';

/**
 * CSV field encoding (RFC 4180): a field holding a comma, a double quote, CR or LF is quoted and
 * its quotes doubled. Contract: SQL NULL is the empty unquoted field; the empty string is `""`, so
 * the two stay distinct. Numbers and booleans are written as their JSON text.
 */
export function csvField(value: SourceRowValue): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  if (value === '') return '""';
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV record (fields in the given column order) terminated by CRLF, as RFC 4180 specifies. */
export function csvRecord(row: SourceRow, columns: readonly string[]): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += ',';
    line += csvField(row[columns[i] ?? ''] ?? null);
  }
  return `${line}\r\n`;
}

/**
 * Writes generated rows as one file per table, `<dir>/<table>.csv` (header row, RFC 4180) or
 * `<dir>/<table>.ndjson` (one JSON object per line, keys in spec column order), through write
 * streams that respect back-pressure, so memory stays flat. `close()` resolves once every file is
 * flushed; it returns the paths written.
 */
export function openSyntheticFileSink(options: {
  readonly dir: string;
  readonly format: SyntheticFileFormat;
}): SyntheticRowSink & { readonly paths: () => readonly string[] } {
  const { dir, format } = options;
  mkdirSync(dir, { recursive: true });
  const streams = new Map<SourceTableName, WriteStream>();
  const streamFor = (table: SourceTableName): WriteStream => {
    let stream = streams.get(table);
    if (!stream) {
      stream = createWriteStream(join(dir, `${table}.${format}`), { highWaterMark: 1 << 20 });
      streams.set(table, stream);
      if (format === 'csv')
        stream.write(`${SOURCE_TABLES[table].columns.map((c) => csvField(c.name)).join(',')}\r\n`);
    }
    return stream;
  };
  return {
    async write(table, rows) {
      const stream = streamFor(table);
      let chunk = '';
      if (format === 'csv') {
        const columns = SOURCE_TABLES[table].columns.map((c) => c.name);
        for (const row of rows) chunk += csvRecord(row, columns);
      } else for (const row of rows) chunk += `${JSON.stringify(row)}\n`;
      if (!stream.write(chunk)) await once(stream, 'drain');
    },
    async close() {
      try {
        await Promise.all(
          [...streams.values()].map(async (stream) => {
            stream.end();
            await once(stream, 'finish');
          }),
        );
      } catch (error) {
        throw new InfrastructureError('SYNTHETIC_FILE_WRITE', `writing synthetic files in ${dir} failed`, {
          cause: error,
        });
      }
    },
    paths: () => [...streams.keys()].map((t) => join(dir, `${t}.${format}`)),
  };
}

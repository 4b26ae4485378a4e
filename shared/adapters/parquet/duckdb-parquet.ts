import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ParquetCodec } from '../../application/ports/parquet.port.js';
import type { PortableColumn, PortableRow, PortableType } from '../../domain/gold/portable-types.js';

/** DuckDB SQL type for a portable type. */
export function duckdbType(type: PortableType): string {
  switch (type) {
    case 'string':
      return 'VARCHAR';
    case 'int':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'double':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMP';
    default:
      return type.toUpperCase();
  }
}

/** The Parquet compression codecs nhs-flows writes with. */
export type ParquetCompression = 'snappy' | 'zstd';

/**
 * The codec of a lake container's Parquet objects: one declaration for every writer. Gold is what
 * the Synapse dedicated SQL pool loads with `COPY INTO`, whose Parquet reader takes Snappy or GZIP
 * compressed files, not ZSTD (the COPY INTO reference: "Parquet supports GZIP and Snappy"; CREATE
 * EXTERNAL FILE FORMAT lists `GzipCodec` and `SnappyCodec` for PARQUET): Snappy. The other
 * containers are read by nhs-flows' own engine only: ZSTD, about half Snappy's bytes for the same
 * CPU within the spread of runs (a 1M-record load, 2026-12-07: silver 106 against 190 MiB, state
 * 70 against 132 MiB; docs/lake-layout.md).
 */
export function parquetCompressionFor(container: string): ParquetCompression {
  return container === 'gold' ? 'snappy' : 'zstd';
}

/**
 * The `COPY … TO` options of a Parquet file. Snappy unless told: what any reader takes (a file
 * written outside the lake, such as an OMOP export, goes to tools nhs-flows does not know).
 */
export function parquetWriteOptions(compression: ParquetCompression = 'snappy'): string {
  return `FORMAT parquet, COMPRESSION ${compression}`;
}

/**
 * A spill folder of this engine's own. An in-memory DuckDB spills to `.tmp` in the working
 * directory by default, and two processes (or two engines of one process) started in the same
 * folder then overwrite each other's spill files: reads of the wrong bytes, out-of-memory errors
 * and crashes.
 */
export function privateSpillDirectory(parent: string = tmpdir()): string {
  const dir = processScratchDirectory(parent, SPILL_PREFIX);
  spillDirectories.add(dir);
  if (spillDirectories.size === 1) process.once('exit', removeSpillDirectories);
  return dir;
}

const SPILL_PREFIX = 'nhsflows-duckdb-spill-';
const spillDirectories = new Set<string>();
const swept = new Set<string>();

function removeSpillDirectories(): void {
  for (const dir of spillDirectories) rmSync(dir, { recursive: true, force: true });
  spillDirectories.clear();
}

/**
 * Spill folders of processes that are gone (killed before their exit hook ran): named with the
 * owner's pid, removed when that pid no longer runs; older unnamed ones after a day.
 */
export function sweepAbandonedSpillDirectories(parent: string): number {
  return sweepAbandonedProcessDirectories(parent, SPILL_PREFIX);
}

/**
 * A scratch folder of this process's own under `parent`, named `<prefix><pid>-…` so that a later
 * process can tell it was abandoned (`sweepAbandonedProcessDirectories`); the first call for a
 * parent and prefix sweeps the folders of processes that are gone. The caller removes its folder.
 */
export function processScratchDirectory(parent: string, prefix: string): string {
  mkdirSync(parent, { recursive: true });
  const key = `${parent}\u0000${prefix}`;
  if (!swept.has(key)) {
    swept.add(key);
    sweepAbandonedProcessDirectories(parent, prefix);
  }
  return mkdtempSync(join(parent, `${prefix}${process.pid}-`));
}

/**
 * Folders under `parent` named `<prefix><pid>-…` whose process no longer runs are removed; ones
 * with no pid in the name (an older layout) once they are a day old. Returns how many went.
 */
export function sweepAbandonedProcessDirectories(parent: string, prefix: string): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(parent).filter((n) => n.startsWith(prefix));
  } catch {
    return 0;
  }
  for (const name of names) {
    const path = join(parent, name);
    const owner = /^(\d+)-/.exec(name.slice(prefix.length));
    let abandoned: boolean;
    if (owner) abandoned = Number(owner[1]) !== process.pid && !processRuns(Number(owner[1]));
    else {
      try {
        abandoned = Date.now() - statSync(path).mtimeMs > 86_400_000;
      } catch {
        abandoned = false;
      }
    }
    if (!abandoned) continue;
    rmSync(path, { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Parquet through an in-memory DuckDB: rows go in as a scratch file of JSON arrays (`RowStaging`)
 * read as text, are cast to their types by one `COPY (SELECT CAST ...) TO` (`parquetWriteOptions`),
 * and come back out through a scratch file of JSON arrays (`COPY … (FORMAT json)`, `queryRows`),
 * streamed. One connection per codec; not shared across threads.
 */
export class DuckDbParquetCodec implements ParquetCodec {
  private instance: Promise<DuckDBInstance> | undefined;

  /** `engine`: share another adapter's DuckDB instance (one bounded engine per thread). */
  constructor(private readonly engine?: () => Promise<DuckDBInstance>) {}

  /** A connection per operation: concurrent activities must not interleave statements or streams. */
  private async connect(): Promise<DuckDBConnection> {
    if (this.engine) return (await this.engine()).connect();
    this.instance ??= DuckDBInstance.create(':memory:', {
      threads: '1',
      memory_limit: '384MB',
      temp_directory: privateSpillDirectory(),
    });
    return (await this.instance).connect();
  }

  async write(
    file: string,
    columns: readonly PortableColumn[],
    rows: Iterable<PortableRow> | AsyncIterable<PortableRow>,
  ): Promise<number> {
    return writeAll(this.openWriter(file, columns), rows);
  }

  /**
   * A Parquet file written from rows appended one at a time: they go to a scratch file as they come
   * (`RowStaging`: a JSON array per row, one native read at the end rather than one appender call
   * per value, which cost as much as the whole write: 2.5–2.7 s against 2.3–3.0 s of CPU for 200k
   * rows of 30 columns through a data-chunk appender), so memory holds a few thousand lines at
   * most. `close` writes `file` and returns the row count; `discard` drops the rows.
   */
  openWriter(
    file: string,
    columns: readonly PortableColumn[],
    compression?: ParquetCompression,
  ): StagedParquetFile {
    const staging = new RowStaging(`${file}.rows.ndjson`, columns);
    return {
      append: (row) => staging.append(row),
      rows: () => staging.count,
      close: async () => {
        try {
          const count = staging.close();
          const connection = await this.connect();
          try {
            const select = columns
              .map((c) => `CAST(${quoteIdent(c.name)} AS ${duckdbType(c.type)}) AS ${quoteIdent(c.name)}`)
              .join(', ');
            await connection.run(
              `COPY (SELECT ${select} FROM ${readStagedRowsAsText(staging.file, columns)}) TO ${sqlString(file)} (${parquetWriteOptions(compression)})`,
            );
            return count;
          } finally {
            connection.closeSync();
          }
        } finally {
          staging.remove();
        }
      },
      discard: () => staging.remove(),
    };
  }

  /**
   * Writes each group of rows as its own Parquet file in one COPY (partitioned by the group's
   * index): one engine statement for many small files. Returns each group's file under `dir`, or
   * null for a group with no rows (no file is written for it).
   */
  async writeGroups(
    dir: string,
    columns: readonly PortableColumn[],
    groups: readonly (readonly PortableRow[])[],
    compression?: ParquetCompression,
  ): Promise<(string | null)[]> {
    const tagged: PortableColumn[] = [...columns, { name: GROUP_COLUMN, type: 'int', nullable: false }];
    // Each row's line carries its group's index as its tag (no copy of the row to add it).
    const staging = new RowStaging(`${dir}.rows.ndjson`, columns, { tagged: true });
    try {
      for (const [i, group] of groups.entries()) for (const row of group) staging.append(row, i);
    } finally {
      staging.close();
    }
    const connection = await this.connect();
    try {
      const select = tagged
        .map((c) => `CAST(${quoteIdent(c.name)} AS ${duckdbType(c.type)}) AS ${quoteIdent(c.name)}`)
        .join(', ');
      await connection.run(
        `COPY (SELECT ${select} FROM ${readStagedRowsAsText(staging.file, tagged)}) TO ${sqlString(dir)} (${parquetWriteOptions(compression)}, PARTITION_BY (${quoteIdent(GROUP_COLUMN)}))`,
      );
    } finally {
      staging.remove();
      connection.closeSync();
    }
    return groups.map((group, i) => {
      if (group.length === 0) return null;
      const folder = join(dir, `${GROUP_COLUMN}=${i}`);
      const files = readdirSync(folder).filter((f) => f.endsWith('.parquet'));
      if (files.length !== 1)
        throw new Error(
          `parquet codec: expected one file for group ${i} in ${folder}, found ${files.length}`,
        );
      return join(folder, files[0]!);
    });
  }

  async *read(file: string): AsyncIterable<PortableRow> {
    yield* this.readMany([file]);
  }

  /**
   * Every row of the files in one engine query, file after file in the order given, each in file
   * order (a multi-file scan keeps that order while insertion order is preserved, DuckDB's
   * default); columns by name across the files (a column a file lacks reads as null); only the
   * `only` columns when given.
   */
  async *readMany(files: readonly string[], only?: readonly string[]): AsyncIterable<PortableRow> {
    if (files.length === 0) return;
    const connection = await this.connect();
    const source =
      files.length === 1
        ? `read_parquet(${sqlString(files[0]!)})`
        : `read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true)`;
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    const wanted = only ? new Set(only) : undefined;
    const columns = described
      .getRowObjectsJson()
      .map((r) => ({ name: r.column_name as string, type: r.column_type as string }))
      .filter((c) => !wanted || wanted.has(c.name));
    try {
      if (columns.length === 0) {
        // None of the wanted columns: the rows still count, as empty rows.
        const counted = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${source}`);
        for (let n = Number(counted.getRows()[0]?.[0] ?? 0); n > 0; n--) yield {};
        return;
      }
      const select = columns
        .map((c) => `${wireExpression(c.name, c.type)} AS ${quoteIdent(c.name)}`)
        .join(', ');
      yield* streamRows(connection, `SELECT ${select} FROM ${source}`, `${files[0]!}.out.ndjson`);
    } finally {
      connection.closeSync();
    }
  }

  async readLatest(
    files: readonly string[],
    key: readonly string[],
    orderBy: readonly string[],
    only?: readonly string[],
  ): Promise<PortableRow[]> {
    if (files.length === 0) return [];
    const connection = await this.connect();
    try {
      const source = `read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true)`;
      const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
      const wanted = only ? new Set(only) : undefined;
      const columns = described
        .getRowObjectsJson()
        .map((r) => ({ name: r.column_name as string, type: r.column_type as string }))
        .filter((c) => !wanted || wanted.has(c.name));
      const select = columns
        .map((c) => `${wireExpression(c.name, c.type)} AS ${quoteIdent(c.name)}`)
        .join(', ');
      return await queryRows(
        connection,
        `SELECT ${select} FROM (
           SELECT *, row_number() OVER (PARTITION BY ${key.map(quoteIdent).join(', ')} ORDER BY ${orderBy.map((o) => `${quoteIdent(o)} DESC`).join(', ')}) AS _rn
           FROM ${source}
         ) WHERE _rn = 1 AND _op = 'upsert'`,
        `${files[0]!}.out.ndjson`,
      );
    } finally {
      connection.closeSync();
    }
  }

  async count(file: string): Promise<number> {
    const connection = await this.connect();
    const reader = await connection.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM read_parquet(${sqlString(file)})`,
    );
    return Number(reader.getRowObjectsJson()[0]?.n ?? 0);
  }
}

/**
 * Appends every row to a writer and closes it (an array is walked without an await per row); if
 * reading the rows fails, the writer is discarded and the failure thrown.
 */
export async function writeAll<Result>(
  writer: { append(row: PortableRow): void; close(): Promise<Result>; discard(): void },
  rows: Iterable<PortableRow> | AsyncIterable<PortableRow>,
): Promise<Result> {
  try {
    if (Symbol.asyncIterator in rows) for await (const row of rows) writer.append(row);
    else for (const row of rows) writer.append(row);
  } catch (error) {
    writer.discard();
    throw error;
  }
  return writer.close();
}

/** A Parquet file being written row by row (`DuckDbParquetCodec.openWriter`). */
export interface StagedParquetFile {
  append(row: PortableRow): void;
  /** Rows appended so far. */
  rows(): number;
  /** Writes the file; returns its row count. The scratch is removed whatever happens. */
  close(): Promise<number>;
  /** Drops the appended rows and the scratch; the file is not written. */
  discard(): void;
}

/** The column `writeGroups` partitions its staged rows by (each row's group index). */
const GROUP_COLUMN = '_group';

/** Lines written to the scratch file at once. */
const LINES_PER_WRITE = 4096;

/**
 * Rows appended to a scratch file for the engine to read (`readStagedRowsAsText`): one JSON array
 * of the row's values per line, in the order of `columns` (undefined as null), with the row's tag
 * (a whole number: `writeGroups`' group index) as one more value when the staging is `tagged`. A
 * few thousand lines are held between writes.
 */
export class RowStaging {
  private readonly line: (row: PortableRow, tag?: number) => string;
  private fd: number | null;
  private text = '';
  private pending = 0;
  count = 0;

  constructor(
    readonly file: string,
    columns: readonly PortableColumn[],
    options: { readonly tagged?: boolean } = {},
  ) {
    this.line = stagedRowLine(columns, options);
    this.fd = openSync(file, 'w');
  }

  append(row: PortableRow, tag?: number): void {
    if (this.fd === null) throw new Error(`row staging ${this.file}: append after close`);
    this.text += `${this.line(row, tag)}\n`;
    this.count += 1;
    if (++this.pending >= LINES_PER_WRITE) this.flush();
  }

  /** Writes what is held and closes the file; returns the row count. */
  close(): number {
    if (this.fd !== null) {
      try {
        this.flush();
      } finally {
        closeSync(this.fd);
        this.fd = null;
      }
    }
    return this.count;
  }

  /** Closes (without writing what is held) and deletes the file. */
  remove(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
    this.text = '';
    rmSync(this.file, { force: true });
  }

  private flush(): void {
    if (this.text.length > 0 && this.fd !== null) writeSync(this.fd, this.text);
    this.text = '';
    this.pending = 0;
  }
}

/**
 * One row's staged line: the JSON array of its values over `columns`, in their order (undefined,
 * and what JSON cannot hold, as null), then its tag when `tagged`. One `JSON.stringify` of one array
 * per row, with no member names: against an object line built value by value (the previous
 * staging), about a third of the JavaScript time for 30 columns, and the engine reads it back in
 * about the same time. Only the row's own properties are values: a column named like an inherited
 * member (`valueOf`, `constructor`) that the row lacks is null, not the inherited function.
 */
export function stagedRowLine(
  columns: readonly PortableColumn[],
  options: { readonly tagged?: boolean } = {},
): (row: PortableRow, tag?: number) => string {
  const names = columns.map((c) => c.name);
  // One array reused for every line (a line is built and stringified before the next starts).
  const values: unknown[] = new Array(names.length + (options.tagged ? 1 : 0)).fill(null);
  return (row, tag) => {
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const value: unknown = row[name];
      // Only an object or a function can be inherited (Object.prototype's members): checked then.
      values[i] =
        value === undefined ||
        (value !== null &&
          (typeof value === 'object' || typeof value === 'function') &&
          !Object.hasOwn(row, name))
          ? null
          : value;
    }
    if (options.tagged) {
      if (tag === undefined || !Number.isInteger(tag))
        throw new Error(`row staging: a tagged row needs a whole-number tag, received ${String(tag)}`);
      values[names.length] = tag;
    }
    return JSON.stringify(values);
  };
}

/**
 * A table expression over a `RowStaging` file with `columns` (the staged values' order; a tagged
 * staging's tag column last) each read as text (numbers and booleans as their JSON text, JSON null
 * as NULL), to be cast to the column types by the caller's SELECT. Each line is parsed once (one
 * extraction of every position).
 */
export function readStagedRowsAsText(file: string, columns: readonly PortableColumn[]): string {
  const paths = columns.map((_, i) => `'$[${i}]'`).join(', ');
  const select = columns.map((c, i) => `v[${i + 1}] AS ${quoteIdent(c.name)}`).join(', ');
  return `(SELECT ${select} FROM (SELECT json_extract_string(json, [${paths}]) AS v FROM read_json_objects(${sqlString(file)}, format = 'newline_delimited')))`;
}

/**
 * A query's rows through an NDJSON scratch file (`COPY … (FORMAT json)`, then JSON.parse per line):
 * one native call instead of one per value. Each line holds the row's values as one JSON array in
 * the query's column order (`resultLines`), and the row object is built from the column names read
 * once: against lines of objects (every column name on every line), about a quarter less CPU for
 * 200k rows of 30 columns. Select wire expressions (`wireExpression`) so dates, timestamps,
 * decimals and bigints arrive as text.
 */
export async function queryRows(
  connection: DuckDBConnection,
  sql: string,
  scratchFile: string,
): Promise<PortableRow[]> {
  const toRow = await resultLines(connection, sql, scratchFile);
  try {
    const rows: PortableRow[] = [];
    for (const batch of ndjsonBatches(scratchFile, toRow)) for (const row of batch) rows.push(row);
    return rows;
  } finally {
    rmSync(scratchFile, { force: true });
  }
}

/**
 * Writes a query's result to `scratchFile` as lines `{"r":[values…]}` (positional, so a repeated
 * column name is no ambiguity; order kept: a projection over the query) and returns what makes a
 * row of a parsed line (a later column of a repeated name wins, as JSON.parse lets the later member
 * of an object win).
 */
async function resultLines(
  connection: DuckDBConnection,
  sql: string,
  scratchFile: string,
): Promise<(parsed: unknown) => PortableRow> {
  const prepared = await connection.prepare(sql);
  let names: string[];
  try {
    names = Array.from({ length: prepared.columnCount }, (_, i) => prepared.columnName(i));
  } finally {
    prepared.destroySync();
  }
  const values = names.map((_, i) => `#${i + 1}`).join(', ');
  await connection.run(
    `COPY (SELECT json_array(${values}) AS r FROM (${sql})) TO ${sqlString(scratchFile)} (FORMAT json)`,
  );
  return (parsed) => {
    const list = (parsed as { r: unknown[] }).r;
    const row: PortableRow = {};
    for (let i = 0; i < names.length; i++) {
      const value = list[i];
      // JSON gives text, numbers, booleans and null as they are; only a nested value (a list or
      // struct column) becomes its JSON text.
      row[names[i]!] =
        value === undefined
          ? null
          : value !== null && typeof value === 'object'
            ? JSON.stringify(value)
            : (value as PortableRow[string]);
    }
    return row;
  };
}

/** Bytes of an NDJSON file read at a time by `ndjsonBatches` (`queryRows`, `streamRows`). */
export const READ_CHUNK_BYTES = 1 << 20;

/**
 * An NDJSON file's rows (`toRow` of each parsed line), a chunk's worth at a time (the rows whose
 * lines end in each chunk of `READ_CHUNK_BYTES`): memory holds the rows and one chunk of text, never
 * the whole file's text and its lines beside the rows. Blank lines are skipped and a last line
 * needs no newline.
 */
export function* ndjsonBatches(
  file: string,
  toRow: (parsed: unknown) => PortableRow,
): Iterable<PortableRow[]> {
  const fd = openSync(file, 'r');
  try {
    // A character split across two chunks is held by the decoder until its last byte arrives.
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let rest = '';
    for (;;) {
      const read = readSync(fd, buffer);
      const text = rest + (read > 0 ? decoder.write(buffer.subarray(0, read)) : decoder.end());
      const batch: PortableRow[] = [];
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
        if (end > start) batch.push(toRow(JSON.parse(text.slice(start, end))));
        start = end + 1;
      }
      rest = text.slice(start);
      if (read === 0 && rest.length > 0) {
        batch.push(toRow(JSON.parse(rest)));
        rest = '';
      }
      if (batch.length > 0) yield batch;
      if (read === 0) return;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * `queryRows`, streamed: memory flat in the result's size (one chunk of rows at a time). Read in
 * chunks rather than by `readline`, whose line events and promises cost more than the parsing.
 */
export async function* streamRows(
  connection: DuckDBConnection,
  sql: string,
  scratchFile: string,
): AsyncIterable<PortableRow> {
  const toRow = await resultLines(connection, sql, scratchFile);
  try {
    for (const batch of ndjsonBatches(scratchFile, toRow)) yield* batch;
  } finally {
    rmSync(scratchFile, { force: true });
  }
}

/** SQL that reads a column back in wire form: dates, timestamps, decimals and bigints as text. */
export function wireExpression(name: string, type: string): string {
  const col = quoteIdent(name);
  if (type === 'DATE') return `strftime(${col}, '%Y-%m-%d')`;
  if (type.startsWith('TIMESTAMP')) return `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`;
  if (type.startsWith('DECIMAL') || type === 'BIGINT' || type === 'HUGEINT') return `CAST(${col} AS VARCHAR)`;
  return col;
}

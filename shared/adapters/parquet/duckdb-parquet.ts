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

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Parquet through an in-memory DuckDB: rows go in through the appender as text (never row-by-row
 * awaits), are cast to their types by one `COPY (SELECT CAST ...) TO` (zstd), and come back out
 * through a streamed query. One connection per codec; not shared across threads.
 */
export class DuckDbParquetCodec implements ParquetCodec {
  private instance: Promise<DuckDBInstance> | undefined;
  private tableCounter = 0;

  /** `engine`: share another adapter's DuckDB instance (one bounded engine per thread). */
  constructor(private readonly engine?: () => Promise<DuckDBInstance>) {}

  /** A connection per operation: concurrent activities must not interleave statements or streams. */
  private async connect(): Promise<DuckDBConnection> {
    if (this.engine) return (await this.engine()).connect();
    this.instance ??= DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '384MB' });
    return (await this.instance).connect();
  }

  async write(
    file: string,
    columns: readonly PortableColumn[],
    rows: Iterable<PortableRow> | AsyncIterable<PortableRow>,
  ): Promise<number> {
    const connection = await this.connect();
    this.tableCounter += 1;
    const staging = `staging_${this.tableCounter}`;
    await connection.run(
      `CREATE TEMP TABLE ${staging} (${columns.map((c) => `${quoteIdent(c.name)} VARCHAR`).join(', ')})`,
    );
    try {
      const appender = await connection.createAppender(staging);
      let count = 0;
      for await (const row of rows) {
        for (const column of columns) {
          const value = row[column.name];
          if (value === null || value === undefined) appender.appendNull();
          else appender.appendVarchar(typeof value === 'string' ? value : String(value));
        }
        appender.endRow();
        count += 1;
      }
      appender.closeSync();
      const select = columns
        .map((c) => `CAST(${quoteIdent(c.name)} AS ${duckdbType(c.type)}) AS ${quoteIdent(c.name)}`)
        .join(', ');
      await connection.run(
        `COPY (SELECT ${select} FROM ${staging}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`,
      );
      return count;
    } finally {
      await connection.run(`DROP TABLE IF EXISTS ${staging}`);
      connection.closeSync();
    }
  }

  async *read(file: string): AsyncIterable<PortableRow> {
    const connection = await this.connect();
    const source = `read_parquet(${sqlString(file)})`;
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    const columns = described
      .getRowObjectsJson()
      .map((r) => ({ name: r.column_name as string, type: r.column_type as string }));
    const select = columns
      .map((c) => `${wireExpression(c.name, c.type)} AS ${quoteIdent(c.name)}`)
      .join(', ');
    try {
      const result = await connection.stream(`SELECT ${select} FROM ${source}`);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        for (const values of chunk.getRows()) {
          const row: PortableRow = {};
          columns.forEach((column, i) => {
            row[column.name] = toPortable(values[i]);
          });
          yield row;
        }
      }
    } finally {
      connection.closeSync();
    }
  }

  async readLatest(
    files: readonly string[],
    key: readonly string[],
    orderBy: readonly string[],
  ): Promise<PortableRow[]> {
    if (files.length === 0) return [];
    const connection = await this.connect();
    try {
      const source = `read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true)`;
      const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
      const columns = described
        .getRowObjectsJson()
        .map((r) => ({ name: r.column_name as string, type: r.column_type as string }));
      const select = columns
        .map((c) => `${wireExpression(c.name, c.type)} AS ${quoteIdent(c.name)}`)
        .join(', ');
      const reader = await connection.runAndReadAll(
        `SELECT ${select} FROM (
           SELECT *, row_number() OVER (PARTITION BY ${key.map(quoteIdent).join(', ')} ORDER BY ${orderBy.map((o) => `${quoteIdent(o)} DESC`).join(', ')}) AS _rn
           FROM ${source}
         ) WHERE _rn = 1 AND _op = 'upsert'`,
      );
      return portableRows(reader.getRows(), columns);
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

/** Result rows (in `columns` order) as portable rows. */
export function portableRows(
  rows: readonly (readonly unknown[])[],
  columns: readonly { readonly name: string }[],
): PortableRow[] {
  return rows.map((values) => {
    const row: PortableRow = {};
    columns.forEach((column, i) => {
      row[column.name] = toPortable(values[i]);
    });
    return row;
  });
}

/** SQL that reads a column back in wire form: dates, timestamps, decimals and bigints as text. */
export function wireExpression(name: string, type: string): string {
  const col = quoteIdent(name);
  if (type === 'DATE') return `strftime(${col}, '%Y-%m-%d')`;
  if (type.startsWith('TIMESTAMP')) return `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`;
  if (type.startsWith('DECIMAL') || type === 'BIGINT' || type === 'HUGEINT') return `CAST(${col} AS VARCHAR)`;
  return col;
}

export function toPortable(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

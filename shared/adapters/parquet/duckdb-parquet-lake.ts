import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { ObjectStore } from '../../application/ports/object-store.port.js';
import type {
  KeyedRowFilter,
  KeyedRun,
  ParquetLake,
  ParquetObjectWriter,
} from '../../application/ports/parquet-lake.port.js';
import { LakeObjectMissingError } from '../../domain/errors.js';
import type { PortableColumn, PortableRow } from '../../domain/gold/portable-types.js';
import {
  DuckDbParquetCodec,
  parquetCompressionFor,
  parquetWriteOptions,
  processScratchDirectory,
  queryRows,
  quoteIdent,
  sqlString,
  wireExpression,
  writeAll,
} from './duckdb-parquet.js';

const PARQUET = { contentType: 'application/vnd.apache.parquet' } as const;

/** A lake's scratch folder under the scratch directory: `parquet-lake-<pid>-…`. */
const LAKE_SCRATCH_PREFIX = 'parquet-lake-';

/** Most rows one partitioned write (`writeMany`) takes in; more go in several passes. */
const WRITE_MANY_ROWS = 60_000;
/** Most files one read query scans (a batch's silver: one file per period, 36 for three years). */
const READ_FILES_PER_QUERY = 64;
/** Objects fetched from the lake at once for one read. */
const FETCH_CONCURRENCY = 8;

/** Runs `work` over `items`, at most `limit` at a time; the first failure is thrown once all settle. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const lane = async () => {
    while (next < items.length) {
      const at = next++;
      try {
        await work(items[at]!, at);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failures.length > 0) throw failures[0];
}

/**
 * Parquet in the lake through DuckDB: objects are moved with the object store (DuckDB's azure
 * extension cannot be installed offline) into a private scratch folder and read there with SQL.
 * Keyed runs are immutable (written create-only, never overwritten), so their local copies are
 * cached by path (bounded); other objects are fetched on every read.
 */
export class DuckDbParquetLake implements ParquetLake {
  private readonly codec = new DuckDbParquetCodec(() => this.engine());
  private instance: Promise<DuckDBInstance> | undefined;
  private readonly scratch: string;
  private readonly cache = new Map<string, { file: string; bytes: number }>();
  private cacheBytes = 0;
  private counter = 0;

  constructor(
    private readonly lake: ObjectStore,
    scratchDir: string,
    private readonly options: { readonly cacheBytes?: number; readonly threads?: number } = {},
  ) {
    // Named with this process's pid: a killed process's folder (its cached runs, staged rows and
    // spill) is swept by the next lake opened on the same scratch directory.
    this.scratch = processScratchDirectory(scratchDir, LAKE_SCRATCH_PREFIX);
  }

  /** One bounded engine per adapter (so per thread), shared with its codec; larger work spills to disk. */
  private engine(): Promise<DuckDBInstance> {
    this.instance ??= DuckDBInstance.create(':memory:', {
      threads: String(this.options.threads ?? 1),
      memory_limit: '384MB',
      // Its own spill folder (inside the scratch folder, removed on close), never the shared `.tmp`.
      temp_directory: join(this.scratch, 'spill'),
    });
    return this.instance;
  }

  private async connect(): Promise<DuckDBConnection> {
    return (await this.engine()).connect();
  }

  private localName(): string {
    this.counter += 1;
    return join(this.scratch, `${this.counter}.parquet`);
  }

  async write(
    container: string,
    path: string,
    columns: readonly PortableColumn[],
    rows: Iterable<PortableRow> | AsyncIterable<PortableRow>,
    options: { readonly ifNoneMatch?: '*' } = {},
  ): Promise<{ rows: number; created: boolean }> {
    return writeAll(this.openWriter(container, path, columns, options), rows);
  }

  openWriter(
    container: string,
    path: string,
    columns: readonly PortableColumn[],
    options: { readonly ifNoneMatch?: '*' } = {},
  ): ParquetObjectWriter {
    const local = this.localName();
    const staged = this.codec.openWriter(local, columns, parquetCompressionFor(container));
    return {
      append: (row) => staged.append(row),
      rows: () => staged.rows(),
      close: async () => {
        let kept = false;
        try {
          const count = await staged.close();
          const { created } = await this.lake.putFile(container, path, local, { ...PARQUET, ...options });
          // A create-only object never changes: keep the local copy for the next read of it.
          if (created && options.ifNoneMatch) kept = this.remember(`${container}/${path}`, local);
          return { rows: count, created };
        } finally {
          if (!kept) rmSync(local, { force: true });
        }
      },
      discard: () => {
        staged.discard();
        rmSync(local, { force: true });
      },
    };
  }

  async writeMany(
    container: string,
    columns: readonly PortableColumn[],
    objects: readonly { readonly path: string; readonly rows: readonly PortableRow[] }[],
    options: { readonly ifNoneMatch?: '*' } = {},
  ): Promise<{ rows: number; created: boolean }[]> {
    if (objects.length <= 1)
      return Promise.all(objects.map((o) => this.write(container, o.path, columns, o.rows, options)));
    // A partitioned COPY holds every partition's rows until it ends: bound the rows per pass (a
    // 250,000-member merge in one pass exceeded the engine's 384 MB).
    const total = objects.reduce((n, o) => n + o.rows.length, 0);
    if (total > WRITE_MANY_ROWS) {
      const out: { rows: number; created: boolean }[] = [];
      let part: (typeof objects)[number][] = [];
      let rows = 0;
      for (const o of objects) {
        if (part.length > 0 && rows + o.rows.length > WRITE_MANY_ROWS) {
          out.push(...(await this.writeMany(container, columns, part, options)));
          part = [];
          rows = 0;
        }
        part.push(o);
        rows += o.rows.length;
      }
      if (part.length > 0) out.push(...(await this.writeMany(container, columns, part, options)));
      return out;
    }
    const dir = `${this.localName()}.d`;
    try {
      const files = await this.codec.writeGroups(
        dir,
        columns,
        objects.map((o) => o.rows),
        parquetCompressionFor(container),
      );
      return await Promise.all(
        objects.map(async (o, i) => {
          const file = files[i];
          if (!file) return this.write(container, o.path, columns, [], options);
          const { created } = await this.lake.putFile(container, o.path, file, { ...PARQUET, ...options });
          if (created && options.ifNoneMatch) {
            // A create-only object never changes: keep the local copy for the next read of it.
            const kept = this.localName();
            renameSync(file, kept);
            this.remember(`${container}/${o.path}`, kept);
          }
          return { rows: o.rows.length, created };
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async *read(
    container: string,
    paths: readonly string[],
    options: { readonly columns?: readonly string[] } = {},
  ): AsyncIterable<PortableRow> {
    // A batch's silver is a file per period: fetched together and read by one engine query per
    // group of files, not one query (and scratch round trip) per file.
    for (let i = 0; i < paths.length; i += READ_FILES_PER_QUERY) {
      const group = paths.slice(i, i + READ_FILES_PER_QUERY);
      const locals: string[] = [];
      try {
        await forEachLimited(group, FETCH_CONCURRENCY, async (path, at) => {
          locals[at] = await this.fetch(container, path);
        });
        yield* this.codec.readMany(locals, options.columns);
      } finally {
        for (const local of locals) if (local) rmSync(local, { force: true });
      }
    }
  }

  async count(container: string, paths: readonly string[]): Promise<number> {
    let total = 0;
    for (const path of paths) {
      const local = await this.fetch(container, path);
      try {
        total += await this.codec.count(local);
      } finally {
        rmSync(local, { force: true });
      }
    }
    return total;
  }

  async readLatest(
    container: string,
    paths: readonly string[],
    key: readonly string[],
    orderBy: readonly string[],
    options: { readonly columns?: readonly string[] } = {},
  ): Promise<PortableRow[]> {
    const locals: string[] = [];
    try {
      for (const path of paths) locals.push(await this.fetch(container, path));
      return await this.codec.readLatest(locals, key, orderBy, options.columns);
    } finally {
      for (const local of locals) rmSync(local, { force: true });
    }
  }

  async readRuns(
    container: string,
    runs: readonly KeyedRun[],
    keyColumn: string,
    keys?: readonly string[],
    where?: KeyedRowFilter,
  ): Promise<PortableRow[]> {
    if (runs.length === 0 || (keys && keys.length === 0)) return [];
    const files = await this.cachedRuns(container, runs);
    const connection = await this.connect();
    const keyTable = keys ? await this.keyTable(connection, keys) : null;
    try {
      const { sql, columns } = await this.latestRunsSql(connection, files, keyColumn, keyTable);
      const select = columns.map((c) => `${wireExpression(c.name, c.type)} AS ${quoteIdent(c.name)}`);
      // The filter applies to the latest run's rows (after the selection in `sql`).
      const filter = where ? ` WHERE ${quoteIdent(where.column)} = ${sqlString(where.equals)}` : '';
      return await queryRows(
        connection,
        `SELECT ${select.join(', ')} FROM (${sql})${filter}`,
        `${this.localName()}.ndjson`,
      );
    } finally {
      if (keyTable) await connection.run(`DROP TABLE IF EXISTS ${keyTable}`);
      connection.closeSync();
    }
  }

  async compact(
    container: string,
    runs: readonly KeyedRun[],
    keyColumn: string | null,
    to: string,
    options: { readonly orderBy?: readonly string[] } = {},
  ): Promise<{ rows: number; created: boolean }> {
    // Keyed runs are immutable (cached); plain files (silver compaction) are fetched fresh.
    const files = keyColumn
      ? await this.cachedRuns(container, runs)
      : await Promise.all(
          runs.map(async (r) => ({ file: await this.fetch(container, r.path), rank: r.rank })),
        );
    const connection = await this.connect();
    const local = this.localName();
    try {
      let sql: string;
      if (keyColumn) sql = (await this.latestRunsSql(connection, files, keyColumn, null)).sql;
      else
        sql = `SELECT * FROM read_parquet([${files.map((f) => sqlString(f.file)).join(', ')}], union_by_name = true)`;
      if (options.orderBy && options.orderBy.length > 0)
        sql = `SELECT * FROM (${sql}) ORDER BY ${options.orderBy.map(quoteIdent).join(', ')}`;
      await connection.run(
        `COPY (${sql}) TO ${sqlString(local)} (${parquetWriteOptions(parquetCompressionFor(container))})`,
      );
      const counted = await connection.runAndReadAll(
        `SELECT count(*)::BIGINT AS n FROM read_parquet(${sqlString(local)})`,
      );
      const rows = Number(counted.getRows()[0]?.[0] ?? 0);
      const { created } = await this.lake.putFile(container, to, local, { ...PARQUET, ifNoneMatch: '*' });
      return { rows, created };
    } finally {
      rmSync(local, { force: true });
      if (!keyColumn) for (const f of files) rmSync(f.file, { force: true });
      connection.closeSync();
    }
  }

  async compactMany(
    container: string,
    groups: readonly { readonly runs: readonly KeyedRun[]; readonly to: string }[],
    keyColumn: string,
  ): Promise<{ rows: number; created: boolean }[]> {
    if (groups.length <= 1)
      return Promise.all(groups.map((g) => this.compact(container, g.runs, keyColumn, g.to)));
    const files = await Promise.all(groups.map((g) => this.cachedRuns(container, g.runs)));
    const connection = await this.connect();
    const dir = `${this.localName()}.d`;
    try {
      const described = await connection.runAndReadAll(
        `DESCRIBE SELECT * FROM read_parquet(${sqlString(files[0]![0]!.file)})`,
      );
      const names = described
        .getRowObjectsJson()
        .map((r) => quoteIdent(r.column_name as string))
        .join(', ');
      const union = files
        .flatMap((groupFiles, i) =>
          groupFiles.map(
            (f) =>
              `SELECT *, ${f.rank}::BIGINT AS _run_rank, ${i}::INTEGER AS _group FROM read_parquet(${sqlString(f.file)})`,
          ),
        )
        .join(' UNION ALL BY NAME ');
      const key = quoteIdent(keyColumn);
      await connection.run(
        `COPY (SELECT ${names}, _group FROM (SELECT *, max(_run_rank) OVER (PARTITION BY ${key}) AS _top FROM (${union})) WHERE _run_rank = _top)
         TO ${sqlString(dir)} (${parquetWriteOptions(parquetCompressionFor(container))}, PARTITION_BY (_group))`,
      );
      return await Promise.all(
        groups.map(async (g, i) => {
          const folder = join(dir, `_group=${i}`);
          const written = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.parquet')) : [];
          // A group whose runs hold no row at all: compact it alone (an empty run).
          if (written.length !== 1) return this.compact(container, g.runs, keyColumn, g.to);
          const file = join(folder, written[0]!);
          const counted = await connection.runAndReadAll(
            `SELECT count(*)::BIGINT AS n FROM read_parquet(${sqlString(file)})`,
          );
          const rows = Number(counted.getRows()[0]?.[0] ?? 0);
          const { created } = await this.lake.putFile(container, g.to, file, {
            ...PARQUET,
            ifNoneMatch: '*',
          });
          if (created) {
            const kept = this.localName();
            renameSync(file, kept);
            this.remember(`${container}/${g.to}`, kept);
          }
          return { rows, created };
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
      connection.closeSync();
    }
  }

  /** Closes the engine and removes the scratch folder. */
  async close(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    if (instance) (await instance).closeSync();
    rmSync(this.scratch, { recursive: true, force: true });
    this.cache.clear();
    this.cacheBytes = 0;
  }

  private async latestRunsSql(
    connection: DuckDBConnection,
    files: readonly { file: string; rank: number }[],
    keyColumn: string,
    keyTable: string | null,
  ): Promise<{ sql: string; columns: { name: string; type: string }[] }> {
    const described = await connection.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet(${sqlString(files[0]!.file)})`,
    );
    const columns = described
      .getRowObjectsJson()
      .map((r) => ({ name: r.column_name as string, type: r.column_type as string }));
    const key = quoteIdent(keyColumn);
    const names = columns.map((c) => quoteIdent(c.name)).join(', ');
    // One scan over every run (the run's rank joined on by file name) with the key filter applied
    // once: a filtered scan per run built one hash table of the keys per run, and 24 runs with
    // 190,000 keys exceeded the engine's 384 MB.
    const ranks = files.map((f) => `(${sqlString(f.file)}, ${f.rank}::BIGINT)`).join(', ');
    const scan = `SELECT p.*, r.rank AS _run_rank
      FROM read_parquet([${files.map((f) => sqlString(f.file)).join(', ')}], filename = true, union_by_name = true) AS p
      JOIN (VALUES ${ranks}) AS r(file, rank) ON p.filename = r.file${
        keyTable
          ? `
      WHERE p.${key} IN (SELECT k FROM ${keyTable})`
          : ''
      }`;
    if (files.length === 1) return { sql: `SELECT ${names} FROM (${scan})`, columns };
    return {
      sql: `SELECT ${names} FROM (SELECT *, max(_run_rank) OVER (PARTITION BY ${key}) AS _top FROM (${scan})) WHERE _run_rank = _top`,
      columns,
    };
  }

  private async keyTable(connection: DuckDBConnection, keys: readonly string[]): Promise<string> {
    this.counter += 1;
    const name = `keys_${this.counter}`;
    await connection.run(`CREATE TEMP TABLE ${name} (k VARCHAR)`);
    const appender = await connection.createAppender(name);
    for (const k of new Set(keys)) {
      appender.appendVarchar(k);
      appender.endRow();
    }
    appender.closeSync();
    return name;
  }

  private async fetch(container: string, path: string): Promise<string> {
    const local = this.localName();
    if (!(await this.lake.getFile(container, path, local))) throw new LakeObjectMissingError(container, path);
    return local;
  }

  private async cachedRuns(
    container: string,
    runs: readonly KeyedRun[],
  ): Promise<{ file: string; rank: number }[]> {
    return Promise.all(
      runs.map(async (run) => {
        const id = `${container}/${run.path}`;
        let hit = this.cache.get(id);
        if (hit) {
          // Most recently used last.
          this.cache.delete(id);
          this.cache.set(id, hit);
        } else {
          const file = await this.fetch(container, run.path);
          this.remember(id, file);
          hit = this.cache.get(id)!;
        }
        return { file: hit.file, rank: run.rank };
      }),
    );
  }

  private remember(id: string, file: string): true {
    const entry = { file, bytes: statSync(file).size };
    this.cache.set(id, entry);
    this.cacheBytes += entry.bytes;
    this.evict();
    return true;
  }

  private evict(): void {
    const limit = this.options.cacheBytes ?? 512 * 1024 * 1024;
    for (const [id, entry] of this.cache) {
      if (this.cacheBytes <= limit || this.cache.size <= 1) break;
      this.cache.delete(id);
      this.cacheBytes -= entry.bytes;
      rmSync(entry.file, { force: true });
    }
  }
}

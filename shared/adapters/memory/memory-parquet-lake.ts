import type { ObjectStore } from '../../application/ports/object-store.port.js';
import type {
  KeyedRowFilter,
  KeyedRun,
  ParquetLake,
  ParquetObjectWriter,
} from '../../application/ports/parquet-lake.port.js';
import { LakeObjectMissingError } from '../../domain/errors.js';
import type { PortableColumn, PortableRow } from '../../domain/gold/portable-types.js';

/**
 * In-memory twin of the Parquet lake for fast unit tests: objects hold their rows as JSON in the
 * given object store (so listing, create-only commits and deletes behave as on the lake). Values
 * are kept as given (no type casts): use the DuckDB lake where Parquet typing matters.
 */
export class MemoryParquetLake implements ParquetLake {
  constructor(private readonly lake: ObjectStore) {}

  async write(
    container: string,
    path: string,
    columns: readonly PortableColumn[],
    rows: Iterable<PortableRow> | AsyncIterable<PortableRow>,
    options: { readonly ifNoneMatch?: '*' } = {},
  ): Promise<{ rows: number; created: boolean }> {
    const out: PortableRow[] = [];
    for await (const row of rows) {
      const projected: PortableRow = {};
      for (const c of columns) projected[c.name] = row[c.name] ?? null;
      out.push(projected);
    }
    const { created } = await this.lake.put(container, path, JSON.stringify(out), options);
    return { rows: out.length, created };
  }

  openWriter(
    container: string,
    path: string,
    columns: readonly PortableColumn[],
    options: { readonly ifNoneMatch?: '*' } = {},
  ): ParquetObjectWriter {
    let rows: PortableRow[] | null = [];
    const open = () => {
      if (rows === null) throw new Error(`parquet writer ${container}/${path}: already closed`);
      return rows;
    };
    return {
      append: (row) => void open().push(row),
      rows: () => open().length,
      close: async () => {
        const all = open();
        rows = null;
        return this.write(container, path, columns, all, options);
      },
      discard: () => {
        rows = null;
      },
    };
  }

  async writeMany(
    container: string,
    columns: readonly PortableColumn[],
    objects: readonly { readonly path: string; readonly rows: readonly PortableRow[] }[],
    options: { readonly ifNoneMatch?: '*' } = {},
  ): Promise<{ rows: number; created: boolean }[]> {
    return Promise.all(objects.map((o) => this.write(container, o.path, columns, o.rows, options)));
  }

  async compactMany(
    container: string,
    groups: readonly { readonly runs: readonly KeyedRun[]; readonly to: string }[],
    keyColumn: string,
  ): Promise<{ rows: number; created: boolean }[]> {
    const out: { rows: number; created: boolean }[] = [];
    for (const g of groups) out.push(await this.compact(container, g.runs, keyColumn, g.to));
    return out;
  }

  async *read(
    container: string,
    paths: readonly string[],
    options: { readonly columns?: readonly string[] } = {},
  ): AsyncIterable<PortableRow> {
    const wanted = options.columns;
    for (const path of paths)
      for (const row of await this.rows(container, path)) {
        if (!wanted) {
          yield row;
          continue;
        }
        const cut: PortableRow = {};
        for (const name of wanted) if (name in row) cut[name] = row[name]!;
        yield cut;
      }
  }

  async count(container: string, paths: readonly string[]): Promise<number> {
    let n = 0;
    for (const path of paths) n += (await this.rows(container, path)).length;
    return n;
  }

  async readLatest(
    container: string,
    paths: readonly string[],
    key: readonly string[],
    orderBy: readonly string[],
    options: { readonly columns?: readonly string[] } = {},
  ): Promise<PortableRow[]> {
    const best = new Map<string, PortableRow>();
    const compare = (a: PortableRow, b: PortableRow) => {
      for (const o of orderBy) {
        const x = String(a[o] ?? '');
        const y = String(b[o] ?? '');
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    };
    for (const path of paths)
      for (const row of await this.rows(container, path)) {
        const id = JSON.stringify(key.map((k) => row[k] ?? null));
        const held = best.get(id);
        if (!held || compare(row, held) > 0) best.set(id, row);
      }
    const latest = [...best.values()].filter((r) => r._op === 'upsert');
    const columns = options.columns;
    if (!columns) return latest;
    return latest.map((row) => {
      const out: PortableRow = {};
      for (const c of columns) if (c in row) out[c] = row[c]!;
      return out;
    });
  }

  async readRuns(
    container: string,
    runs: readonly KeyedRun[],
    keyColumn: string,
    keys?: readonly string[],
    where?: KeyedRowFilter,
  ): Promise<PortableRow[]> {
    const wanted = keys ? new Set(keys) : undefined;
    const top = new Map<string, { rank: number; rows: PortableRow[] }>();
    for (const run of runs)
      for (const row of await this.rows(container, run.path)) {
        const key = String(row[keyColumn]);
        if (wanted && !wanted.has(key)) continue;
        const held = top.get(key);
        if (!held || held.rank < run.rank) top.set(key, { rank: run.rank, rows: [row] });
        else if (held.rank === run.rank) held.rows.push(row);
      }
    const rows = [...top.values()].flatMap((t) => t.rows);
    return where ? rows.filter((row) => row[where.column] === where.equals) : rows;
  }

  async compact(
    container: string,
    runs: readonly KeyedRun[],
    keyColumn: string | null,
    to: string,
    options: { readonly orderBy?: readonly string[] } = {},
  ): Promise<{ rows: number; created: boolean }> {
    let rows: PortableRow[];
    if (keyColumn) rows = await this.readRuns(container, runs, keyColumn);
    else {
      rows = [];
      for (const run of runs) rows.push(...(await this.rows(container, run.path)));
    }
    const order = options.orderBy ?? [];
    if (order.length > 0)
      rows.sort((a, b) => {
        for (const o of order) {
          const x = String(a[o] ?? '');
          const y = String(b[o] ?? '');
          if (x !== y) return x < y ? -1 : 1;
        }
        return 0;
      });
    const { created } = await this.lake.put(container, to, JSON.stringify(rows), { ifNoneMatch: '*' });
    return { rows: rows.length, created };
  }

  private async rows(container: string, path: string): Promise<PortableRow[]> {
    const body = await this.lake.get(container, path);
    if (!body) throw new LakeObjectMissingError(container, path);
    return JSON.parse(body.toString('utf8')) as PortableRow[];
  }
}

import type {
  StateEntity,
  StateOperation,
  StateStore,
  StateValue,
} from '../../application/ports/state-store.port.js';
import { ConcurrencyError } from '../../domain/errors.js';

/**
 * In-memory twin of Table storage, with the same etag and transaction semantics, for fast unit
 * tests and large in-process benchmarks. Like Table storage, null properties are not stored.
 */
export class MemoryStateStore implements StateStore {
  private readonly tables = new Map<string, Map<string, Map<string, { etag: string; value: StateValue }>>>();
  private counter = 0;

  private partition(table: string, partitionKey: string, create: boolean) {
    let t = this.tables.get(table);
    if (!t) {
      t = new Map();
      this.tables.set(table, t);
    }
    let p = t.get(partitionKey);
    if (!p && create) {
      p = new Map();
      t.set(partitionKey, p);
    }
    return p;
  }

  private nextEtag(): string {
    this.counter += 1;
    return `W/"${this.counter}"`;
  }

  async ensureTables(): Promise<void> {}

  async get<T extends StateValue>(
    table: string,
    partitionKey: string,
    rowKey: string,
  ): Promise<StateEntity<T> | undefined> {
    const row = this.partition(table, partitionKey, false)?.get(rowKey);
    return row ? { partitionKey, rowKey, etag: row.etag, value: { ...row.value } as T } : undefined;
  }

  async insert<T extends StateValue>(
    table: string,
    partitionKey: string,
    rowKey: string,
    value: T,
  ): Promise<string> {
    const p = this.partition(table, partitionKey, true)!;
    if (p.has(rowKey)) throw new ConcurrencyError(`state ${table}: entity already exists`);
    const etag = this.nextEtag();
    p.set(rowKey, { etag, value: stripNulls(value) });
    return etag;
  }

  async upsert<T extends StateValue>(
    table: string,
    partitionKey: string,
    rowKey: string,
    value: T,
    etag?: string,
  ): Promise<string> {
    const p = this.partition(table, partitionKey, true)!;
    const existing = p.get(rowKey);
    if (etag !== undefined && existing?.etag !== etag)
      throw new ConcurrencyError(`state ${table}: entity changed since read`);
    const next = this.nextEtag();
    p.set(rowKey, { etag: next, value: stripNulls(value) });
    return next;
  }

  async delete(table: string, partitionKey: string, rowKey: string, etag?: string): Promise<void> {
    const p = this.partition(table, partitionKey, false);
    const existing = p?.get(rowKey);
    if (etag !== undefined && existing?.etag !== etag)
      throw new ConcurrencyError(`state ${table}: entity changed since read`);
    p?.delete(rowKey);
  }

  async *list<T extends StateValue>(
    table: string,
    partitionKey: string,
    range: { fromRowKey?: string; toRowKey?: string } = {},
  ): AsyncIterable<StateEntity<T>> {
    const p = this.partition(table, partitionKey, false);
    if (!p) return;
    const keys = [...p.keys()]
      .filter(
        (k) =>
          (range.fromRowKey === undefined || k >= range.fromRowKey) &&
          (range.toRowKey === undefined || k < range.toRowKey),
      )
      .sort();
    for (const rowKey of keys) {
      const row = p.get(rowKey);
      if (row) yield { partitionKey, rowKey, etag: row.etag, value: { ...row.value } as T };
    }
  }

  async transact(table: string, partitionKey: string, operations: readonly StateOperation[]): Promise<void> {
    const p = this.partition(table, partitionKey, true)!;
    // Check every precondition first: all-or-nothing.
    for (const op of operations) {
      const existing = p.get(op.rowKey);
      if (op.kind === 'insert' && existing)
        throw new ConcurrencyError(`state ${table}: transaction conflicted`);
      if (op.kind === 'update' && existing?.etag !== op.etag)
        throw new ConcurrencyError(`state ${table}: transaction conflicted`);
    }
    for (const op of operations) {
      if (op.kind === 'delete') p.delete(op.rowKey);
      else p.set(op.rowKey, { etag: this.nextEtag(), value: stripNulls(op.value) });
    }
  }
}

function stripNulls(value: StateValue): StateValue {
  const out: StateValue = {};
  for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

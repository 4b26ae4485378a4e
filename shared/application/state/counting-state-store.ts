import type { StateEntity, StateOperation, StateStore, StateValue } from '../ports/state-store.port.js';

/** The kinds of request a {@link CountingStateStore} counts. */
export type StateRequestKind = 'ensureTables' | 'get' | 'insert' | 'upsert' | 'delete' | 'list' | 'transact';

/** Requests made through a {@link CountingStateStore} since it was created (or last reset). */
export interface StateOperationCounts {
  /** Every request: what Table storage bills and what an emulator has to serve one by one. */
  readonly total: number;
  readonly byKind: Readonly<Record<StateRequestKind, number>>;
  /** Requests per state table name. */
  readonly byTable: Readonly<Record<string, number>>;
  /** Entity operations carried inside transactions (a transaction of 100 upserts is 1 request, 100 here). */
  readonly transactedEntities: number;
}

/** Table storage returns at most this many entities per query page (one request per page). */
export const STATE_LIST_PAGE_SIZE = 1000;

/**
 * A {@link StateStore} decorator that counts the requests its callers make, one per round trip the
 * Table storage adapter would make: `get`, `insert`, `upsert` and `delete` one each; a `transact`
 * one (an entity group transaction is one request, whatever its size; an empty one is none); a
 * `list` one per page of up to {@link STATE_LIST_PAGE_SIZE} entities read, from when iteration
 * begins (an empty listing still costs its first page); `ensureTables` one per table named. Calls
 * that fail are counted too (they were made).
 *
 * Behaviour is otherwise the wrapped store's, unchanged: same results, same errors, same laziness.
 */
export class CountingStateStore implements StateStore {
  private kinds: Record<StateRequestKind, number> = emptyKinds();
  private tables = new Map<string, number>();
  private entitiesInTransactions = 0;

  constructor(private readonly inner: StateStore) {}

  /** A snapshot of the counts so far. */
  counts(): StateOperationCounts {
    const byKind = { ...this.kinds };
    return {
      total: Object.values(byKind).reduce((a, b) => a + b, 0),
      byKind,
      byTable: Object.fromEntries([...this.tables].sort((a, b) => a[0].localeCompare(b[0]))),
      transactedEntities: this.entitiesInTransactions,
    };
  }

  /** Starts counting again from zero. */
  reset(): void {
    this.kinds = emptyKinds();
    this.tables = new Map();
    this.entitiesInTransactions = 0;
  }

  private count(kind: StateRequestKind, table: string, n = 1): void {
    this.kinds[kind] += n;
    this.tables.set(table, (this.tables.get(table) ?? 0) + n);
  }

  ensureTables(tables: readonly string[]): Promise<void> {
    for (const table of tables) this.count('ensureTables', table);
    return this.inner.ensureTables(tables);
  }

  get<T extends StateValue>(
    table: string,
    partitionKey: string,
    rowKey: string,
  ): Promise<StateEntity<T> | undefined> {
    this.count('get', table);
    return this.inner.get<T>(table, partitionKey, rowKey);
  }

  insert<T extends StateValue>(
    table: string,
    partitionKey: string,
    rowKey: string,
    value: T,
  ): Promise<string> {
    this.count('insert', table);
    return this.inner.insert(table, partitionKey, rowKey, value);
  }

  upsert<T extends StateValue>(
    table: string,
    partitionKey: string,
    rowKey: string,
    value: T,
    etag?: string,
  ): Promise<string> {
    this.count('upsert', table);
    return this.inner.upsert(table, partitionKey, rowKey, value, etag);
  }

  delete(table: string, partitionKey: string, rowKey: string, etag?: string): Promise<void> {
    this.count('delete', table);
    return this.inner.delete(table, partitionKey, rowKey, etag);
  }

  async *list<T extends StateValue>(
    table: string,
    partitionKey: string,
    range?: { fromRowKey?: string; toRowKey?: string },
  ): AsyncIterable<StateEntity<T>> {
    this.count('list', table);
    let read = 0;
    for await (const entity of this.inner.list<T>(table, partitionKey, range)) {
      if (read > 0 && read % STATE_LIST_PAGE_SIZE === 0) this.count('list', table);
      read += 1;
      yield entity;
    }
  }

  transact(table: string, partitionKey: string, operations: readonly StateOperation[]): Promise<void> {
    // An empty transaction is never sent (Table storage rejects an empty batch).
    if (operations.length > 0) this.count('transact', table);
    this.entitiesInTransactions += operations.length;
    return this.inner.transact(table, partitionKey, operations);
  }
}

function emptyKinds(): Record<StateRequestKind, number> {
  return { ensureTables: 0, get: 0, insert: 0, upsert: 0, delete: 0, list: 0, transact: 0 };
}

/**
 * Small keyed state with optimistic concurrency: watermarks, hash-state manifests, SCD2 current
 * rows, the batch ledger and seen-event ids.
 *
 * On Azure and locally this is Table storage (`@azure/data-tables`, Azurite locally).
 * Guarantees: `insert` fails with `ConcurrencyError` when the key exists; `update`/`delete` with an
 * `etag` fail with `ConcurrencyError` when it no longer matches; `transact` is all-or-nothing
 * within one partition (at most 100 operations).
 */
export interface StateStore {
  ensureTables(tables: readonly string[]): Promise<void>;
  get<T extends StateValue>(
    table: string,
    partitionKey: string,
    rowKey: string,
  ): Promise<StateEntity<T> | undefined>;
  insert<T extends StateValue>(
    table: string,
    partitionKey: string,
    rowKey: string,
    value: T,
  ): Promise<string>;
  /** Writes unconditionally (or conditionally with `etag`); returns the new etag. */
  upsert<T extends StateValue>(
    table: string,
    partitionKey: string,
    rowKey: string,
    value: T,
    etag?: string,
  ): Promise<string>;
  delete(table: string, partitionKey: string, rowKey: string, etag?: string): Promise<void>;
  /** Every entity of one partition, optionally only row keys in [fromRowKey, toRowKey). */
  list<T extends StateValue>(
    table: string,
    partitionKey: string,
    range?: { fromRowKey?: string; toRowKey?: string },
  ): AsyncIterable<StateEntity<T>>;
  transact(table: string, partitionKey: string, operations: readonly StateOperation[]): Promise<void>;
}

/** A flat record of primitive values (Table storage properties). */
export type StateValue = Record<string, string | number | boolean | null>;

export interface StateEntity<T extends StateValue> {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly etag: string;
  readonly value: T;
}

export type StateOperation =
  | { readonly kind: 'insert'; readonly rowKey: string; readonly value: StateValue }
  | { readonly kind: 'upsert'; readonly rowKey: string; readonly value: StateValue }
  | { readonly kind: 'update'; readonly rowKey: string; readonly value: StateValue; readonly etag: string }
  /** Deletes inside a transaction are unconditional (Table storage batch deletes take no ETag);
   *  make the transaction conditional through an `update` of another row in it. */
  | { readonly kind: 'delete'; readonly rowKey: string };

import {
  RestError,
  TableClient,
  TableServiceClient,
  type TableEntity,
  type TransactionAction,
} from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type {
  StateEntity,
  StateOperation,
  StateStore,
  StateValue,
} from '../../application/ports/state-store.port.js';
import { ConcurrencyError, InfrastructureError } from '../../domain/errors.js';

/**
 * State on Azure Table storage (Azurite locally).
 *
 * Notes: Table storage does not keep null properties, so a property written as `null` reads back
 * absent (callers treat absent as null). Keys may not contain `/ \ # ?` or control characters:
 * those characters are escaped as `%XX` on write and unescaped on read, transparently.
 */
export class TableStateStore implements StateStore {
  private readonly clients = new Map<string, TableClient>();

  private constructor(
    private readonly makeClient: (table: string) => TableClient,
    private readonly service: TableServiceClient,
  ) {}

  static fromConnectionString(connectionString: string): TableStateStore {
    const options = { allowInsecureConnection: connectionString.includes('http://') };
    return new TableStateStore(
      (table) => TableClient.fromConnectionString(connectionString, table, options),
      TableServiceClient.fromConnectionString(connectionString, options),
    );
  }

  /** Managed identity on Azure: `https://<account>.table.core.windows.net` + DefaultAzureCredential. */
  static fromAccountUrl(url: string, credential: TokenCredential): TableStateStore {
    return new TableStateStore(
      (table) => new TableClient(url, table, credential),
      new TableServiceClient(url, credential),
    );
  }

  private client(table: string): TableClient {
    let client = this.clients.get(table);
    if (!client) {
      client = this.makeClient(table);
      this.clients.set(table, client);
    }
    return client;
  }

  /**
   * Creates missing tables. On Azure the identity holds data roles on its tables only (infra/
   * creates them), so creating answers 403: the table is then read once, and only a table that
   * cannot be read either is an error.
   */
  async ensureTables(tables: readonly string[]): Promise<void> {
    for (const table of tables) {
      try {
        await this.service.createTable(table);
      } catch (error) {
        if (isStatus(error, 409)) continue;
        if (isStatus(error, 403) && (await this.readable(table))) continue;
        throw wrap('createTable', table, error);
      }
    }
  }

  private async readable(table: string): Promise<boolean> {
    try {
      await this.client(table)
        .listEntities({ queryOptions: { select: ['PartitionKey'] } })
        .byPage({ maxPageSize: 1 })
        .next();
      return true;
    } catch {
      return false;
    }
  }

  async get<T extends StateValue>(
    table: string,
    partitionKey: string,
    rowKey: string,
  ): Promise<StateEntity<T> | undefined> {
    try {
      const entity = await this.client(table).getEntity<Record<string, unknown>>(
        escapeKey(partitionKey),
        escapeKey(rowKey),
      );
      return toStateEntity<T>(entity);
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw wrap('get', table, error);
    }
  }

  async insert<T extends StateValue>(
    table: string,
    partitionKey: string,
    rowKey: string,
    value: T,
  ): Promise<string> {
    try {
      const result = await this.client(table).createEntity(toEntity(partitionKey, rowKey, value));
      return result.etag ?? '';
    } catch (error) {
      if (isStatus(error, 409))
        throw new ConcurrencyError(`state ${table}: entity already exists`, { cause: error });
      throw wrap('insert', table, error);
    }
  }

  async upsert<T extends StateValue>(
    table: string,
    partitionKey: string,
    rowKey: string,
    value: T,
    etag?: string,
  ): Promise<string> {
    try {
      const entity = toEntity(partitionKey, rowKey, value);
      const result = etag
        ? await this.client(table).updateEntity(entity, 'Replace', { etag })
        : await this.client(table).upsertEntity(entity, 'Replace');
      return result.etag ?? '';
    } catch (error) {
      if (isStatus(error, 412, 404) && etag)
        throw new ConcurrencyError(`state ${table}: entity changed since read`, { cause: error });
      throw wrap('upsert', table, error);
    }
  }

  async delete(table: string, partitionKey: string, rowKey: string, etag?: string): Promise<void> {
    try {
      await this.client(table).deleteEntity(
        escapeKey(partitionKey),
        escapeKey(rowKey),
        etag ? { etag } : undefined,
      );
    } catch (error) {
      if (isStatus(error, 404) && !etag) return;
      if (isStatus(error, 412, 404))
        throw new ConcurrencyError(`state ${table}: entity changed since read`, { cause: error });
      throw wrap('delete', table, error);
    }
  }

  async *list<T extends StateValue>(
    table: string,
    partitionKey: string,
    range: { fromRowKey?: string; toRowKey?: string } = {},
  ): AsyncIterable<StateEntity<T>> {
    const clauses = [`PartitionKey eq '${odataString(escapeKey(partitionKey))}'`];
    if (range.fromRowKey !== undefined)
      clauses.push(`RowKey ge '${odataString(escapeKey(range.fromRowKey))}'`);
    if (range.toRowKey !== undefined) clauses.push(`RowKey lt '${odataString(escapeKey(range.toRowKey))}'`);
    try {
      const pages = this.client(table).listEntities<Record<string, unknown>>({
        queryOptions: { filter: clauses.join(' and ') },
      });
      for await (const entity of pages) yield toStateEntity<T>(entity);
    } catch (error) {
      if (isStatus(error, 404)) return;
      throw wrap('list', table, error);
    }
  }

  async transact(table: string, partitionKey: string, operations: readonly StateOperation[]): Promise<void> {
    if (operations.length === 0) return;
    if (operations.length > 100)
      throw new InfrastructureError(
        'STATE_TRANSACTION_TOO_LARGE',
        `state ${table}: ${operations.length} operations in one transaction (max 100)`,
      );
    const actions: TransactionAction[] = operations.map((op): TransactionAction => {
      switch (op.kind) {
        case 'insert':
          return ['create', toEntity(partitionKey, op.rowKey, op.value)];
        case 'upsert':
          return ['upsert', toEntity(partitionKey, op.rowKey, op.value), 'Replace'];
        case 'update':
          return ['update', toEntity(partitionKey, op.rowKey, op.value), 'Replace', { etag: op.etag }];
        case 'delete':
          return ['delete', { partitionKey: escapeKey(partitionKey), rowKey: escapeKey(op.rowKey) }];
      }
    });
    try {
      await this.client(table).submitTransaction(actions);
    } catch (error) {
      if (isStatus(error, 409, 412, 404))
        throw new ConcurrencyError(`state ${table}: transaction conflicted`, { cause: error });
      throw wrap('transact', table, error);
    }
  }
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what Table keys may not hold
const forbidden = /[/\\#?%\u0000-\u001f\u007f]/g;
/** Escapes characters Table storage keys may not hold (and % itself, so the mapping is reversible). */
export function escapeKey(key: string): string {
  return key.replace(forbidden, (ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
}
function unescapeKey(key: string): string {
  return key.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
function odataString(value: string): string {
  return value.replace(/'/g, "''");
}

function toEntity(
  partitionKey: string,
  rowKey: string,
  value: StateValue,
): TableEntity<Record<string, unknown>> {
  const entity: TableEntity<Record<string, unknown>> = {
    partitionKey: escapeKey(partitionKey),
    rowKey: escapeKey(rowKey),
  };
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    // Table storage stores non-integers and large integers as Double; integers that fit Int32 as Int32.
    entity[k] =
      typeof v === 'number' && Number.isInteger(v) && Math.abs(v) > 2 ** 31 - 1
        ? { value: String(v), type: 'Int64' }
        : v;
  }
  return entity;
}

function toStateEntity<T extends StateValue>(entity: Record<string, unknown>): StateEntity<T> {
  const value: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(entity)) {
    if (k === 'partitionKey' || k === 'rowKey' || k === 'etag' || k === 'timestamp' || k.startsWith('odata.'))
      continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') value[k] = v;
    else if (typeof v === 'bigint') value[k] = Number(v);
    else if (v && typeof v === 'object' && 'value' in v) value[k] = Number((v as { value: string }).value);
  }
  return {
    partitionKey: unescapeKey(String(entity.partitionKey)),
    rowKey: unescapeKey(String(entity.rowKey)),
    etag: typeof entity.etag === 'string' ? entity.etag : '',
    value: value as T,
  };
}

function isStatus(error: unknown, ...statuses: number[]): boolean {
  const status = (error as { statusCode?: number } | undefined)?.statusCode;
  return (
    (error instanceof RestError || typeof status === 'number') &&
    status !== undefined &&
    statuses.includes(status)
  );
}

function wrap(operation: string, table: string, error: unknown): InfrastructureError {
  const status = (error as { statusCode?: number } | undefined)?.statusCode;
  return new InfrastructureError(
    'STATE_STORE_FAILED',
    `state store ${operation} on table ${table} failed (HTTP ${status ?? '?'})`,
    {
      cause: error,
    },
  );
}

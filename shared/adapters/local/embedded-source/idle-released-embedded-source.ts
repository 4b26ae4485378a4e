import type { SourceTableName, SourceRow, SourceTableSpec } from '../../../domain/datasets/source-tables.js';
import type { RowHashPage } from '../../../domain/capture/row-hash-page.js';
import type { RowHashLayout, HashColumn } from '../../../domain/capture/row-hash.js';
import type {
  ChangeSet,
  KeyRange,
  KeyValues,
  RangeChecksum,
  ReadChangesRequest,
  ReadRowHashesRequest,
  ReadRowsRequest,
  RowHashEntry,
  SourceColumnInfo,
  ScanRowsRequest,
} from '../../../application/ports/change-source.port.js';
import {
  openEmbeddedSource,
  type EmbeddedSource,
  type OpenEmbeddedSourceOptions,
} from './embedded-source.js';

/**
 * The embedded source opened only while it is used: the database file is opened on the first call,
 * kept open while calls keep coming, and closed once `idleMs` have passed with none in flight.
 *
 * Why: DuckDB lets one process at a time hold a database file. A long-running local host (`nhs-flows
 * start --watch`) would otherwise hold the source for good, and nobody could change a row for the
 * poller to capture; this way the file is free between polls (a writer that holds it while a poll
 * starts makes that poll fail, and the next one captures the change). Every call behaves as on the
 * adapter itself; streamed reads (`scanRows`, `scanRowHashes`) count as in flight until they end.
 */
export function openIdleReleasedEmbeddedSource(
  options: OpenEmbeddedSourceOptions & { readonly idleMs?: number },
): EmbeddedSource {
  return new IdleReleasedEmbeddedSource(options, options.idleMs ?? 1_000);
}

class IdleReleasedEmbeddedSource implements EmbeddedSource {
  /** The adapter's rowversion sequence (the same name in every embedded source file). */
  readonly versionSequence: string = 'nhsflows_rowversion';
  private opened: Promise<EmbeddedSource> | undefined;
  /** The previous opening's close: the file is opened again only once it is free. */
  private closing: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly specs: SourceTableSpec[] = [];

  constructor(
    private readonly options: OpenEmbeddedSourceOptions,
    private readonly idleMs: number,
  ) {}

  /** Counts a call in flight (undone by `release`, also when this rejects) and opens the file if needed. */
  private acquire(): Promise<EmbeddedSource> {
    this.inFlight++;
    if (this.closed) return Promise.reject(new Error('embedded source: used after close'));
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.opened ??= this.closing
      .then(() => openEmbeddedSource(this.options))
      .then(async (source) => {
        // Tables created through this object keep their specs across a reopen (custom specs).
        if (this.specs.length > 0) await source.createTables(this.specs);
        return source;
      });
    const opening = this.opened;
    opening.catch(() => {
      if (this.opened === opening) this.opened = undefined;
    });
    return opening;
  }

  private release(): void {
    this.inFlight--;
    if (this.inFlight > 0 || this.closed) return;
    this.idleTimer = setTimeout(() => void this.closeIdle(), this.idleMs);
    this.idleTimer.unref();
  }

  private async closeIdle(): Promise<void> {
    this.idleTimer = undefined;
    const opened = this.opened;
    if (this.inFlight > 0 || !opened) return;
    this.opened = undefined;
    this.closing = (async () => {
      await (await opened.catch(() => undefined))?.close();
    })().catch(() => undefined);
    await this.closing;
  }

  /** The open source, counted as in use; a failed open gives the count back and throws. */
  private async acquireOrRelease(): Promise<EmbeddedSource> {
    try {
      return await this.acquire();
    } catch (error) {
      this.release();
      throw error;
    }
  }

  private async use<T>(work: (source: EmbeddedSource) => Promise<T>): Promise<T> {
    const source = await this.acquireOrRelease();
    try {
      return await work(source);
    } finally {
      this.release();
    }
  }

  private async *stream<T>(open: (source: EmbeddedSource) => AsyncIterable<T>): AsyncIterable<T> {
    const source = await this.acquireOrRelease();
    try {
      yield* open(source);
    } finally {
      this.release();
    }
  }

  createTables(specs: readonly SourceTableSpec[]): Promise<void> {
    for (const spec of specs) {
      const at = this.specs.findIndex((s) => s.table === spec.table);
      if (at >= 0) this.specs.splice(at, 1);
      this.specs.push(spec);
    }
    return this.use((s) => s.createTables(specs));
  }
  insertRows(table: SourceTableName, rows: readonly SourceRow[]): Promise<void> {
    return this.use((s) => s.insertRows(table, rows));
  }
  updateRows(table: SourceTableName, rows: readonly SourceRow[]): Promise<number> {
    return this.use((s) => s.updateRows(table, rows));
  }
  deleteRows(table: SourceTableName, keys: readonly (readonly string[])[]): Promise<number> {
    return this.use((s) => s.deleteRows(table, keys));
  }
  countRows(table: string): Promise<number> {
    return this.use((s) => s.countRows(table));
  }
  describeTable(table: string): Promise<readonly SourceColumnInfo[]> {
    return this.use((s) => s.describeTable(table));
  }
  readRows(request: ReadRowsRequest): Promise<SourceRow[]> {
    return this.use((s) => s.readRows(request));
  }
  readRowsByKeys(request: {
    readonly table: string;
    readonly keyColumns: readonly HashColumn[];
    readonly keys: readonly KeyValues[];
  }): Promise<SourceRow[]> {
    return this.use((s) => s.readRowsByKeys(request));
  }
  readRowHashes(request: ReadRowHashesRequest): Promise<RowHashEntry[]> {
    return this.use((s) => s.readRowHashes(request));
  }
  scanRowHashes(request: {
    readonly layout: RowHashLayout;
    readonly after?: KeyValues | null;
    readonly pageSize: number;
  }): AsyncIterable<RowHashPage> {
    return this.stream((s) => s.scanRowHashes(request));
  }
  scanRows(request: ScanRowsRequest): AsyncIterable<readonly SourceRow[]> {
    return this.stream((s) => s.scanRows(request));
  }
  readRowsInRanges(request: {
    readonly table: string;
    readonly keyColumns: readonly HashColumn[];
    readonly ranges: readonly KeyRange[];
  }): Promise<SourceRow[]> {
    return this.use((s) => s.readRowsInRanges(request));
  }
  readChangesSince(request: ReadChangesRequest): Promise<ChangeSet> {
    return this.use((s) => s.readChangesSince(request));
  }
  rangeChecksums(request: {
    readonly layout: RowHashLayout;
    readonly ranges: readonly KeyRange[];
    readonly countOnly?: boolean;
  }): Promise<RangeChecksum[]> {
    return this.use((s) => s.rangeChecksums(request));
  }
  currentVersion(table: string, versionColumn: string): Promise<string | null> {
    return this.use((s) => s.currentVersion(table, versionColumn));
  }
  executeSql(sql: string): Promise<void> {
    return this.use((s) => s.executeSql(sql));
  }
  querySql(sql: string): Promise<Record<string, unknown>[]> {
    return this.use((s) => s.querySql(sql));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const opened = this.opened;
    this.opened = undefined;
    // Calls in flight hold the adapter; its own close waits for its queued statements.
    if (opened) await (await opened.catch(() => undefined))?.close();
    await this.closing;
  }
}

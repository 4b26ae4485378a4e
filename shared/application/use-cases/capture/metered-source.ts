import type { SourceRow } from '../../../domain/datasets/source-tables.js';
import { ROW_HASH_BYTES, type RowHashPage } from '../../../domain/capture/row-hash-page.js';
import type { ChangeSource } from '../../ports/change-source.port.js';
import type { SourceTraffic } from './capture-types.js';

/** Wraps the change source to count what it sends back (rows, hashes, checksums, approximate bytes). */
export class MeteredSource {
  private calls = 0;
  private rowsRead = 0;
  private hashesRead = 0;
  private rangesCompared = 0;
  private bytes = 0;

  constructor(private readonly inner: ChangeSource) {}

  traffic(): SourceTraffic {
    return {
      calls: this.calls,
      rowsRead: this.rowsRead,
      hashesRead: this.hashesRead,
      rangesCompared: this.rangesCompared,
      bytes: this.bytes,
    };
  }

  private rows(rows: readonly SourceRow[]): void {
    this.calls++;
    this.rowsRead += rows.length;
    for (const row of rows)
      for (const value of Object.values(row)) this.bytes += value === null ? 1 : String(value).length + 1;
  }

  async describeTable(table: string) {
    this.calls++;
    return this.inner.describeTable(table);
  }

  async readRows(request: Parameters<ChangeSource['readRows']>[0]) {
    const rows = await this.inner.readRows(request);
    this.rows(rows);
    return rows;
  }

  async readRowsByKeys(request: Parameters<ChangeSource['readRowsByKeys']>[0]) {
    const rows = await this.inner.readRowsByKeys(request);
    this.rows(rows);
    return rows;
  }

  async readRowHashes(request: Parameters<ChangeSource['readRowHashes']>[0]) {
    const entries = await this.inner.readRowHashes(request);
    this.calls++;
    this.hashesRead += entries.length;
    for (const e of entries)
      this.bytes += 32 + (e.version?.length ?? 0) + e.key.reduce((n, k) => n + k.length + 1, 0);
    return entries;
  }

  async readChangesSince(request: Parameters<ChangeSource['readChangesSince']>[0]) {
    const set = await this.inner.readChangesSince(request);
    this.rows(set.rows);
    this.bytes += 24;
    return set;
  }

  async rangeChecksums(request: Parameters<ChangeSource['rangeChecksums']>[0]) {
    const sums = await this.inner.rangeChecksums(request);
    this.calls++;
    this.rangesCompared += sums.length;
    // What crosses the wire per range: a count (8 bytes) and a 64-bit sum that may carry (16 bytes).
    this.bytes += sums.length * (request.countOnly ? 8 : 24);
    return sums;
  }

  async readRowsInRanges(request: Parameters<ChangeSource['readRowsInRanges']>[0]) {
    const rows = await this.inner.readRowsInRanges(request);
    this.rows(rows);
    return rows;
  }

  async *scanRows(request: Parameters<ChangeSource['scanRows']>[0]): AsyncGenerator<readonly SourceRow[]> {
    for await (const page of this.inner.scanRows(request)) {
      this.rows(page);
      yield page;
    }
  }

  async *scanRowHashes(request: Parameters<ChangeSource['scanRowHashes']>[0]): AsyncGenerator<RowHashPage> {
    this.calls++;
    for await (const page of this.inner.scanRowHashes(request)) {
      this.hashesRead += page.length;
      // Per row: the 32-byte hash and the key with a separator.
      for (let i = 0; i < page.length; i++)
        this.bytes += ROW_HASH_BYTES + page.hashStarts[i]! - page.keyStarts[i]! + 1;
      yield page;
    }
  }

  async currentVersion(table: string, versionColumn: string) {
    this.calls++;
    this.bytes += 8;
    return this.inner.currentVersion(table, versionColumn);
  }
}

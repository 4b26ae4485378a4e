import type { SourceTableSpec } from '../../../domain/datasets/source-tables.js';
import { FhirFileMapping, heldBetweenPasses } from '../../../domain/fhir/fhir-mapper.js';
import { InfrastructureError, LandingFileRejectedError } from '../../../domain/errors.js';
import type { DmdPriceLookup } from '../../../domain/fhir/fhir-mapping.js';
import {
  FHIR_BUNDLE_MAX_BYTES,
  bundleEntries,
  fhirFileKind,
  ndjsonEntry,
  type FhirEntry,
} from '../../../domain/fhir/fhir-resource-set.js';
import type { BatchDescriptor } from '../../../domain/pipeline/batch-record.js';
import { fileRecord, type LandingItem } from './landing-file-reader.js';

/** Text lines of a file, a chunk at a time, with the first line's number (the landing reader's form). */
export type FhirLineChunks = AsyncIterable<{ readonly first: number; readonly lines: string[] }>;

/** What the FHIR reader needs beyond the file. */
export interface FhirReadOptions {
  /** Prices a dispense's net ingredient cost; without it every dispense is quarantined FHIR.NO_PRICE. */
  readonly dmdPrice?: DmdPriceLookup;
  /**
   * Reads the file again from its start. Given, a bulk `.fhir.ndjson` file is mapped in two
   * streaming passes (the first keeps only what rows join to, the second maps each row as its line
   * is read again); without it the file is held in memory while it is mapped.
   */
  readonly reopen?: () => Promise<FhirLineChunks>;
  /** The largest Bundle read (default FHIR_BUNDLE_MAX_BYTES; tests pass a small one). */
  readonly bundleMaxBytes?: number;
}

const NO_PRICES: DmdPriceLookup = () => undefined;

/**
 * Reads a FHIR landing file (a Bundle `.json`, or bulk-export `.fhir.ndjson`) as items of the
 * landing path: one batch record per mapped resource, one unreadable record per quarantined
 * resource (rule FHIR.*, field = FHIRPath-style location such as `Encounter/abc.period.start`, never
 * a value), and last one `LandingReport` counting every resource (rows + joined + quarantined +
 * reported = resources). A file with no resource ends with a FILE.EMPTY notice.
 *
 * Memory: a bulk file read with `reopen` holds, between its two passes, only the resources its
 * rows join to (Patients, Organizations and the table mapping's `supports`, e.g. the Conditions of
 * A&E attendances) and a skeleton of every other line; a Bundle is one JSON document, parsed
 * whole, and refused (FILE.FHIR_BUNDLE_TOO_LARGE) above `FHIR_BUNDLE_MAX_BYTES`.
 */
export async function* readFhirFile(
  batch: BatchDescriptor,
  spec: SourceTableSpec,
  file: string,
  chunks: FhirLineChunks,
  options: FhirReadOptions = {},
): AsyncIterable<LandingItem> {
  const kind = fhirFileKind(batch.origin) ?? 'bundle';
  const dmdPrice = options.dmdPrice ?? NO_PRICES;
  const entries: FhirEntry[] = [];
  if (kind === 'bundle') {
    const parts: string[] = [];
    const max = options.bundleMaxBytes ?? FHIR_BUNDLE_MAX_BYTES;
    let size = 0;
    for await (const { lines } of chunks)
      for (const line of lines) {
        size += Buffer.byteLength(line, 'utf8') + 1;
        if (size > max)
          throw new LandingFileRejectedError(
            'FILE.FHIR_BUNDLE_TOO_LARGE',
            file,
            `a FHIR Bundle is parsed whole and may be at most ${(max / (1024 * 1024)).toFixed(0)} MiB; send a bulk export (.fhir.ndjson) or several Bundles of whole patients`,
          );
        parts.push(line);
      }
    const text = parts.join('\n');
    if (text.trim() !== '') entries.push(...bundleEntries(text));
  } else {
    const streamed = options.reopen !== undefined;
    for await (const { first, lines } of chunks)
      for (let i = 0; i < lines.length; i += 1) {
        const line = lines[i] ?? '';
        if (line.trim() === '') continue;
        const entry = ndjsonEntry(line, entries.length + 1, first + i);
        entries.push(streamed ? heldBetweenPasses(entry, spec.table) : entry);
      }
  }
  if (entries.length === 0) {
    yield { notice: 'FILE.EMPTY', message: `landing file ${file} is empty (no FHIR resources)` };
    return;
  }
  const mapping = new FhirFileMapping(entries, spec, batch.receivedAt, dmdPrice);
  if (kind === 'ndjson' && options.reopen) {
    // Second pass: each row's line is read and parsed again, mapped, and let go.
    let n = 0;
    for await (const { first, lines } of await options.reopen())
      for (let i = 0; i < lines.length; i += 1) {
        const line = lines[i] ?? '';
        if (line.trim() === '') continue;
        const entry = entries[n];
        n += 1;
        if (!entry || !mapping.takes(entry)) continue;
        const full = ndjsonEntry(line, entry.row, first + i).resource;
        const row = mapping.mapEntry(entry, full);
        if (row) yield fileRecord(batch, spec, row.values, row.row);
      }
    if (n !== entries.length)
      throw new InfrastructureError(
        'LANDING_FILE_CHANGED',
        `landing file ${file}: its second read has ${n} resources, its first ${entries.length}`,
      );
  } else
    for (const e of entries)
      if (mapping.takes(e)) {
        const row = mapping.mapEntry(e);
        if (row) yield fileRecord(batch, spec, row.values, row.row);
      }
  const result = mapping.finish();
  for (const q of result.quarantined)
    yield {
      row: q.row,
      ...(q.line !== undefined ? { line: q.line } : {}),
      field: q.location,
      rule: q.rule,
      message: `${file} ${q.resource}: ${q.reason}`,
    };
  const counts: Record<string, number> = { ...result.tally };
  for (const r of result.reported)
    counts[`${r.code} ${r.resourceType}${r.table ? ` → ${r.table}` : ''}`] = r.count;
  yield {
    report: 'FHIR.RESOURCES',
    counts,
    message: `${file}: ${result.tally.resources} FHIR resources: ${result.tally.rows} rows of ${spec.table}, ${result.tally.joined} joined into them, ${result.tally.quarantined} quarantined, ${result.tally.reported} reported`,
  };
}

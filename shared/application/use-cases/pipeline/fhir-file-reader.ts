import type { SourceTableSpec } from '../../../domain/datasets/source-tables.js';
import { mapFhirEntries } from '../../../domain/fhir/fhir-mapper.js';
import type { DmdPriceLookup } from '../../../domain/fhir/fhir-mapping.js';
import {
  bundleEntries,
  fhirFileKind,
  ndjsonEntry,
  type FhirEntry,
} from '../../../domain/fhir/fhir-resource-set.js';
import type { BatchDescriptor } from '../../../domain/pipeline/batch-record.js';
import { fileRecord, type LandingItem } from './landing-file-reader.js';

/** What the FHIR reader needs beyond the file: the reference data's dm+d prices. */
export interface FhirReadOptions {
  /** Prices a dispense's net ingredient cost; without it every dispense is quarantined FHIR.NO_PRICE. */
  readonly dmdPrice?: DmdPriceLookup;
}

const NO_PRICES: DmdPriceLookup = () => undefined;

/**
 * Reads a FHIR landing file (a Bundle `.json`, or bulk-export `.fhir.ndjson`) as items of the
 * landing path: one batch record per mapped resource, one unreadable record per quarantined
 * resource (rule FHIR.*, field = FHIRPath-style location such as `Encounter/abc.period.start`, never
 * a value), and last one `LandingReport` counting every resource (rows + joined + quarantined +
 * reported = resources). A file with no resource ends with a FILE.EMPTY notice.
 *
 * Resources are joined by reference within the file, so the file is held in memory while it is
 * mapped (split a very large export into files of whole patients).
 */
export async function* readFhirFile(
  batch: BatchDescriptor,
  spec: SourceTableSpec,
  file: string,
  chunks: AsyncIterable<{ readonly first: number; readonly lines: string[] }>,
  options: FhirReadOptions = {},
): AsyncIterable<LandingItem> {
  const kind = fhirFileKind(batch.origin) ?? 'bundle';
  const entries: FhirEntry[] = [];
  if (kind === 'bundle') {
    let text = '';
    for await (const { lines } of chunks) text += `${lines.join('\n')}\n`;
    if (text.trim() !== '') entries.push(...bundleEntries(text));
  } else {
    for await (const { first, lines } of chunks)
      for (let i = 0; i < lines.length; i += 1) {
        const line = lines[i] ?? '';
        if (line.trim() !== '') entries.push(ndjsonEntry(line, entries.length + 1, first + i));
      }
  }
  if (entries.length === 0) {
    yield { notice: 'FILE.EMPTY', message: `landing file ${file} is empty (no FHIR resources)` };
    return;
  }
  const result = mapFhirEntries(entries, spec, batch.receivedAt, options.dmdPrice ?? NO_PRICES);
  for (const r of result.rows) yield fileRecord(batch, spec, r.values, r.row);
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

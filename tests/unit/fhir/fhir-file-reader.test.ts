import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  readFhirFile,
  type FhirLineChunks,
} from '../../../shared/application/use-cases/pipeline/fhir-file-reader.js';
import type { LandingItem } from '../../../shared/application/use-cases/pipeline/landing-file-reader.js';
import { sourceTable, type SourceTableName } from '../../../shared/domain/datasets/source-tables.js';
import { LandingFileRejectedError } from '../../../shared/domain/errors.js';
import type { BatchDescriptor } from '../../../shared/domain/pipeline/batch-record.js';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { fhirNdjsonFromRows } from '../../../shared/synthetic/fhir-bundles.js';
import { generated } from '../synthetic/synthetic-fixture.js';
import * as f from './fhir-fixtures.js';

// The FHIR landing reader: a bulk file read in two streaming passes gives exactly what the file
// held in memory gives; a Bundle over the size limit is refused whole.

const TABLES = [
  'sus_apc_spell',
  'sus_apc_episode',
  'ecds_attendance',
  'dids_imaging_test',
  'csds_referral',
  'prescribing_item',
] as const satisfies readonly SourceTableName[];
const population = generated({ patients: 40, seed: 7, defects: { classes: [] } });
const rows = Object.fromEntries(
  TABLES.map((t) => [t, population.rows[t].filter((r) => r.nhs_number !== null)]),
);
// A broken line and blank lines among them: numbering must agree between the passes.
const lines = [
  ...fhirNdjsonFromRows(rows).split('\n').slice(0, -1),
  '',
  '{broken',
  JSON.stringify(f.patient('p-x')),
];
const reference = loadReferenceData();

const batch = (table: SourceTableName, origin: string): BatchDescriptor => ({
  batchId: 'b1',
  table,
  origin,
  bronzePath: 'x',
  format: 'fhir',
  receivedAt: '2026-11-01T00:00:00.000Z',
});

async function* chunked(all: readonly string[], size = 7): FhirLineChunks {
  for (let i = 0; i < all.length; i += size) yield { first: i + 1, lines: all.slice(i, i + size) };
}

async function collect(items: AsyncIterable<LandingItem>): Promise<LandingItem[]> {
  const out: LandingItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

for (const table of TABLES)
  test(`${table}: a bulk NDJSON file read in two streaming passes yields the rows, quarantine and counts of the file held whole`, async () => {
    const spec = sourceTable(table);
    const options = { dmdPrice: (c: string, d: string) => reference.dmdPrice(c, d) };
    const held = await collect(
      readFhirFile(batch(table, `${table}/x.fhir.ndjson`), spec, 'x', chunked(lines), options),
    );
    let reopened = 0;
    const streamed = await collect(
      readFhirFile(batch(table, `${table}/x.fhir.ndjson`), spec, 'x', chunked(lines), {
        ...options,
        reopen: () => {
          reopened += 1;
          return Promise.resolve(chunked(lines, 5));
        },
      }),
    );
    assert.equal(reopened, 1, 'the file is read a second time, once');
    assert.ok(held.filter((i) => 'n' in i || 'row' in i).length > 0);
    const sortKey = (i: LandingItem) => JSON.stringify(i);
    assert.deepEqual(streamed.map(sortKey).sort(), held.map(sortKey).sort());
  });

test('a Bundle larger than the limit is refused whole (FILE.FHIR_BUNDLE_TOO_LARGE), naming the file, never a value', async () => {
  const text = JSON.stringify(f.bundle([f.patient(), f.inpatient()]), null, 1).split('\n');
  await assert.rejects(
    collect(
      readFhirFile(
        batch('sus_apc_episode', 'sus_apc_episode/b.json'),
        sourceTable('sus_apc_episode'),
        'b.json',
        chunked(text),
        {
          bundleMaxBytes: 200,
        },
      ),
    ),
    (e: unknown) =>
      e instanceof LandingFileRejectedError &&
      e.code === 'FILE.FHIR_BUNDLE_TOO_LARGE' &&
      e.message.includes('b.json') &&
      !e.message.includes(f.NHS_NUMBER),
  );
  const fine = await collect(
    readFhirFile(
      batch('sus_apc_episode', 'sus_apc_episode/b.json'),
      sourceTable('sus_apc_episode'),
      'b.json',
      chunked(text),
    ),
  );
  assert.equal(fine.filter((i) => 'n' in i).length, 1, 'under the limit the Bundle maps');
});

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { BlobObjectStore } from '../../../shared/adapters/azure/blob-object-store.azure.js';
import type { KeyedStateDeps } from '../../../shared/application/lake-state/keyed-lake-state.js';
import { LakeContentIndex } from '../../../shared/application/lake-state/lake-content-index.js';
import { closeDuckDbLakes, duckDbLakeState, memoryLakeState } from '../../support/lake-state.js';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { validateBatchChunk } from '../../../shared/application/use-cases/validate-batch.use-case.js';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { CLEAN_ROWS, EXTRACT_DATE } from '../../unit/datasets/clean-rows.js';
import { testAzurite, uniqueName } from '../../support/azurite.js';

const azurite = await testAzurite();
after(async () => {
  await closeDuckDbLakes();
  await azurite.stop();
});
const blobs = BlobObjectStore.fromConnectionString(azurite.connectionString);
await blobs.ensureContainers(['state']);
const reference = loadReferenceData();
const stores: [string, () => KeyedStateDeps][] = [
  ['the memory twin', () => memoryLakeState()],
  ['the lake on Azurite (DuckDB Parquet)', () => duckDbLakeState(blobs)],
];

const item = (id: string, changes: SourceRow = {}): SourceRow => ({
  ...CLEAN_ROWS.prescribing_item,
  item_id: id,
  ...changes,
});

for (const [name, make] of stores)
  describe(`LakeContentIndex on ${name}`, () => {
    test('chunks validated apart (even at once) quarantine every later copy, and replays change nothing', async () => {
      const index = new LakeContentIndex(make());
      const lake = new MemoryObjectStore();
      const tag = uniqueName('i');
      const a = (id: string) => item(`${tag}${id}`, { prescriber_code: tag.slice(0, 8).toUpperCase() });
      const b = (id: string) =>
        item(`${tag}${id}`, {
          prescriber_code: tag.slice(0, 8).toUpperCase(),
          items: 2,
          total_quantity: '56.000',
        });
      const chunk = (n: number, rows: SourceRow[]) =>
        validateBatchChunk(
          {
            table: 'prescribing_item',
            batchId: tag,
            chunk: n,
            extractDate: EXTRACT_DATE,
            rows: rows.map((row, i) => ({ n: n * 10 + i + 1, row })),
          },
          { lake, reference, contentIndex: index },
        );
      const [one, two] = await Promise.all([chunk(0, [a('A1'), b('B1')]), chunk(1, [a('A2'), b('B1')])]);
      // A1/A2 race for one content: exactly one of them wins. B1 re-delivers its own content.
      assert.equal(one.summary.counts.quarantined + two.summary.counts.quarantined, 1);
      const replay = await chunk(1, [a('A2'), b('B1')]);
      assert.equal(replay.summary.counts.quarantined, two.summary.counts.quarantined);
      const third = await chunk(2, [a('A3'), b('B3'), a('A3')]);
      assert.equal(third.summary.counts.quarantined, 3); // every row copies content another key holds
    });
  });

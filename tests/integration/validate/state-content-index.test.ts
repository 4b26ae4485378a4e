import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { TableStateStore } from '../../../shared/adapters/azure/table-state-store.azure.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import type { StateStore } from '../../../shared/application/ports/state-store.port.js';
import { loadReferenceData } from '../../../shared/application/reference/reference-data.loader.js';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import {
  StateContentIndex,
  validateBatchChunk,
} from '../../../shared/application/use-cases/validate-batch.use-case.js';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { CLEAN_ROWS, EXTRACT_DATE } from '../../unit/datasets/clean-rows.js';
import { testAzurite, uniqueName } from '../../support/azurite.js';

const azurite = await testAzurite();
after(() => azurite.stop());
const reference = loadReferenceData();
const stores: [string, () => StateStore][] = [
  ['memory twin', () => new MemoryStateStore()],
  ['Table storage on Azurite', () => TableStateStore.fromConnectionString(azurite.connectionString)],
];

const item = (id: string, changes: SourceRow = {}): SourceRow => ({
  ...CLEAN_ROWS.prescribing_item,
  item_id: id,
  ...changes,
});

for (const [name, make] of stores)
  describe(`StateContentIndex on ${name}`, () => {
    test('chunks validated apart (even at once) quarantine every later copy, and replays change nothing', async () => {
      const index = new StateContentIndex(make());
      const lake = new MemoryObjectStore();
      const tag = uniqueName('i');
      const a = (id: string) => item(`${tag}${id}`, { prescriber_code: tag.slice(0, 8).toUpperCase() });
      const b = (id: string) =>
        item(`${tag}${id}`, { prescriber_code: tag.slice(0, 8).toUpperCase(), items: 2 });
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

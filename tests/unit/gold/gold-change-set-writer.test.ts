import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryParquetLake } from '../../../shared/adapters/memory/memory-parquet-lake.js';
import { GoldChangeSetWriter } from '../../../shared/application/use-cases/pipeline/gold-files.js';
import { FACT_ACTIVITY } from '../../../shared/domain/gold/gold-tables.js';
import type { PortableRow } from '../../../shared/domain/gold/portable-types.js';
import { lakePaths } from '../../../shared/domain/lake/lake-paths.js';

const fact = (i: number): PortableRow => ({ activity_id: `t:${i}`, _op: 'upsert', _seq: String(i) });

async function partsOf(parquet: MemoryParquetLake, paths: readonly string[]) {
  const out: string[][] = [];
  for (const path of paths) {
    const ids: string[] = [];
    for await (const row of parquet.read('gold', [path])) ids.push(String(row.activity_id));
    out.push(ids);
  }
  return out;
}

test('a change set is written in parts of the given size, in order, each part when it fills', async () => {
  for (const total of [0, 1, 2, 3, 4, 7, 9]) {
    const parquet = new MemoryParquetLake(new MemoryObjectStore());
    const written: string[] = [];
    const writer = new GoldChangeSetWriter(FACT_ACTIVITY, 'b1', { parquet }, (p) => written.push(p), 3);
    for (let i = 0; i < total; i++) {
      const filled = writer.append(fact(i));
      // Only the row that fills a part hands back a write to wait for.
      assert.equal(filled !== undefined, (i + 1) % 3 === 0, `row ${i} of ${total}`);
      if (filled) await filled;
    }
    await writer.close();
    const parts = Math.ceil(total / 3);
    assert.deepEqual(
      written,
      Array.from({ length: parts }, (_, p) => lakePaths.gold(FACT_ACTIVITY.name, 'b1', p)),
    );
    const expected = Array.from({ length: parts }, (_, p) =>
      Array.from({ length: Math.min(3, total - p * 3) }, (_, r) => `t:${p * 3 + r}`),
    );
    assert.deepEqual(await partsOf(parquet, written), expected);
  }
});

test('a discarded change set keeps only the parts already written, and reports no others', async () => {
  const parquet = new MemoryParquetLake(new MemoryObjectStore());
  const written: string[] = [];
  const writer = new GoldChangeSetWriter(FACT_ACTIVITY, 'b2', { parquet }, (p) => written.push(p), 4);
  for (let i = 0; i < 6; i++) await writer.append(fact(i));
  writer.discard();
  assert.deepEqual(written, [lakePaths.gold(FACT_ACTIVITY.name, 'b2', 0)]);
  await assert.rejects(async () => {
    for await (const _ of parquet.read('gold', [lakePaths.gold(FACT_ACTIVITY.name, 'b2', 1)])) void _;
  });
});

// Duplicate pairs resolve by a stated deterministic rule (issue 9 item 3): the CDC poller claims each
// published upsert's content in capture (business-key) order before publishing, so of two rows with
// the same content the one first in key order is kept, whichever of the consumer's concurrent
// batches is validated first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Delta } from '../../../shared/domain/capture/delta.js';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { MemoryContentIndex } from '../../../shared/domain/validate/content-index.js';
import { contentClaimsOf } from '../../../shared/domain/validate/rule-builders.js';
import { validateBatch } from '../../../shared/domain/validate/validate-batch.js';
import { claimingContent } from '../../../shared/application/use-cases/poll-sources.use-case.js';
import type { EventPublisher } from '../../../shared/application/ports/event-publisher.port.js';
import { EXTRACT_DATE, reference, row } from './validate-fixtures.js';

const ep = (id: string, changes: SourceRow = {}) => row('sus_apc_episode', { episode_id: id, ...changes });
const ORIGINAL = ep('E1');
const COPY = ep('E9'); // the same content under another key
const OTHER = ep('E5', { hospital_provider_spell_number: 'SP5' });

function delta(r: SourceRow, n: number): Delta {
  return {
    eventId: `evt-${n}`,
    op: 'insert',
    sourceTable: 'sus_apc_episode',
    businessKey: [String(r.episode_id)],
    rowHash: null,
    previousHash: null,
    hashSpecVersion: 1,
    sourceVersion: null,
    capturedAt: '2026-12-06T00:00:00.000Z',
    snapshot: true,
    row: r,
  };
}

/** Captures E1, E5, E9 in key order (two publish calls), then validates the two batches in `order`. */
async function keptAfter(order: 'copy-batch-first' | 'original-batch-first'): Promise<string[]> {
  const contentIndex = new MemoryContentIndex();
  const sink: EventPublisher = {
    publish: async () => ({ events: 1 }) as unknown as Awaited<ReturnType<EventPublisher['publish']>>,
    close: async () => undefined,
  };
  const publisher = claimingContent(sink, contentIndex);
  await publisher.publish([delta(ORIGINAL, 1), delta(OTHER, 2)]);
  await publisher.publish([delta(COPY, 3)]);
  const batches = { original: [ORIGINAL, OTHER], copy: [COPY] };
  const kept: string[] = [];
  const names =
    order === 'copy-batch-first' ? (['copy', 'original'] as const) : (['original', 'copy'] as const);
  for (const name of names) {
    const result = await validateBatch('sus_apc_episode', batches[name], {
      batchId: name,
      extractDate: EXTRACT_DATE,
      reference,
      contentIndex,
    });
    kept.push(...result.accepted.map((r) => String(r.row.episode_id)));
  }
  return kept.sort();
}

test('of a duplicate pair captured in one poll, the copy first in capture order is kept whichever batch is validated first', async () => {
  assert.deepEqual(await keptAfter('original-batch-first'), ['E1', 'E5']);
  assert.deepEqual(await keptAfter('copy-batch-first'), ['E1', 'E5']);
});

test('content claims name each content once, held by the first row carrying it, and carry no row value', () => {
  const claims = contentClaimsOf('sus_apc_episode', [ORIGINAL, OTHER, COPY]);
  assert.deepEqual(
    claims.map((c) => c.recordKey),
    ['E1', 'E5'],
  );
  for (const c of claims) assert.match(c.digest, /^[0-9a-f]{32}$/);
});

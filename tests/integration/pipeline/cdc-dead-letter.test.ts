import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localEventLogDirectory } from '../../../shared/adapters/local/event-log/local-event-log.js';
import type { ObjectStore } from '../../../shared/application/ports/object-store.port.js';
import { BATCH_LEDGER_TABLE } from '../../../shared/application/use-cases/pipeline/batch-ledger.use-case.js';
import {
  failedEventsMessage,
  replayDeadLetter,
} from '../../../shared/application/use-cases/pipeline/dead-letter-events.use-case.js';
import { pipelineStatus } from '../../../shared/application/use-cases/pipeline/pipeline-status.use-case.js';
import type { ReplayResult } from '../../../shared/application/use-cases/pipeline/replay-poison.use-case.js';
import { toDelta } from '../../../shared/domain/capture/delta-factory.js';
import type { Delta } from '../../../shared/domain/capture/delta.js';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import {
  episode,
  openPipelineHarness,
  testNhsNumber,
  waitUntil,
  type PipelineHarness,
} from './pipeline-harness.js';

// Issue 9 item 1: an event receipt the consumer cannot ingest is dead-lettered (bronze `_failed/` +
// the poison queue) before the handler returns, so the checkpoint moving on loses nothing; replay
// ingests it. Driven through the real local host: the eventHub trigger on the durable local event
// log, the real registrations, Azurite.

let h: PipelineHarness;
let lake: ObjectStore;
let realPut: ObjectStore['put'];
/** Bronze paths matching this fail to write (stands in for a storage outage). */
let failing: RegExp | null = null;

before(async () => {
  h = await openPipelineHarness();
  lake = h.services.pipeline.lake;
  realPut = lake.put.bind(lake);
  lake.put = async (container, path, body, options) => {
    if (container === 'bronze' && failing?.test(path))
      throw Object.assign(new Error('injected: bronze is unavailable'), { code: 'BLOB_WRITE_FAILED' });
    return realPut(container, path, body, options);
  };
});
after(async () => {
  if (lake) lake.put = realPut;
  await h?.close();
});

const PATIENTS = [61, 62, 63];
const numbers = PATIENTS.map((i) => testNhsNumber(i));

function deltaOf(row: SourceRow, capturedAt: string): Delta {
  const rowHash = createHash('sha256').update(JSON.stringify(row)).digest('hex');
  return toDelta(
    {
      op: 'insert',
      businessKey: [String(row.episode_id)],
      rowHash,
      previousHash: null,
      sourceVersion: null,
      previousVersion: null,
      row,
    },
    {
      table: 'sus_apc_episode',
      hashSpecVersion: 1,
      capturedAt: new Date(capturedAt),
      snapshot: false,
      occurrence: `dead-letter-test-${capturedAt}`,
    },
  );
}

async function publish(deltas: Delta[]): Promise<void> {
  const capture = await h.services.capture();
  await capture.eventLog!.publish(deltas);
}

/** Every checkpoint of the consumer's group: partition → sequence number. */
function checkpoints(): Record<string, number> {
  const dir = join(
    localEventLogDirectory(h.dataDir, h.env.settings.NHSFLOWS_EVENTHUB_NAME),
    'checkpoints',
    encodeURIComponent('$Default'),
  );
  const out: Record<string, number> = {};
  for (let p = 0; p < 32; p++) {
    const file = join(dir, `${p}.json`);
    if (existsSync(file))
      out[String(p)] = (JSON.parse(readFileSync(file, 'utf8')) as { sequenceNumber: number }).sequenceNumber;
  }
  return out;
}

async function factCount(): Promise<number> {
  const warehouse = await h.services.pipeline.warehouse();
  await warehouse.ensureSchema([]);
  const [row] = await warehouse
    .query(
      "SELECT count(*)::INTEGER AS n FROM fact_activity WHERE source_table = 'sus_apc_episode' AND record_key LIKE 'EPT0000%'",
    )
    .catch(() => [{ n: 0 }]);
  return Number(row?.n ?? 0);
}

const poison = async () =>
  (await h.peekQueue(h.env.settings.NHSFLOWS_POISON_QUEUE)).filter(
    (m) => m.kind === 'nhs-flows.failed-events',
  );

let deltas: Delta[] = [];
let deadLetters: Record<string, unknown>[] = [];

test('a receipt whose bronze write keeps failing is dead-lettered to bronze _failed/ and the poison queue before the checkpoint moves', async () => {
  failing = /^cdc-/;
  deltas = PATIENTS.map((i) => deltaOf(episode(i), '2026-12-01T09:00:00.000Z'));
  await publish(deltas);

  // One dead letter per failed receipt (a table's deltas share one partition, so usually one).
  const deadLetterIds = async (messages: Record<string, unknown>[]) => {
    const ids: string[] = [];
    for (const m of messages) {
      const lines = (await h.text('bronze', String(m.path))).split('\n').filter(Boolean);
      for (const line of lines.slice(1))
        ids.push(
          ...(
            JSON.parse(String((JSON.parse(line) as { body: string }).body)) as { deltas: Delta[] }
          ).deltas.map((d) => d.eventId),
        );
    }
    return ids.sort();
  };
  const expectedIds = deltas.map((d) => d.eventId).sort();
  const messages = await waitUntil(
    'failed-events messages covering every published delta',
    async () => {
      const found = await poison();
      return JSON.stringify(await deadLetterIds(found)) === JSON.stringify(expectedIds) ? found : undefined;
    },
    60_000,
  );
  for (const message of messages) {
    assert.deepEqual(Object.keys(message).sort(), [
      'code',
      'deadLetterId',
      'events',
      'failedAt',
      'firstSequenceNumber',
      'kind',
      'lastSequenceNumber',
      'partitionId',
      'path',
      'version',
    ]);
    assert.equal(message.code, 'BLOB_WRITE_FAILED');
    assert.match(String(message.path), /^_failed\/\d{4}-\d{2}-\d{2}\/ev-/);
    const messageText = JSON.stringify(message);
    for (const n of numbers) assert.ok(!messageText.includes(n), 'no NHS number on the poison queue');
    // The exact bodies with their coordinates.
    const lines = (await h.text('bronze', String(message.path))).split('\n').filter(Boolean);
    assert.equal(lines.length - 1, message.events);
    for (const e of lines.slice(1).map((l) => JSON.parse(l) as Record<string, unknown>)) {
      assert.equal(e.partitionId, message.partitionId);
      assert.equal(typeof e.offset, 'string');
      assert.equal(typeof e.sequenceNumber, 'number');
    }
  }
  deadLetters = messages;
  const message = messages[0]!;
  // The handler returned: the host checkpointed past the receipt, and never had to redeliver it.
  await waitUntil('the checkpoints past the dead-lettered receipts', () =>
    messages.every((m) => (checkpoints()[String(m.partitionId)] ?? -1) >= Number(m.lastSequenceNumber)),
  );
  assert.ok(!/event batch (failed; redelivering|dropped after repeated failures)/.test(h.logs()));
  assert.equal(
    await h.list('bronze', 'cdc-sus_apc_episode/').then((l) => l.length),
    0,
    'nothing reached bronze',
  );

  // Visible in the ledger and the status, with no value anywhere.
  const ledger = await h.services.pipeline.state.get(
    BATCH_LEDGER_TABLE,
    'events',
    String(message.deadLetterId),
  );
  assert.equal(ledger?.value.status, 'dead-lettered');
  const status = await pipelineStatus(h.services.pipeline);
  const failure = status.failures.find((f) => f.batchId === message.deadLetterId);
  assert.ok(failure, 'nhs-flows status lists the dead-lettered receipt');
  assert.match(
    failure.reason,
    /could not be ingested \(BLOB_WRITE_FAILED\); dead-lettered to bronze\/_failed\//,
  );
  assert.ok(status.poisonQueue >= 1);
  const logs = h.logs();
  assert.ok(logs.includes('"msg":"event receipt dead-lettered"'));
  for (const n of numbers) assert.ok(!logs.includes(n), 'no NHS number in any log line');
});

test('once bronze is back, POST /api/replay ingests the dead-lettered receipt and the warehouse ends complete; a second replay adds nothing', async () => {
  failing = null;
  const response = await fetch(`${h.host.origin ?? ''}/api/replay`, {
    method: 'POST',
    headers: { 'x-functions-key': h.env.adminKey },
  });
  assert.equal(response.status, 202);
  const result = (await response.json()) as ReplayResult;
  assert.equal(result.replayedEvents?.length, deadLetters.length, JSON.stringify(result));
  for (const r of result.replayedEvents ?? []) assert.equal(r.batches.length, 1);
  assert.equal((await poison()).length, 0, 'the message left the queue');

  await waitUntil('the replayed batch in the warehouse', async () => (await factCount()) === 3, 60_000);
  await h.host.waitForIdle({ timeoutMs: 60_000 });
  assert.equal(await factCount(), 3);
  const status = await pipelineStatus(h.services.pipeline);
  assert.ok(!status.failures.some((f) => f.table === 'events'), 'a replayed receipt is no longer a failure');

  // The dead letters replayed twice: every id is seen, so no batch is formed.
  for (const m of deadLetters) {
    const again = await replayDeadLetter(failedEventsMessage.parse(m), {
      ...h.services.pipeline,
      seenEvents: h.services.seenEvents,
      starter: { start: () => Promise.reject(new Error('no batch may start on a second replay')) },
      orchestration: 'pipelineOrchestrator',
    });
    assert.deepEqual(again.batches, []);
  }
  // The same events again (a redelivery): all seen, nothing new.
  await publish(deltas);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await h.host.waitForIdle({ timeoutMs: 30_000 });
  assert.equal(await factCount(), 3);
});

test('when even the dead letter cannot be written the handler fails, so the checkpoint does not move', async () => {
  await h.host.waitForIdle({ timeoutMs: 30_000 });
  const before = checkpoints();
  failing = /^(cdc-|_failed\/)/;
  const more = [64].map((i) => deltaOf(episode(i), '2026-12-02T09:00:00.000Z'));
  await publish(more);
  await waitUntil('the handler to fail', () => /event batch failed; redelivering/.test(h.logs()), 60_000);
  assert.deepEqual(checkpoints(), before, 'no checkpoint moved past the failed receipt');
  assert.equal((await poison()).length, 0);
  // The outage ends before the host gives up: the redelivered receipt is ingested normally.
  failing = null;
  await waitUntil('the redelivered receipt in the warehouse', async () => (await factCount()) === 4, 90_000);
});

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalEventLog } from '../../../shared/adapters/local/event-log/local-event-log.js';
import { encodeRecord } from '../../../shared/adapters/local/event-log/log-record.js';
import {
  deliverOnce,
  toEventHubTriggerInput,
  type EventConsumer,
  type ReceivedEvent,
} from '../../../shared/application/ports/event-consumer.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import { parseDeltaEnvelope } from '../../../shared/domain/events/delta-envelope.js';
import {
  deltaFileEventId,
  parseTransportEvent,
  type DeltaFileReference,
} from '../../../shared/domain/events/delta-file.js';
import type { Delta } from '../../../shared/domain/capture/delta.js';
import { deltaHistory, syntheticDelta } from '../../unit/events/synthetic-deltas.js';

const root = await mkdtemp(join(tmpdir(), 'nhsflows-eventlog-'));
after(() => rm(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `log${n++}`);
const child = fileURLToPath(new URL('./local-event-log.child.ts', import.meta.url));

async function drain(
  consumer: EventConsumer,
  partitions: readonly string[],
  checkpoint = false,
): Promise<ReceivedEvent[]> {
  const all: ReceivedEvent[] = [];
  for (const p of partitions) {
    for (;;) {
      const events = await consumer.receiveBatch(p, { maxEvents: 50, maxWaitMs: 0 });
      if (events.length === 0) break;
      all.push(...events);
      if (checkpoint) await consumer.checkpoint(p, events.at(-1)!);
    }
  }
  return all;
}

function deltasOf(events: readonly ReceivedEvent[]): Delta[] {
  return events.flatMap((e) => {
    const parsed = parseDeltaEnvelope(e.body);
    assert.ok(parsed.ok, 'every event is a valid envelope');
    return parsed.envelope.deltas;
  });
}

function runChild(mode: string, dir: string, until: (out: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, mode, dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (until(out) && proc.exitCode === null) proc.kill('SIGKILL');
    });
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.on('exit', (_code, signal) =>
      signal === 'SIGKILL' ? resolve(out) : reject(new Error(`child exited: ${err}`)),
    );
  });
}

describe('local event log', () => {
  test('every published delta is received once, in publish order per key, packed many to an event, a table on one partition', async () => {
    const log = await LocalEventLog.open({ directory: freshDir(), partitions: 4, keyBuckets: 8 });
    const tables = ['sus_apc_episode', 'prescribing_item', 'ecds_attendance', 'mhsds_referral'] as const;
    // Keys of four tables, three versions each, interleaved as polls emit them.
    const history = deltaHistory(40, 3).map((d, i) =>
      syntheticDelta(d.businessKey[0]!, Number(d.row!.version), { table: tables[(i % 40) % tables.length]! }),
    );
    const first = await log.publish(history.slice(0, 60));
    await log.publish(history.slice(60));
    assert.ok(first.events < first.deltas / 4, `packed: ${first.events} events for ${first.deltas} deltas`);
    const consumer = log.consumer();
    const events = await drain(consumer, await consumer.partitionIds());
    const received = deltasOf(events);
    assert.equal(received.length, history.length);
    const partitionsUsed = new Set(events.map((e) => e.partitionId));
    assert.ok(partitionsUsed.size > 1, 'tables spread over partitions');
    const tablePartitions = new Map<string, Set<string>>();
    for (const e of events)
      for (const d of deltasOf([e]))
        tablePartitions.set(
          d.sourceTable,
          (tablePartitions.get(d.sourceTable) ?? new Set()).add(e.partitionId),
        );
    for (const [table, partitions] of tablePartitions)
      assert.equal(
        partitions.size,
        1,
        `${table}'s deltas share one partition, so one receipt makes one batch`,
      );
    const byKey = new Map<string, number[]>();
    for (const d of received)
      byKey.set(`${d.sourceTable}|${d.businessKey[0]!}`, [
        ...(byKey.get(`${d.sourceTable}|${d.businessKey[0]!}`) ?? []),
        Number(d.row!.version),
      ]);
    assert.equal(byKey.size, 40);
    for (const [key, versions] of byKey) assert.deepEqual(versions, [1, 2, 3], `order of ${key}`);
    const keyPartition = new Map<string, string>();
    for (const e of events)
      for (const d of deltasOf([e])) {
        const seen = keyPartition.get(d.businessKey[0]!) ?? e.partitionId;
        assert.equal(seen, e.partitionId, 'one key, one partition');
        keyPartition.set(d.businessKey[0]!, e.partitionId);
      }
    await log.close();
  });

  test('a delta file reference lands on its table’s partition, after the inline events published before it', async () => {
    const log = await LocalEventLog.open({ directory: freshDir(), partitions: 4, keyBuckets: 8 });
    const inline = [syntheticDelta('EP000001', 1), syntheticDelta('EP000002', 1)];
    await log.publish(inline);
    const ref: DeltaFileReference = {
      eventId: deltaFileEventId(['x']),
      sourceTable: 'sus_apc_episode',
      records: 25_000,
      capturedAt: '2026-11-23T09:00:00.000Z',
    };
    const receipt = await log.publishFiles([ref]);
    assert.deepEqual({ deltas: receipt.deltas, events: receipt.events }, { deltas: 25_000, events: 1 });
    const consumer = log.consumer();
    const events = await drain(consumer, await consumer.partitionIds());
    assert.equal(events.length, 2);
    assert.equal(events[0]!.partitionId, events[1]!.partitionId, 'one table, one partition');
    assert.deepEqual(parseTransportEvent(events[1]!.body), { ok: true, kind: 'file', file: ref });
    await log.close();
  });

  test('sequence numbers start at 0 and offsets increase within each partition', async () => {
    const log = await LocalEventLog.open({ directory: freshDir(), partitions: 2 });
    await log.append(Array.from({ length: 5 }, (_, i) => ({ partitionKey: 'same-key', body: `{"i":${i}}` })));
    const consumer = log.consumer();
    const events = await consumer.receiveBatch(String(log.partitionOf('same-key')), {
      maxEvents: 10,
      maxWaitMs: 0,
    });
    assert.deepEqual(
      events.map((e) => e.sequenceNumber),
      [0, 1, 2, 3, 4],
    );
    const offsets = events.map((e) => Number(e.offset));
    assert.deepEqual(
      [...offsets].sort((a, b) => a - b),
      offsets,
    );
    await log.close();
  });

  test('a waiting consumer wakes up when an event is appended', async () => {
    const log = await LocalEventLog.open({ directory: freshDir(), partitions: 1 });
    const consumer = log.consumer();
    const waiting = consumer.receiveBatch('0', { maxEvents: 10, maxWaitMs: 5000 });
    setTimeout(() => void log.append([{ partitionKey: 'k', body: '{}' }]), 20);
    const events = await waiting;
    assert.equal(events.length, 1);
    await log.close();
  });

  test('a consumer knows when events were appended past its read position, so a waiting receive is not mistaken for idle', async () => {
    const log = await LocalEventLog.open({ directory: freshDir(), partitions: 1 });
    const consumer = log.consumer();
    assert.deepEqual(await consumer.receiveBatch('0', { maxEvents: 10, maxWaitMs: 0 }), []);
    assert.equal(await consumer.hasUnread('0'), false, 'nothing appended yet');
    await log.append([{ partitionKey: 'k', body: '{}' }]);
    // A receive that started before the append (or has not woken yet) has not taken it: not idle.
    assert.equal(await consumer.hasUnread('0'), true, 'appended, not yet received');
    assert.equal((await consumer.receiveBatch('0', { maxEvents: 10, maxWaitMs: 0 })).length, 1);
    assert.equal(await consumer.hasUnread('0'), false, 'received');
    await log.close();
  });

  test('events received but not checkpointed are delivered again to the next consumer; checkpointed ones are not', async () => {
    const dir = freshDir();
    let log = await LocalEventLog.open({ directory: dir, partitions: 1 });
    await log.append(Array.from({ length: 6 }, (_, i) => ({ partitionKey: 'k', body: `{"i":${i}}` })));
    const consumer = log.consumer('cdc');
    const firstBatch = await consumer.receiveBatch('0', { maxEvents: 2, maxWaitMs: 0 });
    await consumer.checkpoint('0', firstBatch.at(-1)!);
    const secondBatch = await consumer.receiveBatch('0', { maxEvents: 2, maxWaitMs: 0 });
    assert.deepEqual(
      secondBatch.map((e) => e.sequenceNumber),
      [2, 3],
    );
    await log.close();

    log = await LocalEventLog.open({ directory: dir });
    const restarted = await log.consumer('cdc').receiveBatch('0', { maxEvents: 10, maxWaitMs: 0 });
    assert.deepEqual(
      restarted.map((e) => e.sequenceNumber),
      [2, 3, 4, 5],
    );
    const otherGroup = await log.consumer('audit').receiveBatch('0', { maxEvents: 10, maxWaitMs: 0 });
    assert.equal(otherGroup.length, 6, 'consumer groups are independent');
    await log.close();
  });

  test('rewind puts the read position back to just after the checkpoint', async () => {
    const log = await LocalEventLog.open({ directory: freshDir(), partitions: 1 });
    await log.append(Array.from({ length: 4 }, () => ({ partitionKey: 'k', body: '{}' })));
    const consumer = log.consumer();
    const first = await consumer.receiveBatch('0', { maxEvents: 1, maxWaitMs: 0 });
    await consumer.checkpoint('0', first[0]!);
    await consumer.receiveBatch('0', { maxEvents: 2, maxWaitMs: 0 });
    await consumer.rewind('0');
    const again = await consumer.receiveBatch('0', { maxEvents: 10, maxWaitMs: 0 });
    assert.deepEqual(
      again.map((e) => e.sequenceNumber),
      [1, 2, 3],
    );
    await consumer.checkpoint('0', first[0]!);
    assert.equal((await consumer.lastCheckpoint('0'))?.sequenceNumber, 0);
    await consumer.checkpoint('0', again.at(-1)!);
    await consumer.checkpoint('0', first[0]!);
    assert.equal(
      (await consumer.lastCheckpoint('0'))?.sequenceNumber,
      3,
      'a checkpoint never moves backwards',
    );
    await log.close();
  });

  test('a killed publisher loses nothing it acknowledged', async () => {
    const dir = freshDir();
    const out = await runChild('write', dir, (text) => (text.match(/^ack /gm)?.length ?? 0) >= 15);
    const acked = Math.max(...[...out.matchAll(/^ack (\d+)$/gm)].map((m) => Number(m[1])));
    const log = await LocalEventLog.open({ directory: dir });
    const consumer = log.consumer();
    const received = deltasOf(await drain(consumer, await consumer.partitionIds()));
    const versions = new Set(received.map((d) => Number(d.row!.version)));
    for (let v = 1; v <= acked; v++) assert.ok(versions.has(v), `acknowledged delta ${v} survived the kill`);
    await log.publish([syntheticDelta('EP999999', 1)]);
    assert.equal(
      deltasOf(await drain(consumer, await consumer.partitionIds())).length,
      1,
      'a new writer takes over the stale lock and appends',
    );
    await log.close();
  });

  test('a killed consumer gets everything after its last checkpoint again, and nothing before it', async () => {
    const dir = freshDir();
    const log = await LocalEventLog.open({ directory: dir, partitions: 1 });
    await log.append(Array.from({ length: 6 }, (_, i) => ({ partitionKey: 'k', body: `{"i":${i}}` })));
    const out = await runChild('consume', dir, (text) => text.includes('received'));
    assert.match(out, /checkpointed 1 received 2,3/);
    const events = await log.consumer('$Default').receiveBatch('0', { maxEvents: 10, maxWaitMs: 0 });
    assert.deepEqual(
      events.map((e) => e.sequenceNumber),
      [2, 3, 4, 5],
    );
    await log.close();
  });

  test('a torn last append is detected and truncated, not parsed as garbage', async () => {
    const dir = freshDir();
    let log = await LocalEventLog.open({ directory: dir, partitions: 1 });
    await log.append([
      { partitionKey: 'k', body: '{"i":0}' },
      { partitionKey: 'k', body: '{"i":1}' },
    ]);
    await log.close();
    const segmentDir = join(dir, 'p0');
    const [segment] = await readdir(segmentDir);
    const file = join(segmentDir, segment!);
    const goodSize = (await stat(file)).size;
    const whole = encodeRecord({
      sequenceNumber: 2,
      enqueuedMs: 0,
      partitionKey: 'k',
      contentType: null,
      body: Buffer.from('{"i":2}'),
    });
    await appendFile(file, whole.subarray(0, whole.length - 3));

    const reader = await LocalEventLog.open({ directory: dir, logger: memoryLogger() });
    const before = await reader.consumer('x').receiveBatch('0', { maxEvents: 10, maxWaitMs: 0 });
    assert.equal(before.length, 2, 'a reader stops at the torn record');

    const logger = memoryLogger();
    log = await LocalEventLog.open({ directory: dir, logger });
    await log.append([{ partitionKey: 'k', body: '{"i":"after"}' }]);
    assert.ok(
      logger.records.some(
        (r) => r.fields.code === 'EVENT_LOG_TORN_TAIL' && r.fields.droppedBytes === whole.length - 3,
      ),
    );
    const events = await log.consumer('y').receiveBatch('0', { maxEvents: 10, maxWaitMs: 0 });
    assert.deepEqual(
      events.map((e) => Buffer.from(e.body).toString()),
      ['{"i":0}', '{"i":1}', '{"i":"after"}'],
    );
    assert.deepEqual(
      events.map((e) => e.sequenceNumber),
      [0, 1, 2],
    );
    assert.ok((await stat(file)).size > goodSize);
    await log.close();
    await reader.close();
  });

  test('segments roll over and reading continues across them', async () => {
    const dir = freshDir();
    const log = await LocalEventLog.open({ directory: dir, partitions: 1, segmentBytes: 200 });
    await log.append(
      Array.from({ length: 10 }, (_, i) => ({
        partitionKey: 'k',
        body: JSON.stringify({ i, pad: 'p'.repeat(60) }),
      })),
    );
    assert.ok((await readdir(join(dir, 'p0'))).length > 3);
    const consumer = log.consumer();
    const first = await consumer.receiveBatch('0', { maxEvents: 4, maxWaitMs: 0 });
    await consumer.checkpoint('0', first.at(-1)!);
    await log.close();
    const reopened = await LocalEventLog.open({ directory: dir });
    await reopened.append([{ partitionKey: 'k', body: '{"i":10}' }]);
    const rest = await reopened.consumer().receiveBatch('0', { maxEvents: 100, maxWaitMs: 0 });
    assert.deepEqual(
      rest.map((e) => e.sequenceNumber),
      [4, 5, 6, 7, 8, 9, 10],
    );
    await reopened.close();
  });

  test('opening a log with a different partition count is refused', async () => {
    const dir = freshDir();
    await (await LocalEventLog.open({ directory: dir, partitions: 2 })).close();
    await assert.rejects(LocalEventLog.open({ directory: dir, partitions: 3 }), {
      code: 'EVENT_LOG_PARTITIONS_MISMATCH',
    });
  });

  test('a second writer in the same process is refused while the first holds the log', async () => {
    const dir = freshDir();
    const first = await LocalEventLog.open({ directory: dir, partitions: 1 });
    await first.append([{ partitionKey: 'k', body: '{}' }]);
    const second = await LocalEventLog.open({ directory: dir });
    await assert.rejects(second.append([{ partitionKey: 'k', body: '{}' }]), { code: 'EVENT_LOG_LOCKED' });
    await first.close();
    await second.append([{ partitionKey: 'k', body: '{}' }]);
    await second.close();
  });

  test('received events convert to the eventHub trigger input the Functions host would pass', async () => {
    const log = await LocalEventLog.open({ directory: freshDir(), partitions: 1 });
    await log.publish([syntheticDelta('EP000001', 1), syntheticDelta('EP000002', 1)]);
    await log.append([{ partitionKey: 'k', body: 'not json' }]);
    const events = await log.consumer().receiveBatch('0', { maxEvents: 10, maxWaitMs: 0 });
    const input = toEventHubTriggerInput(events, {
      eventHubName: 'nhs-flows-cdc',
      consumerGroup: '$Default',
    });
    assert.equal(input.messages.length, events.length);
    assert.equal((input.messages[0] as { schema: string }).schema, 'nhs-flows.deltas');
    assert.equal(input.messages.at(-1), 'not json');
    assert.deepEqual(
      input.triggerMetadata.sequenceNumberArray,
      events.map((_, i) => i),
    );
    assert.equal(input.triggerMetadata.partitionContext.PartitionId, '0');
    assert.equal(input.triggerMetadata.offsetArray.length, events.length);
    assert.match(input.triggerMetadata.enqueuedTimeUtcArray[0]!, /Z$/);
    await log.close();
  });

  test('deliverOnce checkpoints after the handler succeeds and redelivers what a failed handler got', async () => {
    const log = await LocalEventLog.open({ directory: freshDir(), partitions: 2 });
    await log.publish(deltaHistory(12, 1));
    const consumer = log.consumer();
    const seen: number[] = [];
    let failNext = true;
    const handler = async (input: { messages: unknown[] }) => {
      if (failNext) {
        failNext = false;
        throw new Error('bronze unavailable');
      }
      seen.push(input.messages.length);
    };
    const options = { eventHubName: 'nhs-flows-cdc', maxEvents: 100, maxWaitMs: 0 };
    const first = await deliverOnce(consumer, handler, options);
    assert.equal(first.failed.length, 1);
    const failedPartition = first.failed[0]!.partitionId;
    assert.equal(await consumer.lastCheckpoint(failedPartition), undefined);
    const second = await deliverOnce(consumer, handler, options);
    assert.deepEqual(second.failed, []);
    const total = (await drain(log.consumer('check'), await consumer.partitionIds())).length;
    assert.equal(first.delivered + second.delivered, total, 'every event delivered once successfully');
    assert.ok(await consumer.lastCheckpoint(failedPartition));
    const third = await deliverOnce(consumer, handler, options);
    assert.equal(third.delivered, 0, 'nothing after everything is checkpointed');
    await log.close();
  });
});

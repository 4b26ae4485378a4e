import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import type { EventPublisher } from '../../../shared/application/ports/event-publisher.port.js';
import { publishingDeltaFiles } from '../../../shared/application/use-cases/capture/delta-file-publisher.js';
import { ingestDeltas } from '../../../shared/application/use-cases/pipeline/ingest-deltas.use-case.js';
import { planChunks } from '../../../shared/application/use-cases/pipeline/plan-chunks.use-case.js';
import { readWorkRecords } from '../../../shared/application/use-cases/pipeline/work-files.js';
import { loadSettings } from '../../../shared/config/settings.schema.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import type { Delta } from '../../../shared/domain/capture/delta.js';
import { encodeDeltaEnvelope } from '../../../shared/domain/events/delta-envelope.js';
import {
  deltaFileBatchId,
  deltaFileBronzePath,
  deltaFileEventId,
  encodeDeltaFileReference,
  encodeDeltaLines,
  parseTransportEvent,
  readDeltaLine,
  tablePartitionKey,
  type DeltaFileReference,
} from '../../../shared/domain/events/delta-file.js';
import { DEFAULT_KEY_BUCKETS, packDeltas } from '../../../shared/domain/events/delta-packer.js';
import { InputError } from '../../../shared/domain/errors.js';
import type { BatchDescriptor } from '../../../shared/domain/pipeline/batch-record.js';
import { lakePaths } from '../../../shared/domain/lake/lake-paths.js';
import {
  claimMarkers,
  eventIdsByBatch,
  KilledMidClaim,
  recordingStarter,
  world,
} from '../../support/cdc-receipt-world.js';
import { syntheticDelta } from './synthetic-deltas.js';

// Issue 8: large publishes (an initial snapshot's pages, a large full scan) go to bronze as delta
// files and the transport carries one small reference per file (docs/adr/0019-delta-files.md).

const episodes = Array.from({ length: 7 }, (_, i) => syntheticDelta(`EP00000${i}`, 1));
const prescriptions = Array.from({ length: 3 }, (_, i) =>
  syntheticDelta(`RX00000${i}`, 1, { table: 'prescribing_item' }),
);

function referenceOf(deltas: readonly Delta[]): DeltaFileReference {
  return {
    eventId: deltaFileEventId(deltas.map((d) => d.eventId)),
    sourceTable: deltas[0]!.sourceTable,
    records: deltas.length,
    capturedAt: deltas[0]!.capturedAt,
  };
}

/** Writes a delta file as the poller does and returns its reference event body. */
async function writeFile(lake: MemoryObjectStore, deltas: readonly Delta[]): Promise<string> {
  const ref = referenceOf(deltas);
  await lake.put('bronze', deltaFileBronzePath(ref), encodeDeltaLines(deltas));
  return encodeDeltaFileReference(ref);
}

/** A transport that records what it was asked to send. */
function recordingTransport(withFiles = true): EventPublisher & {
  inline: Delta[][];
  files: DeltaFileReference[][];
} {
  const inline: Delta[][] = [];
  const files: DeltaFileReference[][] = [];
  return {
    inline,
    files,
    async publish(deltas) {
      inline.push([...deltas]);
      return { deltas: deltas.length, events: 1, bytes: 1 };
    },
    ...(withFiles && {
      async publishFiles(refs: readonly DeltaFileReference[]) {
        files.push([...refs]);
        return { deltas: refs.reduce((n, r) => n + r.records, 0), events: refs.length, bytes: 1 };
      },
    }),
    async close() {},
  };
}

describe('delta files: the reference contract', () => {
  test('the event id is f- and SHA-256 over the deltas’ ids in order: the same deltas always make the same reference and path', () => {
    const ids = episodes.map((d) => d.eventId);
    const id = deltaFileEventId(ids);
    assert.match(id, /^f-[0-9a-f]{64}$/);
    assert.equal(deltaFileEventId([...ids]), id);
    assert.notEqual(deltaFileEventId([...ids].reverse()), id);
    const ref = referenceOf(episodes);
    assert.equal(deltaFileBronzePath(ref), deltaFileBronzePath({ ...ref }));
    assert.equal(
      deltaFileBronzePath(ref),
      lakePaths.bronzeBatch('cdc-sus_apc_episode', deltaFileBatchId(ref), new Date(ref.capturedAt)),
    );
    assert.notEqual(deltaFileBatchId(ref), deltaFileBatchId(referenceOf(episodes.slice(1))));
  });

  test('a reference goes on the partition key its table’s inline deltas use', () => {
    for (const deltas of [episodes, prescriptions]) {
      const [packed] = packDeltas(deltas, { maxEventBytes: 1_000_000, keyBuckets: DEFAULT_KEY_BUCKETS });
      assert.equal(tablePartitionKey(deltas[0]!.sourceTable), packed!.partitionKey);
    }
  });

  test('a reference reads back from text, bytes or a parsed object; a delta envelope still reads as deltas', () => {
    const ref = { ...referenceOf(episodes), capturedAt: '2026-11-23T09:00:00Z' };
    const body = encodeDeltaFileReference(ref);
    for (const form of [body, Buffer.from(body), JSON.parse(body) as unknown]) {
      const read = parseTransportEvent(form);
      assert.deepEqual(read, {
        ok: true,
        kind: 'file',
        file: { ...ref, capturedAt: '2026-11-23T09:00:00.000Z' },
      });
    }
    const inline = parseTransportEvent(encodeDeltaEnvelope(episodes.slice(0, 2)));
    assert.equal(inline.ok && inline.kind, 'deltas');
  });

  test('a malformed reference is a result naming the paths, never a value', () => {
    const good = JSON.parse(encodeDeltaFileReference(referenceOf(episodes))) as {
      file: Record<string, unknown>;
    };
    const cases: [string, unknown, RegExp][] = [
      ['version', { ...good, version: 2 }, /body\.version/],
      ['event id', { ...good, file: { ...good.file, eventId: 'f-9990000018' } }, /body\.file\.eventId/],
      [
        'table',
        { ...good, file: { ...good.file, sourceTable: 'patients_9990000018' } },
        /body\.file\.sourceTable/,
      ],
      ['records', { ...good, file: { ...good.file, records: 0 } }, /body\.file\.records/],
      [
        'time',
        { ...good, file: { ...good.file, capturedAt: '2026-02-30T00:00:00Z' } },
        /body\.file\.capturedAt/,
      ],
    ];
    for (const [name, body, path] of cases) {
      const read = parseTransportEvent(body);
      assert.equal(read.ok, false, name);
      if (read.ok) continue;
      assert.match(read.problems.join('\n'), path, name);
      assert.ok(!read.problems.join('\n').includes('9990000018'), `${name}: no value in the problems`);
    }
  });

  test('a line that is not a delta names the line and the fields, never a value', () => {
    const good = JSON.stringify(episodes[0]);
    assert.equal(readDeltaLine(good, 1).ok, true);
    const bad = readDeltaLine(JSON.stringify({ ...episodes[0], op: 'delete', previousHash: null }), 7);
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.equal(bad.reason, 'not-a-delta');
      assert.match(bad.problems, /^line 7: /);
      assert.match(bad.problems, /row/);
      assert.match(bad.problems, /previousHash/);
      assert.ok(!bad.problems.includes(String(Object.values(episodes[0]!.row ?? {})[0])));
    }
    const notJson = readDeltaLine('{"eventId": 9990000018', 3);
    assert.deepEqual(notJson, {
      ok: false,
      reason: 'not-json',
      problems: 'line 3: expected JSON, received text that does not parse',
    });
  });
});

describe('delta files: the poller’s publisher', () => {
  test('a publish below the threshold, or over a transport without references, goes inline', async () => {
    const lake = new MemoryObjectStore();
    const transport = recordingTransport();
    const publisher = publishingDeltaFiles(transport, lake, { minDeltas: 5, deltasPerFile: 3 });
    await publisher.publish(episodes.slice(0, 4));
    assert.deepEqual(transport.inline, [episodes.slice(0, 4)]);
    assert.deepEqual(transport.files, []);
    const plain = recordingTransport(false);
    assert.equal(publishingDeltaFiles(plain, lake, { minDeltas: 5, deltasPerFile: 3 }), plain);
    assert.equal(publishingDeltaFiles(transport, lake, { minDeltas: 0, deltasPerFile: 3 }), transport);
  });

  test('a large publish is written as files of at most deltasPerFile per table, in order, then one reference each', async () => {
    const lake = new MemoryObjectStore();
    const transport = recordingTransport();
    const publisher = publishingDeltaFiles(transport, lake, { minDeltas: 5, deltasPerFile: 3 });
    const mixed = [
      ...episodes.slice(0, 2),
      prescriptions[0]!,
      ...episodes.slice(2),
      ...prescriptions.slice(1),
    ];
    const receipt = await publisher.publish(mixed);
    assert.equal(receipt.deltas, mixed.length);
    assert.deepEqual(transport.inline, []);
    const refs = transport.files.flat();
    const expected = [
      episodes.slice(0, 3),
      episodes.slice(3, 6),
      episodes.slice(6),
      prescriptions.slice(0, 3),
    ];
    assert.deepEqual(refs, expected.map(referenceOf));
    for (const [i, deltas] of expected.entries()) {
      const body = await lake.get('bronze', deltaFileBronzePath(refs[i]!));
      assert.equal(body?.toString('utf8'), encodeDeltaLines(deltas), `file ${i}`);
    }
  });

  test('a retried publish of the same deltas finds its files and sends the same references', async () => {
    const lake = new MemoryObjectStore();
    const transport = recordingTransport();
    const publisher = publishingDeltaFiles(transport, lake, { minDeltas: 2, deltasPerFile: 10 });
    await publisher.publish(episodes);
    // The retry of a later poll: same deltas, a later capture time on the same day.
    await publisher.publish(episodes.map((d) => ({ ...d, capturedAt: '2026-11-23T10:00:00.000Z' })));
    const [first, second] = transport.files;
    assert.equal(first![0]!.eventId, second![0]!.eventId);
    const objects: string[] = [];
    for await (const o of lake.list('bronze', 'cdc-sus_apc_episode/')) objects.push(o.path);
    assert.equal(objects.length, 1, 'one object: the retry kept what the first attempt wrote');
    assert.equal((await lake.get('bronze', objects[0]!))?.toString('utf8'), encodeDeltaLines(episodes));
  });
});

describe('delta files: the consumer', () => {
  test('each reference becomes a batch of its own over the file, not read; inline deltas of the same table form another', async () => {
    const { deps, starter, objects } = world();
    const one = await writeFile(objects, episodes.slice(0, 3));
    const two = await writeFile(objects, episodes.slice(3, 6));
    const result = await ingestDeltas(
      [{ body: one }, { body: encodeDeltaEnvelope([episodes[6]!]) }, { body: two }],
      deps,
    );
    assert.equal(result.batches.length, 3);
    const inputs = [...starter.instances.values()].map((i) => i.batch);
    const files = inputs.filter(
      (b) => b.bronzePath === deltaFileBronzePath(referenceOf(episodes.slice(0, 3))),
    );
    assert.equal(files.length, 1);
    assert.deepEqual(
      { records: files[0]!.records, format: files[0]!.format, table: files[0]!.table },
      { records: 3, format: 'deltas', table: 'sus_apc_episode' },
    );
    const taken = [...(await eventIdsByBatch(objects, starter)).values()].flat();
    assert.deepEqual(taken.sort(), episodes.map((d) => d.eventId).sort(), 'every delta in exactly one batch');

    const again = await ingestDeltas([{ body: one }, { body: two }], deps);
    assert.deepEqual(
      { batches: again.batches.length, duplicates: again.duplicatesDropped },
      { batches: 0, duplicates: 2 },
    );
  });

  test('a reference whose file is not in bronze is set aside with its reason, and nothing is started', async () => {
    const { deps, starter, objects, seenEvents } = world();
    const body = encodeDeltaFileReference(referenceOf(episodes));
    const result = await ingestDeltas([{ body }], deps);
    assert.deepEqual(
      { batches: result.batches.length, malformed: result.malformed },
      { batches: 0, malformed: 1 },
    );
    assert.equal(starter.instances.size, 0);
    const receipts: string[] = [];
    for await (const o of objects.list('bronze', lakePaths.cdcReceipt('x').replace(/x\.json$/, '')))
      receipts.push(o.path);
    assert.deepEqual(receipts, [], 'no receipt is written for nothing to start');
    const aside: string[] = [];
    for await (const o of objects.list('bronze', '_malformed/')) aside.push(o.path);
    assert.equal(aside.length, 1);
    const record = JSON.parse((await objects.get('bronze', aside[0]!))!.toString('utf8')) as {
      problems: string[];
      body: string;
    };
    assert.match(record.problems[0]!, /delta file bronze\/cdc-sus_apc_episode\/.* does not exist/);
    assert.equal(record.body, body);
    const logged = (deps.logger as ReturnType<typeof memoryLogger>).records.find(
      (r) => r.fields?.code === 'DELTA_FILE_MISSING',
    );
    assert.ok(logged, 'a warning names the code');
    const seen = await seenEvents.classify([referenceOf(episodes).eventId]);
    assert.equal(seen.unseen.length, 1, 'not claimed: the reference is reported, not taken');
  });

  test('a crash after a file batch’s claim is finished by the redelivery, never cut again', async () => {
    const objects = new MemoryObjectStore();
    const starter = recordingStarter();
    const ref = await writeFile(objects, episodes);
    starter.failNext = true;
    await assert.rejects(ingestDeltas([{ body: ref }], world(objects, starter).deps));
    const restarted = world(objects, starter);
    const redelivered = await ingestDeltas([{ body: ref }], restarted.deps);
    assert.equal(redelivered.receiptsFinished, 1);
    assert.equal(starter.instances.size, 1);
    assert.equal([...starter.instances.keys()][0], deltaFileBatchId(referenceOf(episodes)));
  });

  test('a claim cut short by a kill claims the reference (not the file’s deltas) when it is completed', async () => {
    const objects = new KilledMidClaim();
    const starter = recordingStarter();
    const ref = await writeFile(objects, episodes);
    const inline = encodeDeltaEnvelope(prescriptions);
    objects.headsLeft = 0;
    await assert.rejects(ingestDeltas([{ body: ref }, { body: inline }], world(objects, starter).deps));
    objects.headsLeft = undefined;
    assert.equal((await claimMarkers(objects)).length, 1);
    const restarted = world(objects, starter);
    await ingestDeltas([{ body: ref }, { body: inline }], restarted.deps);
    assert.deepEqual(await claimMarkers(objects), []);
    const claimed = await restarted.seenEvents.classify([
      referenceOf(episodes).eventId,
      ...prescriptions.map((d) => d.eventId),
    ]);
    assert.deepEqual(claimed.unseen, []);
    const taken = [...(await eventIdsByBatch(objects, starter)).values()].flat();
    assert.equal(taken.length, episodes.length + prescriptions.length, 'each delta in exactly one batch');
  });
});

describe('delta files: read by the pipeline', () => {
  const lake = new MemoryObjectStore();
  const deltas = episodes.slice(0, 4);
  const lines = encodeDeltaLines(deltas).split('\n');
  // Line 3 is a delete that still carries a row: JSON, but not a delta.
  lines[2] = JSON.stringify({ ...deltas[2], op: 'delete' });
  const path = deltaFileBronzePath(referenceOf(deltas));

  test('a batch read in place fails with the object, the line and the fields named', async () => {
    await lake.put('bronze', path, lines.join('\n'));
    await assert.rejects(readWorkRecords(lake, path, 'deltas'), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(
        error.message,
        new RegExp(`bronze/${path.replace(/[.]/g, '\\.')} is not a delta batch: line 3: row`),
      );
      return true;
    });
  });

  test('a batch copied into chunks quarantines the line as FILE.DELTA_INVALID and keeps the rest', async () => {
    await lake.put('bronze', path, lines.join('\n'));
    const batch: BatchDescriptor = {
      batchId: deltaFileBatchId(referenceOf(deltas)),
      table: 'sus_apc_episode',
      origin: 'cdc',
      bronzePath: path,
      format: 'deltas',
      receivedAt: '2026-11-23T09:00:00.000Z',
    };
    const plan = await planChunks(batch, {
      lake,
      settings: loadSettings({ NHSFLOWS_CHUNK_SIZE: '100' }),
      logger: memoryLogger(),
    } as unknown as Parameters<typeof planChunks>[1]);
    assert.deepEqual({ records: plan.records, unreadable: plan.unreadable }, { records: 3, unreadable: 1 });
    const quarantined = (await lake.get('quarantine', plan.unreadablePath!))!.toString('utf8');
    const [line] = quarantined
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      { row: line!.row, line: line!.line, rule: line!.rule },
      { row: 3, line: 3, rule: 'FILE.DELTA_INVALID' },
    );
  });

  test('a line of a copied batch that is not JSON is quarantined as FILE.JSON_MALFORMED, apart from one that is not a delta', async () => {
    const torn = [...lines];
    torn[0] = torn[0]!.slice(0, 40); // a torn first line: not JSON at all
    const tornPath = `${path}.torn`;
    await lake.put('bronze', tornPath, torn.join('\n'));
    const plan = await planChunks(
      {
        batchId: `${deltaFileBatchId(referenceOf(deltas))}-torn`,
        table: 'sus_apc_episode',
        origin: 'cdc',
        bronzePath: tornPath,
        format: 'deltas',
        receivedAt: '2026-11-23T09:00:00.000Z',
      },
      {
        lake,
        settings: loadSettings({ NHSFLOWS_CHUNK_SIZE: '100' }),
        logger: memoryLogger(),
      } as unknown as Parameters<typeof planChunks>[1],
    );
    assert.deepEqual({ records: plan.records, unreadable: plan.unreadable }, { records: 2, unreadable: 2 });
    const rules = (await lake.get('quarantine', plan.unreadablePath!))!
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .map((l) => [l.line, l.rule]);
    assert.deepEqual(rules, [
      [1, 'FILE.JSON_MALFORMED'],
      [3, 'FILE.DELTA_INVALID'],
    ]);
  });
});

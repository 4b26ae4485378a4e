import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import {
  openEmbeddedSource,
  type EmbeddedSource,
} from '../../../shared/adapters/local/embedded-source/embedded-source.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import { memoryTelemetry } from '../../../shared/application/ports/telemetry.port.js';
import {
  captureChanges,
  ensureCaptureStorage,
  readCaptureHeartbeat,
  type CaptureChangesDeps,
} from '../../../shared/application/use-cases/capture/capture-changes.use-case.js';
import { captureTable, type CaptureTableConfigInput } from '../../../shared/domain/capture/capture-config.js';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';
import { RecordingPublisher, syntheticRow } from './capture-fixtures.js';

const spec = SOURCE_TABLES.mhsds_care_contact;
const key = (i: number) => `K${String(i).padStart(8, '0')}`;

async function setup(overrides: Omit<CaptureTableConfigInput, 'table'> = {}) {
  const clock = fixedClock('2026-02-01T09:00:00.000Z');
  const source = await openEmbeddedSource({ path: ':memory:', clock });
  await source.createTables([spec]);
  const publisher = new RecordingPublisher();
  const telemetry = memoryTelemetry();
  const deps: CaptureChangesDeps = {
    source,
    publisher,
    objects: new MemoryObjectStore(),
    state: new MemoryStateStore(),
    clock,
    telemetry,
    logger: memoryLogger(),
  };
  await ensureCaptureStorage(deps);
  const table = captureTable(spec, { batchSize: 4, leafRows: 2, fanOut: 3, ...overrides });
  return { clock, source, publisher, telemetry, deps, table };
}

async function seed(source: EmbeddedSource, n: number) {
  await source.insertRows(
    spec.table,
    Array.from({ length: n }, (_, i) => syntheticRow(spec, i)),
  );
}

for (const mode of ['full-scan', 'change-version', 'range-checksum'] as const) {
  test(`${mode}: an initial snapshot publishes every row as a snapshot insert, then a quiet poll publishes nothing`, async () => {
    const { source, publisher, deps, table } = await setup({ mode });
    try {
      await seed(source, 10);
      const first = await captureChanges(deps, { table });
      assert.equal(first.path, 'snapshot');
      assert.equal(first.snapshotComplete, true);
      const snap = publisher.take();
      assert.equal(snap.length, 10);
      assert.ok(snap.every((d) => d.snapshot && d.op === 'insert' && d.previousHash === null));
      assert.deepEqual(
        snap.map((d) => d.businessKey[0]),
        Array.from({ length: 10 }, (_, i) => key(i)),
      );
      const second = await captureChanges(deps, { table });
      assert.equal(second.path, mode);
      assert.equal(publisher.take().length, 0);
    } finally {
      await source.close();
    }
  });

  test(`${mode}: inserts, updates, deletes and re-inserts become deltas naming the hash they replace`, async () => {
    const { source, publisher, deps, table } = await setup({ mode });
    try {
      await seed(source, 12);
      await captureChanges(deps, { table });
      const before = new Map(publisher.take().map((d) => [d.businessKey[0], d]));
      await source.updateRows(spec.table, [{ care_contact_id: key(3), consultation_medium: 'ZZ' }]);
      await source.deleteRows(spec.table, [[key(5)]]);
      await source.insertRows(spec.table, [syntheticRow(spec, 20)]);
      // An update that changes nothing moves the version but is not a change.
      await source.updateRows(spec.table, [
        { care_contact_id: key(7), provider_code: syntheticRow(spec, 7).provider_code! },
      ]);
      const result = await captureChanges(deps, { table });
      const deltas = publisher.take();
      assert.deepEqual(
        deltas.map((d) => [d.op, d.businessKey[0]]),
        [
          ['update', key(3)],
          ['delete', key(5)],
          ['insert', key(20)],
        ],
      );
      assert.equal(deltas[0]!.previousHash, before.get(key(3))!.rowHash);
      assert.equal(deltas[1]!.previousHash, before.get(key(5))!.rowHash);
      assert.equal(deltas[1]!.row, null);
      assert.equal(deltas[2]!.previousHash, null);
      assert.ok(deltas.every((d) => !d.snapshot && d.hashSpecVersion === 1));
      assert.equal(result.rowCount, 12);
      // Re-insert of the deleted key with its old values: a new insert, with a new event id.
      await source.insertRows(spec.table, [syntheticRow(spec, 5)]);
      await captureChanges(deps, { table });
      const [reinsert] = publisher.take();
      assert.equal(reinsert!.op, 'insert');
      assert.equal(reinsert!.rowHash, before.get(key(5))!.rowHash);
      assert.notEqual(reinsert!.eventId, before.get(key(5))!.eventId);
    } finally {
      await source.close();
    }
  });
}

test('a snapshot stopped after some pages resumes where it stopped and publishes each row once', async () => {
  const { source, publisher, deps, table } = await setup();
  try {
    await seed(source, 10);
    const first = await captureChanges(deps, { table, maxSnapshotPages: 2 });
    assert.equal(first.snapshotComplete, false);
    assert.equal(publisher.deltas.length, 8);
    const second = await captureChanges(deps, { table });
    assert.equal(second.snapshotComplete, true);
    const keys = publisher.take().map((d) => d.businessKey[0]);
    assert.deepEqual(
      keys,
      Array.from({ length: 10 }, (_, i) => key(i)),
    );
  } finally {
    await source.close();
  }
});

test('with a publish size (delta files), a snapshot reads source pages of the batch size and publishes steps of exactly that size', async () => {
  const { source, publisher, deps, table } = await setup();
  const reads: number[] = [];
  const scanRows = source.scanRows.bind(source);
  // Count what each source read returns: the keyset pages stay at the batch size (4).
  source.scanRows = (request) => {
    reads.push(request.pageSize);
    return scanRows(request);
  };
  try {
    await seed(source, 23);
    const result = await captureChanges({ ...deps, publishSize: 10 }, { table });
    assert.equal(result.snapshotComplete, true);
    assert.deepEqual(reads, [4]);
    assert.deepEqual(publisher.batches, [10, 10, 3]);
    assert.deepEqual(
      publisher.take().map((d) => d.businessKey[0]),
      Array.from({ length: 23 }, (_, i) => key(i)),
    );
    // Stopped after one step, it resumes after the step's last row, each row once.
    const again = await setup();
    await seed(again.source, 23);
    try {
      const first = await captureChanges(
        { ...again.deps, publishSize: 10 },
        { table: again.table, maxSnapshotPages: 1 },
      );
      assert.equal(first.snapshotComplete, false);
      await captureChanges({ ...again.deps, publishSize: 10 }, { table: again.table });
      assert.deepEqual(
        again.publisher.take().map((d) => d.businessKey[0]),
        Array.from({ length: 23 }, (_, i) => key(i)),
      );
      assert.deepEqual(again.publisher.batches, [10, 10, 3]);
    } finally {
      await again.source.close();
    }
  } finally {
    await source.close();
  }
});

test('a poll that would delete more than the allowed share stops, publishes nothing and alerts; an operator can accept it', async () => {
  const { source, publisher, deps, table, telemetry } = await setup({
    mode: 'change-version',
    maxDeleteShare: 0.2,
    massDeleteMinRows: 1,
  });
  try {
    await seed(source, 10);
    await captureChanges(deps, { table });
    publisher.take();
    await source.deleteRows(spec.table, [[key(1)], [key(2)], [key(3)]]);
    await source.updateRows(spec.table, [{ care_contact_id: key(4), consultation_medium: 'ZZ' }]);
    await assert.rejects(captureChanges(deps, { table }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'MASS_DELETE_GUARD');
      assert.equal(
        error.message,
        'capture of mhsds_care_contact: the poll would delete 3 of 10 rows (30.0 %), more than the allowed 20.0 %; nothing was published. Check the source, then re-run with allowMassDelete to accept it',
      );
      return true;
    });
    assert.equal(publisher.deltas.length, 0);
    assert.deepEqual(
      telemetry.events.map((e) => [e.name, e.properties.table, e.measurements.deletes]),
      [['CaptureMassDeleteGuard', 'mhsds_care_contact', 3]],
    );
    const heartbeat = await readCaptureHeartbeat(deps, spec.table);
    assert.equal(heartbeat.status, 'failed');
    assert.equal(heartbeat.lastErrorCode, 'MASS_DELETE_GUARD');
    const accepted = await captureChanges(deps, { table, allowMassDelete: true });
    assert.equal(accepted.deletes, 3);
    assert.equal(accepted.updates, 1);
  } finally {
    await source.close();
  }
});

test('each poll writes a heartbeat with the freshness of the captured data', async () => {
  const { source, deps, table, clock } = await setup();
  try {
    await seed(source, 3);
    await captureChanges(deps, { table });
    clock.advance(90_000);
    const heartbeat = await readCaptureHeartbeat(deps, spec.table);
    assert.equal(heartbeat.status, 'ok');
    assert.equal(heartbeat.lastSuccessAt, '2026-02-01T09:00:00.000Z');
    assert.equal(heartbeat.freshnessSeconds, 90);
  } finally {
    await source.close();
  }
});

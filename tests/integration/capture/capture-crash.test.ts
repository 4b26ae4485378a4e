import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlobObjectStore } from '../../../shared/adapters/azure/blob-object-store.azure.js';
import { TableStateStore } from '../../../shared/adapters/azure/table-state-store.azure.js';
import {
  openEmbeddedSource,
  type EmbeddedSource,
} from '../../../shared/adapters/local/embedded-source/embedded-source.js';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import type { ObjectStore } from '../../../shared/application/ports/object-store.port.js';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import type { StateStore } from '../../../shared/application/ports/state-store.port.js';
import { memoryTelemetry } from '../../../shared/application/ports/telemetry.port.js';
import {
  captureChanges,
  ensureCaptureStorage,
  type CaptureChangesDeps,
  type CaptureStep,
} from '../../../shared/application/use-cases/capture/capture-changes.use-case.js';
import { captureTable, type CaptureMode } from '../../../shared/domain/capture/capture-config.js';
import type { Delta } from '../../../shared/domain/capture/delta.js';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';
import { testAzurite, uniqueName } from '../../support/azurite.js';
import { RecordingPublisher, syntheticRow } from './capture-fixtures.js';

const spec = SOURCE_TABLES.mhsds_care_contact;
const key = (i: number) => `K${String(i).padStart(8, '0')}`;
const STEPS: readonly CaptureStep[] = [
  'before-publish',
  'after-publish',
  'mid-state-write',
  'after-state-write',
];

class Crash extends Error {}

/** The same source history every run: snapshot over three pages, then changes of every kind. */
const history: ((source: EmbeddedSource) => Promise<void>)[] = [
  (s) =>
    s.insertRows(
      spec.table,
      Array.from({ length: 11 }, (_, i) => syntheticRow(spec, i)),
    ),
  async (s) => {
    await s.updateRows(spec.table, [
      { care_contact_id: key(2), consultation_medium: 'A1' },
      { care_contact_id: key(9), attend_or_dna: null },
    ]);
    await s.deleteRows(spec.table, [[key(4)]]);
    await s.insertRows(spec.table, [syntheticRow(spec, 30), syntheticRow(spec, 31)]);
  },
  async (s) => {
    await s.updateRows(spec.table, [
      { care_contact_id: key(3), provider_code: syntheticRow(spec, 3).provider_code! },
    ]);
    await s.deleteRows(spec.table, [[key(30)], [key(6)]]);
  },
  async (s) => {
    await s.insertRows(spec.table, [syntheticRow(spec, 4, 2)]);
    await s.updateRows(spec.table, [{ care_contact_id: key(2), consultation_medium: 'B2' }]);
  },
];

interface Run {
  /** Every delta any attempt published, in order (duplicates included). */
  published: Delta[];
  hits: Map<CaptureStep, number>;
  crashes: number;
}

async function runHistory(
  mode: CaptureMode,
  stores: () => { objects: ObjectStore; state: StateStore; scope: string },
  crash?: { step: CaptureStep; nth: number },
): Promise<Run> {
  const sourceClock = fixedClock('2026-04-01T07:00:00.000Z');
  const captureClock = fixedClock('2026-04-01T07:00:00.000Z');
  const source = await openEmbeddedSource({ path: ':memory:', clock: sourceClock });
  const { objects, state, scope } = stores();
  const publisher = new RecordingPublisher();
  const hits = new Map<CaptureStep, number>();
  let crashes = 0;
  try {
    await source.createTables([spec]);
    const table = captureTable(spec, { mode, batchSize: 4, leafRows: 2, fanOut: 3, maxDeleteShare: 1 });
    /** A fresh poller process: new deps over the same durable stores. */
    const poller = (): CaptureChangesDeps => ({
      source,
      publisher,
      objects,
      state,
      clock: captureClock,
      telemetry: memoryTelemetry(),
      logger: silentLogger,
      stateScope: scope,
      crashAt: (step) => {
        const n = (hits.get(step) ?? 0) + 1;
        hits.set(step, n);
        if (crash && crash.step === step && crash.nth === n) throw new Crash(`crash at ${step} #${n}`);
      },
    });
    await ensureCaptureStorage(poller());
    for (const change of history) {
      sourceClock.advance(60_000);
      captureClock.advance(60_000);
      await change(source);
      for (;;) {
        try {
          const result = await captureChanges(poller(), { table });
          if (result.snapshotComplete) break;
        } catch (error) {
          if (!(error instanceof Crash)) throw error;
          crashes++;
          captureClock.advance(1_000); // the restarted poller runs a little later
        }
      }
    }
    return { published: [...publisher.deltas], hits, crashes };
  } finally {
    await source.close();
  }
}

/** What a deduplicating sink keeps: one delta per event id (capture time aside, which a retry moves). */
function downstream(deltas: readonly Delta[]): Map<string, Omit<Delta, 'capturedAt'>> {
  const seen = new Map<string, Omit<Delta, 'capturedAt'>>();
  for (const delta of deltas) {
    const rest: Omit<Delta, 'capturedAt'> & { capturedAt?: string } = { ...delta };
    delete rest.capturedAt;
    const before = seen.get(rest.eventId);
    if (before) assert.deepEqual(rest, before, `event ${rest.eventId} re-published with different content`);
    else seen.set(rest.eventId, rest);
  }
  return seen;
}

const memoryStores = () => ({ objects: new MemoryObjectStore(), state: new MemoryStateStore(), scope: '' });

for (const mode of ['full-scan', 'change-version', 'range-checksum'] as const) {
  test(`${mode}: killing the poller at any step and restarting yields the same deduplicated deltas as an uninterrupted run`, async () => {
    const baseline = await runHistory(mode, memoryStores);
    const expected = downstream(baseline.published);
    assert.equal(baseline.published.length, expected.size, 'an uninterrupted run publishes each event once');
    assert.ok(expected.size >= 17);
    for (const step of STEPS) {
      const times = baseline.hits.get(step) ?? 0;
      assert.ok(times >= 4, `${step} is reached in every poll`);
      // Every occurrence for the change-version path; for the others, the polls after the snapshot
      // (the snapshot pages are the same code in every mode).
      const first = mode === 'change-version' ? 1 : times - 2;
      for (let nth = first; nth <= times; nth++) {
        const run = await runHistory(mode, memoryStores, { step, nth });
        assert.equal(run.crashes, 1);
        assert.deepEqual(downstream(run.published), expected, `crash at ${step} #${nth}`);
      }
    }
  });
}

test('with the Azure storage adapters on Azurite, a crash between publish and the state commit re-publishes the same event ids', async () => {
  const azurite = await testAzurite();
  try {
    const objects = BlobObjectStore.fromConnectionString(azurite.connectionString);
    const state = TableStateStore.fromConnectionString(azurite.connectionString);
    const stores = () => ({ objects, state, scope: uniqueName('crash') });
    const baseline = downstream((await runHistory('change-version', stores)).published);
    for (const step of ['after-publish', 'mid-state-write'] as const) {
      for (const nth of [2, 5]) {
        const run = await runHistory('change-version', stores, { step, nth });
        assert.equal(run.crashes, 1);
        assert.ok(run.published.length > baseline.size, 'the interrupted poll published twice');
        assert.deepEqual(downstream(run.published), baseline, `crash at ${step} #${nth}`);
      }
    }
  } finally {
    await azurite.stop();
  }
});

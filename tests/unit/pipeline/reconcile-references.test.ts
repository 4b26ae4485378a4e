// reconcileBatch fails a batch loudly when, after its warehouse load, a fact in its scope holds a
// surrogate key that resolves to no dimension row or to a version not in force on its date (ADR 0009).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileBatch } from '../../../shared/domain/pipeline/reconcile.js';
import { ReconciliationError } from '../../../shared/domain/errors.js';
import type { LoadWarehouseResult } from '../../../shared/domain/pipeline/pipeline-contracts.js';

function reconcile(warehouse: LoadWarehouseResult) {
  return reconcileBatch({
    batch: {
      batchId: 'b-1',
      table: 'sus_apc_episode',
      origin: 'cdc',
      bronzePath: 'cdc/b-1.ndjson',
      format: 'deltas',
      receivedAt: '2026-12-06T00:00:00.000Z',
    },
    plan: {
      batchId: 'b-1',
      table: 'sus_apc_episode',
      records: 0,
      chunks: [],
      unreadable: 0,
      unreadablePath: null,
    },
    outcomes: [],
    dimension: { members: 0, inserted: 0, updated: 0, unchanged: 0, deleted: 0, goldFile: null },
    gold: { factRows: 0, factDeletes: 0, goldFiles: [] },
    warehouse,
    startedAt: '2026-12-06T00:00:00.000Z',
    finishedAt: '2026-12-06T00:00:01.000Z',
  });
}
const reference = { table: 'fact_activity', column: 'patient_sk', dimension: 'dim_patient', rekeyed: 3 };

test('a batch whose facts all resolve reconciles', () => {
  assert.equal(
    reconcile({ tables: [], references: [{ ...reference, orphans: 0, mismatched: 0 }] }).status,
    'succeeded',
  );
});

test('an orphan surrogate key fails the batch, naming the table, column, dimension and count', () => {
  assert.throws(
    () => reconcile({ tables: [], references: [{ ...reference, orphans: 2, mismatched: 0 }] }),
    (e: unknown) =>
      e instanceof ReconciliationError &&
      e.message ===
        'batch b-1 (sus_apc_episode) does not reconcile: warehouse fact_activity.patient_sk: expected every key to resolve in dim_patient, 2 facts hold an orphan key',
  );
});

test('a key that is not the version in force on the fact date fails the batch', () => {
  assert.throws(
    () => reconcile({ tables: [], references: [{ ...reference, orphans: 0, mismatched: 1 }] }),
    /expected the dim_patient version in force on each fact's date, 1 facts hold another/,
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { openEmbeddedSource } from '../../../shared/adapters/local/embedded-source/embedded-source.js';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import { memoryTelemetry } from '../../../shared/application/ports/telemetry.port.js';
import {
  captureChanges,
  ensureCaptureStorage,
  type CaptureChangesDeps,
} from '../../../shared/application/use-cases/capture/capture-changes.use-case.js';
import { captureTable, CAPTURE_MODES } from '../../../shared/domain/capture/capture-config.js';
import type { Delta } from '../../../shared/domain/capture/delta.js';
import { SOURCE_TABLES, type SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { RecordingPublisher, syntheticRow } from './capture-fixtures.js';

const spec = SOURCE_TABLES.mhsds_care_contact;
const POOL = 24;

type Step =
  | { kind: 'insert'; keys: number[]; variant: number }
  | { kind: 'update'; keys: number[]; variant: number }
  | { kind: 'delete'; keys: number[] }
  | { kind: 'poll' };

const keys = fc.uniqueArray(fc.nat({ max: POOL - 1 }), { maxLength: 8 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), keys, variant: fc.nat({ max: 3 }) }),
  fc.record({ kind: fc.constant('update' as const), keys, variant: fc.nat({ max: 3 }) }),
  fc.record({ kind: fc.constant('delete' as const), keys }),
  fc.constant({ kind: 'poll' as const }),
);

function withoutVersion(row: SourceRow): SourceRow {
  const rest = { ...row };
  delete rest.change_version;
  delete rest.modified_at;
  return rest;
}

test('the three capture paths publish identical deltas for the same random source history, and the deltas rebuild the source', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.nat({ max: POOL - 1 }), { maxLength: 14 }),
      fc.array(step, { minLength: 1, maxLength: 22 }),
      fc.record({
        batchSize: fc.integer({ min: 2, max: 9 }),
        leafRows: fc.integer({ min: 1, max: 4 }),
        fanOut: fc.integer({ min: 2, max: 4 }),
      }),
      async (initial, steps, sizes) => {
        const clock = fixedClock('2026-03-01T08:00:00.000Z');
        const source = await openEmbeddedSource({ path: ':memory:', clock });
        try {
          await source.createTables([spec]);
          const present = new Set<number>();
          const insert = async (ks: number[], variant: number) => {
            const fresh = ks.filter((k) => !present.has(k));
            await source.insertRows(
              spec.table,
              fresh.map((k) => syntheticRow(spec, k, variant)),
            );
            fresh.forEach((k) => present.add(k));
          };
          await insert(initial, 0);
          // A fourth poller runs change-version polls (which leave overlays) and a full scan every
          // other poll (which reads the base through them).
          const paths = await Promise.all(
            [...CAPTURE_MODES, 'change-version' as const].map(async (mode) => {
              const publisher = new RecordingPublisher();
              const deps: CaptureChangesDeps = {
                source,
                publisher,
                objects: new MemoryObjectStore(),
                state: new MemoryStateStore(),
                clock,
                telemetry: memoryTelemetry(),
                logger: silentLogger,
              };
              await ensureCaptureStorage(deps);
              const table = captureTable(spec, {
                mode,
                maxDeleteShare: 1,
                reconciliationIntervalMinutes: 1e9,
                ...sizes,
              });
              return { mode, publisher, deps, table };
            }),
          );
          const downstream = new Map<string, SourceRow>();
          let polls = 0;
          const poll = async () => {
            const published: Delta[][] = [];
            polls++;
            for (const [i, p] of paths.entries()) {
              const forcePath = i === 3 && polls % 2 === 0 ? ('full-scan' as const) : undefined;
              await captureChanges(p.deps, { table: p.table, ...(forcePath ? { forcePath } : {}) });
              published.push(p.publisher.take());
            }
            assert.deepEqual(
              published[1],
              published[0],
              'change-version deltas differ from full-scan deltas',
            );
            assert.deepEqual(
              published[2],
              published[0],
              'range-checksum deltas differ from full-scan deltas',
            );
            assert.deepEqual(
              published[3],
              published[0],
              'change-version polls with full scans over their overlays differ from full-scan deltas',
            );
            for (const d of published[0]!) {
              if (d.op === 'delete') {
                assert.ok(downstream.delete(d.businessKey[0]!), 'delete of a key downstream never saw');
              } else {
                assert.equal(
                  downstream.has(d.businessKey[0]!),
                  d.op === 'update',
                  `${d.op} of ${d.businessKey[0]}`,
                );
                downstream.set(d.businessKey[0]!, d.row!);
              }
            }
            const rows = await source.readRows({
              table: spec.table,
              keyColumns: paths[0]!.table.layout.keyColumns,
              limit: 1_000,
            });
            assert.deepEqual(
              [...downstream.entries()]
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .map(([, r]) => withoutVersion(r)),
              rows.map(withoutVersion),
            );
          };
          await poll();
          for (const s of steps) {
            clock.advance(1_000);
            if (s.kind === 'insert') await insert(s.keys, s.variant);
            else if (s.kind === 'update') {
              const ks = s.keys.filter((k) => present.has(k));
              await source.updateRows(
                spec.table,
                ks.map((k) => withoutVersion(syntheticRow(spec, k, s.variant))),
              );
            } else if (s.kind === 'delete') {
              const ks = s.keys.filter((k) => present.has(k));
              await source.deleteRows(
                spec.table,
                ks.map((k) => [syntheticRow(spec, k).care_contact_id as string]),
              );
              ks.forEach((k) => present.delete(k));
            } else await poll();
          }
          await poll();
        } finally {
          await source.close();
        }
      },
    ),
    { numRuns: 10 },
  );
});

// Property: any delivery order, batching and repetition of a set of changes gives the history of
// applying them once in business-time order, and that history is valid at every point in time.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { KeyedStateDeps } from '../../../shared/application/lake-state/keyed-lake-state.js';
import {
  mergeDimensionChanges,
  readDimension,
  type Scd2MergeReport,
} from '../../../shared/application/use-cases/scd2-merge.use-case.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import {
  canonicalTime,
  SCD2_HIGH_DATE,
  type DimensionChange,
  type DimensionSpec,
  type DimensionVersion,
} from '../../../shared/domain/scd2/dimension.js';

const changeArb = fc.record({
  key: fc.constantFrom('tok_a', 'tok_b'),
  day: fc.integer({ min: 1, max: 6 }),
  kind: fc.constantFrom('upsert', 'upsert', 'upsert', 'delete'),
  lsoa: fc.constantFrom(null, '', 'null', 'E01000001', 'E01000002'),
  source: fc.constantFrom('apc', 'ecds'),
});

const scenarioArb = fc
  .record({
    deleteMode: fc.constantFrom('ignore', 'invalidate', 'new-record'),
    untracked: fc.constantFrom('type1', 'frozen'),
    changes: fc.array(changeArb, { minLength: 1, maxLength: 14 }),
  })
  .chain((s) =>
    fc.record({
      s: fc.constant(s),
      order: fc.array(fc.nat(), { minLength: s.changes.length, maxLength: s.changes.length }),
      dupes: fc.array(fc.record({ index: fc.nat({ max: s.changes.length - 1 }), at: fc.nat() }), {
        maxLength: 5,
      }),
      cuts: fc.array(fc.nat(), { maxLength: 4 }),
    }),
  );

type GeneratedChange = typeof changeArb extends fc.Arbitrary<infer T> ? T : never;

function toChanges(s: { readonly changes: readonly GeneratedChange[] }): DimensionChange[] {
  return s.changes.map((c, i) => {
    const base = {
      key: c.key,
      changeId: `c${String(i).padStart(2, '0')}`,
      effectiveAt: `2024-0${c.day}-01`,
      recordedAt: `2024-0${c.day}-01T09:00:00Z`,
    };
    return c.kind === 'delete'
      ? { ...base, kind: 'delete' }
      : { ...base, kind: 'upsert', attributes: { sex: '2', lsoa: c.lsoa, source: c.source } };
  });
}

const clock = fixedClock('2024-12-31T00:00:00Z');
async function all(spec: DimensionSpec, state: KeyedStateDeps): Promise<DimensionVersion[]> {
  const out: DimensionVersion[] = [];
  for await (const v of readDimension(spec, state)) out.push(v);
  return out.sort((a, b) => (a.key + a.validFrom < b.key + b.validFrom ? -1 : 1));
}

/**
 * Runs the property against stores made by `makeStore` (each run gets fresh tables named by `table`).
 */
export async function checkDeliveryOrderIndependence(
  makeStore: () => KeyedStateDeps,
  table: (run: number) => string,
  numRuns: number,
): Promise<void> {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(scenarioArb, async ({ s, order, dupes, cuts }) => {
      run++;
      const spec: DimensionSpec = {
        name: 'patient',
        table: table(run),
        trackedAttributes: ['sex', 'lsoa'],
        untracked: s.untracked,
        deleteMode: s.deleteMode,
      };
      const changes = toChanges(s);
      const deps = (state: KeyedStateDeps) => ({ ...state, clock, logger: silentLogger });

      // Reference: each change once, one at a time, in business-time (then change id) order.
      const reference = makeStore();
      const referenceSpec = { ...spec, table: `${spec.table}ref` };
      const inOrder = [...changes].sort((a, b) =>
        a.effectiveAt !== b.effectiveAt
          ? a.effectiveAt < b.effectiveAt
            ? -1
            : 1
          : a.changeId < b.changeId
            ? -1
            : 1,
      );
      for (const c of inOrder) await mergeDimensionChanges(referenceSpec, [c], deps(reference));

      // Delivered: shuffled, with duplicates, cut into batches.
      const delivery = [
        ...changes.map((c, i) => ({ c, k: order[i]! * 2 })),
        ...dupes.map((d) => ({ c: changes[d.index]!, k: d.at * 2 + 1 })),
      ]
        .sort((a, b) => a.k - b.k)
        .map((d) => d.c);
      const bounds = [...new Set(cuts.map((c) => c % (delivery.length + 1)))].sort((a, b) => a - b);
      const store = makeStore();
      let from = 0;
      for (const to of [...bounds, delivery.length]) {
        if (to > from) reconciles(await mergeDimensionChanges(spec, delivery.slice(from, to), deps(store)));
        from = Math.max(from, to);
      }
      // Delivering everything again changes nothing.
      const again = await mergeDimensionChanges(spec, delivery, deps(store));
      reconciles(again);
      assert.equal(again.runsWritten, 0);
      assert.equal(again.duplicates + again.ignoredDeletes, delivery.length);

      const got = await all(spec, store);
      const expected = await all(referenceSpec, reference);
      assert.deepEqual(
        got.map((v) => ({ ...v })),
        expected.map((v) => ({ ...v })),
      );
      checkInvariants(spec, inOrder, got);
    }),
    { numRuns },
  );
}

/** Every received change lands in exactly one outcome count. */
function reconciles(r: Scd2MergeReport): void {
  const outcomes =
    r.inserted +
    r.updated +
    r.unchanged +
    r.type1Overwritten +
    r.deleted +
    r.resurrected +
    r.lateStitched +
    r.duplicates +
    r.conflicts +
    r.ignoredDeletes;
  assert.equal(outcomes, r.received, 'outcome counts reconcile with changes received');
}

/** Invariants checked without the fold: shape of the history and what holds at each point in time. */
function checkInvariants(
  spec: DimensionSpec,
  inOrder: readonly DimensionChange[],
  versions: readonly DimensionVersion[],
): void {
  assert.equal(new Set(versions.map((v) => v.surrogateKey)).size, versions.length, 'surrogate keys unique');
  for (const key of new Set(inOrder.map((c) => c.key))) {
    const history = versions.filter((v) => v.key === key);
    const changes = inOrder.filter(
      (c) => c.key === key && !(c.kind === 'delete' && spec.deleteMode === 'ignore'),
    );
    history.forEach((v, i) => {
      assert.ok(v.validFrom < v.validTo, 'no zero-length version');
      assert.equal(v.isCurrent, v.validTo === SCD2_HIGH_DATE, 'current ⇔ open-ended');
      const next = history[i + 1];
      if (!next) return;
      assert.ok(v.validTo <= next.validFrom, 'no overlap');
      if (v.validTo === next.validFrom)
        assert.ok(
          v.isDeleted !== next.isDeleted || (!v.isDeleted && v.rowHash !== next.rowHash),
          'adjacent versions differ',
        );
      if (v.validTo !== next.validFrom)
        assert.ok(
          spec.deleteMode === 'invalidate' &&
            changes.some((c) => c.kind === 'delete' && canonicalTime(c.effectiveAt, '', '') === v.validTo),
          'a gap only after an invalidating delete',
        );
    });
    assert.ok(history.filter((v) => v.isCurrent).length <= 1, 'at most one current version');

    // At each business time, the version in force reflects the last change at or before it.
    const times = [...new Set(changes.map((c) => canonicalTime(c.effectiveAt, '', '')))];
    for (const t of times) {
      const upTo = changes.filter((c) => canonicalTime(c.effectiveAt, '', '') <= t);
      const lastChange = upTo[upTo.length - 1]!;
      const everUpserted = upTo.some((c) => c.kind === 'upsert');
      const inForce = history.filter((v) => v.validFrom <= t && t < v.validTo);
      if (lastChange.kind === 'upsert') {
        assert.equal(inForce.length, 1, 'one version in force after an upsert');
        assert.equal(inForce[0]!.isDeleted, false);
        assert.equal(inForce[0]!.attributes.lsoa, lastChange.attributes.lsoa);
      } else if (spec.deleteMode === 'new-record' && everUpserted) {
        assert.equal(inForce.length, 1, 'a tombstone in force after a delete');
        assert.equal(inForce[0]!.isDeleted, true);
      } else assert.equal(inForce.length, 0, 'nothing in force after an invalidating delete');
    }
    const last = changes[changes.length - 1];
    if (last?.kind === 'upsert') {
      const current = history.filter((v) => v.isCurrent);
      assert.equal(current.length, 1, 'exactly one current version unless deleted');
      if (spec.untracked === 'type1') assert.deepEqual(current[0]!.attributes, last.attributes);
    }
  }
}

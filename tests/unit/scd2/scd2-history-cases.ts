// Expected SCD2 histories, shared by the memory-twin unit suite and the Azurite integration suite.
import type {
  DimensionAttributes,
  DimensionChange,
  DimensionSpec,
  DimensionVersion,
} from '../../../shared/domain/scd2/dimension.js';
import { SCD2_HIGH_DATE } from '../../../shared/domain/scd2/dimension.js';
import {
  mergeDimensionChanges,
  readMemberHistory,
  type Scd2MergeReport,
} from '../../../shared/application/use-cases/scd2-merge.use-case.js';
import type { KeyedStateDeps } from '../../../shared/application/lake-state/keyed-lake-state.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';

/** A patient-like dimension: pseudonymised attributes, practice and LSOA tracked, source untracked. */
export function patientSpec(table: string, overrides: Partial<DimensionSpec> = {}): DimensionSpec {
  return {
    name: 'patient',
    table,
    trackedAttributes: ['sex', 'lsoa', 'gp_practice'],
    untracked: 'type1',
    deleteMode: 'new-record',
    ...overrides,
  };
}

export const KEY = 'tok_9f2c41';
const A = { sex: '1', lsoa: 'E01000001', gp_practice: 'M85063', source: 'apc' };
const B = { sex: '1', lsoa: 'E01000002', gp_practice: 'M85063', source: 'apc' };
const C = { sex: '1', lsoa: 'E01000003', gp_practice: 'M85063', source: 'apc' };

export function up(
  changeId: string,
  effectiveAt: string,
  attributes: DimensionAttributes,
  key = KEY,
): DimensionChange {
  return { key, changeId, effectiveAt, recordedAt: recordedAtOf(effectiveAt), kind: 'upsert', attributes };
}
export function del(changeId: string, effectiveAt: string, key = KEY): DimensionChange {
  return { key, changeId, effectiveAt, recordedAt: recordedAtOf(effectiveAt), kind: 'delete' };
}
/** Captured six hours after the business date (or at the business instant). */
function recordedAtOf(effectiveAt: string): string {
  return effectiveAt.length === 10 ? `${effectiveAt}T06:00:00Z` : effectiveAt;
}

/** One line per version: `from → to changeId [deleted] lsoa`, dates only, `current` for the high date. */
export function summarise(versions: readonly DimensionVersion[]): string[] {
  return versions.map((v) => {
    const to = v.validTo === SCD2_HIGH_DATE ? 'current' : v.validTo.slice(0, 10);
    const lsoa = v.attributes.lsoa === null ? 'NULL' : JSON.stringify(v.attributes.lsoa);
    return `${v.validFrom.slice(0, 10)} → ${to} ${v.changeId}${v.isDeleted ? ' deleted' : ''} ${lsoa}`;
  });
}

export type ReportCounts = Omit<Scd2MergeReport, 'dimension' | 'durationMs'>;

export interface HistoryCase {
  readonly name: string;
  readonly spec?: Partial<DimensionSpec>;
  /** Delivered one after the other. */
  readonly batches: readonly (readonly DimensionChange[])[];
  /** `summarise` of the member's versions after every batch. */
  readonly expected: readonly string[];
  /** Checked against the sum of every batch's report. */
  readonly counts?: Partial<ReportCounts>;
  /** Checked against the last version's attributes. */
  readonly lastAttributes?: DimensionAttributes;
}

export const historyCases: readonly HistoryCase[] = [
  {
    name: 'a first change opens one current version from its business time',
    batches: [[up('c1', '2024-01-01', A)]],
    expected: ['2024-01-01 → current c1 "E01000001"'],
    counts: { inserted: 1, runsWritten: 1 },
  },
  {
    name: 'a no-op update (same tracked attributes) opens no version',
    batches: [[up('c1', '2024-01-01', A)], [up('c2', '2024-02-01', { ...A })]],
    expected: ['2024-01-01 → current c1 "E01000001"'],
    counts: { inserted: 1, unchanged: 1 },
  },
  {
    name: 'an update closes the current version at its business time and opens a new current one',
    batches: [[up('c1', '2024-01-01', A)], [up('c2', '2024-02-01', B)]],
    expected: ['2024-01-01 → 2024-02-01 c1 "E01000001"', '2024-02-01 → current c2 "E01000002"'],
    counts: { inserted: 1, updated: 1 },
  },
  {
    name: 'a change of an untracked attribute overwrites the current version in place (type 1)',
    batches: [[up('c1', '2024-01-01', A)], [up('c2', '2024-02-01', { ...A, source: 'ecds' })]],
    expected: ['2024-01-01 → current c1 "E01000001"'],
    counts: { inserted: 1, type1Overwritten: 1 },
    lastAttributes: { ...A, source: 'ecds' },
  },
  {
    name: 'with frozen untracked attributes a version keeps the values it opened with',
    spec: { untracked: 'frozen' },
    batches: [[up('c1', '2024-01-01', A)], [up('c2', '2024-02-01', { ...A, source: 'ecds' })]],
    expected: ['2024-01-01 → current c1 "E01000001"'],
    counts: { inserted: 1, unchanged: 1 },
    lastAttributes: A,
  },
  {
    name: "a delete in 'ignore' mode leaves the current version current",
    spec: { deleteMode: 'ignore' },
    batches: [[up('c1', '2024-01-01', A)], [del('d1', '2024-02-01')]],
    expected: ['2024-01-01 → current c1 "E01000001"'],
    counts: { inserted: 1, ignoredDeletes: 1, deleted: 0 },
  },
  {
    name: "a delete in 'invalidate' mode closes the current version and leaves none current",
    spec: { deleteMode: 'invalidate' },
    batches: [[up('c1', '2024-01-01', A)], [del('d1', '2024-02-01')]],
    expected: ['2024-01-01 → 2024-02-01 c1 "E01000001"'],
    counts: { inserted: 1, deleted: 1 },
  },
  {
    name: "a delete in 'new-record' mode closes the current version and opens a deleted tombstone",
    batches: [[up('c1', '2024-01-01', A)], [del('d1', '2024-02-01')]],
    expected: ['2024-01-01 → 2024-02-01 c1 "E01000001"', '2024-02-01 → current d1 deleted "E01000001"'],
    counts: { inserted: 1, deleted: 1 },
  },
  {
    name: 'a member re-appearing after a tombstone is resurrected as a new current version',
    batches: [[up('c1', '2024-01-01', A)], [del('d1', '2024-02-01')], [up('c2', '2024-03-01', A)]],
    expected: [
      '2024-01-01 → 2024-02-01 c1 "E01000001"',
      '2024-02-01 → 2024-03-01 d1 deleted "E01000001"',
      '2024-03-01 → current c2 "E01000001"',
    ],
    counts: { inserted: 1, deleted: 1, resurrected: 1 },
  },
  {
    name: 'a member re-appearing after an invalidating delete is resurrected after a gap',
    spec: { deleteMode: 'invalidate' },
    batches: [[up('c1', '2024-01-01', A)], [del('d1', '2024-02-01')], [up('c2', '2024-03-01', B)]],
    expected: ['2024-01-01 → 2024-02-01 c1 "E01000001"', '2024-03-01 → current c2 "E01000002"'],
    counts: { inserted: 1, deleted: 1, resurrected: 1 },
  },
  {
    name: 'deleting a member that is already deleted changes nothing',
    batches: [[up('c1', '2024-01-01', A)], [del('d1', '2024-02-01')], [del('d2', '2024-03-01')]],
    expected: ['2024-01-01 → 2024-02-01 c1 "E01000001"', '2024-02-01 → current d1 deleted "E01000001"'],
    counts: { inserted: 1, deleted: 1, unchanged: 1 },
  },
  {
    name: 'delivering the same batch twice changes nothing the second time',
    batches: [
      [up('c1', '2024-01-01', A), up('c2', '2024-02-01', B), del('d1', '2024-03-01')],
      [up('c1', '2024-01-01', A), up('c2', '2024-02-01', B), del('d1', '2024-03-01')],
    ],
    expected: [
      '2024-01-01 → 2024-02-01 c1 "E01000001"',
      '2024-02-01 → 2024-03-01 c2 "E01000002"',
      '2024-03-01 → current d1 deleted "E01000002"',
    ],
    counts: { inserted: 1, updated: 1, deleted: 1, duplicates: 3, runsWritten: 1 },
  },
  {
    name: 'a change repeated inside one batch is applied once',
    batches: [[up('c1', '2024-01-01', A), up('c1', '2024-01-01', A)]],
    expected: ['2024-01-01 → current c1 "E01000001"'],
    counts: { inserted: 1, duplicates: 1 },
  },
  {
    name: 'a change id redelivered with different content is ignored and counted as a conflict',
    batches: [[up('c1', '2024-01-01', A)], [up('c1', '2024-01-01', B)]],
    expected: ['2024-01-01 → current c1 "E01000001"'],
    counts: { inserted: 1, conflicts: 1 },
  },
  {
    name: 'a late change is stitched between its neighbours, splitting the version that covered its time',
    batches: [[up('c1', '2024-01-01', A)], [up('c3', '2024-03-01', C)], [up('c2', '2024-02-01', B)]],
    expected: [
      '2024-01-01 → 2024-02-01 c1 "E01000001"',
      '2024-02-01 → 2024-03-01 c2 "E01000002"',
      '2024-03-01 → current c3 "E01000003"',
    ],
    counts: { inserted: 1, updated: 1, lateStitched: 1 },
  },
  {
    name: 'a late change splits a version that had absorbed a later no-op, which then reopens its values',
    batches: [[up('c1', '2024-01-01', A)], [up('c3', '2024-03-01', A)], [up('c2', '2024-02-01', B)]],
    expected: [
      '2024-01-01 → 2024-02-01 c1 "E01000001"',
      '2024-02-01 → 2024-03-01 c2 "E01000002"',
      '2024-03-01 → current c3 "E01000001"',
    ],
    counts: { inserted: 1, unchanged: 1, lateStitched: 1 },
  },
  {
    name: 'a late change equal to the version before it changes no version but is remembered',
    batches: [[up('c1', '2024-01-01', A), up('c3', '2024-03-01', B)], [up('c2', '2024-02-01', A)]],
    expected: ['2024-01-01 → 2024-03-01 c1 "E01000001"', '2024-03-01 → current c3 "E01000002"'],
    counts: { inserted: 1, updated: 1, lateStitched: 1 },
  },
  {
    name: 'a change older than the first version becomes the first version, closed where the old first began',
    batches: [[up('c2', '2024-02-01', B)], [up('c1', '2024-01-01', A)]],
    expected: ['2024-01-01 → 2024-02-01 c1 "E01000001"', '2024-02-01 → current c2 "E01000002"'],
    counts: { inserted: 1, lateStitched: 1 },
  },
  {
    name: 'a late delete closes the version it falls in and the next change resurrects the member',
    spec: { deleteMode: 'invalidate' },
    batches: [[up('c1', '2024-01-01', A), up('c3', '2024-03-01', B)], [del('d2', '2024-02-01')]],
    expected: ['2024-01-01 → 2024-02-01 c1 "E01000001"', '2024-03-01 → current c3 "E01000002"'],
    counts: { inserted: 1, updated: 1, lateStitched: 1 },
  },
  {
    name: 'an upsert arriving after a later delete is stitched before the tombstone',
    batches: [[del('d2', '2024-02-01')], [up('c1', '2024-01-01', A)]],
    expected: ['2024-01-01 → 2024-02-01 c1 "E01000001"', '2024-02-01 → current d2 deleted "E01000001"'],
    counts: { unchanged: 1, lateStitched: 1 },
  },
  {
    name: 'NULL → value and value → NULL are changes, and NULL, empty text and the text null all differ',
    batches: [
      [up('c1', '2024-01-01', { ...A, lsoa: null })],
      [up('c2', '2024-02-01', { ...A, lsoa: 'E01000001' })],
      [up('c3', '2024-03-01', { ...A, lsoa: null })],
      [up('c4', '2024-04-01', { ...A, lsoa: '' })],
      [up('c5', '2024-05-01', { ...A, lsoa: 'null' })],
      [up('c6', '2024-06-01', { ...A, lsoa: 'null' })],
    ],
    expected: [
      '2024-01-01 → 2024-02-01 c1 NULL',
      '2024-02-01 → 2024-03-01 c2 "E01000001"',
      '2024-03-01 → 2024-04-01 c3 NULL',
      '2024-04-01 → 2024-05-01 c4 ""',
      '2024-05-01 → current c5 "null"',
    ],
    counts: { inserted: 1, updated: 4, unchanged: 1 },
  },
  {
    name: 'a tracked attribute that goes missing counts as NULL',
    batches: [[up('c1', '2024-01-01', A)], [up('c2', '2024-02-01', { sex: '1', gp_practice: 'M85063' })]],
    expected: ['2024-01-01 → 2024-02-01 c1 "E01000001"', '2024-02-01 → current c2 NULL'],
    counts: { inserted: 1, updated: 1 },
  },
  {
    name: 'two changes at one business time leave the later change id and no zero-length version',
    batches: [[up('c1', '2024-01-01', A)], [up('c2a', '2024-02-01', B)], [up('c2b', '2024-02-01', C)]],
    expected: ['2024-01-01 → 2024-02-01 c1 "E01000001"', '2024-02-01 → current c2b "E01000003"'],
    counts: { inserted: 1, updated: 2 },
  },
  {
    name: 'a change at a version’s own business time that restores the previous values reopens it',
    batches: [[up('c1', '2024-01-01', A)], [up('c2a', '2024-02-01', B)], [up('c2b', '2024-02-01', A)]],
    expected: ['2024-01-01 → current c1 "E01000001"'],
    counts: { inserted: 1, updated: 1, unchanged: 1 },
  },
  {
    name: 'business times with offsets are compared as UTC instants',
    batches: [
      [up('c1', '2024-01-01T00:00:00Z', A)],
      [
        {
          ...up('c2', '2024-01-01', B),
          effectiveAt: '2024-01-01T01:30:00+01:00',
          recordedAt: '2024-01-02T00:00:00Z',
        },
      ],
    ],
    expected: ['2024-01-01 → 2024-01-01 c1 "E01000001"', '2024-01-01 → current c2 "E01000002"'],
    counts: { inserted: 1, updated: 1 },
  },
];

/** Delivers a case's batches to the keyed lake state `state` and returns the member's history and the summed counts. */
export async function runHistoryCase(
  state: KeyedStateDeps,
  table: string,
  c: HistoryCase,
): Promise<{ versions: DimensionVersion[]; counts: Record<string, number> }> {
  const spec = patientSpec(table, c.spec);
  const counts: Record<string, number> = {};
  for (const batch of c.batches) {
    const report = await mergeDimensionChanges(spec, batch, {
      ...state,
      clock: fixedClock('2024-06-30T00:00:00Z'),
      logger: silentLogger,
    });
    for (const [name, value] of Object.entries(report))
      if (typeof value === 'number') counts[name] = (counts[name] ?? 0) + value;
  }
  return { versions: await readMemberHistory(spec, KEY, state), counts };
}

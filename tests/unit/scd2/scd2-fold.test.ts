// The pure fold (shared/domain/scd2/scd2-merge.ts): type-1 values stay inside their business instant,
// impossible dates are refused in every time form, and same-instant changes apply in a defined order.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compareChanges,
  foldChanges,
  normaliseChange,
  type AppliedChange,
} from '../../../shared/domain/scd2/scd2-merge.js';
import {
  SCD2_HIGH_DATE,
  type DimensionAttributes,
  type DimensionChange,
  type DimensionSpec,
  type DimensionVersion,
} from '../../../shared/domain/scd2/dimension.js';
import { gpPracticeDimension, organisationDimension } from '../../../shared/domain/scd2/dimensions.js';
import { InputError } from '../../../shared/domain/errors.js';
import {
  mergeDimensionChanges,
  readMemberHistory,
} from '../../../shared/application/use-cases/scd2-merge.use-case.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../../shared/application/ports/logger.port.js';
import { memoryLakeState } from '../../support/lake-state.js';

const KEY = 'RX1';
/** An NHS trust as reference data describes it; `notes` and `verified` are untracked (type 1). */
const trust = (name: string, notes: string, verified = 'unverified'): DimensionAttributes => ({
  name,
  kind: 'trust',
  org_type: 'acute',
  parent_code: 'QHL',
  sub_icb_code: '15E',
  icb_code: 'QHL',
  notes,
  verified,
});

function up(
  changeId: string,
  effectiveAt: string,
  attributes: DimensionAttributes,
  recordedAt = '2024-06-01T00:00:00Z',
): DimensionChange {
  return { key: KEY, changeId, effectiveAt, recordedAt, kind: 'upsert', attributes };
}
function del(changeId: string, effectiveAt: string, recordedAt = '2024-06-01T00:00:00Z'): DimensionChange {
  return { key: KEY, changeId, effectiveAt, recordedAt, kind: 'delete' };
}

/** Folds the set of changes from nothing, in apply order. */
function fold(spec: DimensionSpec, changes: readonly DimensionChange[]): readonly DimensionVersion[] {
  const applied = changes.map((c) => normaliseChange(c, spec)).sort(compareChanges);
  const result = foldChanges(spec, KEY, { versions: [], existed: false, partial: false }, applied);
  assert.equal(result.kind, 'folded');
  return result.kind === 'folded' ? result.history.versions : [];
}

/** One line per version: `from → to changeId [deleted] name / notes`. */
function summarise(versions: readonly DimensionVersion[]): string[] {
  return versions.map((v) => {
    const to = v.validTo === SCD2_HIGH_DATE ? 'current' : v.validTo.slice(0, 10);
    const deleted = v.isDeleted ? ' deleted' : '';
    return `${v.validFrom.slice(0, 10)} → ${to} ${v.changeId}${deleted} ${String(v.attributes.name)} / ${String(v.attributes.notes)}`;
  });
}

describe('SCD2 fold: a type-1 value stays inside the business instant it belongs to', () => {
  const cases: {
    name: string;
    spec?: DimensionSpec;
    changes: DimensionChange[];
    expected: string[];
  }[] = [
    {
      name: 'a type-1 value at the instant a version ends stays out of the version that ends there',
      changes: [
        up('c1', '2024-01-01', trust('Old Trust', 'n1')),
        up('c2a', '2024-02-01', trust('Old Trust', 'n2')),
        up('c2b', '2024-02-01', trust('New Trust', 'n3')),
      ],
      expected: ['2024-01-01 → 2024-02-01 c1 Old Trust / n1', '2024-02-01 → current c2b New Trust / n3'],
    },
    {
      name: 'the same holds for the GP-practice dimension',
      spec: gpPracticeDimension,
      changes: [
        up('c1', '2024-01-01', trust('Old Practice', 'n1')),
        up('c2a', '2024-02-01', trust('Old Practice', 'n2')),
        up('c2b', '2024-02-01', trust('New Practice', 'n3')),
      ],
      expected: [
        '2024-01-01 → 2024-02-01 c1 Old Practice / n1',
        '2024-02-01 → current c2b New Practice / n3',
      ],
    },
    {
      name: 'a type-1 value at the instant an invalidating delete closes the version stays out of it',
      changes: [
        up('c1', '2024-01-01', trust('Old Trust', 'n1')),
        up('c2a', '2024-02-01', trust('Old Trust', 'n2')),
        del('d2b', '2024-02-01'),
      ],
      expected: ['2024-01-01 → 2024-02-01 c1 Old Trust / n1'],
    },
    {
      name: 'a tombstone opened at an instant carries that instant’s type-1 value; the version it ends does not',
      spec: { ...organisationDimension, deleteMode: 'new-record' },
      changes: [
        up('c1', '2024-01-01', trust('Old Trust', 'n1')),
        up('c2a', '2024-02-01', trust('Old Trust', 'n2')),
        del('d2b', '2024-02-01'),
      ],
      expected: [
        '2024-01-01 → 2024-02-01 c1 Old Trust / n1',
        '2024-02-01 → current d2b deleted Old Trust / n2',
      ],
    },
    {
      name: 'a version closed, reopened and closed again at one instant keeps the values it had before that instant',
      changes: [
        up('c1', '2024-01-01', trust('Old Trust', 'n1')),
        up('c2a', '2024-02-01', trust('New Trust', 'n2')),
        up('c2b', '2024-02-01', trust('Old Trust', 'n3')),
        up('c2c', '2024-02-01', trust('Third Trust', 'n4')),
      ],
      expected: ['2024-01-01 → 2024-02-01 c1 Old Trust / n1', '2024-02-01 → current c2c Third Trust / n4'],
    },
    {
      name: 'a version reopened at an instant takes the last type-1 value of that instant',
      changes: [
        up('c1', '2024-01-01', trust('Old Trust', 'n1')),
        up('c2a', '2024-02-01', trust('New Trust', 'n2')),
        up('c2b', '2024-02-01', trust('Old Trust', 'n3')),
      ],
      expected: ['2024-01-01 → current c1 Old Trust / n3'],
    },
    {
      name: 'type-1 values of earlier instants stay in the version they fell in when a later instant closes it',
      changes: [
        up('c1', '2024-01-01', trust('Old Trust', 'n1')),
        up('c2', '2024-02-01', trust('Old Trust', 'n2')),
        up('c3a', '2024-03-01', trust('Old Trust', 'n3')),
        up('c3b', '2024-03-01', trust('New Trust', 'n4')),
      ],
      expected: ['2024-01-01 → 2024-03-01 c1 Old Trust / n2', '2024-03-01 → current c3b New Trust / n4'],
    },
    {
      name: 'a type-1 value at an instant that closes nothing overwrites the version in force (control)',
      changes: [
        up('c1', '2024-01-01', trust('Old Trust', 'n1')),
        up('c2', '2024-02-01', trust('Old Trust', 'n2')),
      ],
      expected: ['2024-01-01 → current c1 Old Trust / n2'],
    },
    {
      name: 'a type-1 value after a new version opens at the same instant lands in the new version (control)',
      changes: [
        up('c1', '2024-01-01', trust('Old Trust', 'n1')),
        up('c2a', '2024-02-01', trust('New Trust', 'n2')),
        up('c2b', '2024-02-01', trust('New Trust', 'n3')),
      ],
      expected: ['2024-01-01 → 2024-02-01 c1 Old Trust / n1', '2024-02-01 → current c2a New Trust / n3'],
    },
  ];
  for (const c of cases)
    test(c.name, () =>
      assert.deepEqual(summarise(fold(c.spec ?? organisationDimension, c.changes)), c.expected),
    );

  test('the merge use case stores the same: the type-1 value does not leak into the closed version', async () => {
    const state = memoryLakeState();
    const deps = { ...state, clock: fixedClock('2024-06-30T00:00:00Z'), logger: silentLogger };
    const spec = { ...organisationDimension, table: 'orgfold' };
    await mergeDimensionChanges(spec, [up('c1', '2024-01-01', trust('Old Trust', 'n1'))], deps);
    await mergeDimensionChanges(spec, [up('c2a', '2024-02-01', trust('Old Trust', 'n2'))], deps);
    await mergeDimensionChanges(spec, [up('c2b', '2024-02-01', trust('New Trust', 'n3'))], deps);
    assert.deepEqual(summarise(await readMemberHistory(spec, KEY, state)), [
      '2024-01-01 → 2024-02-01 c1 Old Trust / n1',
      '2024-02-01 → current c2b New Trust / n3',
    ]);
  });
});

test('property: every live version carries the attributes of the last upsert within its own time range', () => {
  const changeArb = fc.record({
    day: fc.integer({ min: 1, max: 4 }),
    kind: fc.constantFrom('upsert', 'upsert', 'upsert', 'upsert', 'delete'),
    name: fc.constantFrom('Old Trust', 'New Trust'),
    notes: fc.constantFrom('n1', 'n2', 'n3'),
  });
  fc.assert(
    fc.property(
      fc.constantFrom<DimensionSpec['deleteMode']>('ignore', 'invalidate', 'new-record'),
      fc.array(changeArb, { minLength: 1, maxLength: 12 }),
      (deleteMode, generated) => {
        const spec = { ...organisationDimension, deleteMode };
        const changes = generated.map((g, i) =>
          g.kind === 'delete'
            ? del(`evt-${i}`, `2024-0${g.day}-01`)
            : up(`evt-${i}`, `2024-0${g.day}-01`, trust(g.name, g.notes)),
        );
        const applied = changes.map((c) => normaliseChange(c, spec)).sort(compareChanges);
        for (const v of fold(spec, changes)) {
          if (v.isDeleted) continue;
          const within = applied.filter(
            (c) => c.kind === 'upsert' && v.validFrom <= c.effectiveAt && c.effectiveAt < v.validTo,
          );
          assert.deepEqual(v.attributes, within.at(-1)?.attributes, `version from ${v.validFrom}`);
        }
      },
    ),
    { numRuns: 1000 },
  );
});

test('a partial start asks for the full history before closing a version whose type-1 instants it cannot see', () => {
  const [first, second] = [
    normaliseChange(up('c1', '2024-01-01', trust('Old Trust', 'n1')), organisationDimension),
    normaliseChange(up('c2', '2024-02-01', trust('New Trust', 'n2')), organisationDimension),
  ];
  const opened = foldChanges(organisationDimension, KEY, { versions: [], existed: false, partial: false }, [
    first,
  ]);
  assert.equal(opened.kind, 'folded');
  if (opened.kind !== 'folded') return;
  const start = { ...opened.history, partial: true };
  assert.deepEqual(foldChanges(organisationDimension, KEY, start, [second]), { kind: 'needs-history' });
});

describe('SCD2 fold: impossible dates are refused in every time form', () => {
  const impossible: [string, string][] = [
    ['a date-time on 30 February', '2024-02-30T10:00:00Z'],
    ['a date-time on 29 February of a common year', '2023-02-29T00:00:00.000Z'],
    ['a date-time on 31 April with an offset', '2024-04-31T23:30:00+01:00'],
    ['a date-time without seconds on 31 June', '2024-06-31T10:00Z'],
    ['a date-time in month 13', '2024-13-01T00:00:00Z'],
    ['a date-time on day 0', '2024-01-00T00:00:00Z'],
    ['a date-time at hour 24', '2024-01-01T24:00:00Z'],
    ['a date-only 30 February', '2024-02-30'],
  ];
  for (const field of ['effectiveAt', 'recordedAt'] as const)
    for (const [name, value] of impossible)
      test(`${name} as ${field} is refused, naming the change and field but no value`, () => {
        const change = { ...up('c1', '2024-01-01', trust('Old Trust', 'n1')), [field]: value };
        assert.throws(
          () => normaliseChange(change, organisationDimension),
          (e: unknown) => {
            assert.ok(e instanceof InputError);
            assert.equal(e.code, 'INPUT_INVALID');
            assert.match(e.message, new RegExp(`^scd2: change c1 field '${field}' expected .*, received `));
            for (const part of value.split(/[-T:Z+.]/).filter((p) => p.length >= 2 && p !== '00'))
              assert.ok(!e.message.includes(part), `no part of the value (${part}) in the message`);
            return true;
          },
        );
      });

  test('a leap day is a real date', () => {
    const change = { ...up('c1', '2024-02-29T10:00:00+01:00', trust('Old Trust', 'n1')) };
    assert.equal(normaliseChange(change, organisationDimension).effectiveAt, '2024-02-29T09:00:00.000Z');
  });
});

describe('SCD2 fold: same-instant changes apply in capture-time order, then by change id', () => {
  const at = '2024-02-01';
  const cases: { name: string; changes: DimensionChange[]; last: string }[] = [
    {
      name: 'evt-10 applies after evt-9 when both were captured together',
      changes: [up('evt-10', at, trust('Ten', 'n')), up('evt-9', at, trust('Nine', 'n'))],
      last: 'evt-10 Ten',
    },
    {
      name: 'numbered change ids apply in number order whatever their digit count',
      changes: [
        up('evt-100', at, trust('Hundred', 'n')),
        up('evt-20', at, trust('Twenty', 'n')),
        up('evt-3', at, trust('Three', 'n')),
      ],
      last: 'evt-100 Hundred',
    },
    {
      name: 'the later capture applies last even when its change id sorts first',
      changes: [
        up('evt-2', at, trust('Early', 'n'), '2024-02-01T10:00:00Z'),
        up('evt-1', at, trust('Late', 'n'), '2024-02-01T11:00:00Z'),
      ],
      last: 'evt-1 Late',
    },
    {
      name: 'capture times are compared as instants, not as text of different precision or offset',
      changes: [
        up('evt-1', at, trust('Late', 'n'), '2024-02-01T10:00:00.5Z'),
        up('evt-2', at, trust('Early', 'n'), '2024-02-01T10:00:00Z'),
        up('evt-3', at, trust('Earliest', 'n'), '2024-02-01T10:30:00.25+01:00'),
      ],
      last: 'evt-1 Late',
    },
  ];
  for (const c of cases)
    test(c.name, () => {
      for (const order of [c.changes, [...c.changes].reverse()]) {
        const versions = fold(organisationDimension, order);
        const current = versions.at(-1)!;
        assert.equal(`${current.changeId} ${String(current.attributes.name)}`, c.last);
      }
    });

  const applied = (effectiveDay: number, recordedSecond: number, changeId: string) =>
    normaliseChange(
      up(
        changeId,
        `2024-01-${String(effectiveDay).padStart(2, '0')}`,
        trust('T', 'n'),
        `2024-02-01T10:00:${String(recordedSecond).padStart(2, '0')}Z`,
      ),
      organisationDimension,
    );
  const idArb = fc.oneof(
    fc.nat({ max: 2000 }).map((n) => `evt-${n}`),
    fc.nat({ max: 2000 }).map((n) => `evt-${String(n).padStart(4, '0')}`),
    fc.tuple(fc.nat({ max: 99 }), fc.nat({ max: 99 })).map(([a, b]) => `b${a}-e${b}`),
    fc.string({
      unit: fc.constantFrom('a', 'b', '0', '1', '9', '-', '|', '.', 'é'),
      minLength: 1,
      maxLength: 6,
    }),
  );
  const changeArb = fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 }), idArb)
    .map(([d, s, id]) => applied(d, s, id));

  test('the apply order is a total order: antisymmetric, transitive, and 0 only for one change id', () => {
    fc.assert(
      fc.property(changeArb, changeArb, changeArb, (a, b, c) => {
        const ab = compareChanges(a, b);
        assert.equal(Math.sign(ab), -Math.sign(compareChanges(b, a)) || 0);
        assert.equal(
          ab === 0,
          a.effectiveAt === b.effectiveAt && a.recordedAt === b.recordedAt && a.changeId === b.changeId,
        );
        if (ab <= 0 && compareChanges(b, c) <= 0) assert.ok(compareChanges(a, c) <= 0, 'transitive');
      }),
      { numRuns: 2000 },
    );
  });

  test('the apply order is business time, then capture time, then the number in a numbered change id', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.nat({ max: 100_000 })),
          {
            maxLength: 30,
          },
        ),
        (rows) => {
          const distinct = [...new Map(rows.map((r) => [r.join('/'), r])).values()];
          const changes = distinct.map(([d, s, n]) => applied(d, s, `evt-${n}`));
          const sorted = [...changes].sort(compareChanges);
          const number = (c: AppliedChange) => Number(c.changeId.slice(4));
          for (let i = 1; i < sorted.length; i++) {
            const [p, q] = [sorted[i - 1]!, sorted[i]!];
            const key = (c: AppliedChange) => [c.effectiveAt, c.recordedAt, number(c)] as const;
            const [pe, pr, pn] = key(p);
            const [qe, qr, qn] = key(q);
            assert.ok(pe < qe || (pe === qe && (pr < qr || (pr === qr && pn <= qn))), 'in order');
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test('any delivery order of same-instant changes folds to the same history', () => {
    const rowsArb = fc.uniqueArray(fc.tuple(fc.nat({ max: 30 }), fc.nat({ max: 3 }), fc.nat({ max: 2 })), {
      minLength: 1,
      maxLength: 8,
      selector: ([n]) => n,
    });
    fc.assert(
      fc.property(
        rowsArb.chain((rows) =>
          fc.tuple(fc.constant(rows), fc.shuffledSubarray(rows, { minLength: rows.length })),
        ),
        ([rows, shuffled]) => {
          const changes = (list: typeof rows) =>
            list.map(([n, name, s]) =>
              up(`evt-${n}`, at, trust(`Trust ${name}`, `n${n}`), `2024-02-01T10:00:0${s}Z`),
            );
          assert.deepEqual(
            fold(organisationDimension, changes(shuffled)),
            fold(organisationDimension, changes(rows)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

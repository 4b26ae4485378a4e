import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  applySecondarySuppression,
  type AdditiveLine,
  type CellState,
  type SuppressionCell,
} from '../../../shared/domain/disclosure/secondary-suppression.js';

const cell = (value: number, state: CellState = value > 0 && value < 8 ? 'suppressed' : 'published') => ({
  value,
  state,
});
const line = (total: number, ...parts: number[]): AdditiveLine => ({ total, parts, label: `line ${total}` });

test('the complementary cell is the smallest non-zero part, then a zero part, then the total', () => {
  // cells: 0 total 45 | 1 primary 3 | 2 part 30 | 3 part 12 | 4 part 0
  const cells = [cell(45), cell(3), cell(30), cell(12), cell(0)];
  assert.deepEqual(applySecondarySuppression(cells, [line(0, 1, 2, 3, 4)]).secondary, [3]);
  const zeroOnly = [cell(3), cell(3), cell(0)];
  assert.deepEqual(applySecondarySuppression(zeroOnly, [line(0, 1, 2)]).secondary, []);
  const zeroPart = [cell(3, 'exempt'), cell(3), cell(0)];
  assert.deepEqual(applySecondarySuppression(zeroPart, [line(0, 1, 2)]).secondary, [2]);
  const totalOnly = [cell(10), cell(3), cell(7, 'exempt')];
  assert.deepEqual(applySecondarySuppression(totalOnly, [line(0, 1, 2)]).secondary, [0]);
});

test('a line whose other cells are all exempt is reported as unprotected, by its label', () => {
  const result = applySecondarySuppression([cell(3, 'exempt'), cell(3)], [line(0, 1)]);
  assert.deepEqual(result.secondary, []);
  assert.deepEqual(result.unprotected, ['line 0']);
});

// Random cells and random lines over them (not necessarily a table's shape): the rule's
// guarantees hold for any system of lines.
const system = fc.integer({ min: 2, max: 30 }).chain((n) =>
  fc.record({
    cells: fc.array(
      fc.record({
        value: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 8, max: 99 })),
        exempt: fc.boolean(),
      }),
      { minLength: n, maxLength: n },
    ),
    lines: fc.array(
      fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 2, maxLength: Math.min(n, 6) }),
      { maxLength: 20 },
    ),
  }),
);

test('at the fixed point every line holds 0 or ≥ 2 suppressed cells or is reported; exempt cells are never chosen', () => {
  fc.assert(
    fc.property(system, ({ cells: raw, lines: members }) => {
      const cells: SuppressionCell[] = raw.map((c, i) =>
        i % 7 === 0 && c.exempt ? { value: c.value, state: 'exempt' } : cell(c.value),
      );
      const lines = members.map(([total, ...parts], i) => ({ total: total!, parts, label: `L${i}` }));
      const result = applySecondarySuppression(cells, lines);
      for (const l of lines) {
        const n = [l.total, ...l.parts].filter((i) => result.states[i] === 'suppressed').length;
        assert.ok(n !== 1 || result.unprotected.includes(l.label), `${l.label} holds one suppressed cell`);
      }
      for (const i of result.secondary)
        assert.equal(cells[i]?.state, 'published', 'only published cells are chosen');
      cells.forEach((c, i) => {
        if (c.state !== 'published')
          assert.equal(result.states[i], c.state, 'primary and exempt cells keep their state');
      });
      assert.ok(
        result.passes <= cells.length + 1,
        'at most one pass per cell, plus the pass that changes nothing',
      );
      assert.deepEqual(applySecondarySuppression(cells, lines), result, 'deterministic');
    }),
    { numRuns: 500 },
  );
});

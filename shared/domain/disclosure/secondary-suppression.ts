/**
 * Secondary suppression over additive lines (statistical disclosure control).
 *
 * A table is seen as cells (one count each) and lines: an equation `total = part₁ + … + partₙ`
 * between cells of one row (a total column and its parts) or of one column (a total row and the
 * rows it totals). A line that holds exactly one suppressed cell gives it away: the total minus
 * the published parts is the suppressed part (or the parts' sum is the suppressed total). The rule
 * (the classic one, done by hand in NHS Digital's outputs before 2018, REFERENCE.md §9.1):
 *
 *   while some line holds exactly one suppressed cell:
 *     suppress one more published cell of that line: the smallest non-zero part, else a zero part,
 *     else the line's total; exempt (national) cells are never suppressed.
 *
 * Each pass suppresses at least one cell of a finite table, so it stops (at most one pass per
 * cell); ties break by cell order, so the result is deterministic. At the fixed point every line
 * holds 0 or ≥ 2 suppressed cells, except lines whose other cells are all exempt: those are
 * reported as unprotected (a national total over a single sub-national row, say).
 *
 * Limits: lines are checked one at a time. Solving several lines together (a linear-programming
 * attack on a three-way table, or on tables published separately) can narrow a suppressed cell to
 * an interval, and in rare patterns to one value; rounding the published counts widens every such
 * interval. Hierarchical subtotals (trusts within ICBs within a region) are lines only when they
 * are declared as totals of their own table. docs/disclosure-control.md says more.
 */

/** The state of one cell before secondary suppression. */
export type CellState = 'published' | 'suppressed' | 'exempt';

/** One count of the table, unrounded. */
export interface SuppressionCell {
  readonly value: number;
  readonly state: CellState;
}

/** An additive equation between cells: `cells[total] = Σ cells[parts]`. */
export interface AdditiveLine {
  readonly total: number;
  readonly parts: readonly number[];
  /** Names the line in a report (table, column, dimension values; never a count). */
  readonly label: string;
}

export interface SecondarySuppressionResult {
  /** Every cell's final state (`suppressed` includes primary and secondary). */
  readonly states: readonly CellState[];
  /** The cells suppressed by this step, in the order they were chosen. */
  readonly secondary: readonly number[];
  /** Lines still holding exactly one suppressed cell because no other cell could be suppressed. */
  readonly unprotected: readonly string[];
  /** Passes over the lines until nothing changed. */
  readonly passes: number;
}

/** Applies secondary suppression to a fixed point (see the module comment for the rule). */
export function applySecondarySuppression(
  cells: readonly SuppressionCell[],
  lines: readonly AdditiveLine[],
): SecondarySuppressionResult {
  const states = cells.map((c) => c.state);
  const secondary: number[] = [];
  const suppressedIn = (line: AdditiveLine): number =>
    [line.total, ...line.parts].filter((i) => states[i] === 'suppressed').length;
  let passes = 0;
  let changed = true;
  while (changed) {
    changed = false;
    passes++;
    for (const line of lines) {
      if (suppressedIn(line) !== 1) continue;
      const pick = complementaryCell(line, cells, states);
      if (pick === undefined) continue;
      states[pick] = 'suppressed';
      secondary.push(pick);
      changed = true;
    }
  }
  const unprotected = lines.filter((line) => suppressedIn(line) === 1).map((line) => line.label);
  return { states, secondary, unprotected, passes };
}

/** The next cell to suppress in a line: smallest non-zero part, then a zero part, then the total. */
function complementaryCell(
  line: AdditiveLine,
  cells: readonly SuppressionCell[],
  states: readonly CellState[],
): number | undefined {
  const open = line.parts.filter((i) => states[i] === 'published');
  const valueOf = (i: number): number => cells[i]?.value ?? 0;
  const nonZero = open.filter((i) => valueOf(i) > 0).sort((a, b) => valueOf(a) - valueOf(b) || a - b);
  if (nonZero[0] !== undefined) return nonZero[0];
  const zero = [...open].sort((a, b) => a - b);
  if (zero[0] !== undefined) return zero[0];
  return states[line.total] === 'published' ? line.total : undefined;
}

import { DqAccumulator, type DqState } from '../../domain/dq/dq-accumulator.js';
import { renderDqScorecard } from '../../domain/dq/dq-render.js';
import {
  DQ_SCORECARD_COLUMNS,
  type DqScorecardRow,
  type ExpectedSubmission,
} from '../../domain/dq/dq-scorecard.js';
import { InputError } from '../../domain/errors.js';
import type { ObjectStore } from '../ports/object-store.port.js';

export { DQ_SCORECARD_COLUMNS, renderDqScorecard };
export type { DqScorecardRow, ExpectedSubmission };

/** What the scorecard is built from: DQ states inline and/or JSON objects in the lake. */
export interface DqScorecardRequest {
  /** States of this batch's chunks (e.g. `ValidateChunkSummary.dq`). */
  readonly states?: readonly DqState[];
  /** Lake objects holding a DqState as JSON (chunk states, previous months' merged states). */
  readonly statePaths?: readonly { readonly container: string; readonly path: string }[];
  /** Providers expected to submit each dataset each month (coverage). */
  readonly expected?: readonly ExpectedSubmission[];
}

export interface DqScorecardResult {
  /** The merged counts: store it to merge next month's batches into without re-reading rows. */
  readonly state: DqState;
  /** Rows for the gold `dq_scorecard` table (columns: DQ_SCORECARD_COLUMNS). */
  readonly rows: readonly DqScorecardRow[];
}

/** Merges DQ states by adding their counts (associative and commutative; the empty state is neutral). */
export function mergeDqStates(states: Iterable<DqState>): DqState {
  const acc = new DqAccumulator();
  for (const s of states) acc.merge(s);
  return acc.state();
}

function parseState(bytes: Buffer, where: string): DqState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new InputError(`DQ state ${where} is not JSON`, { cause });
  }
  const s = parsed as Partial<DqState> | null;
  if (!s || s.version !== 1 || typeof s.cells !== 'object' || s.cells === null)
    throw new InputError(`DQ state ${where} is not a version 1 DQ state`);
  return s as DqState;
}

/**
 * Merges the DQ states of a batch's chunks (and of earlier batches or months) into scorecard rows.
 *
 * Guarantees: the result depends only on the multiset of states (order does not matter); a listed
 * lake object that is missing or malformed throws InputError naming its path; no rows are re-read.
 */
export async function buildDqScorecard(
  request: DqScorecardRequest,
  deps: { readonly lake?: ObjectStore } = {},
): Promise<DqScorecardResult> {
  const acc = new DqAccumulator();
  for (const s of request.states ?? []) acc.merge(s);
  for (const { container, path } of request.statePaths ?? []) {
    if (!deps.lake) throw new InputError('DQ state paths were given without a lake to read them from');
    const bytes = await deps.lake.get(container, path);
    if (!bytes) throw new InputError(`DQ state ${container}/${path} does not exist`);
    acc.merge(parseState(bytes, `${container}/${path}`));
  }
  const state = acc.state();
  return { state, rows: acc.result(request.expected ? { expected: request.expected } : {}) };
}

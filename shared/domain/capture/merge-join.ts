/**
 * Merge-join of two key-sorted runs: the source's rows (or row hashes) and the capture state's
 * records. Every key is visited exactly once, in key order, as one of
 * - `sourceOnly`: the key is only in the source (an insert candidate);
 * - `stateOnly`: the key is only in the state (a delete);
 * - `both`: the key is in both (compare the hashes).
 *
 * Pure: no I/O. Items are addressed by (page, index), so a page can be an array or a columnar
 * structure, and the merge allocates nothing per key. Both runs must be sorted by the same order
 * `compare` implements (for capture, the byte order of encoded keys, `compareKeys`); the caller
 * checks the source's order itself, because only it knows how to name the offending table.
 */

/** A page of one sorted run: anything with a length, addressed by index. */
export interface SortedPage {
  readonly length: number;
}

/** What the merge calls for each key; a visitor may return a promise (the merge then waits). */
export interface MergeVisitor<S, T> {
  sourceOnly(source: S, i: number): void | Promise<void>;
  stateOnly(state: T, j: number): void | Promise<void>;
  both(source: S, i: number, state: T, j: number): void | Promise<void>;
}

/**
 * Merges two runs that arrive as pages (source pages and state chunks, streamed). Awaits only when a
 * page runs out or a visitor returns a promise. Closes both iterators when it stops early (a visitor
 * or an iterator threw), so a streamed source query is released.
 */
export async function mergeSortedRuns<S extends SortedPage, T extends SortedPage>(
  source: AsyncIterable<S>,
  state: AsyncIterable<T>,
  compare: (source: S, i: number, state: T, j: number) => number,
  visit: MergeVisitor<S, T>,
): Promise<void> {
  const sources = source[Symbol.asyncIterator]();
  const states = state[Symbol.asyncIterator]();
  let finished = false;
  try {
    let s: S | undefined;
    let t: T | undefined;
    let i = 0;
    let j = 0;
    const nextSource = async () => {
      for (;;) {
        const next = await sources.next();
        if (next.done) return undefined;
        if (next.value.length > 0) return next.value;
      }
    };
    const nextState = async () => {
      for (;;) {
        const next = await states.next();
        if (next.done) return undefined;
        if (next.value.length > 0) return next.value;
      }
    };
    s = await nextSource();
    t = await nextState();
    while (s !== undefined || t !== undefined) {
      const cmp = s !== undefined && t !== undefined ? compare(s, i, t, j) : s !== undefined ? -1 : 1;
      let pending: void | Promise<void>;
      if (cmp < 0) {
        pending = visit.sourceOnly(s!, i++);
      } else if (cmp > 0) {
        pending = visit.stateOnly(t!, j++);
      } else {
        pending = visit.both(s!, i++, t!, j++);
      }
      if (pending) await pending;
      if (s !== undefined && i >= s.length) [s, i] = [await nextSource(), 0];
      if (t !== undefined && j >= t.length) [t, j] = [await nextState(), 0];
    }
    finished = true;
  } finally {
    if (!finished) {
      await sources.return?.(undefined).catch(() => undefined);
      await states.return?.(undefined).catch(() => undefined);
    }
  }
}

/** The same merge over two sorted arrays held in memory (range leaves, fetched windows). */
export function mergeSortedArrays<S, T>(
  source: readonly S[],
  state: readonly T[],
  compare: (source: S, state: T) => number,
  visit: {
    sourceOnly(source: S): void;
    stateOnly(state: T): void;
    both(source: S, state: T): void;
  },
): void {
  let i = 0;
  let j = 0;
  while (i < source.length || j < state.length) {
    const s = source[i];
    const t = state[j];
    const cmp = i < source.length && j < state.length ? compare(s!, t!) : i < source.length ? -1 : 1;
    if (cmp < 0) {
      visit.sourceOnly(s!);
      i++;
    } else if (cmp > 0) {
      visit.stateOnly(t!);
      j++;
    } else {
      visit.both(s!, t!);
      i++;
      j++;
    }
  }
}

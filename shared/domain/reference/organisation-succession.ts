import type { Organisation } from './reference-data.js';

/**
 * Organisation succession: which organisation an organisation's activity rolls up to.
 *
 * When trusts merge, ODS records the closed organisation's successor (`successor_code`,
 * `successor_date` in reference/organisations.csv, from the ODS successor file). Reporting by trust
 * shows a merged trust's activity under the organisation that took it over, and under that one's
 * successor in turn (A → B → C rolls A up to C).
 *
 * Guarantees:
 * - A code with no succession (or unknown to the reference data) rolls up to itself.
 * - Chains are followed transitively; a succession naming the organisation itself is ignored.
 * - Cycle-safe: a cycle in the successor data (A → B → A, a data error) never loops; every member of
 *   the cycle, and every code leading into it, rolls up to the same code (the cycle's lowest code),
 *   so a cycle cannot split one organisation's activity between two rows. `cycles` lists them so a
 *   caller can report the data error.
 * - With `asOf` ('YYYY-MM-DD', or an ISO timestamp whose date part is used) only successions that
 *   took effect on or before that day apply (a succession without a date always applies); without
 *   it every succession applies, i.e. activity rolls up to today's organisation.
 * - Where an organisation's versions give different successors, the one with the latest
 *   `successorDate` wins (a dated succession over an undated one).
 */
export interface OrganisationSuccession {
  /** The code `code`'s activity rolls up to (itself when it has no successor). */
  rollUp(code: string, asOf?: string): string;
  /** The codes from `code` to its roll-up, in order, starting with `code` (cycle members once). */
  chain(code: string, asOf?: string): readonly string[];
  /** Each succession cycle in the data, as its codes sorted; empty for consistent data. */
  readonly cycles: readonly (readonly string[])[];
}

/** One succession as read from the reference organisations. */
export interface Succession {
  readonly predecessor: string;
  readonly successor: string;
  /** 'YYYY-MM-DD' the succession took effect, or null. */
  readonly date: string | null;
}

type SuccessionSource = Pick<Organisation, 'code' | 'successorCode' | 'successorDate'>;

/** The successions in a list of organisation rows: one per predecessor (latest-dated wins). */
export function successionsOf(organisations: readonly SuccessionSource[]): ReadonlyMap<string, Succession> {
  const byPredecessor = new Map<string, Succession>();
  for (const org of organisations) {
    if (org.successorCode === null || org.successorCode === org.code) continue;
    const next: Succession = { predecessor: org.code, successor: org.successorCode, date: org.successorDate };
    const seen = byPredecessor.get(org.code);
    if (seen === undefined || (next.date ?? '') > (seen.date ?? '')) byPredecessor.set(org.code, next);
  }
  return byPredecessor;
}

/** Builds the succession resolver over the reference organisations (every version of every kind). */
export function organisationSuccession(organisations: readonly SuccessionSource[]): OrganisationSuccession {
  const successions = successionsOf(organisations);
  const day = (asOf: string | undefined) => (asOf !== undefined && asOf.length > 10 ? asOf.slice(0, 10) : asOf);
  const next = (code: string, asOf: string | undefined): string | undefined => {
    const s = successions.get(code);
    if (s === undefined) return undefined;
    if (asOf !== undefined && s.date !== null && s.date > asOf) return undefined;
    return s.successor;
  };

  const chain = (code: string, asOf?: string): readonly string[] => {
    const on = day(asOf);
    const path = [code];
    const index = new Map([[code, 0]]);
    for (let at = next(code, on); at !== undefined; at = next(at, on)) {
      const repeat = index.get(at);
      if (repeat !== undefined) {
        // A cycle: end the chain at the cycle's lowest code so every way into it agrees.
        const cycle = path.slice(repeat);
        const lowest = [...cycle].sort()[0] ?? at;
        return [...path.slice(0, path.indexOf(lowest) + 1)];
      }
      index.set(at, path.length);
      path.push(at);
    }
    return path;
  };

  const rollUp = (code: string, asOf?: string): string => {
    const path = chain(code, asOf);
    return path[path.length - 1] ?? code;
  };

  const cycles: string[][] = [];
  const inCycle = new Set<string>();
  for (const start of successions.keys()) {
    if (inCycle.has(start)) continue;
    const seen: string[] = [];
    for (let at: string | undefined = start; at !== undefined; at = next(at, undefined)) {
      const repeat = seen.indexOf(at);
      if (repeat >= 0) {
        const cycle = seen.slice(repeat).sort();
        if (!cycle.some((c) => inCycle.has(c))) {
          cycles.push(cycle);
          for (const c of cycle) inCycle.add(c);
        }
        break;
      }
      if (inCycle.has(at)) break;
      seen.push(at);
    }
  }

  return { rollUp, chain, cycles };
}

/** One-off form of `organisationSuccession(organisations).rollUp(code, asOf)`. */
export function successorCodeOf(organisations: readonly SuccessionSource[], code: string, asOf?: string): string {
  return organisationSuccession(organisations).rollUp(code, asOf);
}

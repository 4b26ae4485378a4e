/**
 * The result of checking one NHS value (NHS number, ODS code, postcode, clinical code, …).
 *
 * Contract: `rule` is a short stable id (`CHECK_DIGIT`, `LENGTH`, `FORMAT`, …) that callers prefix
 * with dataset and field (`SUS.NHS_NUMBER.CHECK_DIGIT`); `reason` says in words why the value is
 * invalid and NEVER contains the value itself (values may be patient identifiers).
 */
export type ValueCheck =
  { readonly ok: true } | { readonly ok: false; readonly rule: string; readonly reason: string };

/** A failed {@link ValueCheck}. */
export type ValueFailure = Extract<ValueCheck, { ok: false }>;

/** The one shared success value (validators return it so the hot path allocates nothing). */
export const VALID: ValueCheck = Object.freeze({ ok: true });

/** A frozen failure; validators build theirs once at module load and return the same object. */
export function invalid(rule: string, reason: string): ValueFailure {
  return Object.freeze({ ok: false, rule, reason });
}

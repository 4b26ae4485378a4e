import { timestampMillis } from '../contract-engine.js';

/**
 * The ECDS waiting-time measures of one attendance, derived from its arrival and departure
 * (REFERENCE.md §3.5):
 * - `durationMins`: arrival to departure in whole minutes (NCDR `Der_EC_Duration`);
 * - `within4Hours`: `durationMins < 240`, the 4-hour standard as NHS England's SQL computes it
 *   (`Der_EC_Duration >= 0 AND < 240`, V), so exactly 240 minutes is **not** within 4 hours;
 * - `over12Hours`: `durationMins > 720`, the "12 hours from arrival" count (P), so exactly 720
 *   minutes is not over 12 hours.
 *
 * Timestamps compare as instants, so a stay across midnight or a clock change is measured in
 * elapsed time ('01:30+00:00' to '03:30+01:00' is 60 minutes). Seconds are truncated: a stay of
 * 239 minutes 59 seconds is 239 minutes (whether NCDR truncates or counts minute boundaries is
 * not in the reference: unverified). Every measure is null when the arrival or the departure is
 * missing or not a timestamp, and when the departure is before the arrival (the row contract
 * quarantines that row: `ECDS.DEPARTURE_AT.BEFORE_ARRIVAL`).
 */
export interface EcdsWaitMeasures {
  readonly durationMins: number | null;
  readonly within4Hours: boolean | null;
  readonly over12Hours: boolean | null;
}

/** The 4-hour standard in minutes: an attendance counts as within it when its duration is below this. */
export const FOUR_HOUR_STANDARD_MINS = 240;
/** 12 hours in minutes: an attendance counts as over 12 hours when its duration is above this. */
export const TWELVE_HOURS_MINS = 720;

const NONE: EcdsWaitMeasures = Object.freeze({ durationMins: null, within4Hours: null, over12Hours: null });

/** See {@link EcdsWaitMeasures}. Pure: the same two values always give the same measures. */
export function ecdsWaitMeasures(
  arrivalAt: string | null | undefined,
  departureAt: string | null | undefined,
): EcdsWaitMeasures {
  if (typeof arrivalAt !== 'string' || typeof departureAt !== 'string') return NONE;
  const arrival = timestampMillis(arrivalAt);
  const departure = timestampMillis(departureAt);
  if (Number.isNaN(arrival) || Number.isNaN(departure) || departure < arrival) return NONE;
  const durationMins = Math.floor((departure - arrival) / 60_000);
  return {
    durationMins,
    within4Hours: durationMins < FOUR_HOUR_STANDARD_MINS,
    over12Hours: durationMins > TWELVE_HOURS_MINS,
  };
}

/**
 * Age at activity and age bands: the only form date of birth takes past bronze.
 *
 * Bands are inclusive whole-year ranges; the last is open-ended. This is the one list of bands.
 */
export const AGE_BANDS = [
  { label: '0-4', from: 0, to: 4 },
  { label: '5-17', from: 5, to: 17 },
  { label: '18-24', from: 18, to: 24 },
  { label: '25-34', from: 25, to: 34 },
  { label: '35-44', from: 35, to: 44 },
  { label: '45-54', from: 45, to: 54 },
  { label: '55-64', from: 55, to: 64 },
  { label: '65-74', from: 65, to: 74 },
  { label: '75-84', from: 75, to: 84 },
  { label: '85+', from: 85, to: Number.POSITIVE_INFINITY },
] as const;
export type AgeBand = (typeof AGE_BANDS)[number]['label'];

/** Oldest age accepted as real; anything above is treated as a bad date of birth (null). */
export const MAX_PLAUSIBLE_AGE = 125;

function parts(isoDate: string): [number, number, number] | null {
  if (isoDate.length < 10 || isoDate.charCodeAt(4) !== 45 || isoDate.charCodeAt(7) !== 45) return null;
  const y = Number(isoDate.slice(0, 4));
  const m = Number(isoDate.slice(5, 7));
  const d = Number(isoDate.slice(8, 10));
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d)) return null;
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  return [y, m, d];
}

/**
 * Whole years from `dateOfBirth` to `activityDate` (both ISO dates; a timestamp's first ten
 * characters are its local date). A birthday on 29 February is reached on 1 March in non-leap
 * years. Null when either date is missing or malformed, the activity precedes the birth, or the
 * age exceeds {@link MAX_PLAUSIBLE_AGE}.
 */
export function ageAtActivity(
  dateOfBirth: string | null | undefined,
  activityDate: string | null | undefined,
): number | null {
  if (!dateOfBirth || !activityDate) return null;
  const b = parts(dateOfBirth);
  const a = parts(activityDate);
  if (!b || !a) return null;
  let age = a[0] - b[0];
  if (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])) age -= 1;
  if (age < 0 || age > MAX_PLAUSIBLE_AGE) return null;
  return age;
}

/** The band of an age in whole years; null for null. */
export function ageBand(age: number | null): AgeBand | null {
  if (age === null || age < 0) return null;
  for (const band of AGE_BANDS) if (age <= band.to) return band.label;
  return null;
}

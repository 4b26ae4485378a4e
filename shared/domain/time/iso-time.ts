/**
 * Strict readers of ISO-8601 times: the calendar and the clock are checked field by field, so an
 * impossible date (`2024-02-30`, `2023-02-29`, `2024-04-31`) or clock time (`24:00`, `10:60`) is
 * refused in every form, never rolled over the way `Date.parse` rolls `2024-02-30T10:00:00Z` into
 * March. Pure: no clock, no environment.
 *
 * Forms (a contract: docs/scd2.md, docs/events.md):
 * - `date`: `YYYY-MM-DD`, read as 00:00 UTC of that date;
 * - `instant`: `YYYY-MM-DDTHH:mm[:ss[.f…]]` then `Z`, `±hh:mm` or `±hhmm` (offsets up to ±23:59);
 * - `utc-instant`: `YYYY-MM-DDTHH:mm:ss[.f…]Z`.
 * Fractions beyond milliseconds are truncated (the canonical form carries milliseconds).
 */

/** Why a text is not the time it should be. Names a shape, never a value (a time may be a DOB). */
export type IsoTimeProblem =
  'not-iso' | 'no-offset' | 'not-utc' | 'impossible-date' | 'impossible-clock-time' | 'impossible-offset';

export type IsoTimeReading =
  { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly problem: IsoTimeProblem };

/** Which forms a field accepts. */
export type IsoTimeForms = 'date-or-instant' | 'instant' | 'utc-instant';

const datePart = /^(\d{4})-(\d{2})-(\d{2})$/;
const instantPart =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|([+-])(\d{2}):?(\d{2}))?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True when year-month-day is a real date of the proleptic Gregorian calendar. */
export function isRealCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0));
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function civilDays(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Reads `text` as one of `forms` (see the module comment); epoch milliseconds, or why not. */
export function readIsoTime(text: string, forms: IsoTimeForms): IsoTimeReading {
  const date = forms === 'date-or-instant' ? datePart.exec(text) : null;
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    if (!isRealCalendarDate(y, m, d)) return { ok: false, problem: 'impossible-date' };
    return { ok: true, ms: civilDays(y, m, d) * 86_400_000 };
  }
  const t = instantPart.exec(text);
  if (!t) return { ok: false, problem: 'not-iso' };
  const [y, mo, d, h, mi] = [Number(t[1]), Number(t[2]), Number(t[3]), Number(t[4]), Number(t[5])];
  const seconds = t[6];
  const zone = t[8];
  if (zone === undefined) return { ok: false, problem: 'no-offset' };
  if (forms === 'utc-instant' && (zone !== 'Z' || seconds === undefined))
    return { ok: false, problem: zone !== 'Z' ? 'not-utc' : 'not-iso' };
  if (!isRealCalendarDate(y, mo, d)) return { ok: false, problem: 'impossible-date' };
  const s = seconds === undefined ? 0 : Number(seconds);
  if (h > 23 || mi > 59 || s > 59) return { ok: false, problem: 'impossible-clock-time' };
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const [oh, om] = [Number(t[10]), Number(t[11])];
    if (oh > 23 || om > 59) return { ok: false, problem: 'impossible-offset' };
    offsetMinutes = (t[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = Number(((t[7] ?? '') + '000').slice(0, 3));
  const ms = ((civilDays(y, mo, d) * 24 + h) * 60 + mi - offsetMinutes) * 60_000 + s * 1000 + fraction;
  return { ok: true, ms };
}

/** What each form looks like, for "expected …" in messages. */
export const ISO_TIME_EXPECTED: Readonly<Record<IsoTimeForms, string>> = {
  'date-or-instant':
    'an ISO date (YYYY-MM-DD) or an instant with an offset (YYYY-MM-DDTHH:mm[:ss[.fff]] then Z or ±hh:mm) on a real calendar date',
  instant: 'an instant with an offset (YYYY-MM-DDTHH:mm[:ss[.fff]] then Z or ±hh:mm) on a real calendar date',
  'utc-instant': 'a UTC instant (YYYY-MM-DDTHH:mm:ss[.fff]Z) on a real calendar date',
};

/** What arrived, for "received …" in messages: its shape only, never its digits. */
export const ISO_TIME_RECEIVED: Readonly<Record<IsoTimeProblem, string>> = {
  'not-iso': 'text that is not in that form',
  'no-offset': 'a date-time without an offset',
  'not-utc': 'a date-time with an offset other than Z',
  'impossible-date': 'a date that does not exist in the calendar',
  'impossible-clock-time': 'a clock time that does not exist (hours 00-23, minutes and seconds 00-59)',
  'impossible-offset': 'an offset out of range (±23:59 at most)',
};

/** The canonical UTC text `YYYY-MM-DDTHH:mm:ss.sssZ` of epoch milliseconds (sorts as text, years 0000-9999). */
export function canonicalUtc(ms: number): string {
  return new Date(ms).toISOString();
}

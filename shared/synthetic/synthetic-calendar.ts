import { readIsoTime } from '../domain/time/iso-time.js';

/**
 * Date arithmetic for the generator on whole days (days since 1970-01-01, UTC) and minutes, so
 * the hot path never builds `Date` objects per row except when formatting.
 */
export const MS_PER_DAY = 86_400_000;
const MS_PER_MINUTE = 60_000;

/** `'YYYY-MM-DD'` → day number. Throws a RangeError on a malformed date (a configuration bug). */
export function dayOf(isoDate: string): number {
  // Strict: 2024-02-30 is refused, not rolled over into March as Date.parse would.
  const reading = /^\d{4}-\d{2}-\d{2}$/.test(isoDate) ? readIsoTime(isoDate, 'date-or-instant') : undefined;
  if (!reading?.ok)
    throw new RangeError(
      `expected a date 'YYYY-MM-DD' on a real calendar date, received a value of length ${isoDate.length}`,
    );
  return Math.round(reading.ms / MS_PER_DAY);
}

// Days 0 … 65 535 (1970 to 2149) are cached in an array: the generator formats the same days often.
const isoCache: (string | undefined)[] = [];
/** Day number → `'YYYY-MM-DD'`. */
export function isoDate(day: number): string {
  const cacheable = day >= 0 && day < 65_536 && Number.isInteger(day);
  let s = cacheable ? isoCache[day] : undefined;
  if (s === undefined) {
    s = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
    if (cacheable) isoCache[day] = s;
  }
  return s;
}

/** Day number of the last Sunday of a month (month 1-12) in a year. */
function lastSunday(year: number, month: number): number {
  const lastDay = Math.round(Date.UTC(year, month, 0) / MS_PER_DAY);
  const weekday = (lastDay + 4) % 7; // 1970-01-01 was a Thursday (4); 0 = Sunday
  return lastDay - weekday;
}

const bstCache = new Map<number, readonly [number, number]>();
/** UK summer time (BST, +01:00) runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October. */
function isBritishSummerTime(utcMs: number): boolean {
  const year = new Date(utcMs).getUTCFullYear();
  let window = bstCache.get(year);
  if (!window) {
    window = [lastSunday(year, 3) * MS_PER_DAY + 3_600_000, lastSunday(year, 10) * MS_PER_DAY + 3_600_000];
    bstCache.set(year, window);
  }
  return utcMs >= window[0] && utcMs < window[1];
}

/**
 * A UTC instant in minutes since the epoch → ISO-8601 in Europe/London local time with its offset
 * (`'2024-07-01T14:05:00.000+01:00'`), the wire form of a `datetimeoffset` column.
 */
export function londonDateTimeOffset(utcMinutes: number): string {
  const bst = isBritishSummerTime(utcMinutes * MS_PER_MINUTE);
  const local = Math.round(utcMinutes) + (bst ? 60 : 0);
  const day = Math.floor(local / 1440);
  const minute = local - day * 1440;
  return `${isoDate(day)}T${TWO_DIGITS[Math.floor(minute / 60)]}:${TWO_DIGITS[minute % 60]}:00.000${bst ? '+01:00' : '+00:00'}`;
}

const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/** The local (Europe/London) calendar day of a UTC instant given in minutes. */
export function londonDay(utcMinutes: number): number {
  const utcMs = utcMinutes * MS_PER_MINUTE;
  return Math.floor((utcMs + (isBritishSummerTime(utcMs) ? 3_600_000 : 0)) / MS_PER_DAY);
}

/** A UTC instant in minutes for a local (Europe/London) day and minute of that day. */
export function londonMinutes(day: number, minuteOfDay: number): number {
  const naive = day * 1440 + minuteOfDay;
  return isBritishSummerTime(naive * MS_PER_MINUTE) ? naive - 60 : naive;
}

/** Day number → `'YYYYMM'` (processing month). */
export function yearMonth(day: number): string {
  const s = isoDate(day);
  return `${s.slice(0, 4)}${s.slice(5, 7)}`;
}

/** First day (day number) of the financial year (1 April) holding `day`, as `'2024/25'`-style label. */
export function financialYear(day: number): string {
  const s = isoDate(day);
  const y = Number(s.slice(0, 4));
  const start = Number(s.slice(5, 7)) >= 4 ? y : y - 1;
  return `${start}/${String((start + 1) % 100).padStart(2, '0')}`;
}

import { InputError } from '../../errors.js';

/**
 * MHSDS reporting periods. Every MHSDS record carries `UniqMonthID`, the number of the calendar
 * month it was submitted for (../shared/nhs/REFERENCE.md §5.1, V: "1429 = April 2019"). The
 * numbering counts whole months, so one month on is one more: the mapping is fixed by that one
 * anchor, and the first month (UniqMonthID 1) is April 1900.
 */

/** The documented anchor: UniqMonthID 1429 is April 2019. */
export const UNIQ_MONTH_ID_ANCHOR = { uniqMonthId: 1429, year: 2019, month: 4 } as const;

/** A calendar month: `month` 1 (January) to 12. */
export interface CalendarMonth {
  readonly year: number;
  readonly month: number;
}

const anchorIndex = UNIQ_MONTH_ID_ANCHOR.year * 12 + (UNIQ_MONTH_ID_ANCHOR.month - 1);
const OFFSET = anchorIndex - UNIQ_MONTH_ID_ANCHOR.uniqMonthId;

/** The UniqMonthID of a calendar month (from April 1900, UniqMonthID 1). */
export function uniqMonthIdOf(m: CalendarMonth): number {
  if (!Number.isInteger(m.year) || !Number.isInteger(m.month) || m.month < 1 || m.month > 12)
    throw new InputError('uniqMonthIdOf expected a whole year and a month 1-12');
  const id = m.year * 12 + (m.month - 1) - OFFSET;
  if (id < 1) throw new InputError('uniqMonthIdOf expected a month from April 1900 (UniqMonthID 1) on');
  return id;
}

/** The calendar month of a UniqMonthID (a whole number from 1). */
export function monthOfUniqMonthId(uniqMonthId: number): CalendarMonth {
  if (!Number.isInteger(uniqMonthId) || uniqMonthId < 1)
    throw new InputError('monthOfUniqMonthId expected a whole number from 1');
  const index = uniqMonthId + OFFSET;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** The UniqMonthID of the month an ISO date (`YYYY-MM-DD…`) falls in. */
export function uniqMonthIdOfDate(isoDate: string): number {
  const m = /^(\d{4})-(\d{2})-\d{2}/.exec(isoDate);
  if (!m) throw new InputError('uniqMonthIdOfDate expected an ISO date (YYYY-MM-DD)');
  return uniqMonthIdOf({ year: Number(m[1]), month: Number(m[2]) });
}

/** The first and last days (ISO dates) of a UniqMonthID's month: the reporting period. */
export function reportingPeriodOf(uniqMonthId: number): { readonly start: string; readonly end: string } {
  const { year, month } = monthOfUniqMonthId(uniqMonthId);
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const mm = String(month).padStart(2, '0');
  const yyyy = String(year).padStart(4, '0');
  return { start: `${yyyy}-${mm}-01`, end: `${yyyy}-${mm}-${String(lastDay).padStart(2, '0')}` };
}

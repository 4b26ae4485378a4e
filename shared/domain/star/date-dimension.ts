import type { PortableRow } from '../gold/portable-types.js';
import { financialYearOf } from '../reference/reference-data.js';

/**
 * dim_date: one row per calendar day of a fixed span (NHS financial years 2010/11 to 2035/36), so it
 * never depends on the data and every fact date within the span has its row. Pure.
 *
 * Contract (`date_key`): the date as the integer YYYYMMDD; facts hold it as `date_key`.
 */
export const DATE_DIMENSION_SPAN = { from: '2010-04-01', to: '2036-03-31' } as const;

const DAY_MS = 86_400_000;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** 'YYYY-MM-DD…' → YYYYMMDD, or null when the text does not start with a date. */
export function dateKeyOf(date: unknown): number | null {
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(date)) return null;
  return Number(date.slice(0, 4) + date.slice(5, 7) + date.slice(8, 10));
}

/** ISO 8601 week-numbering year and week of a UTC day. */
export function isoWeekOf(day: Date): { year: number; week: number } {
  const d = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0
  d.setUTCDate(d.getUTCDate() - weekday + 3); // the Thursday of the week decides its year
  const year = d.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() - ((firstThursday.getUTCDay() + 6) % 7) + 3);
  return { year, week: 1 + Math.round((d.getTime() - firstThursday.getTime()) / (7 * DAY_MS)) };
}

/** The dim_date rows of a span (inclusive), without lineage columns. */
export function dateDimensionRows(span: { from: string; to: string } = DATE_DIMENSION_SPAN): PortableRow[] {
  const rows: PortableRow[] = [];
  const end = Date.parse(`${span.to}T00:00:00Z`);
  for (let t = Date.parse(`${span.from}T00:00:00Z`); t <= end; t += DAY_MS) {
    const day = new Date(t);
    const iso = day.toISOString().slice(0, 10);
    const month = day.getUTCMonth() + 1;
    const financialMonth = ((month + 8) % 12) + 1; // April = 1 … March = 12
    const weekday = (day.getUTCDay() + 6) % 7;
    const week = isoWeekOf(day);
    rows.push({
      date_key: dateKeyOf(iso),
      calendar_date: iso,
      calendar_year: day.getUTCFullYear(),
      calendar_month: month,
      month_name: MONTHS[month - 1] ?? null,
      period: iso.slice(0, 7),
      financial_year: financialYearOf(iso),
      financial_month: financialMonth,
      financial_quarter: `Q${Math.ceil(financialMonth / 3)}`,
      iso_year: week.year,
      iso_week: week.week,
      day_of_week: weekday + 1,
      day_name: DAYS[weekday] ?? null,
      is_weekend: weekday >= 5,
    });
  }
  return rows;
}

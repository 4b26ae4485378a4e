/**
 * Timer trigger schedules as the Functions host reads them: a six-field NCRONTAB expression
 * `{second} {minute} {hour} {day} {month} {day-of-week}` (`*`, values, `a-b` ranges, `,` lists, `/n`
 * steps, month and weekday names, weekday 0–6 with 0 = Sunday), or a TimeSpan interval `hh:mm:ss` /
 * `d.hh:mm:ss`. Evaluated in UTC (WEBSITE_TIME_ZONE is not emulated). As in NCrontab, a restricted day
 * AND a restricted weekday must both match.
 *
 * Guarantees: `parseSchedule` rejects anything else with a message naming the field, the expected
 * range and the text received; `nextOccurrence(after)` is strictly after `after`, at whole seconds.
 */
export interface Schedule {
  readonly expression: string;
  nextOccurrence(after: Date): Date;
}

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const fields: readonly Field[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { name: 'day-of-week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

export class ScheduleError extends Error {
  readonly code = 'TIMER_SCHEDULE_INVALID';
}

function parseValue(text: string, field: Field, expression: string): number {
  const lower = text.toLowerCase();
  const named = field.names?.findIndex((n) => lower.startsWith(n) && lower.length <= 9) ?? -1;
  const value =
    named >= 0 && !/^\d+$/.test(text) ? named + field.min : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < field.min || value > field.max) {
    throw new ScheduleError(
      `timer schedule "${expression}": the ${field.name} field expects ${field.min}-${field.max}${field.names ? ' or a name' : ''}, received "${text}"`,
    );
  }
  return value;
}

function parseField(text: string, field: Field, expression: string): { values: Set<number>; any: boolean } {
  const values = new Set<number>();
  let any = false;
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) {
      throw new ScheduleError(
        `timer schedule "${expression}": the ${field.name} field has step "${stepText}", expected a whole number ≥ 1`,
      );
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = field.min;
      to = field.max;
      if (stepText === undefined) any = true;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = parseValue(a, field, expression);
      to = parseValue(b, field, expression);
      if (to < from)
        throw new ScheduleError(
          `timer schedule "${expression}": the ${field.name} range "${range}" runs backwards`,
        );
    } else {
      from = parseValue(range, field, expression);
      to = stepText === undefined ? from : field.max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return { values, any };
}

/** Parses a timer trigger `schedule` (after `%setting%` substitution). */
export function parseSchedule(expression: string): Schedule {
  const trimmed = expression.trim();
  const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(trimmed);
  if (span) {
    const [, d = '0', h = '0', m = '0', s = '0'] = span;
    const ms = (((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s)) * 1000;
    if (ms <= 0)
      throw new ScheduleError(`timer schedule "${expression}": an interval must be longer than zero`);
    return {
      expression,
      nextOccurrence: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + ms),
    };
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 6) {
    throw new ScheduleError(
      `timer schedule "${expression}": expected 6 fields (second minute hour day month day-of-week) or hh:mm:ss, received ${parts.length}`,
    );
  }
  const [sec, min, hour, day, month, dow] = parts.map((p, i) => parseField(p, fields[i]!, expression)) as [
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
  ];
  const dayMatches = (t: Date) =>
    day.values.has(t.getUTCDate()) && dow.values.has(t.getUTCDay()) && month.values.has(t.getUTCMonth() + 1);
  return {
    expression,
    nextOccurrence(after: Date): Date {
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      const limit = after.getTime() + 8 * 366 * 86_400_000;
      while (t.getTime() <= limit) {
        if (!month.values.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!dayMatches(t)) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!hour.values.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
          continue;
        }
        if (!min.values.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
          continue;
        }
        if (!sec.values.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
          continue;
        }
        return t;
      }
      throw new ScheduleError(
        `timer schedule "${expression}" has no occurrence within 8 years after ${after.toISOString()}`,
      );
    },
  };
}

/**
 * Calendar arithmetic for pathway windows: whole days between local calendar dates.
 *
 * A value's date is its first ten characters (`YYYY-MM-DD`): for a `datetimeoffset` kept with its
 * offset that is the local date the event happened on, which is what a "within N days" window
 * means to a commissioner.
 */
export type PathwayRow = Readonly<Record<string, string | number | boolean | null | undefined>>;

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a value's calendar date; null when missing or malformed. */
export function dayNumber(value: string | number | boolean | null | undefined): number | null {
  if (typeof value !== 'string' || value.length < 10) return null;
  const y = Number(value.slice(0, 4));
  const m = Number(value.slice(5, 7));
  const d = Number(value.slice(8, 10));
  if (
    !Number.isInteger(y) ||
    !Number.isInteger(m) ||
    !Number.isInteger(d) ||
    m < 1 ||
    m > 12 ||
    d < 1 ||
    d > 31
  )
    return null;
  return Math.round(Date.UTC(y, m - 1, d) / DAY_MS);
}

const isoCache = new Map<number, string>();
const monthCache = new Map<number, number>();

/** ISO date of a day number (cached: pathway inputs repeat a few thousand distinct days). */
export function isoDate(day: number): string {
  let iso = isoCache.get(day);
  if (iso === undefined) {
    iso = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (isoCache.size < 200_000) isoCache.set(day, iso);
  }
  return iso;
}

/** Month index (year × 12 + month − 1) of a day number. */
export function monthIndex(day: number): number {
  let month = monthCache.get(day);
  if (month === undefined) {
    const date = new Date(day * DAY_MS);
    month = date.getUTCFullYear() * 12 + date.getUTCMonth();
    if (monthCache.size < 200_000) monthCache.set(day, month);
  }
  return month;
}

/** `YYYY-MM` of a month index. */
export function periodOfMonth(month: number): string {
  const y = Math.floor(month / 12);
  return `${String(y).padStart(4, '0')}-${String((month % 12) + 1).padStart(2, '0')}`;
}

/** Day number of the last day of a month index. */
export function lastDayOfMonth(month: number): number {
  const y = Math.floor(month / 12);
  return Math.round(Date.UTC(y, (month % 12) + 1, 0) / DAY_MS);
}

export function text(row: PathwayRow, name: string): string | null {
  const v = row[name];
  return typeof v === 'string' && v !== '' ? v : null;
}

/** Money in wire form (`'12.34'`) as whole pence; 0 when missing. */
export function pence(value: string | number | boolean | null | undefined): number {
  if (typeof value === 'number') return Math.round(value * 100);
  if (typeof value !== 'string' || value === '') return 0;
  const n = Number(value);
  return Number.isFinite(n) ? Math.round(n * 100) : 0;
}

/** Whole pence as a decimal string with two places (`1234` → `'12.34'`). */
export function poundsText(p: number): string {
  const sign = p < 0 ? '-' : '';
  const abs = Math.abs(p);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Events of many persons, walked person by person in time order: the one order every pathway
 * pass uses. Persons are interned to integers and events bucketed by person (counting sort, O(n));
 * each person's few events are then sorted by (day, kind, index) as packed numbers with the
 * native typed-array sort, so a million events cost no comparator calls and no per-event objects.
 * Kinds sort in ascending order on the same day (callers give the anchor event kind 0 so that
 * same-day follow-ups come after it: day 0 counts).
 */
export class PersonTimeline {
  private readonly persons = new Map<string, number>();
  private person: number[] = [];
  private packed: number[] = [];

  /** Adds an event; `kind` 0..3, `index` 0..2^25-1 (the caller's row index for that kind). */
  add(person: string, day: number, kind: number, index: number): void {
    if (index >= INDEX_LIMIT)
      throw new Error(`pathway timeline: more than ${INDEX_LIMIT} events of one kind`);
    let id = this.persons.get(person);
    if (id === undefined) {
      id = this.persons.size;
      this.persons.set(person, id);
    }
    this.person.push(id);
    this.packed.push(((day + DAY_OFFSET) * 4 + kind) * INDEX_LIMIT + index);
  }

  get size(): number {
    return this.packed.length;
  }

  /**
   * Calls `visit` once per person with that person's events in time order, as parallel arrays
   * (reused between calls: copy what you keep).
   */
  forEachPerson(
    visit: (person: string, days: Int32Array, kinds: Uint8Array, indexes: Int32Array, count: number) => void,
  ): void {
    const n = this.packed.length;
    const personCount = this.persons.size;
    const start = new Int32Array(personCount + 1);
    for (const id of this.person) start[id + 1]! += 1;
    for (let p = 0; p < personCount; p++) start[p + 1]! += start[p]!;
    const fill = start.slice(0, personCount);
    const ordered = new Float64Array(n);
    for (let e = 0; e < n; e++) ordered[fill[this.person[e]!]!++] = this.packed[e]!;
    this.person = [];
    this.packed = [];
    const names: string[] = new Array<string>(personCount);
    for (const [name, id] of this.persons) names[id] = name;
    let days = new Int32Array(16);
    let kinds = new Uint8Array(16);
    let indexes = new Int32Array(16);
    for (let p = 0; p < personCount; p++) {
      const from = start[p]!;
      const to = start[p + 1]!;
      const count = to - from;
      const segment = ordered.subarray(from, to).sort();
      if (count > days.length) {
        days = new Int32Array(count * 2);
        kinds = new Uint8Array(count * 2);
        indexes = new Int32Array(count * 2);
      }
      for (let e = 0; e < count; e++) {
        const v = segment[e]!;
        const index = v % INDEX_LIMIT;
        const dk = (v - index) / INDEX_LIMIT;
        const kind = dk % 4;
        indexes[e] = index;
        kinds[e] = kind;
        days[e] = (dk - kind) / 4 - DAY_OFFSET;
      }
      visit(names[p]!, days, kinds, indexes, count);
    }
  }
}

const INDEX_LIMIT = 2 ** 25;
/** Keeps packed values positive for dates back to about 1697. */
const DAY_OFFSET = 100_000;

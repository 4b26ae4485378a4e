import type { PortableColumn } from '../gold/portable-types.js';
import type { FactRow } from './careflow-pathways.js';
import {
  PersonTimeline,
  dayNumber,
  isoDate,
  lastDayOfMonth,
  monthIndex,
  periodOfMonth,
  text,
  type PathwayRow,
} from './pathway-time.js';

/**
 * Community 360 pathway facts, from linked silver rows (each with `person_id`).
 *
 * Definitions (days are whole local calendar days after the A&E arrival date; day 0 = that day):
 * - imaging follow-up: the first DIDS test with a test date on days 0..{@link IMAGING_WINDOW_DAYS}
 *   (day 7 in, day 8 out);
 * - community referral follow-up: the first CSDS referral received on days
 *   0..{@link COMMUNITY_REFERRAL_WINDOW_DAYS} (day 30 in, day 31 out), measured from the attendance;
 * - funnel, its steps in time order: attendances → imaged within 7 days → then referred to
 *   community services: a CSDS referral received on or after the day of that first imaging test
 *   and within 30 days of the attendance; plus the share of all attendances referred within 30 days;
 * - frequent A&E attender: an attendance is a frequent attender's when the person has at least
 *   `frequentAttenderMin` (setting NHSFLOWS_FREQUENT_ATTENDER_MIN, default
 *   {@link DEFAULT_FREQUENT_ATTENDER_MIN}) attendances, at any provider, in the 12 months ending
 *   with it (its arrival day and the {@link FREQUENT_ATTENDER_WINDOW_DAYS} − 1 days before); a person
 *   is flagged from their first such attendance. Unlinked attendances belong to no person and are
 *   never flagged. The threshold is this project's setting (NHS England's high intensity user work
 *   is often quoted as 5 or more a year: not verified, REFERENCE.md has no definition);
 * - caseload: at the end of each calendar month, per provider and team type, the referrals open
 *   (received on or before the last day of the month and not discharged before it: a discharge
 *   ON the last day still counts as open that month) and the people they belong to (an unlinked
 *   referral counts as one person of its own); also referrals received and discharged in the month.
 *   The provider is the reporting organisation (`organisationRollUp`: a merged trust's caseload
 *   shows under its successor).
 *
 * Algorithm: compact events sorted by person then time, one pass per person; the caseload uses
 * per-month difference arrays, so its cost does not grow with the length of a referral.
 */
export const IMAGING_WINDOW_DAYS = 7;
export const COMMUNITY_REFERRAL_WINDOW_DAYS = 30;
/** The 12 months a frequent attender's attendances are counted over, in days (365). */
export const FREQUENT_ATTENDER_WINDOW_DAYS = 365;
/** Default NHSFLOWS_FREQUENT_ATTENDER_MIN (a project choice, not verified against an NHS definition). */
export const DEFAULT_FREQUENT_ATTENDER_MIN = 5;

const col = (name: string, type: PortableColumn['type'], nullable = true): PortableColumn => ({
  name,
  type,
  nullable,
});

export const FACT_AE_PATHWAY_COLUMNS: readonly PortableColumn[] = [
  col('attendance_id', 'string', false),
  col('person_id', 'string'),
  col('link_quality', 'string', false),
  col('provider_code', 'string', false),
  col('arrival_date', 'date', false),
  col('period', 'string', false),
  col('imaging_test_id', 'string'),
  col('days_to_imaging', 'int'),
  col('imaged_within_7d', 'boolean', false),
  col('community_referral_id', 'string'),
  col('days_to_community_referral', 'int'),
  col('referred_within_30d', 'boolean', false),
  col('imaged_then_referred', 'boolean', false),
  col('frequent_attender', 'boolean', false),
];

export const FACT_FREQUENT_AE_ATTENDER_COLUMNS: readonly PortableColumn[] = [
  col('person_id', 'string', false),
  col('link_quality', 'string', false),
  col('provider_code', 'string', false),
  col('first_flagged_date', 'date', false),
  col('first_flagged_period', 'string', false),
  col('attendances', 'int', false),
  col('max_attendances_12m', 'int', false),
];

export const FACT_COMMUNITY_CASELOAD_COLUMNS: readonly PortableColumn[] = [
  col('provider_code', 'string', false),
  col('team_type', 'string', false),
  col('period', 'string', false),
  col('period_end_date', 'date', false),
  col('open_referrals', 'int', false),
  col('people', 'int', false),
  col('referrals_received', 'int', false),
  col('referrals_discharged', 'int', false),
];

/**
 * The silver columns `community360PathwayFacts` reads from each input, besides the link columns
 * (`person_id`, `link_quality`) that linkage adds: the marts refresh reads only these from the lake.
 * A column read below and missing here is caught by tests/unit/pathways/mart-input-columns.test.ts.
 */
export const COMMUNITY360_PATHWAY_COLUMNS = {
  ecds_attendance: ['attendance_id', 'provider_code', 'arrival_at'],
  dids_imaging_test: ['imaging_test_id', 'test_date'],
  csds_referral: [
    'referral_id',
    'provider_code',
    'team_type',
    'referral_received_date',
    'service_discharge_date',
  ],
} as const;

export interface Community360PathwayInput {
  /** Linked `ecds_attendance` silver rows. */
  readonly attendances: Iterable<PathwayRow>;
  /** Linked `dids_imaging_test` silver rows. */
  readonly imagingTests: Iterable<PathwayRow>;
  /** Linked `csds_referral` silver rows. */
  readonly communityReferrals: Iterable<PathwayRow>;
  /** Last day the caseload is reported for (ISO date; default: the latest date in the referrals). */
  readonly caseloadUntil?: string;
  /** The organisation a provider's caseload reports under (default: itself). */
  readonly organisationRollUp?: (providerCode: string) => string;
  /** Attendances in 12 months that make a frequent attender (default {@link DEFAULT_FREQUENT_ATTENDER_MIN}). */
  readonly frequentAttenderMin?: number;
}

export interface AeFunnel {
  readonly attendances: number;
  readonly imagedWithin7d: number;
  readonly imagedThenReferredWithin30d: number;
  readonly referredWithin30d: number;
  /** Share of attendances referred to community services within 30 days, in percent (2 dp). */
  readonly percentReferredToCommunity: number;
}

export interface Community360PathwayFacts {
  readonly aePathway: FactRow[];
  readonly funnel: AeFunnel;
  readonly communityCaseload: FactRow[];
  readonly frequentAttenders: FactRow[];
}

/** Event kinds on the timeline (the attendance sorts first on its day). */
const ATTENDANCE = 0;
const IMAGING = 1;
const REFERRAL = 2;

export function community360PathwayFacts(input: Community360PathwayInput): Community360PathwayFacts {
  const timeline = new PersonTimeline();
  const attendances: { id: string; person: string | null; quality: string; provider: string; d: number }[] =
    [];
  for (const row of input.attendances) {
    const d = dayNumber(row.arrival_at);
    const id = text(row, 'attendance_id');
    if (d === null || id === null) continue;
    const person = text(row, 'person_id');
    if (person !== null) timeline.add(person, d, ATTENDANCE, attendances.length);
    attendances.push({
      id,
      person,
      quality: text(row, 'link_quality') ?? 'unlinked',
      provider: text(row, 'provider_code') ?? '',
      d,
    });
  }
  const imaging: { id: string; d: number }[] = [];
  for (const row of input.imagingTests) {
    const d = dayNumber(row.test_date);
    const person = text(row, 'person_id');
    if (d === null || person === null) continue;
    timeline.add(person, d, IMAGING, imaging.length);
    imaging.push({ id: text(row, 'imaging_test_id') ?? '', d });
  }
  const referrals: {
    id: string;
    person: string | null;
    provider: string;
    team: string;
    received: number;
    discharged: number | null;
  }[] = [];
  for (const row of input.communityReferrals) {
    const received = dayNumber(row.referral_received_date);
    if (received === null) continue;
    const person = text(row, 'person_id');
    if (person !== null) timeline.add(person, received, REFERRAL, referrals.length);
    referrals.push({
      id: text(row, 'referral_id') ?? '',
      person,
      provider: text(row, 'provider_code') ?? '',
      team: text(row, 'team_type') ?? 'unknown',
      received,
      discharged: dayNumber(row.service_discharge_date),
    });
  }

  const minAttendances = input.frequentAttenderMin ?? DEFAULT_FREQUENT_ATTENDER_MIN;
  const follow = new Map<
    number,
    { img?: { id: string; d: number }; ref?: { id: string; d: number }; thenReferred: boolean }
  >();
  const frequent = new Set<number>();
  const frequentAttenders: FactRow[] = [];
  timeline.forEachPerson((person, days, kinds, indexes, count) => {
    // The person's attendance days so far, for the 12-month count (a sliding window).
    const seen: number[] = [];
    let windowStart = 0;
    let flagged: { e: number; max: number } | undefined;
    for (let e = 0; e < count; e++) {
      if (kinds[e] !== ATTENDANCE) continue;
      const arrival = days[e]!;
      seen.push(arrival);
      while (seen[windowStart]! <= arrival - FREQUENT_ATTENDER_WINDOW_DAYS) windowStart++;
      const inWindow = seen.length - windowStart;
      if (inWindow >= minAttendances) {
        frequent.add(indexes[e]!);
        if (!flagged) flagged = { e: indexes[e]!, max: 0 };
        flagged.max = Math.max(flagged.max, inWindow);
      }
      let img: { id: string; d: number } | undefined;
      let ref: { id: string; d: number } | undefined;
      let thenReferred = false;
      // Same-day events of other kinds sort after the attendance (day 0 counts), and a referral
      // after an imaging test on the same day (the funnel's time order holds on that day).
      for (let f = e + 1; f < count; f++) {
        const after = days[f]! - arrival;
        if (after > COMMUNITY_REFERRAL_WINDOW_DAYS) break;
        if (kinds[f] === IMAGING && img === undefined && after <= IMAGING_WINDOW_DAYS)
          img = imaging[indexes[f]!];
        else if (kinds[f] === REFERRAL) {
          const r = referrals[indexes[f]!]!;
          if (ref === undefined) ref = { id: r.id, d: r.received };
          if (img !== undefined) thenReferred = true;
        }
      }
      if (img || ref) follow.set(indexes[e]!, { img, ref, thenReferred });
    }
    if (flagged) {
      const first = attendances[flagged.e]!;
      frequentAttenders.push({
        person_id: person,
        link_quality: first.quality,
        provider_code: first.provider,
        first_flagged_date: isoDate(first.d),
        first_flagged_period: periodOfMonth(monthIndex(first.d)),
        attendances: seen.length,
        max_attendances_12m: flagged.max,
      });
    }
  });

  let imaged = 0;
  let imagedThenReferred = 0;
  let referred = 0;
  const aePathway: FactRow[] = attendances.map((a, i) => {
    const f = follow.get(i);
    const img = f?.img;
    const ref = f?.ref;
    if (img) imaged += 1;
    if (ref) referred += 1;
    const thenReferred = f?.thenReferred === true;
    if (thenReferred) imagedThenReferred += 1;
    return {
      attendance_id: a.id,
      person_id: a.person,
      link_quality: a.quality,
      provider_code: a.provider,
      arrival_date: isoDate(a.d),
      period: periodOfMonth(monthIndex(a.d)),
      imaging_test_id: img?.id ?? null,
      days_to_imaging: img ? img.d - a.d : null,
      imaged_within_7d: img !== undefined,
      community_referral_id: ref?.id ?? null,
      days_to_community_referral: ref ? ref.d - a.d : null,
      referred_within_30d: ref !== undefined,
      imaged_then_referred: thenReferred,
      frequent_attender: frequent.has(i),
    };
  });

  const funnel: AeFunnel = {
    attendances: attendances.length,
    imagedWithin7d: imaged,
    imagedThenReferredWithin30d: imagedThenReferred,
    referredWithin30d: referred,
    percentReferredToCommunity:
      attendances.length === 0 ? 0 : Math.round((referred / attendances.length) * 10_000) / 100,
  };

  const rollUp = input.organisationRollUp;
  const reporting = rollUp ? referrals.map((r) => ({ ...r, provider: rollUp(r.provider) })) : referrals;
  return {
    aePathway,
    funnel,
    communityCaseload: caseload(reporting, input.caseloadUntil),
    frequentAttenders: frequentAttenders.sort((a, b) => (String(a.person_id) < String(b.person_id) ? -1 : 1)),
  };
}

/** Open referrals and people per provider × team type × month (difference arrays over months). */
function caseload(
  referrals: readonly {
    person: string | null;
    provider: string;
    team: string;
    received: number;
    discharged: number | null;
  }[],
  until: string | undefined,
): FactRow[] {
  if (referrals.length === 0) return [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const r of referrals) {
    first = Math.min(first, monthIndex(r.received));
    last = Math.max(last, monthIndex(r.discharged ?? r.received));
  }
  const untilDay = until ? dayNumber(until) : null;
  if (untilDay !== null) last = monthIndex(untilDay);
  if (last < first) return [];
  const months = last - first + 1;

  /** Month (relative to `first`) from which a referral counts as open at month end, and the first month it no longer does. */
  const openSpan = (received: number, discharged: number | null): [number, number] => {
    const from = monthIndex(received) - first;
    if (discharged === null) return [from, months];
    // Open at the end of month m while discharged >= lastDay(m): a discharge on the last day still counts.
    const dm = monthIndex(discharged);
    const to = discharged >= lastDayOfMonth(dm) ? dm + 1 : dm;
    return [from, Math.max(from, to - first)];
  };

  interface Cell {
    open: Int32Array;
    people: Int32Array;
    received: Int32Array;
    discharged: Int32Array;
  }
  const cells = new Map<string, Cell>();
  const cell = (provider: string, team: string): Cell => {
    const key = `${provider}|${team}`;
    let c = cells.get(key);
    if (!c) {
      c = {
        open: new Int32Array(months + 1),
        people: new Int32Array(months + 1),
        received: new Int32Array(months),
        discharged: new Int32Array(months),
      };
      cells.set(key, c);
    }
    return c;
  };

  // Per person and cell, the union of open spans counts the person once per month.
  const spansByPersonCell = new Map<string, [number, number][]>();
  for (const r of referrals) {
    const c = cell(r.provider, r.team);
    const [from, to] = openSpan(r.received, r.discharged);
    const rf = monthIndex(r.received) - first;
    if (rf >= 0 && rf < months) c.received[rf]! += 1;
    if (r.discharged !== null) {
      const df = monthIndex(r.discharged) - first;
      if (df >= 0 && df < months) c.discharged[df]! += 1;
    }
    if (to <= from || from >= months) continue;
    const clipped: [number, number] = [Math.max(0, from), Math.min(months, to)];
    c.open[clipped[0]]! += 1;
    c.open[clipped[1]]! -= 1;
    if (r.person === null) {
      c.people[clipped[0]]! += 1;
      c.people[clipped[1]]! -= 1;
    } else {
      const key = `${r.person}\u0000${r.provider}|${r.team}`;
      let spans = spansByPersonCell.get(key);
      if (!spans) spansByPersonCell.set(key, (spans = []));
      spans.push(clipped);
    }
  }
  for (const [key, spans] of spansByPersonCell) {
    const c = cells.get(key.slice(key.indexOf('\u0000') + 1))!;
    spans.sort((a, b) => a[0] - b[0]);
    let [s, e] = spans[0]!;
    for (let i = 1; i <= spans.length; i++) {
      const next = spans[i];
      if (next && next[0] <= e) e = Math.max(e, next[1]);
      else {
        c.people[s]! += 1;
        c.people[e]! -= 1;
        if (next) [s, e] = next;
      }
    }
  }

  const rows: FactRow[] = [];
  for (const key of [...cells.keys()].sort()) {
    const c = cells.get(key)!;
    const [provider_code, team_type] = key.split('|') as [string, string];
    let open = 0;
    let people = 0;
    for (let m = 0; m < months; m++) {
      open += c.open[m]!;
      people += c.people[m]!;
      if (open === 0 && c.received[m] === 0 && c.discharged[m] === 0) continue;
      rows.push({
        provider_code,
        team_type,
        period: periodOfMonth(first + m),
        period_end_date: isoDate(lastDayOfMonth(first + m)),
        open_referrals: open,
        people,
        referrals_received: c.received[m]!,
        referrals_discharged: c.discharged[m]!,
      });
    }
  }
  return rows;
}

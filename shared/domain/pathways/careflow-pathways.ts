import type { PortableColumn } from '../gold/portable-types.js';
import {
  PersonTimeline,
  dayNumber,
  isoDate,
  monthIndex,
  pence,
  periodOfMonth,
  poundsText,
  text,
  type PathwayRow,
} from './pathway-time.js';

/**
 * CareFlow Insights pathway facts, from linked silver rows (each with `person_id`).
 *
 * Definitions (days are whole calendar days after the discharge date; day 0 = the discharge day):
 * - spell: SUS+ APC episodes grouped by provider + hospital provider spell number; admission is
 *   the earliest admission date, discharge the latest discharge date on any episode, admission
 *   method from the lowest-numbered episode; spells without a discharge date are still open and
 *   produce no facts;
 * - prescribing burden: prescriptions dispensed on days 0..{@link PRESCRIBING_WINDOW_DAYS} after
 *   discharge (day 90 in, day 91 out): item count and total NIC;
 * - emergency discharge: a discharged spell with admission method 2x (emergency), excluding
 *   deaths (discharge method 4 or 5); MH referral follow-up: the first MHSDS referral received on
 *   days 0..{@link MH_REFERRAL_WINDOW_DAYS} (day 30 in, day 31 out);
 * - activity by trust and month: per reporting organisation and calendar month, spells admitted,
 *   emergency spells, episodes started, MH referrals received and distinct linked persons (by the
 *   month of each record's own date), and spells discharged with their cost (by discharge month).
 *   The reporting organisation is the provider rolled up through its successors
 *   (`organisationRollUp`: a merged trust's activity shows under the trust that took it over). The
 *   cost of a spell is its `sus_apc_spell.tariff_gbp`, counted once per spell (episodes carry none);
 * - spell cost and high-cost inpatients: a discharged spell with a price is high-cost when its
 *   tariff is above the threshold (`highCostThresholdGbp`, setting NHSFLOWS_HIGH_COST_SPELL_GBP) or
 *   it is in the top decile of its reporting organisation × discharge month: the ceil(n / 10) most
 *   expensive of the n priced spells discharged there (ties by spell key). Each carries its 90-day
 *   prescribing burden (as above);
 * - 30-day emergency readmission: for each spell discharged alive (discharge method not 4 or 5),
 *   the first OTHER spell of the same person with an emergency admission (method 2x) admitted on
 *   days 0..{@link READMISSION_WINDOW_DAYS} after the discharge (day 30 in, day 31 out), at any
 *   provider. The window and the index-spell rules are this project's definition (not verified
 *   against an NHS indicator specification: REFERENCE.md has none).
 *
 * Algorithm: one array of compact events (person, day, kind, index) sorted by person then time,
 * then a single pass over each person's events; memory is linear in the input, time n log n.
 * Rows without a `person_id` (unlinked) cannot have a pathway and count only in activity.
 */
export const PRESCRIBING_WINDOW_DAYS = 90;
export const MH_REFERRAL_WINDOW_DAYS = 30;
export const READMISSION_WINDOW_DAYS = 30;
/** Default high-cost spell threshold in GBP (NHSFLOWS_HIGH_COST_SPELL_GBP); a project choice, not an NHS figure. */
export const DEFAULT_HIGH_COST_SPELL_GBP = 5_000;

const col = (name: string, type: PortableColumn['type'], nullable = true): PortableColumn => ({
  name,
  type,
  nullable,
});

/** A spell's prescribing burden: what was dispensed to the person in the 90 days after discharge. */
const PRESCRIBING_BURDEN_90D_COLUMNS: readonly PortableColumn[] = [
  col('prescriptions_90d', 'int', false),
  col('items_90d', 'int', false),
  col('nic_90d_gbp', 'decimal(14,2)', false),
];

/** A discharge (one per spell, by its person) that a window after discharge is measured from. */
const DISCHARGE_COLUMNS: readonly PortableColumn[] = [
  col('spell_key', 'string', false),
  col('person_id', 'string', false),
  col('link_quality', 'string', false),
  col('provider_code', 'string', false),
  col('discharge_date', 'date', false),
  col('discharge_period', 'string', false),
];

export const FACT_SPELL_PRESCRIBING_COLUMNS: readonly PortableColumn[] = [
  col('spell_key', 'string', false),
  col('person_id', 'string', false),
  col('link_quality', 'string', false),
  col('provider_code', 'string', false),
  col('hospital_provider_spell_number', 'string', false),
  col('admission_date', 'date'),
  col('discharge_date', 'date', false),
  col('admission_method', 'string'),
  col('is_emergency', 'boolean', false),
  ...PRESCRIBING_BURDEN_90D_COLUMNS,
];

export const FACT_DISCHARGE_MH_REFERRAL_COLUMNS: readonly PortableColumn[] = [
  ...DISCHARGE_COLUMNS,
  col('mh_referral_id', 'string'),
  col('mh_provider_code', 'string'),
  col('mh_referral_received_date', 'date'),
  col('days_to_mh_referral', 'int'),
  col('referred_within_30d', 'boolean', false),
];

export const FACT_ACTIVITY_TRUST_MONTH_COLUMNS: readonly PortableColumn[] = [
  col('provider_code', 'string', false),
  col('period', 'string', false),
  col('spells_admitted', 'int', false),
  col('emergency_spells_admitted', 'int', false),
  col('episodes_started', 'int', false),
  col('mh_referrals_received', 'int', false),
  col('persons', 'int', false),
  col('spells_discharged', 'int', false),
  col('spell_cost_gbp', 'decimal(14,2)', false),
];

export const FACT_HIGH_COST_SPELL_COLUMNS: readonly PortableColumn[] = [
  col('spell_key', 'string', false),
  col('person_id', 'string'),
  col('link_quality', 'string', false),
  col('provider_code', 'string', false),
  col('reporting_provider_code', 'string', false),
  col('discharge_date', 'date', false),
  col('discharge_period', 'string', false),
  col('tariff_gbp', 'decimal(14,2)', false),
  col('above_threshold', 'boolean', false),
  col('top_decile_trust_month', 'boolean', false),
  ...PRESCRIBING_BURDEN_90D_COLUMNS,
];

export const FACT_EMERGENCY_READMISSION_COLUMNS: readonly PortableColumn[] = [
  ...DISCHARGE_COLUMNS,
  col('readmission_spell_key', 'string'),
  col('readmission_provider_code', 'string'),
  col('readmission_date', 'date'),
  col('days_to_readmission', 'int'),
  col('readmitted_within_30d', 'boolean', false),
];

export type FactRow = Record<string, string | number | boolean | null>;

/**
 * The silver columns `careflowPathwayFacts` reads from each input, besides the link columns
 * (`person_id`, `link_quality`) that linkage adds: the marts refresh reads only these from the lake.
 * A column read below and missing here is caught by tests/unit/pathways/mart-input-columns.test.ts.
 */
export const CAREFLOW_PATHWAY_COLUMNS = {
  sus_apc_episode: [
    'provider_code',
    'hospital_provider_spell_number',
    'episode_number',
    'episode_start_date',
    'admission_date',
    'admission_method',
    'discharge_date',
    'discharge_method',
  ],
  sus_apc_spell: ['provider_code', 'hospital_provider_spell_number', 'tariff_gbp'],
  prescribing_item: ['dispensing_date', 'items', 'nic_gbp'],
  mhsds_referral: ['provider_code', 'referral_id', 'referral_received_date'],
} as const;

export interface CareflowPathwayInput {
  /** Linked `sus_apc_episode` silver rows. */
  readonly apcEpisodes: Iterable<PathwayRow>;
  /** Linked `prescribing_item` silver rows. */
  readonly prescriptions: Iterable<PathwayRow>;
  /** Linked `mhsds_referral` silver rows. */
  readonly mhReferrals: Iterable<PathwayRow>;
  /** Linked `sus_apc_spell` silver rows: the spell's price (`tariff_gbp`), once per spell. */
  readonly apcSpells?: Iterable<PathwayRow>;
  /** The organisation a provider's activity reports under (default: itself). */
  readonly organisationRollUp?: (providerCode: string) => string;
  /** High-cost threshold in GBP (default {@link DEFAULT_HIGH_COST_SPELL_GBP}). */
  readonly highCostThresholdGbp?: number;
}

export interface CareflowPathwayFacts {
  readonly spellPrescribing: FactRow[];
  readonly dischargeMhReferral: FactRow[];
  readonly activityByTrustMonth: FactRow[];
  readonly highCostSpells: FactRow[];
  readonly emergencyReadmissions: FactRow[];
}

interface Spell {
  key: string;
  person: string | null;
  quality: string;
  provider: string;
  spellNumber: string;
  admission: number | null;
  discharge: number | null;
  method: string | null;
  methodEpisode: number;
  dischargeMethod: string | null;
  /** The spell's price in pence (from `sus_apc_spell`), or null when unpriced. */
  cost: number | null;
}

/** Event kinds on the timeline (the discharge sorts first on its day). */
const DISCHARGE = 0;
const PRESCRIPTION = 1;
const MH_REFERRAL = 2;
/** An admission sorts after the discharge on the same day: a same-day readmission is day 0. */
const ADMISSION = 3;

const isEmergency = (method: string | null) => method !== null && method.startsWith('2');
const died = (dischargeMethod: string | null) => dischargeMethod === '4' || dischargeMethod === '5';

export function careflowPathwayFacts(input: CareflowPathwayInput): CareflowPathwayFacts {
  const spells = new Map<string, Spell>();
  const rollUp = input.organisationRollUp ?? ((code: string) => code);
  const thresholdPence = Math.round((input.highCostThresholdGbp ?? DEFAULT_HIGH_COST_SPELL_GBP) * 100);
  const activity = new Map<
    string,
    {
      spells: number;
      emergency: number;
      episodes: number;
      mh: number;
      persons: Set<string>;
      discharged: number;
      cost: number;
    }
  >();
  const bump = (provider: string | null, day: number | null, person: string | null) => {
    if (provider === null || day === null) return undefined;
    const key = `${rollUp(provider)}|${periodOfMonth(monthIndex(day))}`;
    let a = activity.get(key);
    if (!a)
      activity.set(
        key,
        (a = { spells: 0, emergency: 0, episodes: 0, mh: 0, persons: new Set(), discharged: 0, cost: 0 }),
      );
    if (person !== null) a.persons.add(person);
    return a;
  };
  const costs = new Map<string, number>();
  for (const row of input.apcSpells ?? []) {
    const provider = text(row, 'provider_code');
    const spellNumber = text(row, 'hospital_provider_spell_number');
    if (provider === null || spellNumber === null || text(row, 'tariff_gbp') === null) continue;
    costs.set(`${provider}|${spellNumber}`, pence(row.tariff_gbp));
  }

  for (const row of input.apcEpisodes) {
    const provider = text(row, 'provider_code');
    const spellNumber = text(row, 'hospital_provider_spell_number');
    if (provider === null || spellNumber === null) continue;
    const key = `${provider}|${spellNumber}`;
    const person = text(row, 'person_id');
    const episode =
      typeof row.episode_number === 'number' ? row.episode_number : Number(row.episode_number ?? 1e9);
    let spell = spells.get(key);
    if (!spell) {
      spell = {
        key,
        person,
        quality: text(row, 'link_quality') ?? 'unlinked',
        provider,
        spellNumber,
        admission: null,
        discharge: null,
        method: null,
        methodEpisode: Number.POSITIVE_INFINITY,
        dischargeMethod: null,
        cost: costs.get(key) ?? null,
      };
      spells.set(key, spell);
    }
    if (spell.person === null && person !== null) {
      spell.person = person;
      spell.quality = text(row, 'link_quality') ?? spell.quality;
    }
    const admission = dayNumber(row.admission_date);
    if (admission !== null && (spell.admission === null || admission < spell.admission))
      spell.admission = admission;
    const discharge = dayNumber(row.discharge_date);
    if (discharge !== null && (spell.discharge === null || discharge >= spell.discharge)) {
      spell.discharge = discharge;
      spell.dischargeMethod = text(row, 'discharge_method');
    }
    if (episode < spell.methodEpisode) {
      spell.methodEpisode = episode;
      spell.method = text(row, 'admission_method');
    }
    const a = bump(provider, dayNumber(row.episode_start_date), person);
    if (a) a.episodes += 1;
  }

  const spellList = [...spells.values()];
  const timeline = new PersonTimeline();
  spellList.forEach((spell, i) => {
    const a = bump(spell.provider, spell.admission, spell.person);
    if (a) {
      a.spells += 1;
      if (isEmergency(spell.method)) a.emergency += 1;
    }
    if (spell.discharge !== null) {
      const d = bump(spell.provider, spell.discharge, null);
      if (d) {
        d.discharged += 1;
        d.cost += spell.cost ?? 0;
      }
    }
    if (spell.person !== null && spell.discharge !== null)
      timeline.add(spell.person, spell.discharge, DISCHARGE, i);
    if (spell.person !== null && spell.admission !== null && isEmergency(spell.method))
      timeline.add(spell.person, spell.admission, ADMISSION, i);
  });

  const rx: { d: number; items: number; nic: number }[] = [];
  for (const row of input.prescriptions) {
    const person = text(row, 'person_id');
    const day = dayNumber(row.dispensing_date);
    if (person === null || day === null) continue;
    const items = typeof row.items === 'number' ? row.items : Number(row.items ?? 0) || 0;
    timeline.add(person, day, PRESCRIPTION, rx.length);
    rx.push({ d: day, items, nic: pence(row.nic_gbp) });
  }

  const mh: { id: string; provider: string | null; d: number }[] = [];
  for (const row of input.mhReferrals) {
    const person = text(row, 'person_id');
    const day = dayNumber(row.referral_received_date);
    const provider = text(row, 'provider_code');
    const a = bump(provider, day, person);
    if (a) a.mh += 1;
    if (person === null || day === null) continue;
    timeline.add(person, day, MH_REFERRAL, mh.length);
    mh.push({ id: text(row, 'referral_id') ?? '', provider, d: day });
  }

  const spellPrescribing: FactRow[] = [];
  const dischargeMhReferral: FactRow[] = [];
  const emergencyReadmissions: FactRow[] = [];
  const burdenBySpell = new Map<number, { prescriptions: number; items: number; nic: number }>();
  timeline.forEachPerson((person, days, kinds, indexes, count) => {
    // One person's events in time order; on the discharge day the discharge comes first (day 0 counts).
    for (let e = 0; e < count; e++) {
      if (kinds[e] !== DISCHARGE) continue;
      const discharge = days[e]!;
      const spell = spellList[indexes[e]!]!;
      let prescriptions = 0;
      let items = 0;
      let nic = 0;
      let firstMh: { id: string; provider: string | null; d: number } | undefined;
      let readmission: { spell: Spell; d: number } | undefined;
      for (let f = e + 1; f < count; f++) {
        const after = days[f]! - discharge;
        if (after > PRESCRIBING_WINDOW_DAYS && after > MH_REFERRAL_WINDOW_DAYS) break;
        if (kinds[f] === ADMISSION) {
          if (readmission === undefined && after <= READMISSION_WINDOW_DAYS && indexes[f] !== indexes[e])
            readmission = { spell: spellList[indexes[f]!]!, d: days[f]! };
        } else if (kinds[f] === PRESCRIPTION && after <= PRESCRIBING_WINDOW_DAYS) {
          const r = rx[indexes[f]!]!;
          prescriptions += 1;
          items += r.items;
          nic += r.nic;
        } else if (kinds[f] === MH_REFERRAL && after <= MH_REFERRAL_WINDOW_DAYS && firstMh === undefined)
          firstMh = mh[indexes[f]!];
      }
      spellPrescribing.push({
        spell_key: spell.key,
        person_id: person,
        link_quality: spell.quality,
        provider_code: spell.provider,
        hospital_provider_spell_number: spell.spellNumber,
        admission_date: spell.admission === null ? null : isoDate(spell.admission),
        discharge_date: isoDate(discharge),
        admission_method: spell.method,
        is_emergency: isEmergency(spell.method),
        prescriptions_90d: prescriptions,
        items_90d: items,
        nic_90d_gbp: poundsText(nic),
      });
      burdenBySpell.set(indexes[e]!, { prescriptions, items, nic });
      if (!died(spell.dischargeMethod))
        emergencyReadmissions.push({
          spell_key: spell.key,
          person_id: person,
          link_quality: spell.quality,
          provider_code: spell.provider,
          discharge_date: isoDate(discharge),
          discharge_period: periodOfMonth(monthIndex(discharge)),
          readmission_spell_key: readmission?.spell.key ?? null,
          readmission_provider_code: readmission?.spell.provider ?? null,
          readmission_date: readmission ? isoDate(readmission.d) : null,
          days_to_readmission: readmission ? readmission.d - discharge : null,
          readmitted_within_30d: readmission !== undefined,
        });
      if (isEmergency(spell.method) && !died(spell.dischargeMethod))
        dischargeMhReferral.push({
          spell_key: spell.key,
          person_id: person,
          link_quality: spell.quality,
          provider_code: spell.provider,
          discharge_date: isoDate(discharge),
          discharge_period: periodOfMonth(monthIndex(discharge)),
          mh_referral_id: firstMh?.id ?? null,
          mh_provider_code: firstMh?.provider ?? null,
          mh_referral_received_date: firstMh ? isoDate(firstMh.d) : null,
          days_to_mh_referral: firstMh ? firstMh.d - discharge : null,
          referred_within_30d: firstMh !== undefined,
        });
    }
  });

  const activityByTrustMonth: FactRow[] = [...activity.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, a]) => {
      const [provider_code, period] = key.split('|') as [string, string];
      return {
        provider_code,
        period,
        spells_admitted: a.spells,
        emergency_spells_admitted: a.emergency,
        episodes_started: a.episodes,
        mh_referrals_received: a.mh,
        persons: a.persons.size,
        spells_discharged: a.discharged,
        spell_cost_gbp: poundsText(a.cost),
      };
    });

  return {
    spellPrescribing,
    dischargeMhReferral,
    activityByTrustMonth,
    highCostSpells: highCostSpells(spellList, burdenBySpell, rollUp, thresholdPence),
    emergencyReadmissions,
  };
}

/** The high-cost spells (see the module comment), by reporting organisation, month, then cost descending. */
function highCostSpells(
  spells: readonly Spell[],
  burden: ReadonlyMap<number, { prescriptions: number; items: number; nic: number }>,
  rollUp: (code: string) => string,
  thresholdPence: number,
): FactRow[] {
  const groups = new Map<string, number[]>();
  spells.forEach((spell, i) => {
    if (spell.discharge === null || spell.cost === null) return;
    const key = `${rollUp(spell.provider)}|${periodOfMonth(monthIndex(spell.discharge))}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(i);
  });
  const rows: FactRow[] = [];
  for (const key of [...groups.keys()].sort()) {
    const [reporting, period] = key.split('|') as [string, string];
    const group = groups.get(key)!;
    group.sort((a, b) => spells[b]!.cost! - spells[a]!.cost! || (spells[a]!.key < spells[b]!.key ? -1 : 1));
    const decile = Math.ceil(group.length / 10);
    group.forEach((i, rank) => {
      const spell = spells[i]!;
      const above = spell.cost! > thresholdPence;
      const top = rank < decile;
      if (!above && !top) return;
      const b = burden.get(i);
      rows.push({
        spell_key: spell.key,
        person_id: spell.person,
        link_quality: spell.quality,
        provider_code: spell.provider,
        reporting_provider_code: reporting,
        discharge_date: isoDate(spell.discharge!),
        discharge_period: period,
        tariff_gbp: poundsText(spell.cost!),
        above_threshold: above,
        top_decile_trust_month: top,
        prescriptions_90d: b?.prescriptions ?? 0,
        items_90d: b?.items ?? 0,
        nic_90d_gbp: poundsText(b?.nic ?? 0),
      });
    });
  }
  return rows;
}

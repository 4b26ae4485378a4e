import { validateHrgCode } from '../../nhs/hrg-code.js';
import { financialYearOf } from '../../reference/reference-data.js';
import type { SourceRow } from '../../datasets/source-tables.js';
import { spellTariff, poundsToPence } from '../../datasets/sus-apc/spell-tariff.js';
import type { BatchRule, Rule, RuleContext } from '../../validate/rule.js';
import { duplicateRowRule, missingNhsNumberRule, text } from '../../validate/rule-builders.js';
import { implausibleDateOfBirthRule } from '../../validate/date-of-birth-rule.js';
import { NO_REFERRALS, spellIndexId } from '../../validate/referral-index.js';

/** SUS+ APC assurance rules: every rule for `sus_apc_spell` and `sus_apc_episode`, in one place. */

const dataset = 'sus_apc';
const tables = ['sus_apc_spell', 'sus_apc_episode'] as const;
const spells = ['sus_apc_spell'] as const;
const episodes = ['sus_apc_episode'] as const;

/** Hospital sources of admission (another NHS provider's ward, or a non-NHS hospital). */
const HOSPITAL_SOURCES = new Set(['49', '50', '51', '52', '53', '87', '98', '99']);

/** Financial years a spell's prices may come from: the discharge year and the admission year. */
function spellYears(row: SourceRow): string[] {
  const years: string[] = [];
  for (const field of ['discharge_date', 'admission_date']) {
    const date = text(row, field);
    if (date !== undefined) {
      const fy = financialYearOf(date);
      if (!years.includes(fy)) years.push(fy);
    }
  }
  return years;
}

function spellHrg(row: SourceRow): string | undefined {
  const hrg = text(row, 'spell_hrg');
  return hrg !== undefined && validateHrgCode(hrg).ok ? hrg : undefined;
}

/**
 * Whether the spell's `tariff_gbp` is the price `spellTariff` computes from the reference (base by
 * admission type, short stay emergency tariff, long stay payment beyond the trim point, the
 * provider's MFF) for the discharge's or the admission's financial year, within tolerance. An open
 * spell (no length of stay) is compared with the base tariff of its type.
 */
function tariffMatches(row: SourceRow, ctx: RuleContext): boolean {
  const hrg = spellHrg(row);
  const tariff = text(row, 'tariff_gbp');
  if (hrg === undefined || tariff === undefined) return true;
  const actual = poundsToPence(tariff);
  if (!Number.isFinite(actual)) return true; // a malformed decimal is the contract's to reject
  const los = row['length_of_stay_days'];
  const provider = text(row, 'provider_code') ?? '';
  let priced = false;
  for (const fy of spellYears(row)) {
    const price = ctx.reference.hrg(hrg, fy);
    if (price === undefined) continue;
    const computed = spellTariff({
      admissionMethod: text(row, 'admission_method') ?? '',
      lengthOfStayDays: typeof los === 'number' ? los : 0,
      price,
      marketForcesFactor: ctx.reference.marketForcesFactor(provider, fy)?.factor ?? null,
    });
    if (computed === undefined) continue;
    priced = true;
    const expected = poundsToPence(computed.tariffGbp);
    if (Math.abs(actual - expected) <= Math.max(1, Math.abs(expected) * ctx.tariffTolerance)) return true;
  }
  return !priced; // no price for the year is SUS.SPELL_HRG_NOT_IN_YEAR's finding, not a mismatch
}

/** What the batch says about one spell: admission on its first episode, discharge on its last. */
/** 'YYYY-MM-DD…' as the number YYYYMMDD (order-preserving), or 0 when absent or not a date. */
function dayNumber(value: string | undefined): number {
  if (value === undefined || value.length < 10) return 0;
  const n = Number(value.slice(0, 4)) * 10_000 + Number(value.slice(5, 7)) * 100 + Number(value.slice(8, 10));
  return Number.isNaN(n) ? 0 : n;
}

/**
 * What the batch says about its spells, packed in typed arrays (a spell costs its key plus 16 bytes):
 * first episode number and its admission day, last episode number with a discharge and that day.
 */
class SpellWindows {
  private readonly index = new Map<string, number>();
  private first = new Int32Array(1024);
  private admission = new Int32Array(1024);
  private last = new Int32Array(1024);
  private discharge = new Int32Array(1024);

  observe(key: string, episode: number, admission: number, discharge: number): void {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.index.size;
      if (i === this.first.length) this.grow();
      this.index.set(key, i);
      this.first[i] = episode;
      this.admission[i] = admission;
      this.last[i] = -1;
      this.discharge[i] = 0;
    } else if (episode < (this.first[i] as number)) {
      this.first[i] = episode;
      this.admission[i] = admission;
    }
    if (discharge !== 0 && episode > (this.last[i] as number)) {
      this.last[i] = episode;
      this.discharge[i] = discharge;
    }
  }

  /** [admission day, discharge day] of the spell (0 = unknown), or undefined when never seen. */
  window(key: string): readonly [number, number] | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : [this.admission[i] as number, this.discharge[i] as number];
  }

  private grow(): void {
    const bigger = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.first = bigger(this.first);
    this.admission = bigger(this.admission);
    this.last = bigger(this.last);
    this.discharge = bigger(this.discharge);
  }
}

/**
 * `SUS.EPISODE_OUTSIDE_SPELL` (cross-row): an episode whose own dates agree with the spell fields on
 * its own row (the contract judges those) but fall outside the spell as its other episodes record it:
 * the admission date on the spell's first episode and the discharge date on its last episode that
 * has one (earlier episodes may carry no discharge date, or stale spell fields after a correction).
 * Spells are keyed by provider + hospital provider spell number; every chunk is observed before it is
 * judged, so a spell inside one chunk is judged whole, and later chunks see earlier ones.
 */
const episodeOutsideSpell: BatchRule = {
  scope: 'batch',
  id: 'SUS.EPISODE_OUTSIDE_SPELL',
  dataset,
  tables: episodes,
  fields: ['episode_start_date', 'episode_end_date'],
  severity: 'reject',
  message:
    'episode dates fall outside its spell as recorded on the spell’s other episodes (admission on the first, discharge on the last)',
  rationale: 'episode-level activity and costs would be attributed to the wrong spell or period',
  start() {
    const spells = new SpellWindows();
    const spellKey = (row: SourceRow): string | undefined => {
      const spell = text(row, 'hospital_provider_spell_number');
      return spell === undefined ? undefined : `${text(row, 'provider_code') ?? ''}|${spell}`;
    };
    return {
      observe(rows) {
        for (const row of rows) {
          const key = spellKey(row);
          const episode = row['episode_number'];
          if (key === undefined || typeof episode !== 'number') continue;
          spells.observe(
            key,
            episode,
            dayNumber(text(row, 'admission_date')),
            dayNumber(text(row, 'discharge_date')),
          );
        }
      },
      judge(row) {
        const key = spellKey(row);
        const w = key === undefined ? undefined : spells.window(key);
        if (!w) return undefined;
        const [admission, discharge] = w;
        const start = dayNumber(text(row, 'episode_start_date'));
        const end = dayNumber(text(row, 'episode_end_date'));
        const ownAdmission = dayNumber(text(row, 'admission_date'));
        const ownDischarge = dayNumber(text(row, 'discharge_date'));
        // A row inconsistent with its own spell fields is the contract's finding, not reported twice.
        if (start !== 0 && ownAdmission !== 0 && start < ownAdmission) return undefined;
        if (ownDischarge !== 0 && (start > ownDischarge || end > ownDischarge)) return undefined;
        if (start !== 0 && admission !== 0 && start < admission) return 'episode_start_date';
        // A spell discharged before its admission is the contract's finding on the episode that
        // carries it (DISCHARGE_DATE.BEFORE_ADMISSION); its other episodes are not judged against it.
        if (discharge === 0 || discharge < admission) return undefined;
        if (start > discharge) return 'episode_start_date';
        if (end > discharge) return 'episode_end_date';
        return undefined;
      },
    };
  },
};

/** The spell an episode row names: provider + hospital provider spell number, or undefined. */
function spellKeyOf(row: SourceRow): string | undefined {
  const spell = text(row, 'hospital_provider_spell_number');
  return spell === undefined ? undefined : `${text(row, 'provider_code') ?? ''}|${spell}`;
}

/** Whether an episode carries discharge fields (a date, or a method/destination other than "not applicable"). */
function carriesDischarge(row: SourceRow): boolean {
  const method = text(row, 'discharge_method');
  const destination = text(row, 'discharge_destination');
  return (
    text(row, 'discharge_date') !== undefined ||
    (method !== undefined && method !== '8') ||
    (destination !== undefined && destination !== '98')
  );
}

/**
 * `SUS.DISCHARGE_ON_EARLIER_EPISODE` (cross-row): an episode that carries discharge fields while a
 * later episode of the same spell (higher episode number) is in the batch. Only the last episode of
 * a spell carries the discharge date, method and destination; earlier ones have none, method 8 and
 * destination 98 ("not applicable: spell not finished at episode end", REFERENCE.md §2.6).
 */
const dischargeOnEarlierEpisode: BatchRule = {
  scope: 'batch',
  id: 'SUS.DISCHARGE_ON_EARLIER_EPISODE',
  dataset,
  tables: episodes,
  fields: ['discharge_date', 'discharge_method', 'discharge_destination'],
  severity: 'warn',
  message:
    'episode carries discharge fields but is not the last episode of its spell (earlier episodes carry method 8 and destination 98, not applicable)',
  rationale:
    'the episode itself is valid and the spell is priced on the spell row; which episode is wrong (the order or the stale discharge fields) is for the provider to say',
  start() {
    const lastEpisode = new Map<string, number>();
    return {
      observe(rows) {
        for (const row of rows) {
          const key = spellKeyOf(row);
          const episode = row['episode_number'];
          if (key === undefined || typeof episode !== 'number') continue;
          if (episode > (lastEpisode.get(key) ?? 0)) lastEpisode.set(key, episode);
        }
      },
      judge(row) {
        const key = spellKeyOf(row);
        const episode = row['episode_number'];
        if (key === undefined || typeof episode !== 'number' || !carriesDischarge(row)) return undefined;
        if (episode >= (lastEpisode.get(key) ?? 0)) return undefined;
        if (text(row, 'discharge_date') !== undefined) return 'discharge_date';
        const method = text(row, 'discharge_method');
        return method !== undefined && method !== '8' ? 'discharge_method' : 'discharge_destination';
      },
    };
  },
};

/**
 * `SUS.SPELL_NOT_FOUND` (cross-table): an episode whose spell (provider + hospital provider spell
 * number) is in no `sus_apc_spell` row the pipeline has received, asked of the parent index (spells
 * are recorded there as capture publishes them, parents before children, so an episode is never
 * judged before its spell's batch is recorded). Each spell is asked once per batch, a chunk's
 * spells all at once. Without a parent index (a validation given none) the rule does not judge.
 */
const spellNotFound: BatchRule = {
  scope: 'batch',
  id: 'SUS.SPELL_NOT_FOUND',
  dataset,
  tables: episodes,
  fields: ['hospital_provider_spell_number'],
  severity: 'warn',
  message:
    'episode names a hospital provider spell (provider + spell number) that is not a known spell (orphan episode)',
  rationale:
    'the episode is real activity and is kept, but without its spell it has no spell HRG or price and is not counted as an admission; the provider is asked to send the spell',
  start(_table, ctx) {
    const index = ctx.referralIndex;
    if (index === NO_REFERRALS) return { observe() {}, judge: () => undefined };
    const known = new Map<string, boolean>();
    return {
      async observe(rows) {
        const pending = new Set<string>();
        for (const row of rows) {
          const id = spellIndexId(row);
          if (id !== undefined && !known.has(id)) pending.add(id);
        }
        await Promise.all(
          [...pending].map(async (id) => known.set(id, await index.has('sus_apc_spell', id))),
        );
      },
      judge(row) {
        const id = spellIndexId(row);
        if (id === undefined) return undefined; // a missing provider or spell number is the contract's
        return known.get(id) === true ? undefined : 'hospital_provider_spell_number';
      },
    };
  },
};

export const SUS_APC_RULES: readonly Rule[] = [
  episodeOutsideSpell,
  dischargeOnEarlierEpisode,
  spellNotFound,
  {
    scope: 'row',
    id: 'SUS.ADMISSION_METHOD_SOURCE_INCONSISTENT',
    dataset,
    tables,
    fields: ['admission_source', 'admission_method'],
    severity: 'warn',
    message:
      'admission source does not fit the admission method (transfer without a hospital source, own-ED admission from another hospital ward, or birth without a birth source)',
    rationale: 'both codes are valid on their own; which one is wrong is for the provider to say',
    check(row) {
      const method = text(row, 'admission_method');
      const source = text(row, 'admission_source');
      if (method === undefined || source === undefined) return undefined;
      if (method === '21' && source === '51') return 'admission_source';
      if ((method === '2B' || method === '81') && !HOSPITAL_SOURCES.has(source)) return 'admission_source';
      if (method === '82' && source !== '79' && source !== '98' && source !== '99') return 'admission_source';
      return undefined;
    },
  },
  {
    scope: 'contract',
    id: 'SUS.DISCHARGE_DESTINATION.DEATH_MISMATCH',
    dataset,
    tables,
    fields: ['discharge_destination'],
    severity: 'warn',
    message: 'discharge method "patient died" (4) and discharge destination "died" (79) must go together',
    rationale:
      'both codes are valid on their own and the spell stands; mortality analyses are told, the activity is not dropped',
  },
  {
    scope: 'row',
    id: 'SUS.SPELL_HRG_NOT_IN_YEAR',
    dataset,
    tables: spells,
    fields: ['spell_hrg'],
    severity: 'reject',
    message: 'spell HRG has no tariff in the financial year of the spell (it exists only in other years)',
    rationale:
      'the spell cannot be priced, so pathway costs would silently be wrong (an HRG unknown in every year is the contract rule SUS.SPELL_HRG.UNKNOWN_HRG)',
    check(row, ctx) {
      const hrg = spellHrg(row);
      if (hrg === undefined || !ctx.reference.isKnownHrg(hrg)) return undefined;
      // A spell dated after the extract is the contract's FUTURE_DATE finding; its year has no prices yet.
      if ((text(row, 'admission_date') ?? '') > ctx.extractDate) return undefined;
      for (const fy of spellYears(row)) if (ctx.reference.hrg(hrg, fy) !== undefined) return undefined;
      return 'spell_hrg';
    },
  },
  {
    scope: 'row',
    id: 'SUS.TARIFF_MISMATCH',
    dataset,
    tables: spells,
    fields: ['tariff_gbp'],
    severity: 'warn',
    message:
      "tariff does not match the spell's price from the reference (spell HRG tariff by admission type, short stay emergency and long stay adjustments, provider MFF) within tolerance",
    rationale:
      'real prices carry adjustments the reference may lack (and the shipped MFF and trim points are placeholders), so a mismatch is queried, not dropped',
    check: (row, ctx) => (tariffMatches(row, ctx) ? undefined : 'tariff_gbp'),
  },
  missingNhsNumberRule(dataset, tables),
  implausibleDateOfBirthRule(dataset, tables),
  duplicateRowRule(dataset, tables),
];

import { validateHrgCode } from '../../nhs/hrg-code.js';
import { financialYearOf, type AdmissionType } from '../../reference/reference-data.js';
import type { SourceRow } from '../../datasets/source-tables.js';
import type { BatchRule, Rule, RuleContext } from '../rule.js';
import { duplicateRowRule, missingNhsNumberRule, text } from '../rule-builders.js';
import { implausibleDateOfBirthRule } from '../date-of-birth-rule.js';

/** SUS+ APC assurance rules: every rule for `sus_apc_episode`, in one place. */

const dataset = 'sus_apc';
const tables = ['sus_apc_episode'] as const;

/** Hospital sources of admission (another NHS provider's ward, or a non-NHS hospital). */
const HOSPITAL_SOURCES = new Set(['49', '50', '51', '52', '53', '87', '98', '99']);

/** The admission type a spell is priced under: methods 11–13 are elective, everything else is not. */
export function admissionTypeOf(admissionMethod: string): AdmissionType {
  return admissionMethod === '11' || admissionMethod === '12' || admissionMethod === '13'
    ? 'elective'
    : 'non_elective';
}

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

const toPence = (gbp: string): number => Math.round(Number(gbp) * 100);

function tariffMatches(row: SourceRow, ctx: RuleContext): boolean {
  const hrg = spellHrg(row);
  const tariff = text(row, 'tariff_gbp');
  if (hrg === undefined || tariff === undefined) return true;
  const actual = toPence(tariff);
  if (!Number.isFinite(actual)) return true; // a malformed decimal is the contract's to reject
  const type = admissionTypeOf(text(row, 'admission_method') ?? '');
  let priced = false;
  for (const fy of spellYears(row)) {
    const expectedGbp = ctx.reference.hrgTariff(hrg, fy, type);
    if (expectedGbp === undefined) continue;
    priced = true;
    const expected = toPence(expectedGbp);
    if (Math.abs(actual - expected) <= Math.max(1, Math.abs(expected) * ctx.tariffTolerance)) return true;
  }
  return !priced; // no price for the year is APC.SPELL_HRG_UNKNOWN's finding, not a mismatch
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
  tables,
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
        if (discharge === 0) return undefined;
        if (start > discharge) return 'episode_start_date';
        if (end > discharge) return 'episode_end_date';
        return undefined;
      },
    };
  },
};

export const SUS_APC_RULES: readonly Rule[] = [
  episodeOutsideSpell,
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
    tables,
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
    tables,
    fields: ['tariff_gbp'],
    severity: 'warn',
    message:
      'tariff does not match the reference price of the spell HRG for its admission type within tolerance',
    rationale:
      'real prices carry MFF and long-stay adjustments the reference lacks, so a mismatch is queried, not dropped',
    check: (row, ctx) => (tariffMatches(row, ctx) ? undefined : 'tariff_gbp'),
  },
  missingNhsNumberRule(dataset, tables),
  implausibleDateOfBirthRule(dataset, tables),
  duplicateRowRule(dataset, tables),
];

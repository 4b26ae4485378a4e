import { validateHrgCode } from '../../nhs/hrg-code.js';
import { financialYearOf, type AdmissionType } from '../../reference/reference-data.js';
import type { SourceRow } from '../../datasets/source-tables.js';
import type { BatchRule, Rule, RuleContext } from '../rule.js';
import { duplicateRowRule, missingNhsNumberRule, text } from '../rule-builders.js';

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
interface SpellWindow {
  firstEpisode: number;
  admission: string | undefined;
  lastEpisode: number;
  discharge: string | undefined;
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
    const spells = new Map<string, SpellWindow>();
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
          const admission = text(row, 'admission_date');
          const discharge = text(row, 'discharge_date');
          let w = spells.get(key);
          if (!w) {
            w = { firstEpisode: episode, admission, lastEpisode: -1, discharge: undefined };
            spells.set(key, w);
          } else if (episode < w.firstEpisode) {
            w.firstEpisode = episode;
            w.admission = admission;
          }
          if (discharge !== undefined && episode > w.lastEpisode) {
            w.lastEpisode = episode;
            w.discharge = discharge;
          }
        }
      },
      judge(row) {
        const key = spellKey(row);
        const w = key === undefined ? undefined : spells.get(key);
        if (!w) return undefined;
        const start = text(row, 'episode_start_date');
        const end = text(row, 'episode_end_date');
        const ownAdmission = text(row, 'admission_date');
        const ownDischarge = text(row, 'discharge_date');
        // A row inconsistent with its own spell fields is the contract's finding, not reported twice.
        if (start !== undefined && ownAdmission !== undefined && start < ownAdmission) return undefined;
        if (ownDischarge !== undefined && ((start ?? '') > ownDischarge || (end ?? '') > ownDischarge))
          return undefined;
        if (start !== undefined && w.admission !== undefined && start < w.admission)
          return 'episode_start_date';
        if (w.discharge === undefined) return undefined;
        if (start !== undefined && start > w.discharge) return 'episode_start_date';
        if (end !== undefined && end > w.discharge) return 'episode_end_date';
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
  duplicateRowRule(dataset, tables),
];

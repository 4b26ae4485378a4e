import type { AdmissionType, HrgTariff } from '../../reference/reference-data.js';

/**
 * The price of one hospital provider spell from the HRG tariff reference (REFERENCE.md §8.7, the
 * mechanics of public costing SQL, tagged P there):
 *
 * 1. the base tariff by admission type: elective (admission methods 11–13 and 81) takes the
 *    combined day case / ordinary elective spell tariff, every other method the non-elective tariff;
 * 2. an emergency stay (admission method 2x) of 0 or 1 days of an HRG flagged "reduced short stay
 *    emergency tariff applicable" takes the reduced short stay emergency tariff instead of the base
 *    (where the workbook gives only the percentage, the base × that percentage: this project's
 *    reading, unverified);
 * 3. plus (length of stay − trim point) × the per-day long stay payment when the stay is longer than
 *    the trim point of its type (ordinary elective or non-elective);
 * 4. × the provider's market forces factor (1 when none is loaded; the factor is a per-provider
 *    reference value, REFERENCE.md names `mff_factor` but gives no values, so it is unverified).
 *
 * Amounts are exact: pounds are read as whole pence and the factor as hundred-thousandths, and the
 * product is rounded half up to the penny once, at the end. Pure: the caller looks up the HRG row
 * for the spell's financial year and the provider's factor.
 */

const ELECTIVE_METHODS: ReadonlySet<string> = new Set(['11', '12', '13', '81']);

/** The admission type a spell is priced under (REFERENCE.md §8.7: elective = methods 11–13, 81). */
export function admissionTypeOf(admissionMethod: string): AdmissionType {
  return ELECTIVE_METHODS.has(admissionMethod) ? 'elective' : 'non_elective';
}

/** Emergency admission: methods 21–2D (the first character '2', REFERENCE.md §2.3). */
export function isEmergencyAdmission(admissionMethod: string): boolean {
  return admissionMethod.startsWith('2');
}

export interface SpellTariffInput {
  /** Admission method code of the spell. */
  readonly admissionMethod: string;
  /** Discharge date − admission date in days (0 for a same-day discharge). */
  readonly lengthOfStayDays: number;
  /** The spell HRG's tariff row for the spell's financial year. */
  readonly price: HrgTariff;
  /** The provider's market forces factor for the year, as a decimal string; absent = 1. */
  readonly marketForcesFactor?: string | null;
}

export interface SpellTariff {
  readonly admissionType: AdmissionType;
  /** The tariff before long stay payment and MFF (the reduced short stay tariff where it applied). */
  readonly baseGbp: string;
  readonly shortStayEmergency: boolean;
  /** Days beyond the trim point (0 when within it, or when the HRG has no trim point of the type). */
  readonly excessBedDays: number;
  readonly excessBedDaysGbp: string;
  /** The factor applied ('1.00000' when none was given). */
  readonly marketForcesFactor: string;
  /** The spell's price in pounds, 2 places: (base + excess) × MFF. */
  readonly tariffGbp: string;
}

/** '1234.5' / '1234.50' → 123450 (exact); NaN when not a non-negative decimal. */
export function poundsToPence(gbp: string): number {
  const m = /^([0-9]+)(?:\.([0-9]{1,2})[0-9]*)?$/.exec(gbp.trim());
  if (!m) return Number.NaN;
  const pence = (m[2] ?? '').padEnd(2, '0');
  return Number(m[1]) * 100 + Number(pence);
}

/** 123450 → '1234.50'. */
export function penceToPounds(pence: number): string {
  const whole = Math.floor(pence / 100);
  return `${whole}.${String(pence - whole * 100).padStart(2, '0')}`;
}

const FACTOR_SCALE = 100_000;

/** '1.02345' → 102345; NaN when not a positive decimal with at most 5 places. */
function factorUnits(factor: string): number {
  const m = /^([0-9]+)(?:\.([0-9]{1,5}))?$/.exec(factor.trim());
  if (!m) return Number.NaN;
  const units = Number(m[1]) * FACTOR_SCALE + Number((m[2] ?? '').padEnd(5, '0'));
  return units > 0 ? units : Number.NaN;
}

/**
 * The spell's price (see the module comment), or undefined when the HRG has no tariff of the
 * spell's admission type, a negative length of stay, or an unreadable amount or factor.
 */
export function spellTariff(input: SpellTariffInput): SpellTariff | undefined {
  const { price, lengthOfStayDays: los } = input;
  if (!Number.isInteger(los) || los < 0) return undefined;
  const admissionType = admissionTypeOf(input.admissionMethod);
  const listed = admissionType === 'elective' ? price.electiveTariffGbp : price.nonElectiveTariffGbp;
  if (listed === null) return undefined;
  let base = poundsToPence(listed);

  const shortStayEmergency =
    isEmergencyAdmission(input.admissionMethod) &&
    los <= 1 &&
    price.reducedShortStayEmergencyApplicable === true;
  if (shortStayEmergency) {
    if (price.reducedShortStayEmergencyTariffGbp !== null)
      base = poundsToPence(price.reducedShortStayEmergencyTariffGbp);
    else if (price.reducedShortStayEmergencyPercent !== null)
      base = Math.round((base * Number(price.reducedShortStayEmergencyPercent)) / 100);
  }

  const trim =
    admissionType === 'elective' ? price.ordinaryElectiveTrimPointDays : price.nonElectiveTrimPointDays;
  const excessBedDays = !shortStayEmergency && trim !== null && los > trim ? los - trim : 0;
  const perDay = price.perDayLongStayGbp === null ? 0 : poundsToPence(price.perDayLongStayGbp);
  const excess = excessBedDays * perDay;

  const factorText = input.marketForcesFactor ?? '1.00000';
  const factor = factorUnits(factorText);
  if (Number.isNaN(base) || Number.isNaN(excess) || Number.isNaN(factor)) return undefined;
  // Half up to the penny: (pence × units + scale/2) / scale, in integers (< 2^53 for any real price).
  const total = Math.floor(((base + excess) * factor + FACTOR_SCALE / 2) / FACTOR_SCALE);
  return {
    admissionType,
    baseGbp: penceToPounds(base),
    shortStayEmergency,
    excessBedDays,
    excessBedDaysGbp: penceToPounds(excess),
    marketForcesFactor: (factor / FACTOR_SCALE).toFixed(5),
    tariffGbp: penceToPounds(total),
  };
}

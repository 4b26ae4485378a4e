import { VALID, invalid } from '../../nhs/value-check.js';
import type { Effective, ImagingCode, ReferenceData } from '../../reference/reference-data.js';
import { civilDays } from '../../time/iso-time.js';
import { fieldRule, type FieldRule } from '../contract-engine.js';

/**
 * The DIDS code validity window (REFERENCE.md §6, V: DIDS v2.0 guidance): a NICIP code is valid
 * if it is active in the latest NICIP release on the procedure date, **or** was inactivated no
 * more than 183 days before it; the same rule applies to SNOMED CT codes of the UK diagnostic
 * imaging procedure refset (999001111000000105).
 *
 * Reading of the reference file (ours): a code's row in `reference/imaging-codes.csv` is active
 * from `effective_from` to `effective_to` inclusive, and `effective_to` is the date it was
 * inactivated. A test `d` days after that date is valid while `d <= 183`: 182 and 183 days after
 * are valid, 184 is not. Whether the national rule counts from the last active day or the first
 * inactive one is not in the reference (unverified).
 */
export const RETIRED_CODE_GRACE_DAYS = 183;

/** How a reference imaging code stands on a test date. */
export type ImagingCodeValidity =
  | 'active'
  /** Inactivated, but no more than 183 days before the test date: still valid. */
  | 'retired_within_grace'
  /** Inactivated more than 183 days before the test date. */
  | 'retired'
  /** The code's first release is after the test date. */
  | 'not_yet_active'
  /** Not in the reference. */
  | 'unknown';

const dayNumber = (iso: string): number =>
  civilDays(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), Number(iso.slice(8, 10)));

/** Days from `from` to `to` ('YYYY-MM-DD…', date parts used): positive when `to` is later. */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

/** How `code` (a reference row, or undefined when the code is not in the reference) stands on `testDate`. */
export function imagingCodeValidity(code: Effective | undefined, testDate: string): ImagingCodeValidity {
  if (code === undefined) return 'unknown';
  const day = testDate.slice(0, 10);
  if (day < code.effectiveFrom) return 'not_yet_active';
  if (code.effectiveTo === null || day <= code.effectiveTo) return 'active';
  return daysBetween(code.effectiveTo, day) <= RETIRED_CODE_GRACE_DAYS ? 'retired_within_grace' : 'retired';
}

/** True when the code may be submitted for a test on `testDate` (active, or retired within the window). */
export function isImagingCodeValidOn(code: Effective | undefined, testDate: string): boolean {
  const v = imagingCodeValidity(code, testDate);
  return v === 'active' || v === 'retired_within_grace';
}

/**
 * The examination's modality, **derived** from its codes through the reference mapping (NICIP →
 * modality in `reference/imaging-codes.csv`; else the SNOMED CT code's mapping), never the
 * supplied value (REFERENCE.md §6: modality and body site are derived after collection by mapping
 * NICIP to SNOMED, V). Null when neither code is in the reference.
 */
export function derivedModality(
  reference: Pick<ReferenceData, 'imagingCode' | 'imagingCodeForSnomed'>,
  nicipCode: string | null | undefined,
  snomedCode: string | null | undefined,
): string | null {
  const byNicip: ImagingCode | undefined =
    typeof nicipCode === 'string' ? reference.imagingCode(nicipCode) : undefined;
  if (byNicip) return byNicip.modality;
  const bySnomed = typeof snomedCode === 'string' ? reference.imagingCodeForSnomed(snomedCode) : undefined;
  return bySnomed?.modality ?? null;
}

const notYet = invalid('NOT_YET_ACTIVE', 'is not yet in the reference imaging code list on the test date');
const retired = invalid(
  'RETIRED',
  `was inactivated more than ${RETIRED_CODE_GRACE_DAYS} days before the test date`,
);

/**
 * The NICIP code must be in the reference imaging code list and valid on the test date (active,
 * or inactivated no more than 183 days before it): `CODE_LIST`, `NOT_YET_ACTIVE`, `RETIRED`.
 */
export const nicipValidOnTestDate: FieldRule = (() => {
  const unknown = invalid('CODE_LIST', 'is not a NICIP code in the reference imaging code list');
  return fieldRule(
    ['CODE_LIST', 'NOT_YET_ACTIVE', 'RETIRED'],
    (v, ctx) => {
      if (typeof v !== 'string') return VALID;
      const code = ctx.reference.imagingCode(v);
      if (code === undefined) return unknown;
      if (ctx.activityDate === undefined) return VALID;
      const validity = imagingCodeValidity(code, ctx.activityDate);
      return validity === 'retired' ? retired : validity === 'not_yet_active' ? notYet : VALID;
    },
    undefined,
    'NICIP codes in the reference imaging code list, valid on the test date or inactivated no more than 183 days before it',
  );
})();

/**
 * A SNOMED CT procedure that is in the reference imaging code list must be valid on the test date
 * by the same window (`NOT_YET_ACTIVE`, `RETIRED`); one that is not in it passes (the UK
 * diagnostic imaging refset is not shipped, only the mapped codes).
 */
export const snomedImagingValidOnTestDate: FieldRule = fieldRule(
  ['NOT_YET_ACTIVE', 'RETIRED'],
  (v, ctx) => {
    if (typeof v !== 'string' || ctx.activityDate === undefined) return VALID;
    const validity = imagingCodeValidity(ctx.reference.imagingCodeForSnomed(v), ctx.activityDate);
    return validity === 'retired' ? retired : validity === 'not_yet_active' ? notYet : VALID;
  },
  undefined,
  'SNOMED CT procedures mapped in the reference imaging code list: valid on the test date or inactivated no more than 183 days before it',
);

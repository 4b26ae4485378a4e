import { ageAtActivity } from '../../pseudonymise/age-band.js';

/**
 * The spell measures SUS derives from the spell's own fields (REFERENCE.md §2.2: `Der_Spell_LoS`,
 * `Age_on_Admission`), computed here the same way so a row's values can be checked and the
 * generator can emit them.
 */

const DAY_MS = 86_400_000;

function utcDay(isoDate: string): number {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(isoDate)) return Number.NaN;
  return (
    Date.UTC(Number(isoDate.slice(0, 4)), Number(isoDate.slice(5, 7)) - 1, Number(isoDate.slice(8, 10))) /
    DAY_MS
  );
}

/**
 * Length of stay in days: discharge date − admission date (a same-day discharge is 0). Null while
 * the spell is open (no discharge date), when a date is malformed, or when discharge precedes
 * admission (the contract's `DISCHARGE_DATE.BEFORE_ADMISSION`).
 */
export function lengthOfStayDays(
  admissionDate: string | null | undefined,
  dischargeDate: string | null | undefined,
): number | null {
  if (!admissionDate || !dischargeDate) return null;
  const days = utcDay(dischargeDate) - utcDay(admissionDate);
  return Number.isInteger(days) && days >= 0 ? days : null;
}

/**
 * Age on admission in whole years: floor(years between date of birth and admission date)
 * (REFERENCE.md §10.2), 0–120. Null when either date is missing or malformed, or the age is outside
 * 0–120. Date of birth is a patient identifier: the age is what leaves bronze, never the date.
 */
export function ageOnAdmission(
  dateOfBirth: string | null | undefined,
  admissionDate: string | null | undefined,
): number | null {
  const age = ageAtActivity(dateOfBirth, admissionDate);
  return age === null || age > 120 ? null : age;
}

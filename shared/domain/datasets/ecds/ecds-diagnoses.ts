import { validateSnomedId } from '../../nhs/snomed.js';
import { VALID, invalid } from '../../nhs/value-check.js';
import { fieldRule, type FieldRule, type RowRule } from '../contract-engine.js';

/**
 * The ECDS diagnosis list and its qualifiers (REFERENCE.md §3.2): NCDR's `Der_EC_Diagnosis_All`
 * is a comma-separated list of SNOMED CT diagnoses whose first item is the primary diagnosis, and
 * each diagnosis carries a qualifier, 410605003 confirmed or 415684004 suspected (V).
 *
 * Contract (list format, ours): `diagnoses` holds the SNOMED CT concept ids separated by single
 * commas, no spaces, primary first; `diagnosis_qualifiers` holds one qualifier per diagnosis in
 * the same order and the same format. How the national extract attaches a qualifier to its code
 * is not in the reference (unverified), so the two lists are kept side by side and must have the
 * same length.
 */

/** The qualifier SNOMED CT concepts of REFERENCE.md §3.2 (the `ecds_diagnosis_qualifier` code list). */
export const DIAGNOSIS_CONFIRMED = '410605003';
export const DIAGNOSIS_SUSPECTED = '415684004';

/** One diagnosis of an attendance, in list order (the first is the primary). */
export interface EcdsDiagnosis {
  readonly code: string;
  /** The qualifier concept id, or null when the attendance has no qualifier list. */
  readonly qualifier: string | null;
}

/** The items of a comma-separated list ('' items kept, so a malformed list shows). */
export function listItems(list: string): readonly string[] {
  return list.split(',');
}

/** The diagnoses of an attendance with their qualifiers, in list order; empty when there are none. */
export function ecdsDiagnoses(
  diagnoses: string | null | undefined,
  qualifiers: string | null | undefined,
): readonly EcdsDiagnosis[] {
  if (typeof diagnoses !== 'string' || diagnoses === '') return [];
  const q = typeof qualifiers === 'string' && qualifiers !== '' ? listItems(qualifiers) : [];
  return listItems(diagnoses).map((code, i) => ({ code, qualifier: q[i] ?? null }));
}

const emptyItem = invalid('EMPTY_ITEM', 'holds an empty item (codes are separated by single commas)');

/** Every item of the comma-separated list is a SNOMED CT concept id (Verhoeff, concept partition). */
export const snomedConceptList: FieldRule = fieldRule(
  ['EMPTY_ITEM', 'NON_DIGIT', 'LEADING_ZERO', 'LENGTH', 'PARTITION', 'NOT_A_CONCEPT', 'CHECK_DIGIT'],
  (v) => {
    if (typeof v !== 'string') return VALID;
    for (const item of listItems(v)) {
      if (item === '') return emptyItem;
      const r = validateSnomedId(item, 'concept');
      if (!r.ok) return r;
    }
    return VALID;
  },
);

/** Every item of the qualifier list is in the `ecds_diagnosis_qualifier` code list on the activity date. */
export const diagnosisQualifierList: FieldRule = (() => {
  const notQualifier = invalid(
    'CODE_LIST',
    'holds an item that is not in the ecds diagnosis qualifier code list effective on the activity date',
  );
  return fieldRule(
    ['EMPTY_ITEM', 'CODE_LIST'],
    (v, ctx) => {
      if (typeof v !== 'string') return VALID;
      for (const item of listItems(v)) {
        if (item === '') return emptyItem;
        if (!ctx.reference.isValidCode('ecds_diagnosis_qualifier', item, ctx.activityDate))
          return notQualifier;
      }
      return VALID;
    },
    'ecds_diagnosis_qualifier',
  );
})();

/**
 * `DIAGNOSIS_QUALIFIERS.COUNT_MISMATCH`: a qualifier list, when given, has exactly one qualifier
 * per diagnosis (a qualifier list without diagnoses fails too).
 */
export const qualifierPerDiagnosis: RowRule = (() => {
  const fail = invalid(
    'COUNT_MISMATCH',
    'does not hold exactly one qualifier per diagnosis, in the same order',
  );
  return {
    field: 'diagnosis_qualifiers',
    rule: 'COUNT_MISMATCH',
    fields: ['diagnosis_qualifiers'],
    check: (row) => {
      const diagnoses = typeof row.diagnoses === 'string' ? listItems(row.diagnoses).length : 0;
      return listItems(row.diagnosis_qualifiers as string).length === diagnoses ? VALID : fail;
    },
  };
})();

import { invalid, VALID } from '../nhs/value-check.js';
import type { RowRule } from './contract-engine.js';
import { codeList, nhsNumber, notAfter, notFuture, ods, postcode } from './contract-rules.js';
import { col, type ColumnDeclaration, type DqDeclaration, type NhsFieldName } from './declaration.js';

/**
 * The patient identity columns the person-level tables share, declared once with their rules and
 * DQ defaults. Each dataset names them as its own publication does (`names`); where the reference
 * gives no name the column shows as unverified in the docs.
 *
 * DQ defaults are this project's reading of "not known" values (REFERENCE.md §10.1 gives the
 * DQMI method, not per-item thresholds): sex X/0, ethnic category Z/99/X, postcode ZZ99…, the
 * V8199x practice codes.
 */

export const DQ_SEX: DqDeclaration = { defaults: ['X', '0'], threshold: 0.02, index: true };
export const DQ_POSTCODE: DqDeclaration = { prefixes: ['ZZ99'], threshold: 0.02, index: true };
const DQ_ETHNIC: DqDeclaration = { defaults: ['Z', '99', 'X'], threshold: 0.035, index: true };
const DQ_GP: DqDeclaration = { defaults: ['V81997', 'V81998', 'V81999'], threshold: 0.02, index: true };

/** The person fields a dataset may name (its own field names for them). */
export type PersonField =
  | 'nhs_number'
  | 'local_patient_id'
  | 'patient_name'
  | 'date_of_birth'
  | 'sex'
  | 'ethnic_category'
  | 'postcode'
  | 'gp_practice_code';

export interface PersonOptions {
  /** The table carries the patient's name. */
  readonly name?: boolean;
  /** The table carries the ethnic category. */
  readonly ethnicity?: boolean;
  /** The dataset's names for the person fields. */
  readonly names?: Partial<Record<PersonField, NhsFieldName>>;
}

/** NHS number: modulus 11 and dummy values checked; a null number passes (flagged by the validation rules). */
export const nhsNumberColumn = (nhs?: NhsFieldName): ColumnDeclaration =>
  col.varchar('nhs_number', 10, "The patient's NHS number (10 digits, modulus 11 check digit)", {
    nullable: true,
    identifier: 'nhs_number',
    rules: [nhsNumber],
    dq: { index: true },
    ...(nhs ? { nhs } : {}),
  });

export const dateOfBirthColumn = (nhs?: NhsFieldName): ColumnDeclaration =>
  col.date('date_of_birth', "The patient's date of birth", {
    nullable: true,
    identifier: 'date_of_birth',
    rules: [notFuture],
    dq: { index: true },
    ...(nhs ? { nhs } : {}),
  });

export const sexColumn = (nhs?: NhsFieldName): ColumnDeclaration =>
  col.char('sex', 1, "The patient's stated sex or gender code", {
    nullable: true,
    rules: [codeList('sex')],
    dq: DQ_SEX,
    ...(nhs ? { nhs } : {}),
  });

export const postcodeColumn = (nhs?: NhsFieldName): ColumnDeclaration =>
  col.varchar('postcode', 8, "The postcode of the patient's usual address", {
    nullable: true,
    identifier: 'postcode',
    rules: [postcode],
    dq: DQ_POSTCODE,
    ...(nhs ? { nhs } : {}),
  });

export const localPatientIdColumn = (nhs?: NhsFieldName): ColumnDeclaration =>
  col.varchar('local_patient_id', 20, "The provider's local patient identifier", {
    nullable: true,
    identifier: 'local_id',
    ...(nhs ? { nhs } : {}),
  });

/**
 * The person columns in their usual order: NHS number, local id, [name], date of birth, sex,
 * [ethnic category], postcode, GP practice.
 */
export function personColumns(o: PersonOptions = {}): ColumnDeclaration[] {
  const n = o.names ?? {};
  const named = (f: PersonField) => (n[f] ? { nhs: n[f] } : {});
  return [
    nhsNumberColumn(n.nhs_number),
    localPatientIdColumn(n.local_patient_id),
    ...(o.name
      ? [
          col.varchar('patient_name', 70, "The patient's name", {
            nullable: true,
            identifier: 'name',
            ...named('patient_name'),
          }),
        ]
      : []),
    dateOfBirthColumn(n.date_of_birth),
    sexColumn(n.sex),
    ...(o.ethnicity
      ? [
          col.varchar('ethnic_category', 2, "The patient's ethnic category", {
            nullable: true,
            rules: [codeList('ethnic_category')],
            dq: DQ_ETHNIC,
            ...named('ethnic_category'),
          }),
        ]
      : []),
    postcodeColumn(n.postcode),
    col.varchar('gp_practice_code', 6, 'The ODS code of the GP practice the patient is registered with', {
      nullable: true,
      rules: [ods('gp_practice')],
      dq: DQ_GP,
      ...named('gp_practice_code'),
    }),
  ];
}

/**
 * The date of birth must not be after the table's activity date (`DATE_OF_BIRTH.AFTER_ACTIVITY_DATE`);
 * a timestamp activity column is compared by its local date.
 */
export function bornBeforeActivity(activityColumn: string, kind: 'date' | 'timestamp' = 'date'): RowRule {
  const reason = `is after the ${activityColumn.replace(/_/g, ' ')}`;
  if (kind === 'date') return notAfter('date_of_birth', activityColumn, 'AFTER_ACTIVITY_DATE', reason);
  const fail = invalid('AFTER_ACTIVITY_DATE', reason);
  return {
    field: 'date_of_birth',
    rule: 'AFTER_ACTIVITY_DATE',
    fields: ['date_of_birth', activityColumn],
    check: (row) =>
      (row.date_of_birth as string) > (row[activityColumn] as string).slice(0, 10) ? fail : VALID,
  };
}

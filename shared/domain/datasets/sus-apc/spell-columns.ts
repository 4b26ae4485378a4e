import { codeList, knownOrganisation, notFuture, ods } from '../contract-rules.js';
import { col, type ColumnDeclaration } from '../declaration.js';
import { SUS, SUS_MODEL } from './sus-apc-names.js';

/**
 * The provider (trust) and site of treatment of a spell, declared once: the spell and each of its
 * episodes carry them.
 */
export const providerColumns = (): ColumnDeclaration[] => [
  col.varchar('provider_code', 5, 'ODS code of the provider (trust) the patient was admitted to', {
    nhs: SUS('Der_Provider_Code'),
    rules: [ods('trust'), knownOrganisation],
  }),
  col.varchar('site_code', 5, 'ODS code of the site of treatment (a site of the provider)', {
    nullable: true,
    nhs: SUS_MODEL('spell_care_location_site_code_of_treatment'),
    rules: [ods('site')],
    dq: { index: true },
  }),
];

/**
 * The admission fields of a hospital provider spell, declared once: the spell holds them, and every
 * episode of the spell repeats them as the episode record has them (HES `admidate`, `admimeth`,
 * `admisorc`, `classpat`).
 */
export const admissionColumns = (): ColumnDeclaration[] => [
  col.date('admission_date', 'Start date of the hospital provider spell', {
    nhs: SUS('Admission_Date'),
    rules: [notFuture],
  }),
  col.varchar('admission_method', 2, 'How the patient was admitted (elective, emergency, maternity, other)', {
    nhs: SUS('Admission_Method'),
    rules: [codeList('admission_method')],
    dq: { defaults: ['98', '99'], threshold: 0.02, index: true },
  }),
  col.varchar('admission_source', 2, 'Where the patient was immediately before admission', {
    nullable: true,
    nhs: SUS('Source_of_Admission'),
    rules: [codeList('admission_source')],
    dq: { defaults: ['98', '99'], threshold: 0.02, index: true },
  }),
  col.char('patient_classification', 1, 'Ordinary admission, day case, regular day or night attender, …', {
    nhs: SUS('Patient_Classification'),
    rules: [codeList('patient_classification')],
    dq: { defaults: ['9'], threshold: 0.02 },
  }),
];

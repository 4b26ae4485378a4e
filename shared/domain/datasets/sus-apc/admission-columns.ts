import { codeList, notFuture } from '../contract-rules.js';
import { col, type ColumnDeclaration } from '../declaration.js';
import { SUS } from './sus-apc-names.js';

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

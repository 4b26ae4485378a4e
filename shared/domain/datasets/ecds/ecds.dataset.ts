import type { DatasetDeclaration } from '../declaration.js';
import { ecdsAttendance } from './ecds-attendance.table.js';

/** Emergency Care Data Set. */
export const ecds: DatasetDeclaration = {
  dataset: 'ecds',
  title: 'ECDS (Emergency Care Data Set)',
  name: 'ECDS',
  rulePrefix: 'ECDS',
  slug: 'ecds',
  tables: [ecdsAttendance],
};

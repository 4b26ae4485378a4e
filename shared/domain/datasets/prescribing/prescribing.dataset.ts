import type { DatasetDeclaration } from '../declaration.js';
import { prescribingItem } from './prescribing-item.table.js';

/** Patient-level prescribing (NHSBSA dispensed items). */
export const prescribing: DatasetDeclaration = {
  dataset: 'prescribing',
  title: 'Patient-level prescribing (NHSBSA dispensed items)',
  name: 'Patient-level prescribing',
  rulePrefix: 'PRESCRIBING',
  slug: 'prescribing',
  tables: [prescribingItem],
};

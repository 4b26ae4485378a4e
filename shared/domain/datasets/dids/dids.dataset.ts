import type { DatasetDeclaration } from '../declaration.js';
import { didsImagingTest } from './dids-imaging-test.table.js';

/** Diagnostic Imaging Data Set. */
export const dids: DatasetDeclaration = {
  dataset: 'dids',
  title: 'DIDS (Diagnostic Imaging Data Set)',
  name: 'DIDS',
  rulePrefix: 'DIDS',
  slug: 'dids',
  tables: [didsImagingTest],
};

import type { DatasetDeclaration } from '../declaration.js';
import { csdsCareContact } from './csds-care-contact.table.js';
import { csdsReferral } from './csds-referral.table.js';

/** Community Services Data Set: referrals before their contacts. */
export const csds: DatasetDeclaration = {
  dataset: 'csds',
  title: 'CSDS (Community Services Data Set)',
  name: 'CSDS',
  rulePrefix: 'CSDS',
  slug: 'csds',
  tables: [csdsReferral, csdsCareContact],
};

import type { DatasetDeclaration } from '../declaration.js';
import { mhsdsCareContact } from './mhsds-care-contact.table.js';
import { mhsdsClusterAssessment } from './mhsds-cluster-assessment.table.js';
import { mhsdsHospitalSpell } from './mhsds-hospital-spell.table.js';
import { mhsdsReferral } from './mhsds-referral.table.js';
import { mhsdsWardStay } from './mhsds-ward-stay.table.js';

/**
 * Mental Health Services Data Set: referrals before their contacts and cluster assessments, hospital
 * provider spells before their ward stays.
 */
export const mhsds: DatasetDeclaration = {
  dataset: 'mhsds',
  title: 'MHSDS (Mental Health Services Data Set)',
  name: 'MHSDS',
  rulePrefix: 'MHSDS',
  slug: 'mhsds',
  tables: [mhsdsReferral, mhsdsCareContact, mhsdsClusterAssessment, mhsdsHospitalSpell, mhsdsWardStay],
};

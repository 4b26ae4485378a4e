import { MART_ACTIVITY_TRUST_MONTH } from '../gold/mart-tables.js';
import { parsePublishedTable, type PublishedTable } from './published-table.js';

/**
 * Published declarations of the existing aggregate marts: what disclosure control needs to know
 * about each column (docs/disclosure-control.md). Not yet applied by the marts refresh; a test
 * keeps each declaration in step with its mart's columns.
 */

/**
 * `fact_activity_trust_month` (CareFlow: activity by trust and month). Every measure is a count
 * of records or persons; `persons` is distinct within a trust-month, so it does not add up over a
 * total row. No totals are declared: the mart has no total rows or columns.
 */
export const PUBLISHED_ACTIVITY_TRUST_MONTH: PublishedTable = parsePublishedTable({
  name: MART_ACTIVITY_TRUST_MONTH.name,
  description: MART_ACTIVITY_TRUST_MONTH.description,
  columns: [
    { role: 'dimension', name: 'provider_code', type: 'code' },
    { role: 'dimension', name: 'period', type: 'month' },
    { role: 'count', name: 'spells_admitted' },
    { role: 'count', name: 'emergency_spells_admitted' },
    { role: 'count', name: 'episodes_started' },
    { role: 'count', name: 'mh_referrals_received' },
    { role: 'count', name: 'persons', distinct: true },
  ],
});

/** The published declarations, by mart name. */
export const PUBLISHED_MARTS: Readonly<Record<string, PublishedTable>> = Object.freeze({
  [PUBLISHED_ACTIVITY_TRUST_MONTH.name]: PUBLISHED_ACTIVITY_TRUST_MONTH,
});

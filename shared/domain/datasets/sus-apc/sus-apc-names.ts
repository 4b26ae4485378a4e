import { VALID, invalid } from '../../nhs/value-check.js';
import type { RowRule } from '../contract-engine.js';
import { nhsName, type NhsFieldName } from '../declaration.js';

/** The NHS names the SUS+ APC tables use (REFERENCE.md §2.2), by source. */
export const SUS = (name: string, verified: 'V' | 'K' = 'V'): NhsFieldName =>
  nhsName(name, 'NCDR SUS', verified);
export const SUS_MODEL = (name: string): NhsFieldName => nhsName(name, 'SUS model (ICB dbt)');
export const HES = (name: string, verified: 'V' | 'K' = 'V'): NhsFieldName => nhsName(name, 'HES', verified);

const deathMismatch = invalid(
  'DEATH_MISMATCH',
  'disagrees with the discharge method: destination 79 (died) goes with method 4 (died) or 5 (stillbirth), and method 4 with destination 79',
);

/** `DISCHARGE_DESTINATION.DEATH_MISMATCH`: method 4 (died) ⇔ destination 79; 5 (stillbirth) may have 79 (REFERENCE.md §2.5). */
export const deathMismatchRule: RowRule = {
  field: 'discharge_destination',
  rule: 'DEATH_MISMATCH',
  fields: ['discharge_destination', 'discharge_method'],
  check: (row) => {
    const dest = row.discharge_destination;
    const method = row.discharge_method;
    if (dest === '79' && method !== '4' && method !== '5') return deathMismatch;
    if (method === '4' && dest !== '79') return deathMismatch;
    return VALID;
  },
};

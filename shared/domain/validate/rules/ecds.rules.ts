import type { Rule } from '../rule.js';
import { duplicateRowRule, instant, missingNhsNumberRule } from '../rule-builders.js';

/**
 * ECDS assurance rules for `ecds_attendance`, in one place. Field and within-row checks (SNOMED
 * codes, timestamps before arrival, future dates, …) are the row contract's (`ECDS.<FIELD>.<RULE>`).
 */

const dataset = 'ecds';
const tables = ['ecds_attendance'] as const;

/** Intermediate timestamps that must not go backwards (each against arrival is the contract's). */
const SEQUENCE = ['initial_assessment_at', 'seen_for_treatment_at', 'decision_to_admit_at'];

export const ECDS_RULES: readonly Rule[] = [
  {
    scope: 'contract',
    id: 'ECDS.DISCHARGE_DESTINATION.MISSING',
    dataset,
    tables,
    fields: ['discharge_destination'],
    severity: 'warn',
    message: 'discharge destination is missing although the attendance is concluded',
    rationale:
      'the attendance happened and counts towards the 4-hour and 12-hour measures; rejecting it would understate activity and flatter performance, so it is accepted, reported here and scored as incomplete in the DQ scorecard',
  },
  {
    scope: 'row',
    id: 'ECDS.TIMESTAMP_SEQUENCE',
    dataset,
    tables,
    fields: SEQUENCE.slice(1),
    severity: 'warn',
    message: 'initial assessment, seen for treatment and decision to admit times go backwards',
    rationale: 'the attendance and its duration stand; only the intermediate waits are doubtful',
    check(row) {
      let last: number | undefined;
      for (const field of SEQUENCE) {
        const at = instant(row, field);
        if (at === undefined) continue;
        if (last !== undefined && at < last) return field;
        last = at;
      }
      return undefined;
    },
  },
  missingNhsNumberRule(dataset, tables),
  duplicateRowRule(dataset, tables),
];

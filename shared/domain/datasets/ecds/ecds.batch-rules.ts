import type { Rule } from '../../validate/rule.js';
import { duplicateRowRule, instant, missingNhsNumberRule } from '../../validate/rule-builders.js';
import { implausibleDateOfBirthRule } from '../../validate/date-of-birth-rule.js';

/**
 * ECDS assurance rules for `ecds_attendance`, in one place. Field and within-row checks (SNOMED
 * codes, timestamps before arrival, future dates, …) are the row contract's (`ECDS.<FIELD>.<RULE>`).
 */

const dataset = 'ecds';
const tables = ['ecds_attendance'] as const;

/** The timestamps a decision to admit cannot precede (each against arrival is the contract's). */
const BEFORE_DECISION = ['initial_assessment_at', 'seen_for_treatment_at'];

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
  ...(['duration_mins', 'within_4_hours', 'over_12_hours'] as const).map((field): Rule => ({
    scope: 'contract',
    id: `ECDS.${field.toUpperCase()}.NOT_DERIVED`,
    dataset,
    tables,
    fields: [field],
    severity: 'warn',
    message: `${field.replace(/_/g, ' ')} is not the value derived from arrival and departure`,
    rationale:
      'the timestamps stand and the measure is re-derived from them (ecdsWaitMeasures): a supplier that rounds or counts minute boundaries differently is reported, not quarantined',
  })),
  {
    scope: 'row',
    id: 'ECDS.DECISION_TO_ADMIT_BEFORE_ASSESSMENT',
    dataset,
    tables,
    fields: ['decision_to_admit_at'],
    severity: 'warn',
    message: 'decision to admit is before the initial assessment or the time seen for treatment',
    rationale:
      'the attendance and its duration stand; only the intermediate waits are doubtful (initial assessment after being seen is allowed: resus patients are seen at once)',
    check(row) {
      const decision = instant(row, 'decision_to_admit_at');
      if (decision === undefined) return undefined;
      for (const field of BEFORE_DECISION) {
        const at = instant(row, field);
        if (at !== undefined && decision < at) return 'decision_to_admit_at';
      }
      return undefined;
    },
  },
  missingNhsNumberRule(dataset, tables),
  implausibleDateOfBirthRule(dataset, tables),
  duplicateRowRule(dataset, tables),
];

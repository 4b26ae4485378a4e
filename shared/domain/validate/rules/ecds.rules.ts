import type { Rule } from '../rule.js';
import {
  dateNotInFutureRule,
  dateOrderRule,
  duplicateRowRule,
  instant,
  missingNhsNumberRule,
  text,
} from '../rule-builders.js';

/** ECDS assurance rules: every rule for `ecds_attendance`, in one place. */

const dataset = 'ecds';
const tables = ['ecds_attendance'] as const;

/** The ECDS timestamps that must not go backwards, in order (departure is judged by its own rule). */
const SEQUENCE = ['arrival_at', 'initial_assessment_at', 'seen_for_treatment_at', 'decision_to_admit_at'];

export const ECDS_RULES: readonly Rule[] = [
  dateOrderRule({
    dataset,
    tables,
    id: 'DEPARTURE_BEFORE_ARRIVAL',
    earlier: 'arrival_at',
    later: 'departure_at',
    severity: 'reject',
    instants: true,
    message: 'departure time is before the arrival time',
    rationale: 'a negative duration corrupts the 4-hour and 12-hour measures (NHSE keeps duration >= 0 only)',
  }),
  {
    scope: 'row',
    id: 'ECDS.TIMESTAMP_SEQUENCE',
    dataset,
    tables,
    fields: [...SEQUENCE.slice(1), 'departure_at'],
    severity: 'warn',
    message:
      'attendance timestamps go backwards (arrival, initial assessment, seen for treatment, decision to admit, departure)',
    rationale: 'the attendance and its duration stand; only the intermediate measures are doubtful',
    check(row) {
      let last: number | undefined;
      for (const field of SEQUENCE) {
        const at = instant(row, field);
        if (at === undefined) continue;
        if (last !== undefined && at < last) return field;
        last = at;
      }
      const departure = instant(row, 'departure_at');
      return departure !== undefined && last !== undefined && departure < last ? 'departure_at' : undefined;
    },
  },
  {
    scope: 'row',
    id: 'ECDS.MISSING_DISCHARGE_DESTINATION',
    dataset,
    tables,
    fields: ['discharge_destination'],
    severity: 'warn',
    message: 'discharge destination is missing for an attendance that has a departure time',
    rationale:
      'the attendance happened and counts towards the 4-hour measure; rejecting it would understate activity, so it is accepted, reported and scored as incomplete',
    check: (row) =>
      text(row, 'departure_at') !== undefined && text(row, 'discharge_destination') === undefined
        ? 'discharge_destination'
        : undefined,
  },
  missingNhsNumberRule(dataset, tables),
  dateNotInFutureRule(dataset, tables),
  duplicateRowRule(dataset, tables),
];

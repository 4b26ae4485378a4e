import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadReferenceData } from '../../../../shared/adapters/local/reference-data.loader.js';
import { contractFor } from '../../../../shared/domain/datasets/contracts.js';
import { ecdsDiagnoses } from '../../../../shared/domain/datasets/ecds/ecds-diagnoses.js';
import { ecdsWaitMeasures } from '../../../../shared/domain/datasets/ecds/ecds-wait-measures.js';
import type { SourceRow } from '../../../../shared/domain/datasets/source-tables.js';
import { validateBatch } from '../../../../shared/domain/validate/validate-batch.js';
import { generated } from '../../synthetic/synthetic-fixture.js';
import { CLEAN_ROWS, EXTRACT_DATE } from '../clean-rows.js';

const reference = loadReferenceData();
const clean = CLEAN_ROWS.ecds_attendance;
const rulesOf = (patch: SourceRow): string[] => {
  const result = contractFor('ecds_attendance', reference, { asOf: EXTRACT_DATE }).check({
    ...clean,
    ...patch,
  });
  return result.ok ? [] : result.failures.map((f) => f.rule);
};

const REJECTED: readonly {
  readonly name: string;
  readonly patch: SourceRow;
  readonly rules: readonly string[];
}[] = [
  {
    name: 'a qualifier list shorter than the diagnosis list',
    patch: { diagnosis_qualifiers: '410605003' },
    rules: ['ECDS.DIAGNOSIS_QUALIFIERS.COUNT_MISMATCH'],
  },
  {
    name: 'a qualifier list without diagnoses',
    patch: { diagnoses: null, diagnosis_qualifiers: '410605003' },
    rules: ['ECDS.DIAGNOSIS_QUALIFIERS.COUNT_MISMATCH'],
  },
  {
    name: 'a qualifier that is neither confirmed nor suspected (a valid SNOMED CT concept)',
    patch: { diagnosis_qualifiers: '410605003,22298006' },
    rules: ['ECDS.DIAGNOSIS_QUALIFIERS.CODE_LIST'],
  },
  {
    name: 'a diagnosis list with an empty item',
    patch: { diagnoses: '22298006,,233604007', diagnosis_qualifiers: null },
    rules: ['ECDS.DIAGNOSES.EMPTY_ITEM'],
  },
  {
    name: 'a diagnosis list whose second code fails the Verhoeff check',
    patch: { diagnoses: '22298006,233604008' },
    rules: ['ECDS.DIAGNOSES.CHECK_DIGIT'],
  },
  {
    name: 'an injury dated after the local day of arrival',
    patch: { injury_date: '2026-09-02' },
    rules: ['ECDS.INJURY_DATE.AFTER_ARRIVAL'],
  },
  {
    name: 'an injury time that is not HH:MM',
    patch: { injury_date: '2026-09-01', injury_time: '25:00' },
    rules: ['ECDS.INJURY_TIME.FORMAT'],
  },
  {
    name: 'a departure before arrival (the derived measures are not judged as well)',
    patch: {
      departure_at: '2026-09-01T07:59:00.000+01:00',
      duration_mins: null,
      within_4_hours: null,
      over_12_hours: null,
    },
    rules: ['ECDS.DEPARTURE_AT.BEFORE_ARRIVAL', 'ECDS.DEPARTURE_AT.BEFORE_DECISION_TO_ADMIT'],
  },
  {
    name: 'a departure before arrival that still carries measures (they are left to BEFORE_ARRIVAL)',
    patch: { departure_at: '2026-09-01T07:59:00.000+01:00', decision_to_admit_at: null },
    rules: ['ECDS.DEPARTURE_AT.BEFORE_ARRIVAL'],
  },
  {
    name: 'a supplied duration that is not arrival to departure',
    patch: { duration_mins: 224 },
    rules: ['ECDS.DURATION_MINS.NOT_DERIVED'],
  },
  {
    name: 'a 4-hour flag that disagrees with the timestamps',
    patch: { within_4_hours: false },
    rules: ['ECDS.WITHIN_4_HOURS.NOT_DERIVED'],
  },
  {
    name: 'measures supplied for an attendance without a departure',
    patch: { departure_at: null },
    rules: [
      'ECDS.DURATION_MINS.NOT_DERIVED',
      'ECDS.WITHIN_4_HOURS.NOT_DERIVED',
      'ECDS.OVER_12_HOURS.NOT_DERIVED',
    ],
  },
];

for (const c of REJECTED)
  test(`the ECDS contract names exactly the failing rule for ${c.name}`, () => {
    assert.deepEqual(rulesOf(c.patch), c.rules);
  });

test('an injury on the day of arrival, suspected diagnoses and null measures without a departure pass', () => {
  assert.deepEqual(
    rulesOf({
      injury_date: '2026-09-01',
      injury_time: '07:45',
      injury_intent: '276853009',
      diagnosis_qualifiers: '415684004,415684004',
      departure_at: null,
      duration_mins: null,
      within_4_hours: null,
      over_12_hours: null,
    }),
    [],
  );
});

test('a measure that disagrees with the timestamps is a warning: the attendance is accepted and the failure reported', async () => {
  const result = await validateBatch('ecds_attendance', [{ ...clean, duration_mins: 999 }], {
    batchId: 'b',
    extractDate: EXTRACT_DATE,
    reference,
  });
  assert.equal(result.counts.accepted, 1);
  assert.deepEqual(
    result.records.map((r) => [r.rule, r.severity, r.outcome]),
    [['ECDS.DURATION_MINS.NOT_DERIVED', 'warn', 'accepted']],
  );
});

test('ecdsDiagnoses pairs each diagnosis with its qualifier, primary first', () => {
  assert.deepEqual(ecdsDiagnoses('22298006,233604007', '410605003,415684004'), [
    { code: '22298006', qualifier: '410605003' },
    { code: '233604007', qualifier: '415684004' },
  ]);
  assert.deepEqual(ecdsDiagnoses('22298006', null), [{ code: '22298006', qualifier: null }]);
  assert.deepEqual(ecdsDiagnoses(null, null), []);
});

test('generated attendances carry derived measures equal to the derivation, one qualifier per diagnosis, and injury fields only for injuries', () => {
  const { rows } = generated({ patients: 400, seed: 11 });
  const attendances = rows.ecds_attendance;
  assert.ok(attendances.length > 50);
  let injuries = 0;
  let suspected = 0;
  let lists = 0;
  for (const row of attendances) {
    const m = ecdsWaitMeasures(row.arrival_at as string, row.departure_at as string | null);
    assert.deepEqual(
      [row.duration_mins, row.within_4_hours, row.over_12_hours],
      [m.durationMins, m.within4Hours, m.over12Hours],
    );
    const diagnoses = ecdsDiagnoses(row.diagnoses as string, row.diagnosis_qualifiers as string);
    assert.ok(diagnoses.length >= 1);
    assert.ok(diagnoses.every((d) => d.qualifier === '410605003' || d.qualifier === '415684004'));
    if (diagnoses.length > 1) lists++;
    if (diagnoses.some((d) => d.qualifier === '415684004')) suspected++;
    const injuryFields = [
      row.injury_date,
      row.injury_mechanism,
      row.injury_place_type,
      row.injury_intent,
      row.injury_activity_status,
    ];
    if (row.injury_date === null)
      assert.ok(injuryFields.every((v) => v === null) && row.injury_time === null);
    else {
      injuries++;
      assert.ok(injuryFields.every((v) => typeof v === 'string'));
      assert.ok((row.injury_date as string) <= (row.arrival_at as string).slice(0, 10));
    }
    assert.equal(typeof row.is_arrival_planned, 'boolean');
  }
  assert.ok(injuries > 0, 'some attendances are injuries');
  assert.ok(suspected > 0, 'some diagnoses are suspected');
  assert.ok(lists > 0, 'some attendances have more than one diagnosis');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GuardError } from '../../../shared/domain/errors.js';
import { linkProject } from '../../../shared/application/use-cases/link-project.use-case.js';
import type { SourceRow, SourceTableName } from '../../../shared/domain/datasets/source-tables.js';
import { createRowPseudonymiser, type SilverRow } from '../../../shared/domain/pseudonymise/silver-row.js';
import {
  apcRow,
  careflowKey,
  community360Key,
  ecdsRow,
  postcodes,
  prescribingRow,
} from '../pseudonymise/row-fixtures.js';
import { CAREFLOW, COMMUNITY360 } from '../../support/projects.js';
import type { ProjectId } from '../../../shared/domain/pseudonymise/projects.js';

function silver(project: ProjectId, table: SourceTableName, rows: SourceRow[]): SilverRow[] {
  const key = project === CAREFLOW ? careflowKey() : community360Key();
  const p = createRowPseudonymiser(table, { project, key, postcodeToLsoa: postcodes });
  return rows.map(p);
}

/** CareFlow silver: an APC episode and three prescriptions of its patient (one without an NHS number). */
function careflowSilver(): Map<SourceTableName, SilverRow[]> {
  return new Map<SourceTableName, SilverRow[]>([
    ['sus_apc_episode', silver(CAREFLOW, 'sus_apc_episode', [apcRow()])],
    [
      'prescribing_item',
      silver(CAREFLOW, 'prescribing_item', [
        prescribingRow({ item_id: 'I1', dispensing_date: '2026-03-10', nic_gbp: '2.50' }),
        // No NHS number: linked on DOB + sex + LSOA to the same person.
        prescribingRow({ item_id: 'I2', nhs_number: null, dispensing_date: '2026-06-03', nic_gbp: '1.25' }),
        prescribingRow({ item_id: 'I3', dispensing_date: '2026-06-04', nic_gbp: '9.99' }), // day 91
      ]),
    ],
  ]);
}

/** A CSDS referral of one patient (an NHS number, or none to link on the fallback key). */
function csdsReferral(id: string, nhsNumber: string | null): SourceRow {
  return {
    referral_id: id,
    provider_code: 'RYW',
    nhs_number: nhsNumber,
    local_patient_id: 'L1',
    date_of_birth: '1980-02-29',
    sex: '2',
    postcode: 'B1 0DH',
    gp_practice_code: 'M85001',
    referral_received_date: '2026-03-20',
    source_of_referral: null,
    priority_type: null,
    team_type: 'A01',
    service_discharge_date: null,
    modified_at: '2026-03-20T10:00:00.000Z',
    change_version: '1',
  };
}

/** A CSDS care contact under a referral (it carries no identity of its own). */
function csdsContact(id: string, referralId: string): SourceRow {
  return {
    care_contact_id: id,
    referral_id: referralId,
    provider_code: 'RYW',
    local_patient_id: 'L1',
    contact_date: '2026-03-25',
    activity_location_type: null,
    attend_or_dna: '5',
    care_activity_type: null,
    modified_at: '2026-03-25T10:00:00.000Z',
    change_version: '2',
  };
}

test('careflow: bronze rows → silver → linked persons → spell prescribing and MH referral facts', () => {
  const result = linkProject(CAREFLOW, careflowSilver(), { keyVersion: 'v1' });
  const rx = result.linked.get('prescribing_item')!;
  assert.equal(rx[1]!.person_id, rx[0]!.person_id);
  assert.equal(rx[1]!.link_quality, 'probabilistic-0.95');
  assert.deepEqual(result.quality.get('prescribing_item'), { deterministic: 2, 'probabilistic-0.95': 1 });
  const fact = result.careflow!.spellPrescribing[0]!;
  assert.equal(fact.prescriptions_90d, 2);
  assert.equal(fact.nic_90d_gbp, '3.75');
  assert.equal(result.careflow!.dischargeMhReferral.length, 1);
});

test('community360: contacts link through their referral; an orphan contact is unlinked', () => {
  const result = linkProject(
    COMMUNITY360,
    new Map<SourceTableName, SilverRow[]>([
      ['ecds_attendance', silver(COMMUNITY360, 'ecds_attendance', [ecdsRow()])],
      ['csds_referral', silver(COMMUNITY360, 'csds_referral', [csdsReferral('R1', '9990000018')])],
      [
        'csds_care_contact',
        silver(COMMUNITY360, 'csds_care_contact', [csdsContact('C1', 'R1'), csdsContact('C2', 'R404')]),
      ],
    ]),
    { keyVersion: 'v1', caseloadUntil: '2026-03-31' },
  );
  const contacts = result.linked.get('csds_care_contact')!;
  assert.equal(contacts[0]!.person_id, result.linked.get('csds_referral')![0]!.person_id);
  assert.equal(contacts[1]!.link_quality, 'unlinked');
  assert.equal(result.community360!.funnel.referredWithin30d, 1);
  assert.equal(result.community360!.communityCaseload[0]!.open_referrals, 1);
});

test('a table of the other project is refused: tokens of two projects never meet', () => {
  assert.throws(
    () =>
      linkProject(
        CAREFLOW,
        new Map<SourceTableName, SilverRow[]>([
          ['ecds_attendance', silver(COMMUNITY360, 'ecds_attendance', [ecdsRow()])],
        ]),
        { keyVersion: 'v1' },
      ),
    (e: unknown) =>
      e instanceof GuardError &&
      e.code === 'PROJECT_MISMATCH' &&
      /not part of project 'careflow'/.test(e.message),
  );
});

test('rows handed over (reuseRows) are linked in place, with the same results as linking copies; without it the input is untouched', () => {
  const cases: [ProjectId, Map<SourceTableName, SilverRow[]>][] = [
    [CAREFLOW, careflowSilver()],
    [
      COMMUNITY360,
      new Map<SourceTableName, SilverRow[]>([
        ['ecds_attendance', silver(COMMUNITY360, 'ecds_attendance', [ecdsRow()])],
        [
          'csds_referral',
          silver(COMMUNITY360, 'csds_referral', [csdsReferral('R1', '9990000018'), csdsReferral('R2', null)]),
        ],
        [
          'csds_care_contact',
          silver(COMMUNITY360, 'csds_care_contact', [
            csdsContact('C1', 'R1'),
            csdsContact('C2', 'R2'),
            csdsContact('C3', 'R404'),
          ]),
        ],
      ]),
    ],
  ];
  for (const [project, rows] of cases) {
    // Every other row withheld, so the kept rows are a subset of the input in both runs.
    let n = 0;
    const options = () => ({
      keyVersion: 'v1',
      caseloadUntil: '2026-03-31',
      withhold: () => n++ % 2 === 1,
    });
    const pristine = structuredClone(rows);
    const copies = structuredClone(rows);
    n = 0;
    const copied = linkProject(project, copies, options());
    assert.deepEqual(copies, pristine, `${project}: the input is left as it was`);
    n = 0;
    const inPlace = linkProject(project, rows, { ...options(), reuseRows: true });
    assert.deepEqual(inPlace, copied, `${project}: the same links, counts and facts`);
    for (const [table, linked] of inPlace.linked)
      for (const row of linked)
        assert.ok(rows.get(table)!.includes(row as SilverRow), `${project} ${table}: a row of the input`);
  }
});

import type {
  Bundle,
  BundleEntry,
  Condition,
  Encounter,
  MedicationDispense,
  MedicationRequest,
  Patient,
  Resource,
} from '@medplum/fhirtypes';
import type { SourceRow } from '../domain/datasets/source-tables.js';
import { FHIR_EXTENSIONS, FHIR_SYSTEMS } from '../domain/fhir/fhir-systems.js';

/**
 * FHIR R4 test files from the synthetic population: the rows the generator makes for SUS+ APC
 * episodes, ECDS attendances, DIDS tests, CSDS referrals and dispensed prescription items (a
 * MedicationDispense with its MedicationRequest; no cost: the mapping prices it from the dm+d id), written as the resources the FHIR
 * mapping reads (docs/fhir.md), one Patient per NHS number. The inverse of the mapping for the
 * columns it fills, so a round trip (rows → Bundle → mapped rows) checks the mapping on realistic
 * volumes. Synthetic only: 999-range NHS numbers. Pure and deterministic.
 */
export interface FhirSourceRows {
  readonly sus_apc_episode?: readonly SourceRow[];
  readonly ecds_attendance?: readonly SourceRow[];
  readonly dids_imaging_test?: readonly SourceRow[];
  readonly csds_referral?: readonly SourceRow[];
  readonly prescribing_item?: readonly SourceRow[];
}

const SEX_TO_GENDER: Readonly<Record<string, Patient['gender']>> = {
  '1': 'male',
  '2': 'female',
  '9': 'other',
  X: 'unknown',
  '0': 'unknown',
};

const str = (v: SourceRow[string] | undefined): string | undefined =>
  v === null || v === undefined ? undefined : String(v);
const ods = (value: string | undefined) =>
  value ? { identifier: { system: FHIR_SYSTEMS.odsOrganisation.uri, value } } : undefined;
const coded = (code: string | undefined, system?: string) =>
  code ? { coding: [{ ...(system ? { system } : {}), code }] } : undefined;
const clean = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The rows as one Bundle (type collection); rows without an NHS number are left out. */
export function fhirBundleFromRows(rows: FhirSourceRows): Bundle {
  const resources: Resource[] = [];
  const patients = new Map<string, string>();
  const patientRef = (row: SourceRow): { reference: string } | undefined => {
    const nhs = str(row.nhs_number);
    if (!nhs) return undefined;
    let id = patients.get(nhs);
    if (!id) {
      id = `pat-${patients.size + 1}`;
      patients.set(nhs, id);
      resources.push(
        clean<Patient>({
          resourceType: 'Patient',
          id,
          identifier: [{ system: FHIR_SYSTEMS.nhsNumber.uri, value: nhs }],
          gender: SEX_TO_GENDER[str(row.sex) ?? ''],
          birthDate: str(row.date_of_birth),
          address: row.postcode ? [{ use: 'home', postalCode: String(row.postcode) }] : undefined,
          generalPractitioner: row.gp_practice_code ? [ods(String(row.gp_practice_code))!] : undefined,
        }),
      );
    }
    return { reference: `Patient/${id}` };
  };
  const conditions = (
    encounter: string,
    codes: readonly string[],
    system: string,
    subject: { reference: string },
  ) =>
    codes.forEach((code, i) =>
      resources.push({
        resourceType: 'Condition',
        id: `${encounter}-c${i + 1}`,
        subject,
        encounter: { reference: `Encounter/${encounter}` },
        code: { coding: [{ system, code }] },
      } satisfies Condition),
    );
  const list = (v: SourceRow[string] | undefined): string[] => (str(v) ? String(v).split(',') : []);

  const spells = new Set<string>();
  const episodes = [...(rows.sus_apc_episode ?? [])].sort(
    (a, b) => Number(a.episode_number) - Number(b.episode_number),
  );
  for (const row of episodes) {
    const subject = patientRef(row);
    if (!subject) continue;
    const id = String(row.episode_id);
    const spellId = String(row.hospital_provider_spell_number);
    const last = row.discharge_date !== null && row.discharge_date !== undefined;
    if (!spells.has(spellId)) {
      spells.add(spellId);
      const spellEnd = episodes.find(
        (e) => e.hospital_provider_spell_number === spellId && e.discharge_date,
      )?.discharge_date;
      resources.push(
        clean<Encounter>({
          resourceType: 'Encounter',
          id: spellId,
          status: spellEnd ? 'finished' : 'in-progress',
          class: { system: FHIR_SYSTEMS.actCode.uri, code: 'IMP' },
          subject,
          period: clean({ start: str(row.admission_date), end: str(spellEnd) }),
          serviceProvider: ods(str(row.provider_code)),
        }),
      );
    }
    resources.push(
      clean<Encounter>({
        resourceType: 'Encounter',
        id,
        status: row.episode_status === '3' ? 'finished' : 'in-progress',
        class: { system: FHIR_SYSTEMS.actCode.uri, code: 'IMP' },
        subject,
        partOf: { reference: `Encounter/${spellId}` },
        period: clean({ start: str(row.episode_start_date), end: str(row.episode_end_date) }),
        serviceProvider: ods(str(row.provider_code)),
        serviceType: coded(str(row.treatment_function)),
        // UK Core places the discharge method on the Encounter, the admission method on hospitalization.
        extension:
          last && row.discharge_method
            ? [
                {
                  url: FHIR_EXTENSIONS.dischargeMethod.uri,
                  valueCodeableConcept: coded(str(row.discharge_method)),
                },
              ]
            : undefined,
        hospitalization: clean({
          extension: [
            {
              url: FHIR_EXTENSIONS.admissionMethod.uri,
              valueCodeableConcept: coded(str(row.admission_method)),
            },
          ],
          admitSource: coded(str(row.admission_source)),
          dischargeDisposition: last ? coded(str(row.discharge_destination)) : undefined,
        }),
      }),
    );
    const dx = [...list(row.primary_diagnosis), ...list(row.secondary_diagnoses)];
    conditions(id, dx, FHIR_SYSTEMS.icd10.uri, subject);
    [...list(row.primary_procedure), ...list(row.secondary_procedures)].forEach((code, i) =>
      resources.push(
        clean({
          resourceType: 'Procedure',
          id: `${id}-p${i + 1}`,
          status: 'completed',
          subject,
          encounter: { reference: `Encounter/${id}` },
          code: { coding: [{ system: FHIR_SYSTEMS.opcs4.uri, code }] },
          performedDateTime: i === 0 ? str(row.primary_procedure_date) : undefined,
        }),
      ),
    );
  }
  for (const row of rows.ecds_attendance ?? []) {
    const subject = patientRef(row);
    if (!subject) continue;
    const id = String(row.attendance_id);
    resources.push(
      clean<Encounter>({
        resourceType: 'Encounter',
        id,
        status: row.departure_at ? 'finished' : 'in-progress',
        class: { system: FHIR_SYSTEMS.actCode.uri, code: 'EMER' },
        type: row.department_type ? [coded(String(row.department_type))!] : undefined,
        subject,
        period: clean({ start: str(row.arrival_at), end: str(row.departure_at) }),
        serviceProvider: ods(str(row.provider_code)),
        hospitalization: row.discharge_destination
          ? { dischargeDisposition: coded(String(row.discharge_destination), FHIR_SYSTEMS.snomed.uri) }
          : undefined,
      }),
    );
    conditions(id, list(row.diagnoses), FHIR_SYSTEMS.snomed.uri, subject);
  }
  for (const row of rows.dids_imaging_test ?? []) {
    const subject = patientRef(row);
    if (!subject) continue;
    const id = String(row.imaging_test_id);
    // R4 ImagingStudy names no provider: an outpatient Encounter carries it (docs/fhir.md).
    resources.push({
      resourceType: 'Encounter',
      id: `${id}-enc`,
      status: 'finished',
      class: { system: FHIR_SYSTEMS.actCode.uri, code: 'AMB' },
      subject,
      ...(row.provider_code ? { serviceProvider: ods(String(row.provider_code))! } : {}),
    } satisfies Encounter);
    resources.push(
      clean({
        resourceType: 'ImagingStudy',
        id,
        status: 'available',
        subject,
        encounter: { reference: `Encounter/${id}-enc` },
        started: str(row.test_date),
        procedureCode: [
          ...(row.snomed_code ? [coded(String(row.snomed_code), FHIR_SYSTEMS.snomed.uri)!] : []),
          ...(row.nicip_code ? [coded(String(row.nicip_code), FHIR_SYSTEMS.nicip.uri)!] : []),
        ],
      }),
    );
  }
  for (const row of rows.csds_referral ?? []) {
    const subject = patientRef(row);
    if (!subject) continue;
    resources.push(
      clean({
        resourceType: 'ServiceRequest',
        id: String(row.referral_id),
        status: 'active',
        intent: 'order',
        subject,
        authoredOn: str(row.referral_received_date),
        performer: row.provider_code ? [ods(String(row.provider_code))!] : undefined,
      }),
    );
  }
  for (const row of rows.prescribing_item ?? []) {
    const subject = patientRef(row);
    if (!subject) continue;
    const id = String(row.item_id);
    resources.push(
      clean<MedicationRequest>({
        resourceType: 'MedicationRequest',
        id: `${id}-rx`,
        status: 'completed',
        intent: 'order',
        subject,
        requester: ods(str(row.prescribing_practice_code)),
      }),
    );
    resources.push(
      clean<MedicationDispense>({
        resourceType: 'MedicationDispense',
        id,
        status: 'completed',
        subject,
        authorizingPrescription: [{ reference: `MedicationRequest/${id}-rx` }],
        medicationCodeableConcept: {
          coding: [
            { system: FHIR_SYSTEMS.bnf.uri, code: String(row.bnf_code) },
            ...(row.snomed_code ? [{ system: FHIR_SYSTEMS.dmd.uri, code: String(row.snomed_code) }] : []),
          ],
        },
        quantity:
          row.quantity !== null && row.quantity !== undefined ? { value: Number(row.quantity) } : undefined,
        whenHandedOver: str(row.dispensing_date),
      }),
    );
  }
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: resources.map((resource): BundleEntry => ({ resource })),
  };
}

/** The same resources as bulk-export NDJSON (one resource per line). */
export function fhirNdjsonFromRows(rows: FhirSourceRows): string {
  return `${(fhirBundleFromRows(rows).entry ?? []).map((e) => JSON.stringify(e.resource)).join('\n')}\n`;
}

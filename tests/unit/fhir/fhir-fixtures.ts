import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { FHIR_EXTENSIONS, FHIR_SYSTEMS } from '../../../shared/domain/fhir/fhir-systems.js';

/** Hand-built FHIR R4 resources for tests: synthetic only (999-range NHS numbers). */

export const NHS_NUMBER = '9990000018';
export const POSTCODE = 'B1 0DH';
export const BIRTH_DATE = '1956-03-14';

export function patient(id = 'pat-1', changes: Record<string, unknown> = {}): Resource {
  return {
    resourceType: 'Patient',
    id,
    identifier: [{ system: FHIR_SYSTEMS.nhsNumber.uri, value: NHS_NUMBER }],
    gender: 'female',
    birthDate: BIRTH_DATE,
    address: [{ use: 'home', postalCode: POSTCODE }],
    generalPractitioner: [{ identifier: { system: FHIR_SYSTEMS.odsOrganisation.uri, value: 'M85001' } }],
    ...changes,
  };
}

const provider = { identifier: { system: FHIR_SYSTEMS.odsOrganisation.uri, value: 'RRK' } };

export function inpatient(id = 'enc-1', changes: Record<string, unknown> = {}): Resource {
  return {
    resourceType: 'Encounter',
    id,
    status: 'finished',
    class: { system: FHIR_SYSTEMS.actCode.uri, code: 'IMP' },
    subject: { reference: 'Patient/pat-1' },
    period: { start: '2026-09-01T10:00:00+01:00', end: '2026-09-05T12:00:00+01:00' },
    serviceProvider: provider,
    serviceType: { coding: [{ code: '300' }] },
    hospitalization: {
      extension: [
        {
          url: FHIR_EXTENSIONS.admissionMethod.uri,
          valueCodeableConcept: { coding: [{ code: '21' }] },
        },
        { url: FHIR_EXTENSIONS.dischargeMethod.uri, valueCodeableConcept: { coding: [{ code: '1' }] } },
      ],
      admitSource: { coding: [{ code: '19' }] },
      dischargeDisposition: { coding: [{ code: '19' }] },
    },
    ...changes,
  };
}

export function emergency(id = 'ae-1', changes: Record<string, unknown> = {}): Resource {
  return {
    resourceType: 'Encounter',
    id,
    status: 'finished',
    class: { system: FHIR_SYSTEMS.actCode.uri, code: 'EMER' },
    subject: { reference: 'Patient/pat-1' },
    period: { start: '2026-09-01T08:10:00+01:00', end: '2026-09-01T11:40:00+01:00' },
    serviceProvider: provider,
    type: [{ coding: [{ code: '01' }] }],
    hospitalization: {
      dischargeDisposition: { coding: [{ system: FHIR_SYSTEMS.snomed.uri, code: '306689006' }] },
    },
    ...changes,
  };
}

export function condition(
  id: string,
  encounter: string,
  code: string,
  system = FHIR_SYSTEMS.icd10.uri,
): Resource {
  return {
    resourceType: 'Condition',
    id,
    subject: { reference: 'Patient/pat-1' },
    encounter: { reference: `Encounter/${encounter}` },
    code: { coding: [{ system, code }] },
  };
}

export function procedure(id: string, encounter: string, code: string): Resource {
  return {
    resourceType: 'Procedure',
    id,
    status: 'completed',
    subject: { reference: 'Patient/pat-1' },
    encounter: { reference: `Encounter/${encounter}` },
    code: { coding: [{ system: FHIR_SYSTEMS.opcs4.uri, code }] },
    performedDateTime: '2026-09-02T09:00:00+01:00',
  };
}

export function imagingStudy(id = 'img-1', encounter = 'ae-1'): Resource {
  return {
    resourceType: 'ImagingStudy',
    id,
    status: 'available',
    subject: { reference: 'Patient/pat-1' },
    encounter: { reference: `Encounter/${encounter}` },
    started: '2026-09-01T09:30:00+01:00',
    procedureCode: [{ coding: [{ system: FHIR_SYSTEMS.nicip.uri, code: 'XCHES' }] }],
  };
}

export function serviceRequest(id = 'ref-1'): Resource {
  return {
    resourceType: 'ServiceRequest',
    id,
    status: 'active',
    intent: 'order',
    subject: { reference: 'Patient/pat-1' },
    authoredOn: '2026-09-06',
    performer: [{ identifier: { system: FHIR_SYSTEMS.odsOrganisation.uri, value: 'RYW' } }],
  };
}

export function medicationRequest(id = 'rx-1'): Resource {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'completed',
    intent: 'order',
    subject: { reference: 'Patient/pat-1' },
    requester: { identifier: { system: FHIR_SYSTEMS.odsOrganisation.uri, value: 'M85001' } },
  };
}

export function medicationDispense(id = 'disp-1', prescription = 'rx-1'): Resource {
  return {
    resourceType: 'MedicationDispense',
    id,
    status: 'completed',
    subject: { reference: 'Patient/pat-1' },
    authorizingPrescription: [{ reference: `MedicationRequest/${prescription}` }],
    medicationCodeableConcept: {
      coding: [
        { system: FHIR_SYSTEMS.bnf.uri, code: '0212000B0AAABAB' },
        { system: FHIR_SYSTEMS.dmd.uri, code: '320000009' },
      ],
    },
    quantity: { value: 28 },
    whenHandedOver: '2026-09-10T11:00:00+01:00',
  };
}

export function bundle(resources: readonly unknown[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: resources.map((resource) => ({ resource }) as BundleEntry),
  };
}

import type {
  Condition,
  Encounter,
  ImagingStudy,
  MedicationDispense,
  MedicationRequest,
  Organization,
  Patient,
  Procedure,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { z } from 'zod';

/**
 * The boundary schemas of the FHIR R4 resources nhs-flows reads: only the elements the mapping
 * uses are checked (their types, as R4 defines them); every other element passes through untouched
 * and is ignored. A resource that fails its schema is quarantined with the path of the first
 * problem, never its value. The parsed types are checked against `@medplum/fhirtypes` (R4) below,
 * so a schema cannot drift from R4's shape.
 */

/** FHIR `id`: 1–64 of A–Z a–z 0–9 - . (R4 datatype `id`). */
export const fhirIdSchema = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'is not a FHIR id');
/** FHIR `date` (YYYY, YYYY-MM or YYYY-MM-DD). */
const fhirDate = z.string().regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, 'is not a FHIR date');
/** FHIR `dateTime`: a date, or a date and time with an offset. */
const fhirDateTime = z
  .string()
  .regex(
    /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/,
    'is not a FHIR dateTime',
  );

const coding = z.looseObject({
  system: z.string().optional(),
  code: z.string().optional(),
  display: z.string().optional(),
});
const codeableConcept = z.looseObject({ coding: z.array(coding).optional(), text: z.string().optional() });
const identifier = z.looseObject({ system: z.string().optional(), value: z.string().optional() });
const reference = z.looseObject({
  reference: z.string().optional(),
  identifier: identifier.optional(),
});
const period = z.looseObject({ start: fhirDateTime.optional(), end: fhirDateTime.optional() });
const quantity = z.looseObject({ value: z.number().optional(), unit: z.string().optional() });
const extension = z.looseObject({
  url: z.string(),
  valueCodeableConcept: codeableConcept.optional(),
  valueCoding: coding.optional(),
  valueCode: z.string().optional(),
});
const meta = z.looseObject({ lastUpdated: z.string().optional() });

const resource = <T extends string>(type: T) =>
  z.looseObject({ resourceType: z.literal(type), id: fhirIdSchema, meta: meta.optional() });

export const patientSchema = resource('Patient').extend({
  identifier: z.array(identifier).optional(),
  gender: z.enum(['male', 'female', 'other', 'unknown']).optional(),
  birthDate: fhirDate.optional(),
  address: z
    .array(
      z.looseObject({
        use: z.enum(['home', 'work', 'temp', 'old', 'billing']).optional(),
        postalCode: z.string().optional(),
      }),
    )
    .optional(),
  generalPractitioner: z.array(reference).optional(),
});

export const organizationSchema = resource('Organization').extend({
  identifier: z.array(identifier).optional(),
});

export const encounterSchema = resource('Encounter').extend({
  status: z.enum([
    'planned',
    'arrived',
    'triaged',
    'in-progress',
    'onleave',
    'finished',
    'cancelled',
    'entered-in-error',
    'unknown',
  ]),
  class: coding,
  type: z.array(codeableConcept).optional(),
  serviceType: codeableConcept.optional(),
  subject: reference.optional(),
  period: period.optional(),
  partOf: reference.optional(),
  serviceProvider: reference.optional(),
  hospitalization: z
    .looseObject({
      extension: z.array(extension).optional(),
      admitSource: codeableConcept.optional(),
      dischargeDisposition: codeableConcept.optional(),
    })
    .optional(),
  extension: z.array(extension).optional(),
});

export const conditionSchema = resource('Condition').extend({
  code: codeableConcept.optional(),
  subject: reference,
  encounter: reference.optional(),
  category: z.array(codeableConcept).optional(),
});

export const procedureSchema = resource('Procedure').extend({
  status: z.enum([
    'preparation',
    'in-progress',
    'not-done',
    'on-hold',
    'stopped',
    'completed',
    'entered-in-error',
    'unknown',
  ]),
  code: codeableConcept.optional(),
  subject: reference,
  encounter: reference.optional(),
  performedDateTime: fhirDateTime.optional(),
  performedPeriod: period.optional(),
});

export const medicationDispenseSchema = resource('MedicationDispense').extend({
  status: z.enum([
    'preparation',
    'in-progress',
    'cancelled',
    'on-hold',
    'completed',
    'entered-in-error',
    'stopped',
    'declined',
    'unknown',
  ]),
  medicationCodeableConcept: codeableConcept.optional(),
  subject: reference.optional(),
  performer: z.array(z.looseObject({ actor: reference })).optional(),
  quantity: quantity.optional(),
  whenHandedOver: fhirDateTime.optional(),
  authorizingPrescription: z.array(reference).optional(),
});

export const medicationRequestSchema = resource('MedicationRequest').extend({
  status: z.enum([
    'active',
    'on-hold',
    'cancelled',
    'completed',
    'entered-in-error',
    'stopped',
    'draft',
    'unknown',
  ]),
  intent: z.enum([
    'proposal',
    'plan',
    'order',
    'original-order',
    'reflex-order',
    'filler-order',
    'instance-order',
    'option',
  ]),
  medicationCodeableConcept: codeableConcept.optional(),
  subject: reference,
  requester: reference.optional(),
  authoredOn: fhirDateTime.optional(),
  dispenseRequest: z
    .looseObject({ quantity: quantity.optional(), performer: reference.optional() })
    .optional(),
});

export const serviceRequestSchema = resource('ServiceRequest').extend({
  status: z.enum(['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown']),
  intent: z.enum([
    'proposal',
    'plan',
    'directive',
    'order',
    'original-order',
    'reflex-order',
    'filler-order',
    'instance-order',
    'option',
  ]),
  subject: reference,
  authoredOn: fhirDateTime.optional(),
  performer: z.array(reference).optional(),
  priority: z.enum(['routine', 'urgent', 'asap', 'stat']).optional(),
});

export const imagingStudySchema = resource('ImagingStudy').extend({
  status: z.enum(['registered', 'available', 'cancelled', 'entered-in-error', 'unknown']),
  subject: reference,
  started: fhirDateTime.optional(),
  identifier: z.array(identifier).optional(),
  procedureCode: z.array(codeableConcept).optional(),
  location: reference.optional(),
  referrer: reference.optional(),
  basedOn: z.array(reference).optional(),
  encounter: reference.optional(),
});

/** The resource types read, with their boundary schema. */
export const FHIR_RESOURCE_SCHEMAS = {
  Patient: patientSchema,
  Organization: organizationSchema,
  Encounter: encounterSchema,
  Condition: conditionSchema,
  Procedure: procedureSchema,
  MedicationDispense: medicationDispenseSchema,
  MedicationRequest: medicationRequestSchema,
  ServiceRequest: serviceRequestSchema,
  ImagingStudy: imagingStudySchema,
} as const;

export type ReadResourceType = keyof typeof FHIR_RESOURCE_SCHEMAS;
export const READ_RESOURCE_TYPES = Object.keys(FHIR_RESOURCE_SCHEMAS) as readonly ReadResourceType[];

/** A validated resource, typed as FHIR R4 (`@medplum/fhirtypes`). */
export type ReadResource =
  | Patient
  | Organization
  | Encounter
  | Condition
  | Procedure
  | MedicationDispense
  | MedicationRequest
  | ServiceRequest
  | ImagingStudy;

// Compile-time: what each schema accepts is an R4 resource of its type (drift fails the typecheck).
type Conforms<S extends z.ZodType, R> = z.infer<S> extends R ? true : never;
export const SCHEMAS_CONFORM_TO_R4: [
  Conforms<typeof patientSchema, Patient>,
  Conforms<typeof organizationSchema, Organization>,
  Conforms<typeof encounterSchema, Encounter>,
  Conforms<typeof conditionSchema, Condition>,
  Conforms<typeof procedureSchema, Procedure>,
  Conforms<typeof medicationDispenseSchema, MedicationDispense>,
  Conforms<typeof medicationRequestSchema, MedicationRequest>,
  Conforms<typeof serviceRequestSchema, ServiceRequest>,
  Conforms<typeof imagingStudySchema, ImagingStudy>,
] = [true, true, true, true, true, true, true, true, true];

/** The schema problem of a resource as a FHIRPath-style path (`period.start`, `identifier[0].system`). */
export function schemaProblemPath(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return '';
  return issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

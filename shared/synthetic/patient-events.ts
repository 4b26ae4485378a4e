import type { SpellScenario } from './clinical-scenarios.js';
import type { CatalogueBnfPresentation, CatalogueProvider } from './synthetic-catalogue.js';

/**
 * The clinical events of one patient's pathway, drawn by `patient-pathway.ts` before any row
 * exists. Each is the input of one dataset's row builder (`rows/<dataset>.rows.ts`): an event holds
 * what other datasets and the planted pathway counts depend on (days, provider, outcome); the row
 * builder adds what only its dataset records (codes, timestamps, keys). Days are day numbers
 * (days since 1970-01-01); times are UTC minutes.
 */

/** An A&E attendance (ECDS). */
export interface AeAttendance {
  /** Arrival, UTC minutes. */
  readonly arrival: number;
  readonly departure: number;
  /** Local (Europe/London) day of arrival and of departure. */
  readonly arrivalDay: number;
  readonly departureDay: number;
  readonly provider: CatalogueProvider;
  /** ECDS department type: `01` (Type 1, consultant-led 24 h) or `03` (Type 3, other A&E, minor injury, UTC). */
  readonly departmentType: string;
  /** Admitted from A&E; cleared when the admission cannot happen (the patient is already in a spell). */
  admitted: boolean;
  readonly acuityLevel: number;
  readonly seenAt: number;
  readonly decisionToAdmitAt: number | null;
}

/** Why a spell starts: after A&E (method 21), another emergency route, a high-cost patient's emergency, or elective. */
export type AdmissionKind = 'ae' | 'emergency' | 'high_cost' | 'elective';

/** A hospital provider spell (SUS+ APC): admission to discharge at one acute trust. */
export interface HospitalSpell {
  readonly kind: AdmissionKind;
  readonly elective: boolean;
  readonly scenario: SpellScenario;
  readonly provider: CatalogueProvider;
  readonly site: string | null;
  readonly dayCase: boolean;
  /** Age in whole years on the admission day. */
  readonly ageOnAdmission: number;
  readonly admissionDay: number;
  /** Length of stay drawn for the spell, in days (0 for a day case); it may end after the period. */
  readonly stayDays: number;
  /** Admission day + stay; null while the patient is still in hospital at the end of the period. */
  readonly dischargeDay: number | null;
  readonly died: boolean;
}

/** An imaging test (DIDS), requested on one day and performed on another. */
export interface ImagingTest {
  readonly requestDay: number;
  readonly testDay: number;
  readonly provider: CatalogueProvider;
  /**
   * DIDS patient source setting as the generator uses it: `01` inpatient (admitted from A&E), `05`
   * A&E (tested on the arrival day), `03` outpatient (after A&E, a later day), `04` GP direct access.
   * The meanings follow the order of the specification's list (inferred, unverified: REFERENCE.md).
   */
  readonly patientSourceSetting: string;
}

/** One prescription item dispensed (patient-level prescribing), with its cost. */
export interface Dispensing {
  readonly day: number;
  readonly presentation: CatalogueBnfPresentation;
  /** Units dispensed (packs × pack quantity). */
  readonly quantity: number;
  /** Net ingredient cost in pence (what the pathway counts sum). */
  readonly nicPence: number;
}

/** A referral to a mental health (MHSDS) or community (CSDS) service, received on `day`. */
export interface ServiceReferral {
  readonly day: number;
  /** Organisation code of the trust that receives it (the patient's ICB's MH or community trust). */
  readonly provider: string;
  readonly sourceOfReferral: string;
  /** Day of death, Infinity while alive: no activity after it. */
  readonly deathDay: number;
}

/** A community referral: short (14–90 days) or long-term (120–540 days, the elderly). */
export interface CommunityReferral extends ServiceReferral {
  readonly longTerm: boolean;
}

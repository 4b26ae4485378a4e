/**
 * What the generator draws from: organisations, geography, tariffs and code lists.
 *
 * Organisation codes, practices, postcodes/LSOA/IMD, HRG tariffs and BNF presentations come from
 * the versioned reference data (`catalogueFromReference`), so the real codes live in one place.
 * The clinical scenarios (which diagnosis goes with which HRG and treatment function) are the
 * generator's own modelling, in `clinical-scenarios.ts`.
 */

import type { HrgTariff } from '../domain/reference/reference-data.js';

/** One provider trust and its sites. */
export interface CatalogueProvider {
  readonly code: string;
  readonly sites: readonly string[];
}

/** A synthetic address: postcode with its LSOA and IMD decile (1 = most deprived). */
export interface CataloguePostcode {
  readonly postcode: string;
  readonly lsoa: string;
  readonly imdDecile: number;
}

/** One ICB area: where patients live, are registered and are treated. */
export interface CatalogueArea {
  readonly icb: string;
  /** Commissioner code as SUS/ECDS carry it (sub-ICB location, padded to 5 with `00`). */
  readonly commissionerCode: string;
  /** Share of generated patients living in this area (shares are normalised). */
  readonly share: number;
  readonly practices: readonly string[];
  readonly postcodes: readonly CataloguePostcode[];
  /** Acute trusts (with A&E and imaging); the first is the main one. */
  readonly acuteProviders: readonly CatalogueProvider[];
  readonly mentalHealthProvider: string;
  readonly communityProvider: string;
  /** Ethnic category weights for the area (codes of the NHS DD ethnic category list). */
  readonly ethnicity: readonly { readonly code: string; readonly weight: number }[];
}

/** A BNF presentation with a synthetic unit price (net ingredient cost per unit, in pence). */
export interface CatalogueBnfPresentation {
  readonly code: string;
  readonly description: string;
  /** Net ingredient cost per unit (tablet, capsule, dose) in pence; may be fractional. */
  readonly unitNicPence: number;
  /** Usual pack quantity dispensed (28, 56, 1 inhaler, …). */
  readonly packQuantity: number;
}

export interface CatalogueImagingExam {
  readonly nicip: string;
  readonly snomed: string;
  readonly modality: string;
  readonly weight: number;
}

export type AdmissionType = 'elective' | 'non_elective';

/** A planted trust merger: `predecessor` closed the day before `fromDay` and `successor` took it over. */
export interface CatalogueMerger {
  readonly predecessor: string;
  readonly successor: string;
  /** Days since epoch of the succession date. */
  readonly fromDay: number;
}

export interface SyntheticCatalogue {
  /** Where this catalogue came from (reference data version), for the report. */
  readonly source: string;
  readonly areas: readonly CatalogueArea[];
  /**
   * Trust mergers the generator plants (from the reference's successor columns): before `fromDay`
   * the successor's acute activity of a share of patients is recorded under the predecessor's code,
   * as the predecessor submitted it before the merger. Empty: none.
   */
  readonly mergers: readonly CatalogueMerger[];
  /** Spell tariff for an HRG, admission type and day (days since epoch), as a decimal string; null if not priced. */
  tariffFor(hrg: string, admissionType: AdmissionType, day: number): string | null;
  /** True when the HRG is in the reference list (the generator only plants unknown ones as defects). */
  isKnownHrg(hrg: string): boolean;
  /** The HRG's tariff row (trim points, short stay columns) for the financial year of `day`, or undefined. */
  hrgPrice(hrg: string, day: number): HrgTariff | undefined;
  /** The provider's market forces factor for the financial year of `day`, or null when none is loaded. */
  marketForcesFactor(provider: string, day: number): string | null;
  readonly bnf: {
    /** Items started after an emergency discharge (acute and secondary prevention). */
    readonly afterDischarge: readonly CatalogueBnfPresentation[];
    /** Long-term repeat items. */
    readonly repeat: readonly CatalogueBnfPresentation[];
    /** Antidepressants, for patients under mental health services. */
    readonly mentalHealth: readonly CatalogueBnfPresentation[];
  };
  readonly ecds: {
    readonly arrivalModeAmbulance: readonly string[];
    readonly arrivalModeOther: readonly string[];
    /** Acuity codes ordered from level 1 (immediate) to level 5 (low). */
    readonly acuity: readonly string[];
    readonly dischargeStatusCompleted: string;
    readonly dischargeStatusOther: readonly string[];
    readonly destinationHome: string;
    readonly destinationAdmitted: string;
    readonly destinationOther: readonly string[];
    readonly followUpGp: string;
  };
  readonly mhsds: {
    readonly sourceOfReferralAfterAdmission: readonly string[];
    readonly sourceOfReferralOther: readonly string[];
    readonly teamTypes: readonly string[];
    readonly consultationMedia: readonly string[];
    readonly careClusters: readonly string[];
  };
  readonly csds: {
    readonly activityLocationTypes: readonly string[];
    readonly careActivityTypes: readonly string[];
    readonly teamTypes: readonly string[];
    readonly priorityTypes: readonly string[];
  };
  /** Imaging examinations: NICIP code, SNOMED CT procedure, modality letter and relative frequency. */
  readonly imaging: readonly CatalogueImagingExam[];
  /** Attended-or-did-not-attend codes: attended first. */
  readonly attendOrDna: { readonly attended: readonly string[]; readonly notAttended: readonly string[] };
}

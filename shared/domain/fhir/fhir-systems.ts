/**
 * The FHIR identifier and code systems nhs-flows reads, each with where it comes from. `verified`
 * follows the reference's tags (../shared/nhs/REFERENCE.md): V verified, P partially verified,
 * K background knowledge (unverified: check against the UK Core guide before production use).
 *
 * Contract: these URIs are compared exactly (no trailing slash, no case folding), as FHIR does.
 */
export interface FhirSystem {
  readonly uri: string;
  readonly what: string;
  readonly verified: 'V' | 'P' | 'K';
}

const system = (uri: string, what: string, verified: FhirSystem['verified']): FhirSystem => ({
  uri,
  what,
  verified,
});

export const FHIR_SYSTEMS = {
  /** UK Core: the NHS number identifier system (issue 13 names it; the UK Core guide uses it). */
  nhsNumber: system('https://fhir.nhs.uk/Id/nhs-number', 'NHS number', 'P'),
  /** UK Core: ODS organisation codes (trusts, sites, GP practices). */
  odsOrganisation: system('https://fhir.nhs.uk/Id/ods-organization-code', 'ODS organisation code', 'P'),
  /** UK Core: ODS site codes (a trust's sites). */
  odsSite: system('https://fhir.nhs.uk/Id/ods-site-code', 'ODS site code', 'K'),
  /** HL7 v3 ActCode: Encounter.class (IMP inpatient, EMER emergency, AMB ambulatory…). */
  actCode: system('http://terminology.hl7.org/CodeSystem/v3-ActCode', 'HL7 v3 ActCode', 'K'),
  /** SNOMED CT (international URI, used by UK Core for every SNOMED binding). */
  snomed: system('http://snomed.info/sct', 'SNOMED CT', 'K'),
  /** ICD-10 (WHO URI; UK 5th edition codes in storage form are accepted, with or without the dot). */
  icd10: system('http://hl7.org/fhir/sid/icd-10', 'ICD-10', 'K'),
  /** OPCS-4 (the NHS England Data Dictionary URI used by UK Core examples). */
  opcs4: system('http://fhir.nhs.net/CodeSystem/opcs-4', 'OPCS-4', 'K'),
  /** dm+d (a SNOMED CT UK Drug Extension id: VMP/AMP), as UK Core binds medication codes. */
  dmd: system('https://dmd.nhs.uk', 'dm+d', 'K'),
  /** BNF presentation codes (15 characters): no UK Core system exists that the reference names. */
  bnf: system('https://www.nhsbsa.nhs.uk/bnf', 'BNF presentation code', 'K'),
  /** NICIP imaging examination codes. */
  nicip: system('https://www.nicip.nhs.uk', 'NICIP', 'K'),
} as const satisfies Record<string, FhirSystem>;

/**
 * UK Core extension URLs read where R4 has no element (unverified unless tagged otherwise: the
 * admission method extension is named in NHS Digital's UK Core STU2 guide, context
 * Encounter.hospitalization).
 */
export const FHIR_EXTENSIONS = {
  admissionMethod: system(
    'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AdmissionMethod',
    'admission method (NHS Data Dictionary code)',
    'P',
  ),
  dischargeMethod: system(
    'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DischargeMethod',
    'discharge method (NHS Data Dictionary code)',
    'K',
  ),
} as const satisfies Record<string, FhirSystem>;

/** Identifier systems that look like an NHS number system but are not UK Core's (a supplier's typo, STU3). */
export function looksLikeNhsNumberSystem(uri: string | undefined): boolean {
  return uri !== undefined && uri !== FHIR_SYSTEMS.nhsNumber.uri && /nhs-?number/i.test(uri);
}

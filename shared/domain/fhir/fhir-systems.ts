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
  /**
   * The NHS number identifier system. V: HL7 UK "UK NamingSystems", Index of Identifier
   * NamingSystems (simplifier.net/guide/UKNamingSystems/Home/Identifiersystems/IndexofIdentifierNamingsystems).
   */
  nhsNumber: system('https://fhir.nhs.uk/Id/nhs-number', 'NHS number', 'V'),
  /** ODS organisation codes (trusts, GP practices). V: the same Identifier NamingSystems index. */
  odsOrganisation: system('https://fhir.nhs.uk/Id/ods-organization-code', 'ODS organisation code', 'V'),
  /** ODS site codes (a trust's sites). V: the same Identifier NamingSystems index. */
  odsSite: system('https://fhir.nhs.uk/Id/ods-site-code', 'ODS site code', 'V'),
  /**
   * HL7 v3 ActCode: Encounter.class (IMP inpatient, EMER emergency, AMB ambulatory…). V: the UK Core
   * inpatient Encounter example, class IMP in this system (simplifier.net/guide/uk-core-implementation-guide-stu3-sequence,
   * Example-UKCore-Encounter-InpatientEncounter).
   */
  actCode: system('http://terminology.hl7.org/CodeSystem/v3-ActCode', 'HL7 v3 ActCode', 'V'),
  /** SNOMED CT. V: UK NamingSystems, Index of Terminology NamingSystems. */
  snomed: system('http://snomed.info/sct', 'SNOMED CT', 'V'),
  /**
   * ICD-10 (UK 5th edition codes in storage form are accepted, with or without the dot). P: named
   * "ICD10uk" in the retired NHS Digital FHIR IG 2.1.50 NamingSystems page; no UK Core page found.
   */
  icd10: system('http://hl7.org/fhir/sid/icd-10', 'ICD-10', 'P'),
  /**
   * OPCS-4. K: no UK Core or NHS England page naming a URI was found (a third-party terminology
   * service uses `https://fhir.nhs.uk/Id/opcs-4`; not adopted without an authoritative source).
   */
  opcs4: system('http://fhir.nhs.net/CodeSystem/opcs-4', 'OPCS-4', 'K'),
  /**
   * dm+d (VMP/AMP ids). V: UK NamingSystems, Index of Terminology NamingSystems ("dm+d",
   * preferred URI), and UK Core Medication guidance ("Medication.code.coding.system SHOULD be
   * https://dmd.nhs.uk").
   */
  dmd: system('https://dmd.nhs.uk', 'dm+d', 'V'),
  /**
   * BNF codes. P: the URI is UK NamingSystems' "BNF Drug" (Index of Terminology NamingSystems);
   * that suppliers send the 15-character BNF presentation code in it is unverified.
   */
  bnf: system('https://fhir.hl7.org.uk/Id/bnf-drug-codes', 'BNF code', 'P'),
  /** NICIP imaging examination codes. */
  nicip: system('https://www.nicip.nhs.uk', 'NICIP', 'K'),
} as const satisfies Record<string, FhirSystem>;

/**
 * UK Core extension URLs read where R4 has no element. V: the admission method extension page
 * (UK Core STU3, Extension-UKCore-AdmissionMethod: context Encounter.hospitalization); the
 * discharge method extension is on the Encounter itself (UK Core Encounter profile, slice
 * dischargeMethod on Encounter.extension, and the UK Core inpatient Encounter example).
 */
export const FHIR_EXTENSIONS = {
  admissionMethod: system(
    'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AdmissionMethod',
    'admission method (NHS Data Dictionary code)',
    'V',
  ),
  dischargeMethod: system(
    'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DischargeMethod',
    'discharge method (NHS Data Dictionary code)',
    'V',
  ),
} as const satisfies Record<string, FhirSystem>;

/** Identifier systems that look like an NHS number system but are not UK Core's (a supplier's typo, STU3). */
export function looksLikeNhsNumberSystem(uri: string | undefined): boolean {
  return uri !== undefined && uri !== FHIR_SYSTEMS.nhsNumber.uri && /nhs-?number/i.test(uri);
}

import { AGE_BANDS } from '../pseudonymise/age-band.js';
import { OMOP_TABLES, type OmopRow, type OmopTableName, type OmopTables } from './omop-cdm-tables.js';
import type { OmopSourceVocabulary, OmopVocabulary } from './omop-vocabulary.js';

/**
 * Gold → OMOP CDM v5.4 (docs/omop.md). Pure: the caller reads gold (plain rows below) and writes
 * the tables. No identifier crosses: `person_id` is the member's ordinal among the exported members
 * ordered by project and pseudonym (never the pseudonym, NHS number or a token), year of birth is
 * estimated from the age band gold holds (dates of birth never reach silver), and no record id,
 * spell number or LSOA is written. Every other id is an ordinal too, in gold key order, so the same
 * gold gives the same OMOP.
 */

/**
 * Concept ids of the OHDSI standard vocabularies the export writes without a vocabulary file, each
 * checked against published OHDSI material (docs/omop.md, "Concepts we write"):
 * - 9201 Inpatient Visit, 9202 Outpatient Visit, 9203 Emergency Room Visit: the HL7 FHIR-to-OMOP
 *   implementation guide's ConceptMap EncounterClass (hl7.org/fhir/uv/omop) and the OHDSI
 *   ETL-LambdaBuilder visit_occurrence logic (ohdsi.github.io/ETL-LambdaBuilder);
 * - 8507 MALE, 8532 FEMALE: the OHDSI Tutorial-ETL Synthea person mapping
 *   (ohdsi.github.io/Tutorial-ETL) and THEMIS "How to populate gender_concept_id" (sex at birth);
 * - 32902 Primary diagnosis, 32908 Secondary diagnosis (Condition Status): the OHDSI
 *   ETL-LambdaBuilder Optum Panther diagnosis mapping and the Oxford OMOP data mapper
 *   (answerdigital/oxford-omop-data-mapper, NHS COSD/SUS to OMOP);
 * - 32817 EHR (Type Concept): a published vocabulary CONCEPT row (32817, 'EHR', domain 'Type
 *   Concept') and DQD concept counts; NHS SUS mappers (the Oxford mapper) use 32818 'EHR
 *   administration record' instead: both are valid Type Concepts.
 */
export const OMOP_CONCEPTS = {
  /** Visit domain. */
  inpatientVisit: 9201,
  outpatientVisit: 9202,
  emergencyRoomVisit: 9203,
  /** Type Concept 'EHR': the record comes from a health record system. */
  ehr: 32817,
  /** Gender domain. */
  male: 8507,
  female: 8532,
  /** Condition Status domain: the episode's primary diagnosis and each secondary diagnosis. */
  primaryDiagnosis: 32902,
  secondaryDiagnosis: 32908,
} as const;

export interface GoldPatient {
  readonly project: string;
  readonly patientToken: string;
  /** NHS Person stated gender code (1 male, 2 female, 9 not specified, X not known). */
  readonly sex: string | null;
  readonly ethnicCategory: string | null;
}

/** What every gold activity row carries for OMOP: its key, its member, its provider and its date. */
export interface GoldActivity {
  /** The gold key (never written: orders the ids). */
  readonly key: string;
  readonly project: string;
  readonly patientToken: string | null;
  readonly providerCode: string | null;
  readonly activityDate: string | null;
  readonly ageBand: string | null;
  /** Withheld under the National Data Opt-out (judged by the caller at the activity date): left out. */
  readonly withheld?: boolean;
}

/** The reason a row withheld under the National Data Opt-out is left out (its count is disclosure-controlled when shown). */
export const OPT_OUT_REASON = 'National Data Opt-out';

export interface GoldSpell extends GoldActivity {
  readonly spellNumber: string | null;
  readonly dischargeDate: string | null;
  readonly admissionSource: string | null;
  readonly dischargeDestination: string | null;
}

export interface GoldEpisode extends GoldActivity {
  readonly spellNumber: string | null;
  readonly endDate: string | null;
  /** ICD-10 as SUS holds it (no dot). */
  readonly primaryDiagnosis: string | null;
  /** ICD-10 codes as SUS holds them, separated by single commas (`E119,I10X`). */
  readonly secondaryDiagnoses?: string | null;
  /** OPCS-4 as SUS holds it (no dot). */
  readonly primaryProcedure: string | null;
  readonly primaryProcedureDate?: string | null;
  /** OPCS-4 codes without dots, separated by single commas (`Z941,Y531`). */
  readonly secondaryProcedures?: string | null;
}

export interface GoldAttendance extends GoldActivity {
  /** SNOMED CT chief complaint. */
  readonly chiefComplaint: string | null;
  readonly dischargeDestination: string | null;
}

/** A community (CSDS) or mental health (MHSDS) care contact: its patient reached through its referral. */
export interface GoldContact extends GoldActivity {
  /** Attended or did not attend code (5, 6 attended; 2, 3, 4, 7 not; 9 or null not known). */
  readonly attendOrDna?: string | null;
}

/** A DIDS imaging test: one examination, coded in NICIP or SNOMED CT. */
export interface GoldImagingTest extends GoldActivity {
  readonly nicipCode: string | null;
  readonly snomedCode: string | null;
  /** Patient source setting 01-07 (01 inpatient, 02 day case, 03 outpatient, 04 GP direct access, 05 A&E, 06 other provider, 07 other; order inferred). */
  readonly patientSourceSetting: string | null;
}

export interface GoldPrescription extends GoldActivity {
  readonly bnfCode: string | null;
  readonly quantity: number | null;
}

export interface GoldOrganisation {
  readonly code: string;
  readonly name: string | null;
}

/** The gold rows the export reads (facts with their member; dim_patient's current versions). */
export interface GoldExtract {
  readonly patients: readonly GoldPatient[];
  readonly spells: readonly GoldSpell[];
  readonly episodes: readonly GoldEpisode[];
  readonly attendances: readonly GoldAttendance[];
  readonly contacts: readonly GoldContact[];
  readonly mhsdsContacts: readonly GoldContact[];
  readonly imagingTests: readonly GoldImagingTest[];
  readonly prescriptions: readonly GoldPrescription[];
  readonly organisations: readonly GoldOrganisation[];
}

/** The gold tables read, as the reconciliation names them. */
export type OmopGoldSource =
  | 'dim_patient'
  | 'fact_apc_spell'
  | 'fact_apc_episode'
  | 'fact_ecds_attendance'
  | 'fact_csds_contact'
  | 'fact_mhsds_contact'
  | 'fact_dids_test'
  | 'fact_prescribing';

/**
 * Per gold table: rows read and rows left out of OMOP, by reason. An account with a `unit` counts
 * something its rows hold (the diagnosis codes of episodes, the visits of imaging tests) rather
 * than the rows themselves: each becomes one row of `target` or is left out for a stated reason.
 */
export interface OmopSourceAccount {
  readonly source: OmopGoldSource;
  readonly read: number;
  readonly dropped: Readonly<Record<string, number>>;
  /** The OMOP table its rows (or its units) become (one row each). */
  readonly target: OmopTableName;
  /** What is counted when not the rows: 'diagnosis codes', 'procedure codes', … */
  readonly unit?: string;
}

/** Reasons a row or a code is left out, as the export prints them. */
export const LEFT_OUT = {
  noYearOfBirth: 'person has no year of birth',
  noAgeBand: 'no age band to estimate a year of birth',
  notInDimPatient: 'patient not in dim_patient',
  spellNotExported: 'spell not exported',
  notAttended: 'not attended (attend_or_dna 2, 3, 4 or 7)',
  repeatedCode: 'repeats a code of its episode',
  noImagingCode: 'no NICIP or SNOMED CT code',
  noOwnVisit: 'not an outpatient or GP direct access test: no visit of its own',
} as const;

/** Codes of a SUS comma-separated list (`E119,I10X`), empty items dropped. */
export function codeList(value: string | null | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
}

export interface OmopBuild {
  readonly tables: OmopTables;
  readonly accounts: readonly OmopSourceAccount[];
  /** Source codes mapped to a standard concept / seen, per vocabulary (0/0 without a vocabulary). */
  readonly mapped: Readonly<Record<OmopSourceVocabulary, { mapped: number; seen: number }>>;
}

/** Attended or did not attend codes of a contact that did not take place (REFERENCE.md §4.3). */
const NOT_ATTENDED: ReadonlySet<string> = new Set(['2', '3', '4', '7']);

/** DIDS patient source settings whose test is a visit of its own: 03 outpatient, 04 GP direct access (order inferred, unverified). */
const OWN_VISIT_SETTINGS: ReadonlySet<string> = new Set(['03', '04']);

/** DIDS settings whose test took place within another exported visit: 01 inpatient and 02 day case in a spell, 05 in an A&E attendance. */
const COVERING_VISIT: Readonly<Record<string, number>> = {
  '01': OMOP_CONCEPTS.inpatientVisit,
  '02': OMOP_CONCEPTS.inpatientVisit,
  '05': OMOP_CONCEPTS.emergencyRoomVisit,
};

const member = (project: string, token: string): string => `${project}\u0000${token}`;
const byKey = <T extends { key: string }>(rows: readonly T[]): T[] =>
  [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

/**
 * Year of birth estimated from an age band on a date: the activity year less the band's middle
 * age (85+ counts as 87). Null for a band gold does not know.
 */
export function estimatedYearOfBirth(ageBand: string, activityDate: string): number | null {
  const band = AGE_BANDS.find((b) => b.label === ageBand);
  const year = Number(activityDate.slice(0, 4));
  if (!band || !Number.isInteger(year)) return null;
  const upper = Number.isFinite(band.to) ? band.to : band.from + 4;
  return year - Math.floor((band.from + upper) / 2);
}

/** NHS Person stated gender → OMOP gender concept (0: not mapped). */
export function genderConcept(sex: string | null): number {
  if (sex === '1') return OMOP_CONCEPTS.male;
  if (sex === '2') return OMOP_CONCEPTS.female;
  return 0;
}

/** Builds the OMOP tables from gold, mapping source codes through `vocabulary` when given. */
export function buildOmop(gold: GoldExtract, vocabulary?: OmopVocabulary): OmopBuild {
  const tables = Object.fromEntries(OMOP_TABLES.map((t) => [t.name, [] as OmopRow[]])) as OmopTables;
  const mapped = {
    ICD10: { mapped: 0, seen: 0 },
    OPCS4: { mapped: 0, seen: 0 },
    SNOMED: { mapped: 0, seen: 0 },
    'dm+d': { mapped: 0, seen: 0 },
  };
  const concept = (vocabularyId: OmopSourceVocabulary, code: string): [number, number] => {
    mapped[vocabularyId].seen++;
    const hit = vocabulary?.lookup(vocabularyId, code);
    if (hit && hit.standardConceptId !== 0) mapped[vocabularyId].mapped++;
    return [hit?.standardConceptId ?? 0, hit?.sourceConceptId ?? 0];
  };

  // Year of birth: from the earliest activity with an age band.
  const activities: GoldActivity[] = [
    ...gold.spells,
    ...gold.episodes,
    ...gold.attendances,
    ...gold.contacts,
    ...gold.mhsdsContacts,
    ...gold.imagingTests,
    ...gold.prescriptions,
  ];
  const birth = new Map<string, { date: string; year: number }>();
  for (const a of activities) {
    if (!a.patientToken || !a.ageBand || !a.activityDate || a.withheld) continue;
    const year = estimatedYearOfBirth(a.ageBand, a.activityDate);
    const m = member(a.project, a.patientToken);
    const seen = birth.get(m);
    if (year !== null && (!seen || a.activityDate < seen.date)) birth.set(m, { date: a.activityDate, year });
  }

  // Persons: dim_patient members with a year of birth (CDM requires one), ordered by member.
  const patients = [...gold.patients].sort((a, b) =>
    member(a.project, a.patientToken) < member(b.project, b.patientToken) ? -1 : 1,
  );
  const members = new Set(patients.map((p) => member(p.project, p.patientToken)));
  const personIds = new Map<string, number>();
  let patientsDropped = 0;
  for (const p of patients) {
    const m = member(p.project, p.patientToken);
    const yob = birth.get(m)?.year;
    if (yob === undefined || personIds.has(m)) {
      patientsDropped++;
      continue;
    }
    const personId = personIds.size + 1;
    personIds.set(m, personId);
    tables.person.push({
      ...nulls('person'),
      person_id: personId,
      gender_concept_id: genderConcept(p.sex),
      year_of_birth: yob,
      race_concept_id: 0,
      ethnicity_concept_id: 0,
      gender_source_value: p.sex,
      gender_source_concept_id: 0,
      race_source_value: p.ethnicCategory,
      race_source_concept_id: 0,
      ethnicity_source_concept_id: 0,
    });
  }

  // Care sites: every organisation an activity names, by ODS code.
  const names = new Map(gold.organisations.map((o) => [o.code, o.name]));
  const codes = [...new Set(activities.map((a) => a.providerCode).filter((c) => c !== null))].sort();
  const careSites = new Map<string, number>();
  for (const code of codes) {
    careSites.set(code, careSites.size + 1);
    tables.care_site.push({
      ...nulls('care_site'),
      care_site_id: careSites.size,
      care_site_name: names.get(code) ?? null,
      care_site_source_value: code,
    });
  }
  const careSite = (code: string | null): number | null =>
    code === null ? null : (careSites.get(code) ?? null);

  const accounts: OmopSourceAccount[] = [
    {
      source: 'dim_patient',
      read: gold.patients.length,
      dropped: patientsDropped ? { [LEFT_OUT.noAgeBand]: patientsDropped } : {},
      target: 'person',
    },
  ];
  /** The person of an activity, or the reason it is left out. */
  const personOf = (a: GoldActivity): number | string => {
    if (a.withheld) return OPT_OUT_REASON;
    if (!a.patientToken) return 'no patient';
    if (!a.activityDate) return 'no activity date';
    const m = member(a.project, a.patientToken);
    return personIds.get(m) ?? (members.has(m) ? LEFT_OUT.noYearOfBirth : LEFT_OUT.notInDimPatient);
  };
  /** An account of what rows hold (codes, visits): read as the rows are, left out with them. */
  interface Tally {
    readonly source: OmopGoldSource;
    readonly target: OmopTableName;
    readonly unit: string;
    read: number;
    readonly dropped: Record<string, number>;
  }
  const tally = (source: OmopGoldSource, target: OmopTableName, unit: string): Tally => {
    return { source, target, unit, read: 0, dropped: {} };
  };
  const drop = (dropped: Record<string, number>, reason: string, n = 1): void => {
    if (n > 0) dropped[reason] = (dropped[reason] ?? 0) + n;
  };
  /**
   * Each row becomes its OMOP rows or is left out for the reason `each` (or its person) gives; what
   * the row holds (`items`) is read with it, and left out with it for the same reason.
   */
  const account = <T extends GoldActivity>(
    source: OmopGoldSource,
    target: OmopTableName,
    rows: readonly T[],
    each: (row: T, personId: number) => string | undefined,
    items: readonly { tally: Tally; count: (row: T) => number }[] = [],
  ): void => {
    const dropped: Record<string, number> = {};
    for (const row of byKey(rows)) {
      for (const item of items) item.tally.read += item.count(row);
      const person = personOf(row);
      const reason = typeof person === 'string' ? person : each(row, person);
      if (reason === undefined) continue;
      drop(dropped, reason);
      for (const item of items) drop(item.tally.dropped, reason, item.count(row));
    }
    accounts.push({ source, target, read: rows.length, dropped }, ...items.map((i) => i.tally));
  };

  const visit = (
    personId: number,
    concept: number,
    start: string,
    end: string,
    a: GoldActivity,
    extra: OmopRow = {},
  ): number => {
    const id = tables.visit_occurrence.length + 1;
    tables.visit_occurrence.push({
      ...nulls('visit_occurrence'),
      visit_occurrence_id: id,
      person_id: personId,
      visit_concept_id: concept,
      visit_start_date: start,
      visit_end_date: end,
      visit_type_concept_id: OMOP_CONCEPTS.ehr,
      care_site_id: careSite(a.providerCode),
      visit_source_concept_id: 0,
      ...extra,
    });
    return id;
  };

  // Spells → inpatient visits; an open spell ends on its admission day (visit_end_date is required).
  const spellVisits = new Map<string, number>();
  account('fact_apc_spell', 'visit_occurrence', gold.spells, (s, personId) => {
    const start = s.activityDate as string;
    const end = s.dischargeDate && s.dischargeDate >= start ? s.dischargeDate : start;
    const id = visit(personId, OMOP_CONCEPTS.inpatientVisit, start, end, s, {
      visit_source_value: 'APC spell',
      admitted_from_concept_id: 0,
      admitted_from_source_value: s.admissionSource,
      discharged_to_concept_id: 0,
      discharged_to_source_value: s.dischargeDestination,
    });
    if (s.spellNumber && s.providerCode)
      spellVisits.set(`${s.project}\u0000${s.providerCode}\u0000${s.spellNumber}`, id);
    return undefined;
  });
  /** A condition_occurrence row for a source code seen at a visit (mapped when a vocabulary is given). */
  const condition = (
    vocabulary: Parameters<typeof concept>[0],
    code: string,
    status: string,
    personId: number,
    at: { start: string; end?: string; visit: number; detail?: number; statusConcept?: number },
  ): void => {
    const [conceptId, sourceConceptId] = concept(vocabulary, code);
    tables.condition_occurrence.push({
      ...nulls('condition_occurrence'),
      condition_occurrence_id: tables.condition_occurrence.length + 1,
      person_id: personId,
      condition_concept_id: conceptId,
      condition_start_date: at.start,
      ...(at.end !== undefined && { condition_end_date: at.end }),
      condition_type_concept_id: OMOP_CONCEPTS.ehr,
      visit_occurrence_id: at.visit,
      ...(at.detail !== undefined && { visit_detail_id: at.detail }),
      condition_source_value: code,
      condition_source_concept_id: sourceConceptId,
      ...(at.statusConcept !== undefined && { condition_status_concept_id: at.statusConcept }),
      condition_status_source_value: status,
    });
  };
  /** A procedure_occurrence row (SNOMED and OPCS-4 mapped when a vocabulary is given; NICIP never). */
  const procedure = (
    vocabulary: Parameters<typeof concept>[0] | null,
    code: string,
    personId: number,
    at: { date: string; visit: number | null; detail?: number },
  ): void => {
    const [conceptId, sourceConceptId] = vocabulary ? concept(vocabulary, code) : [0, 0];
    tables.procedure_occurrence.push({
      ...nulls('procedure_occurrence'),
      procedure_occurrence_id: tables.procedure_occurrence.length + 1,
      person_id: personId,
      procedure_concept_id: conceptId,
      procedure_date: at.date,
      procedure_type_concept_id: OMOP_CONCEPTS.ehr,
      visit_occurrence_id: at.visit,
      ...(at.detail !== undefined && { visit_detail_id: at.detail }),
      procedure_source_value: code,
      procedure_source_concept_id: sourceConceptId,
    });
  };
  const complaints = tally('fact_ecds_attendance', 'condition_occurrence', 'chief complaints');
  account(
    'fact_ecds_attendance',
    'visit_occurrence',
    gold.attendances,
    (a, personId) => {
      const date = a.activityDate as string;
      const id = visit(personId, OMOP_CONCEPTS.emergencyRoomVisit, date, date, a, {
        visit_source_value: 'ECDS attendance',
        discharged_to_concept_id: 0,
        discharged_to_source_value: a.dischargeDestination,
      });
      if (a.chiefComplaint) {
        condition('SNOMED', a.chiefComplaint, 'chief complaint', personId, { start: date, visit: id });
      }
      return undefined;
    },
    [{ tally: complaints, count: (a) => (a.chiefComplaint ? 1 : 0) }],
  );
  // Care contacts → outpatient visits; a contact the patient did not attend is no visit.
  const contactVisit =
    (label: string) =>
    (c: GoldContact, personId: number): string | undefined => {
      if (c.attendOrDna && NOT_ATTENDED.has(c.attendOrDna)) return LEFT_OUT.notAttended;
      const date = c.activityDate as string;
      visit(personId, OMOP_CONCEPTS.outpatientVisit, date, date, c, { visit_source_value: label });
      return undefined;
    };
  account('fact_csds_contact', 'visit_occurrence', gold.contacts, contactVisit('CSDS contact'));
  account('fact_mhsds_contact', 'visit_occurrence', gold.mhsdsContacts, contactVisit('MHSDS contact'));

  // Episodes → visit details in their spell, with every diagnosis and procedure they code.
  const diagnoses = tally('fact_apc_episode', 'condition_occurrence', 'diagnosis codes');
  const procedures = tally('fact_apc_episode', 'procedure_occurrence', 'procedure codes');
  const diagnosisCount = (e: GoldEpisode): number =>
    (e.primaryDiagnosis ? 1 : 0) + codeList(e.secondaryDiagnoses).length;
  const procedureCount = (e: GoldEpisode): number =>
    (e.primaryProcedure ? 1 : 0) + codeList(e.secondaryProcedures).length;
  account(
    'fact_apc_episode',
    'visit_detail',
    gold.episodes,
    (e, personId) => {
      const visitId =
        e.spellNumber && e.providerCode
          ? spellVisits.get(`${e.project}\u0000${e.providerCode}\u0000${e.spellNumber}`)
          : undefined;
      if (visitId === undefined) return 'spell not exported';
      const start = e.activityDate as string;
      const end = e.endDate && e.endDate >= start ? e.endDate : start;
      const detailId = tables.visit_detail.length + 1;
      tables.visit_detail.push({
        ...nulls('visit_detail'),
        visit_detail_id: detailId,
        person_id: personId,
        visit_detail_concept_id: OMOP_CONCEPTS.inpatientVisit,
        visit_detail_start_date: start,
        visit_detail_end_date: end,
        visit_detail_type_concept_id: OMOP_CONCEPTS.ehr,
        care_site_id: careSite(e.providerCode),
        visit_detail_source_value: 'APC episode',
        visit_detail_source_concept_id: 0,
        visit_occurrence_id: visitId,
      });
      // A code repeated within one episode is one condition (or procedure): the repeat is counted.
      const coded = new Set<string>();
      const diagnosis = (code: string, primary: boolean): void => {
        if (coded.has(code)) return drop(diagnoses.dropped, LEFT_OUT.repeatedCode);
        coded.add(code);
        condition('ICD10', code, primary ? 'primary diagnosis' : 'secondary diagnosis', personId, {
          start,
          end,
          visit: visitId,
          detail: detailId,
          statusConcept: primary ? OMOP_CONCEPTS.primaryDiagnosis : OMOP_CONCEPTS.secondaryDiagnosis,
        });
      };
      if (e.primaryDiagnosis) diagnosis(e.primaryDiagnosis, true);
      for (const code of codeList(e.secondaryDiagnoses)) diagnosis(code, false);
      const operated = new Set<string>();
      // SUS dates the primary procedure; the secondary procedures carry no date in gold: the episode start.
      const operation = (code: string, date: string): void => {
        if (operated.has(code)) return drop(procedures.dropped, LEFT_OUT.repeatedCode);
        operated.add(code);
        procedure('OPCS4', code, personId, { date, visit: visitId, detail: detailId });
      };
      if (e.primaryProcedure) operation(e.primaryProcedure, e.primaryProcedureDate ?? start);
      for (const code of codeList(e.secondaryProcedures)) operation(code, start);
      return undefined;
    },
    [
      { tally: diagnoses, count: diagnosisCount },
      { tally: procedures, count: procedureCount },
    ],
  );

  // Imaging tests → procedures (SNOMED CT mapped when given, NICIP kept as the source value). An
  // outpatient or GP direct access test is a visit of its own; an inpatient or day-case test is in
  // the person's exported spell at that provider covering the test date, an A&E test in that day's
  // attendance there, when there is one; other settings name no visit.
  const imagingVisits = tally('fact_dids_test', 'visit_occurrence', 'tests as visits');
  const visitsOf = new Map<unknown, OmopRow[]>();
  for (const v of tables.visit_occurrence) {
    const list = visitsOf.get(v.person_id) ?? [];
    list.push(v);
    visitsOf.set(v.person_id, list);
  }
  const covering = (personId: number, t: GoldImagingTest, visitConcept: number): number | null => {
    const site = careSite(t.providerCode);
    const date = t.activityDate as string;
    const hit = (visitsOf.get(personId) ?? []).find(
      (v) =>
        v.visit_concept_id === visitConcept &&
        site !== null &&
        v.care_site_id === site &&
        String(v.visit_start_date) <= date &&
        date <= String(v.visit_end_date),
    );
    return typeof hit?.visit_occurrence_id === 'number' ? hit.visit_occurrence_id : null;
  };
  account(
    'fact_dids_test',
    'procedure_occurrence',
    gold.imagingTests,
    (t, personId) => {
      const code = t.snomedCode ?? t.nicipCode;
      if (!code) return LEFT_OUT.noImagingCode;
      const date = t.activityDate as string;
      const setting = t.patientSourceSetting;
      let visitId: number | null;
      if (setting !== null && OWN_VISIT_SETTINGS.has(setting)) {
        visitId = visit(personId, OMOP_CONCEPTS.outpatientVisit, date, date, t, {
          visit_source_value: 'DIDS imaging test',
        });
      } else {
        drop(imagingVisits.dropped, LEFT_OUT.noOwnVisit);
        const within = setting === null ? undefined : COVERING_VISIT[setting];
        visitId = within === undefined ? null : covering(personId, t, within);
      }
      procedure(t.snomedCode ? 'SNOMED' : null, code, personId, { date, visit: visitId });
      return undefined;
    },
    [{ tally: imagingVisits, count: () => 1 }],
  );

  // Prescription items → drug exposures on the dispensing day.
  account('fact_prescribing', 'drug_exposure', gold.prescriptions, (p, personId) => {
    const date = p.activityDate as string;
    const [conceptId, sourceConceptId] = p.bnfCode ? concept('dm+d', p.bnfCode) : [0, 0];
    tables.drug_exposure.push({
      ...nulls('drug_exposure'),
      drug_exposure_id: tables.drug_exposure.length + 1,
      person_id: personId,
      drug_concept_id: conceptId,
      drug_exposure_start_date: date,
      drug_exposure_end_date: date,
      drug_type_concept_id: OMOP_CONCEPTS.ehr,
      quantity: p.quantity,
      drug_source_value: p.bnfCode,
      drug_source_concept_id: sourceConceptId,
    });
    return undefined;
  });

  // Observation periods: each person's first to last day of activity.
  const span = new Map<number, { from: string; to: string }>();
  const see = (personId: unknown, ...dates: unknown[]): void => {
    if (typeof personId !== 'number') return;
    for (const d of dates) {
      if (typeof d !== 'string') continue;
      const s = span.get(personId);
      if (!s) span.set(personId, { from: d, to: d });
      else {
        if (d < s.from) s.from = d;
        if (d > s.to) s.to = d;
      }
    }
  };
  for (const table of [
    'visit_occurrence',
    'visit_detail',
    'condition_occurrence',
    'procedure_occurrence',
    'drug_exposure',
  ] as const)
    for (const row of tables[table]) see(row.person_id, ...eventDates(table, row));
  // A person's observation period also covers the activity its year of birth was estimated from.
  for (const [m, b] of birth) see(personIds.get(m), b.date);
  for (const person of tables.person) {
    const personId = person.person_id as number;
    const s = span.get(personId);
    if (!s) continue;
    tables.observation_period.push({
      observation_period_id: tables.observation_period.length + 1,
      person_id: personId,
      observation_period_start_date: s.from,
      observation_period_end_date: s.to,
      period_type_concept_id: OMOP_CONCEPTS.ehr,
    });
  }
  return { tables, accounts, mapped };
}

/** The dates of an event row that must fall in its person's observation period. */
export function eventDates(table: OmopTableName, row: OmopRow): (string | number | null | undefined)[] {
  switch (table) {
    case 'visit_occurrence':
      return [row.visit_start_date, row.visit_end_date];
    case 'visit_detail':
      return [row.visit_detail_start_date, row.visit_detail_end_date];
    case 'condition_occurrence':
      return [row.condition_start_date, row.condition_end_date];
    case 'procedure_occurrence':
      return [row.procedure_date, row.procedure_end_date];
    case 'drug_exposure':
      return [row.drug_exposure_start_date, row.drug_exposure_end_date];
    default:
      return [];
  }
}

/** Every column of a table as null: rows are complete, in declaration order. */
function nulls(name: OmopTableName): OmopRow {
  const table = OMOP_TABLES.find((t) => t.name === name);
  return Object.fromEntries((table?.columns ?? []).map((c) => [c.name, null]));
}

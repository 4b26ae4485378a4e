import type {
  CodeableConcept,
  Coding,
  Condition,
  Encounter,
  ImagingStudy,
  MedicationDispense,
  Patient,
  Procedure,
  Reference,
  ServiceRequest,
} from '@medplum/fhirtypes';
import type { SourceRowValue, SourceTableName } from '../datasets/source-tables.js';
import type { DmdPrice } from '../reference/reference-data.js';
import { ecdsWaitMeasures } from '../datasets/ecds/ecds-wait-measures.js';
import { ageOnAdmission, lengthOfStayDays } from '../datasets/sus-apc/spell-derivations.js';
import { FHIR_EXTENSIONS, FHIR_SYSTEMS, looksLikeNhsNumberSystem } from './fhir-systems.js';
import { mayHoldNhsNumber, type FhirEntry, type FhirQuarantineRule } from './fhir-resource-set.js';
import type { ReadResource, ReadResourceType } from './fhir-resources.schema.js';

/**
 * How FHIR R4 resources become rows of the source tables: one declaration per table, column by
 * column, each with the FHIRPath-style element it reads. docs/fhir.md renders these declarations
 * (`fhirMappingDoc`), and a test checks every column named here is a column of the table's dataset
 * declaration and every required column is mapped. Pure: no I/O.
 */

/** Why a value cannot be read: a quarantine rule, the location (never the value) and words. */
export interface FhirProblem {
  readonly rule: FhirQuarantineRule;
  readonly location: string;
  readonly reason: string;
}

export type FhirValue = SourceRowValue | FhirProblem;

export const isProblem = (v: unknown): v is FhirProblem =>
  typeof v === 'object' && v !== null && 'rule' in v && 'location' in v;

/** Finds the resources a row refers to, and records which were used. */
export interface FhirLookup {
  /** The resource a reference points at, in the same file (by fullUrl or `Type/id`). */
  resolve(ref: Reference | undefined): FhirEntry | undefined;
  /** Resources of a type that refer to `target` through `element` (Condition.encounter …). */
  referring(
    type: ReadResourceType,
    target: FhirEntry,
    element: (r: ReadResource) => Reference | undefined,
  ): FhirEntry[];
  /** Marks a supporting resource as used by the row being built. */
  use(entry: FhirEntry): void;
  /** Marks a supporting resource as quarantined (a Condition with a code in another system…). */
  reject(entry: FhirEntry, problem: FhirProblem): void;
}

/** A dm+d product's price per unit on a date (`ReferenceData.dmdPrice`), or undefined when it has none. */
export type DmdPriceLookup = (dmdCode: string, asOf: string) => DmdPrice | undefined;

export interface FhirRowContext {
  readonly entry: FhirEntry;
  readonly lookup: FhirLookup;
  /** The reference data's dm+d prices (a dispense's net ingredient cost is priced from them). */
  readonly dmdPrice: DmdPriceLookup;
  /** A resource id as a value of a key column (`fhirKey`, sized to the column). */
  readonly key: (id: string | undefined, column: string) => string;
}

/** One column of a table filled from FHIR. */
export interface FhirColumnSource<R> {
  readonly column: string;
  /** FHIRPath-style element path from the root resource (docs, and locations of problems). */
  readonly path: string;
  /** What the docs say besides the path: a derivation, a code system, an unverified convention. */
  readonly note?: string;
  readonly value: (resource: R, ctx: FhirRowContext) => FhirValue;
}

/** The mapping of one resource type to one table. */
export interface FhirTableMapping<R extends ReadResource = ReadResource> {
  readonly table: SourceTableName;
  readonly resourceType: ReadResourceType;
  /** Which resources of the type the table takes, in words (docs). */
  readonly selects: string;
  /** The Patient reference that supplies the person columns. */
  readonly subject: (resource: R) => Reference | undefined;
  readonly subjectPath: string;
  /**
   * The other resource types its rows read (Patient and Organization are read by every table):
   * a bulk file keeps only these whole between its two passes.
   */
  readonly supports: readonly ReadResourceType[];
  readonly columns: readonly FhirColumnSource<R>[];
}

// ---------- element readers ----------

const problem = (rule: FhirQuarantineRule, location: string, reason: string): FhirProblem => ({
  rule,
  location,
  reason,
});

/** `Encounter.period.start` at `Encounter/abc` → `Encounter/abc.period.start`. */
export function locate(label: string, path: string): string {
  const dot = path.indexOf('.');
  return dot === -1 ? label : `${label}${path.slice(dot)}`;
}

/** The code of the first coding in `system`; a problem when there are codings but none in it. */
function codeIn(
  cc: CodeableConcept | readonly CodeableConcept[] | undefined,
  systems: readonly string[],
  at: string,
  what: string,
): FhirValue {
  const codings = codingsOf(cc);
  if (codings.length === 0) return null;
  const hit = codings.find((c) => c.system !== undefined && systems.includes(c.system) && c.code);
  if (hit?.code) return hit.code;
  return problem(
    'FHIR.CODE_SYSTEM',
    `${at}.coding.system`,
    `holds no ${what} code (system ${systems.join(' or ')})`,
  );
}

/** The code of the first coding with a code, whatever its system (NHS Data Dictionary codes: see docs). */
function anyCode(cc: CodeableConcept | readonly CodeableConcept[] | undefined): string | null {
  return codingsOf(cc).find((c) => c.code)?.code ?? null;
}

function codingsOf(cc: CodeableConcept | readonly CodeableConcept[] | undefined): Coding[] {
  if (cc === undefined) return [];
  const list: readonly CodeableConcept[] = isConceptList(cc) ? cc : [cc];
  return list.flatMap((c) => c.coding ?? []);
}

const isConceptList = (cc: CodeableConcept | readonly CodeableConcept[]): cc is readonly CodeableConcept[] =>
  Array.isArray(cc);

function extensionCode(
  extensions:
    | readonly {
        url: string;
        valueCodeableConcept?: CodeableConcept;
        valueCoding?: { code?: string };
        valueCode?: string;
      }[]
    | undefined,
  url: string,
): string | null {
  const ext = extensions?.find((e) => e.url === url);
  if (!ext) return null;
  return ext.valueCode ?? ext.valueCoding?.code ?? anyCode(ext.valueCodeableConcept) ?? null;
}

/**
 * The discharge method extension: on the Encounter, where the UK Core Encounter profile slices it;
 * also read from `hospitalization.extension`, where this project read it before that was checked.
 */
function dischargeMethodOf(e: Encounter): string | null {
  return (
    extensionCode(e.extension, FHIR_EXTENSIONS.dischargeMethod.uri) ??
    extensionCode(e.hospitalization?.extension, FHIR_EXTENSIONS.dischargeMethod.uri)
  );
}

/** `YYYY-MM-DD` of a FHIR date or dateTime (its local date, as written); a problem for a partial date. */
function dateOf(value: string | undefined, at: string): FhirValue {
  if (value === undefined) return null;
  if (!/^\d{4}-\d{2}-\d{2}/.test(value))
    return problem('FHIR.DATE_PRECISION', at, 'is a partial date; the column needs a full date');
  return value.slice(0, 10);
}

/** A dateTime with its offset (Z as +00:00; seconds added when absent); a problem for a date without a time. */
function dateTimeOf(value: string | undefined, at: string): FhirValue {
  if (value === undefined) return null;
  if (!/T\d{2}:\d{2}/.test(value))
    return problem(
      'FHIR.DATE_PRECISION',
      at,
      'has no time; the column needs a date and time with its offset',
    );
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  if (!m) return problem('FHIR.DATE_PRECISION', at, 'has no offset');
  return `${m[1]}${m[2] ?? ':00'}${m[3] === 'Z' ? '+00:00' : m[3]}`;
}

/** An ODS code: the reference's identifier in the ODS system, or the referenced Organization's. */
function odsOf(ref: Reference | undefined, at: string, ctx: FhirRowContext): FhirValue {
  if (!ref) return null;
  const direct = ref.identifier;
  if (direct?.value) {
    if (direct.system === FHIR_SYSTEMS.odsOrganisation.uri) return direct.value;
    return problem(
      'FHIR.IDENTIFIER_SYSTEM',
      `${at}.identifier.system`,
      `is not the ODS organisation code system (${FHIR_SYSTEMS.odsOrganisation.uri})`,
    );
  }
  if (!ref.reference) return null;
  const target = ctx.lookup.resolve(ref);
  if (!target?.resource || target.resource.resourceType !== 'Organization')
    return problem('FHIR.REFERENCE_UNRESOLVED', `${at}.reference`, 'refers to no Organization in the file');
  ctx.lookup.use(target);
  const ids = target.resource.identifier ?? [];
  const ods = ids.find((i) => i.system === FHIR_SYSTEMS.odsOrganisation.uri && i.value);
  if (ods?.value) return ods.value;
  return problem(
    ids.length > 0 ? 'FHIR.IDENTIFIER_SYSTEM' : 'FHIR.MISSING_ELEMENT',
    `${target.label}.identifier.where(system='${FHIR_SYSTEMS.odsOrganisation.uri}')`,
    'the Organization has no ODS organisation code',
  );
}

/** A resource's id as a key of `length` characters at most: the id itself, or `F` + a hash prefix. */
export function fhirKey(
  entry: FhirEntry,
  id: string | undefined,
  length: number,
  hash: (text: string) => string,
): string {
  const raw = id ?? '';
  if (raw.length > 0 && raw.length <= length && !mayHoldNhsNumber(raw)) return raw;
  return `F${hash(`${entry.resourceType}/${raw}`).slice(0, length - 1)}`;
}

// ---------- person columns (from the Patient the row refers to) ----------

const GENDER_TO_SEX: Readonly<Record<NonNullable<Patient['gender']>, string>> = {
  male: '1',
  female: '2',
  other: '9',
  unknown: 'X',
};

/** The person columns a Patient fills, by column name (only those the table declares are used). */
export const PERSON_SOURCES: readonly FhirColumnSource<Patient>[] = [
  {
    column: 'nhs_number',
    path: `Patient.identifier.where(system='${FHIR_SYSTEMS.nhsNumber.uri}').value`,
    note: 'required for a row: a Patient without one quarantines the row (FHIR.NHS_NUMBER_MISSING)',
    value: (p, ctx) => {
      const ids = p.identifier ?? [];
      const hit = ids.find((i) => i.system === FHIR_SYSTEMS.nhsNumber.uri && i.value);
      if (hit?.value) return hit.value.replace(/\s/g, '');
      const wrong = ids.findIndex((i) => looksLikeNhsNumberSystem(i.system));
      if (wrong !== -1)
        return problem(
          'FHIR.IDENTIFIER_SYSTEM',
          `${ctx.entry.label}.identifier[${wrong}].system`,
          `is not the NHS number system (${FHIR_SYSTEMS.nhsNumber.uri})`,
        );
      return problem(
        'FHIR.NHS_NUMBER_MISSING',
        `${ctx.entry.label}.identifier.where(system='${FHIR_SYSTEMS.nhsNumber.uri}')`,
        'the Patient has no NHS number',
      );
    },
  },
  {
    column: 'date_of_birth',
    path: 'Patient.birthDate',
    note: 'a partial date quarantines the row',
    value: (p, ctx) => dateOf(p.birthDate, `${ctx.entry.label}.birthDate`),
  },
  {
    column: 'sex',
    path: 'Patient.gender',
    note: 'male 1, female 2, other 9, unknown X (administrative gender read as stated sex: unverified equivalence)',
    value: (p) => (p.gender ? GENDER_TO_SEX[p.gender] : null),
  },
  {
    column: 'postcode',
    path: "Patient.address.where(use='home').postalCode (else the first address's)",
    value: (p) => (p.address?.find((a) => a.use === 'home') ?? p.address?.[0])?.postalCode ?? null,
  },
  {
    column: 'gp_practice_code',
    path: `Patient.generalPractitioner.identifier.where(system='${FHIR_SYSTEMS.odsOrganisation.uri}').value`,
    note: 'or the ODS code of the Organization it refers to',
    value: (p, ctx) => {
      for (const [i, ref] of (p.generalPractitioner ?? []).entries()) {
        const v = odsOf(ref, `${ctx.entry.label}.generalPractitioner[${i}]`, ctx);
        if (v !== null) return v;
      }
      return null;
    },
  },
];

// ---------- table mappings ----------

const encounterClass = (e: Encounter): string | undefined =>
  e.class.system === undefined || e.class.system === FHIR_SYSTEMS.actCode.uri ? e.class.code : undefined;

/** Conditions or Procedures in the file that refer to `encounter`, in file order. */
function attached(ctx: FhirRowContext, type: 'Condition' | 'Procedure'): FhirEntry[] {
  return ctx.lookup.referring(type, ctx.entry, (r) => (r as Condition | Procedure).encounter);
}

/** Codes of attached resources in `system`; one in another system is quarantined, the row maps. */
function attachedCodes(
  ctx: FhirRowContext,
  type: 'Condition' | 'Procedure',
  system: string,
  what: string,
): { code: string; entry: FhirEntry }[] {
  const out: { code: string; entry: FhirEntry }[] = [];
  for (const entry of attached(ctx, type)) {
    const code = (entry.resource as Condition | Procedure).code;
    const v = codeIn(code, [system], `${entry.label}.code`, what);
    if (typeof v === 'string') {
      ctx.lookup.use(entry);
      out.push({ code: v.replace('.', '').toUpperCase(), entry });
    } else
      ctx.lookup.reject(
        entry,
        isProblem(v) ? v : problem('FHIR.MISSING_ELEMENT', `${entry.label}.code`, `has no ${what} code`),
      );
  }
  return out;
}

/** The spell Encounter (partOf) of an episode, when it is in the file. */
function spellOf(e: Encounter, ctx: FhirRowContext): FhirEntry | undefined {
  const spell = e.partOf ? ctx.lookup.resolve(e.partOf) : undefined;
  if (spell?.resource?.resourceType !== 'Encounter') return undefined;
  ctx.lookup.use(spell);
  return spell;
}

/** The episodes of a spell in the file (Encounters whose partOf is the spell), by start. */
function episodesOf(spell: FhirEntry, ctx: FhirRowContext): FhirEntry[] {
  return ctx.lookup
    .referring('Encounter', spell, (r) => (r as Encounter).partOf)
    .sort((a, b) =>
      ((a.resource as Encounter).period?.start ?? '').localeCompare(
        (b.resource as Encounter).period?.start ?? '',
      ),
    );
}

const isLastEpisode = (e: Encounter, ctx: FhirRowContext): boolean => {
  const spell = spellOf(e, ctx);
  if (!spell) return true;
  const all = episodesOf(spell, ctx);
  return all[all.length - 1] === ctx.entry;
};

/**
 * An admission detail of an episode: its own, else its spell Encounter's, else that of the spell's
 * first episode (suppliers record admission details once per stay).
 */
function admissionOf(
  e: Encounter,
  ctx: FhirRowContext,
  read: (x: Encounter) => string | null,
): string | null {
  const own = read(e);
  if (own !== null) return own;
  const spell = spellOf(e, ctx);
  if (!spell) return null;
  const fromSpell = read(spell.resource as Encounter);
  if (fromSpell !== null) return fromSpell;
  const first = episodesOf(spell, ctx)[0];
  if (!first || first === ctx.entry) return null;
  return read(first.resource as Encounter);
}

export const SUS_APC_EPISODE_FROM_FHIR: FhirTableMapping<Encounter> = {
  table: 'sus_apc_episode',
  resourceType: 'Encounter',
  selects: `Encounter with class IMP (${FHIR_SYSTEMS.actCode.uri}): one consultant episode`,
  subject: (e) => e.subject,
  subjectPath: 'Encounter.subject',
  supports: ['Encounter', 'Condition', 'Procedure'],
  columns: [
    {
      column: 'episode_id',
      path: 'Encounter.id',
      note: 'an id longer than the column, or that may hold an NHS number, becomes F + a SHA-256 prefix',
      value: (r, ctx) => ctx.key(r.id, 'episode_id'),
    },
    {
      column: 'provider_code',
      path: 'Encounter.serviceProvider',
      note: "ODS identifier, or the referenced Organization's",
      value: (e, ctx) => odsOf(e.serviceProvider, `${ctx.entry.label}.serviceProvider`, ctx),
    },
    {
      column: 'hospital_provider_spell_number',
      path: 'Encounter.partOf',
      note: "the spell Encounter's id (as a key); the episode's own id when it has no partOf",
      value: (e, ctx) => ctx.key(spellOf(e, ctx)?.resource?.id ?? e.id, 'hospital_provider_spell_number'),
    },
    {
      column: 'episode_number',
      path: 'Encounter.partOf',
      note: "position among the spell's episodes in the file by period.start; 1 without partOf",
      value: (e, ctx) => {
        const spell = spellOf(e, ctx);
        return spell ? episodesOf(spell, ctx).indexOf(ctx.entry) + 1 : 1;
      },
    },
    {
      column: 'admission_date',
      path: 'Encounter.partOf.resolve().period.start',
      note: "the spell's start; the episode's own period.start without partOf",
      value: (e, ctx) => {
        const spell = spellOf(e, ctx);
        const start = spell ? (spell.resource as Encounter).period?.start : e.period?.start;
        const at = `${spell?.label ?? ctx.entry.label}.period.start`;
        if (start === undefined)
          return problem('FHIR.MISSING_ELEMENT', at, 'is absent; sus_apc_episode.admission_date is required');
        return dateOf(start, at);
      },
    },
    {
      column: 'admission_method',
      path: `Encounter.hospitalization.extension('${FHIR_EXTENSIONS.admissionMethod.uri}')`,
      note: "the NHS Data Dictionary code; the episode's, else its spell's, else the spell's first episode's (a spell attribute)",
      value: (e, ctx) =>
        admissionOf(e, ctx, (x) =>
          extensionCode(x.hospitalization?.extension, FHIR_EXTENSIONS.admissionMethod.uri),
        ),
    },
    {
      column: 'admission_source',
      path: 'Encounter.hospitalization.admitSource.coding.code',
      note: 'as admission_method; NHS Data Dictionary code, system not checked (unverified binding)',
      value: (e, ctx) => admissionOf(e, ctx, (x) => anyCode(x.hospitalization?.admitSource)),
    },
    {
      column: 'patient_classification',
      path: 'Encounter.class',
      note: 'derived: 1 (ordinary admission) for class IMP (unverified convention)',
      value: () => '1',
    },
    {
      column: 'episode_start_date',
      path: 'Encounter.period.start',
      value: (e, ctx) => dateOf(e.period?.start, `${ctx.entry.label}.period.start`),
    },
    {
      column: 'episode_end_date',
      path: 'Encounter.period.end',
      value: (e, ctx) => dateOf(e.period?.end, `${ctx.entry.label}.period.end`),
    },
    {
      column: 'episode_status',
      path: 'Encounter.status',
      note: '3 (finished) when status is finished and period.end is present',
      value: (e) => (e.status === 'finished' && e.period?.end ? '3' : null),
    },
    {
      column: 'discharge_date',
      path: 'Encounter.partOf.resolve().period.end',
      note: "on the spell's last episode only; the episode's own period.end without partOf",
      value: (e, ctx) => {
        if (!isLastEpisode(e, ctx)) return null;
        const spell = spellOf(e, ctx);
        const end = spell ? (spell.resource as Encounter).period?.end : e.period?.end;
        return dateOf(end, `${spell?.label ?? ctx.entry.label}.period.end`);
      },
    },
    {
      column: 'discharge_method',
      path: `Encounter.extension('${FHIR_EXTENSIONS.dischargeMethod.uri}')`,
      note: 'last episode only; on the Encounter as UK Core places it (also read from hospitalization.extension)',
      value: (e, ctx) => (isLastEpisode(e, ctx) ? dischargeMethodOf(e) : null),
    },
    {
      column: 'discharge_destination',
      path: 'Encounter.hospitalization.dischargeDisposition.coding.code',
      note: 'last episode only; NHS Data Dictionary code, system not checked (unverified binding)',
      value: (e, ctx) => (isLastEpisode(e, ctx) ? anyCode(e.hospitalization?.dischargeDisposition) : null),
    },
    {
      column: 'treatment_function',
      path: 'Encounter.serviceType.coding.code',
      note: 'NHS Data Dictionary treatment function code; system not checked (unverified binding)',
      value: (e) => anyCode(e.serviceType),
    },
    {
      column: 'primary_diagnosis',
      path: 'Condition.where(encounter = %episode).code',
      note: `ICD-10 (${FHIR_SYSTEMS.icd10.uri}), dot removed; the first such Condition in the file is the primary`,
      value: (_e, ctx) => attachedCodes(ctx, 'Condition', FHIR_SYSTEMS.icd10.uri, 'ICD-10')[0]?.code ?? null,
    },
    {
      column: 'secondary_diagnoses',
      path: 'Condition.where(encounter = %episode).code',
      note: "the other Conditions' ICD-10 codes, comma-separated",
      value: (_e, ctx) =>
        joined(
          attachedCodes(ctx, 'Condition', FHIR_SYSTEMS.icd10.uri, 'ICD-10')
            .slice(1)
            .map((c) => c.code),
        ),
    },
    {
      column: 'primary_procedure',
      path: 'Procedure.where(encounter = %episode).code',
      note: `OPCS-4 (${FHIR_SYSTEMS.opcs4.uri}), dot removed; the first such Procedure in the file is the primary`,
      value: (_e, ctx) => attachedCodes(ctx, 'Procedure', FHIR_SYSTEMS.opcs4.uri, 'OPCS-4')[0]?.code ?? null,
    },
    {
      column: 'primary_procedure_date',
      path: 'Procedure.performed',
      note: 'performedDateTime, or performedPeriod.start, of the primary procedure',
      value: (_e, ctx) => {
        const first = attachedCodes(ctx, 'Procedure', FHIR_SYSTEMS.opcs4.uri, 'OPCS-4')[0];
        if (!first) return null;
        const p = first.entry.resource as Procedure;
        return dateOf(p.performedDateTime ?? p.performedPeriod?.start, `${first.entry.label}.performed`);
      },
    },
    {
      column: 'secondary_procedures',
      path: 'Procedure.where(encounter = %episode).code',
      note: "the other Procedures' OPCS-4 codes, comma-separated",
      value: (_e, ctx) =>
        joined(
          attachedCodes(ctx, 'Procedure', FHIR_SYSTEMS.opcs4.uri, 'OPCS-4')
            .slice(1)
            .map((c) => c.code),
        ),
    },
  ],
};

/**
 * A spell Encounter's own `hospitalization` value, else that of its first (admission) or last
 * (discharge) episode in the file: suppliers put admission and discharge details on either.
 */
function spellOrEpisode<T>(
  spell: Encounter,
  ctx: FhirRowContext,
  which: 'first' | 'last',
  read: (e: Encounter) => T | null,
): T | null {
  const own = read(spell);
  if (own !== null) return own;
  const episodes = episodesOf(ctx.entry, ctx);
  const episode = which === 'first' ? episodes[0] : episodes[episodes.length - 1];
  if (!episode) return null;
  const v = read(episode.resource as Encounter);
  if (v !== null) ctx.lookup.use(episode);
  return v;
}

const spellDate = (e: Encounter, ctx: FhirRowContext, end: 'start' | 'end'): string | null => {
  const v = dateOf(e.period?.[end], `${ctx.entry.label}.period.${end}`);
  return typeof v === 'string' ? v : null;
};

/**
 * A hospital provider spell from FHIR: the Encounter its episodes point at with `partOf` (any
 * class: the episodes say it is inpatient), or an inpatient Encounter with no `partOf` (a stay of
 * one episode, which is then its own spell, as the episode mapping numbers it). The spell number is
 * the same key the episodes carry, so `SUS.SPELL_NOT_FOUND` finds it once this row has loaded.
 */
export const SUS_APC_SPELL_FROM_FHIR: FhirTableMapping<Encounter> = {
  table: 'sus_apc_spell',
  resourceType: 'Encounter',
  selects: `the Encounter an inpatient episode's partOf refers to (the spell), or an Encounter with class IMP (${FHIR_SYSTEMS.actCode.uri}) and no partOf (a one-episode stay, its own spell): one hospital provider spell`,
  subject: (e) => e.subject,
  subjectPath: 'Encounter.subject',
  supports: ['Encounter', 'Condition', 'Procedure'],
  columns: [
    {
      column: 'spell_id',
      path: 'Encounter.id',
      note: 'as episode_id',
      value: (r, ctx) => ctx.key(r.id, 'spell_id'),
    },
    {
      column: 'provider_code',
      path: 'Encounter.serviceProvider',
      note: "ODS identifier, or the referenced Organization's; else the first episode's",
      value: (e, ctx) => {
        const own = odsOf(e.serviceProvider, `${ctx.entry.label}.serviceProvider`, ctx);
        if (own !== null) return own;
        const first = episodesOf(ctx.entry, ctx)[0];
        return first
          ? odsOf((first.resource as Encounter).serviceProvider, `${first.label}.serviceProvider`, ctx)
          : null;
      },
    },
    {
      column: 'hospital_provider_spell_number',
      path: 'Encounter.id',
      note: "the spell Encounter's id as a key, exactly as its episodes' `hospital_provider_spell_number` (so provider + spell number join them)",
      value: (r, ctx) => ctx.key(r.id, 'hospital_provider_spell_number'),
    },
    {
      column: 'admission_date',
      path: 'Encounter.period.start',
      value: (e, ctx) => dateOf(e.period?.start, `${ctx.entry.label}.period.start`),
    },
    {
      column: 'admission_method',
      path: `Encounter.hospitalization.extension('${FHIR_EXTENSIONS.admissionMethod.uri}')`,
      note: "the spell's, else its first episode's (NHS Data Dictionary code)",
      value: (e, ctx) =>
        spellOrEpisode(e, ctx, 'first', (x) =>
          extensionCode(x.hospitalization?.extension, FHIR_EXTENSIONS.admissionMethod.uri),
        ),
    },
    {
      column: 'admission_source',
      path: 'Encounter.hospitalization.admitSource.coding.code',
      note: "the spell's, else its first episode's; system not checked (unverified binding)",
      value: (e, ctx) => spellOrEpisode(e, ctx, 'first', (x) => anyCode(x.hospitalization?.admitSource)),
    },
    {
      column: 'patient_classification',
      path: 'Encounter.class',
      note: 'derived: 1 (ordinary admission), as on the episodes (unverified convention)',
      value: () => '1',
    },
    {
      column: 'discharge_date',
      path: 'Encounter.period.end',
      note: 'null while the spell is open',
      value: (e, ctx) => dateOf(e.period?.end, `${ctx.entry.label}.period.end`),
    },
    {
      column: 'discharge_method',
      path: `Encounter.extension('${FHIR_EXTENSIONS.dischargeMethod.uri}')`,
      note: "once discharged: the spell's, else its last episode's",
      value: (e, ctx) => (e.period?.end ? spellOrEpisode(e, ctx, 'last', dischargeMethodOf) : null),
    },
    {
      column: 'discharge_destination',
      path: 'Encounter.hospitalization.dischargeDisposition.coding.code',
      note: "once discharged: the spell's, else its last episode's; system not checked (unverified binding)",
      value: (e, ctx) =>
        e.period?.end
          ? spellOrEpisode(e, ctx, 'last', (x) => anyCode(x.hospitalization?.dischargeDisposition))
          : null,
    },
    {
      column: 'length_of_stay_days',
      path: 'Encounter.period',
      note: 'derived: discharge − admission in days, as SUS derives it (spell-derivations.ts)',
      value: (e, ctx) => lengthOfStayDays(spellDate(e, ctx, 'start'), spellDate(e, ctx, 'end')),
    },
    {
      column: 'age_on_admission',
      path: 'Encounter.subject.resolve().birthDate',
      note: "derived: whole years from the Patient's birth date to the admission date (spell-derivations.ts)",
      value: (e, ctx) => {
        const patient = ctx.lookup.resolve(e.subject)?.resource;
        const birth = patient?.resourceType === 'Patient' ? patient.birthDate : undefined;
        return birth && /^\d{4}-\d{2}-\d{2}$/.test(birth)
          ? ageOnAdmission(birth, spellDate(e, ctx, 'start'))
          : null;
      },
    },
  ],
};

export const ECDS_ATTENDANCE_FROM_FHIR: FhirTableMapping<Encounter> = {
  table: 'ecds_attendance',
  resourceType: 'Encounter',
  selects: `Encounter with class EMER (${FHIR_SYSTEMS.actCode.uri}): one emergency care attendance`,
  subject: (e) => e.subject,
  subjectPath: 'Encounter.subject',
  supports: ['Condition'],
  columns: [
    {
      column: 'attendance_id',
      path: 'Encounter.id',
      note: 'as episode_id',
      value: (r, ctx) => ctx.key(r.id, 'attendance_id'),
    },
    {
      column: 'provider_code',
      path: 'Encounter.serviceProvider',
      note: "ODS identifier, or the referenced Organization's",
      value: (e, ctx) => odsOf(e.serviceProvider, `${ctx.entry.label}.serviceProvider`, ctx),
    },
    {
      column: 'department_type',
      path: 'Encounter.type.coding.code',
      note: 'the first 2-digit code (ECDS department type 01–05; system unverified)',
      value: (e) =>
        e.type?.flatMap((t) => t.coding ?? []).find((c) => /^\d{2}$/.test(c.code ?? ''))?.code ?? null,
    },
    {
      column: 'arrival_at',
      path: 'Encounter.period.start',
      note: 'a date and time with its offset',
      value: (e, ctx) => dateTimeOf(e.period?.start, `${ctx.entry.label}.period.start`),
    },
    {
      column: 'departure_at',
      path: 'Encounter.period.end',
      value: (e, ctx) => dateTimeOf(e.period?.end, `${ctx.entry.label}.period.end`),
    },
    {
      column: 'discharge_destination',
      path: 'Encounter.hospitalization.dischargeDisposition',
      note: `SNOMED CT (${FHIR_SYSTEMS.snomed.uri})`,
      value: (e, ctx) =>
        codeIn(
          e.hospitalization?.dischargeDisposition,
          [FHIR_SYSTEMS.snomed.uri],
          `${ctx.entry.label}.hospitalization.dischargeDisposition`,
          'SNOMED CT',
        ),
    },
    ...(['duration_mins', 'within_4_hours', 'over_12_hours'] as const).map(
      (column): FhirColumnSource<Encounter> => ({
        column,
        path: 'Encounter.period',
        note: 'derived from period.start and period.end as the ECDS wait measures are (ecds-wait-measures.ts)',
        value: (e) => {
          const m = ecdsWaitMeasures(e.period?.start, e.period?.end);
          return column === 'duration_mins'
            ? m.durationMins
            : column === 'within_4_hours'
              ? m.within4Hours
              : m.over12Hours;
        },
      }),
    ),
    {
      column: 'diagnoses',
      path: 'Condition.where(encounter = %attendance).code',
      note: 'SNOMED CT codes of the Conditions in file order, comma-separated (the first is the primary)',
      value: (_e, ctx) =>
        joined(attachedCodes(ctx, 'Condition', FHIR_SYSTEMS.snomed.uri, 'SNOMED CT').map((c) => c.code)),
    },
  ],
};

export const DIDS_IMAGING_TEST_FROM_FHIR: FhirTableMapping<ImagingStudy> = {
  table: 'dids_imaging_test',
  resourceType: 'ImagingStudy',
  selects: 'every ImagingStudy: one examination',
  subject: (s) => s.subject,
  subjectPath: 'ImagingStudy.subject',
  supports: ['Encounter'],
  columns: [
    {
      column: 'imaging_test_id',
      path: 'ImagingStudy.id',
      note: 'as episode_id',
      value: (r, ctx) => ctx.key(r.id, 'imaging_test_id'),
    },
    {
      column: 'provider_code',
      path: 'ImagingStudy.encounter.resolve().serviceProvider',
      note: 'R4 ImagingStudy names no performing organisation: the provider of its Encounter',
      value: (s, ctx) => {
        if (!s.encounter) return null;
        const enc = ctx.lookup.resolve(s.encounter);
        if (enc?.resource?.resourceType !== 'Encounter')
          return problem(
            'FHIR.REFERENCE_UNRESOLVED',
            `${ctx.entry.label}.encounter.reference`,
            'refers to no Encounter in the file',
          );
        ctx.lookup.use(enc);
        return odsOf(enc.resource.serviceProvider, `${enc.label}.serviceProvider`, ctx);
      },
    },
    {
      column: 'test_date',
      path: 'ImagingStudy.started',
      value: (s, ctx) => dateOf(s.started, `${ctx.entry.label}.started`),
    },
    {
      column: 'snomed_code',
      path: 'ImagingStudy.procedureCode',
      note: `SNOMED CT (${FHIR_SYSTEMS.snomed.uri})`,
      value: (s) => firstIn(s.procedureCode, FHIR_SYSTEMS.snomed.uri),
    },
    {
      column: 'nicip_code',
      path: 'ImagingStudy.procedureCode',
      note: `NICIP (${FHIR_SYSTEMS.nicip.uri}, unverified system)`,
      value: (s) => firstIn(s.procedureCode, FHIR_SYSTEMS.nicip.uri),
    },
  ],
};

export const PRESCRIBING_ITEM_FROM_FHIR: FhirTableMapping<MedicationDispense> = {
  table: 'prescribing_item',
  resourceType: 'MedicationDispense',
  selects:
    'every MedicationDispense: one dispensed item (a MedicationRequest is read through authorizingPrescription)',
  subject: (d) => d.subject,
  subjectPath: 'MedicationDispense.subject',
  supports: ['MedicationRequest'],
  columns: [
    {
      column: 'item_id',
      path: 'MedicationDispense.id',
      note: 'as episode_id',
      value: (r, ctx) => ctx.key(r.id, 'item_id'),
    },
    {
      column: 'prescribing_practice_code',
      path: 'MedicationDispense.authorizingPrescription.resolve().requester',
      note: 'the ODS code of the prescribing organisation (identifier or referenced Organization)',
      value: (d, ctx) => {
        const ref = d.authorizingPrescription?.[0];
        if (!ref) return null;
        const req = ctx.lookup.resolve(ref);
        if (req?.resource?.resourceType !== 'MedicationRequest')
          return problem(
            'FHIR.REFERENCE_UNRESOLVED',
            `${ctx.entry.label}.authorizingPrescription[0].reference`,
            'refers to no MedicationRequest in the file',
          );
        ctx.lookup.use(req);
        return odsOf(req.resource.requester, `${req.label}.requester`, ctx);
      },
    },
    {
      column: 'dispensing_date',
      path: 'MedicationDispense.whenHandedOver',
      value: (d, ctx) => dateOf(d.whenHandedOver, `${ctx.entry.label}.whenHandedOver`),
    },
    {
      column: 'processing_month',
      path: 'MedicationDispense.whenHandedOver',
      note: 'derived: the dispensing month YYYYMM (the claim month may be later: unverified)',
      value: (d) =>
        d.whenHandedOver && /^\d{4}-\d{2}/.test(d.whenHandedOver)
          ? d.whenHandedOver.slice(0, 7).replace('-', '')
          : null,
    },
    {
      column: 'bnf_code',
      path: 'MedicationDispense.medicationCodeableConcept',
      note: `BNF presentation code (${FHIR_SYSTEMS.bnf.uri}: UK NamingSystems' BNF system; that it holds the presentation code is unverified)`,
      value: (d, ctx) =>
        codeIn(
          d.medicationCodeableConcept,
          [FHIR_SYSTEMS.bnf.uri],
          `${ctx.entry.label}.medicationCodeableConcept`,
          'BNF',
        ),
    },
    {
      column: 'snomed_code',
      path: 'MedicationDispense.medicationCodeableConcept',
      note: `dm+d id (${FHIR_SYSTEMS.dmd.uri} or ${FHIR_SYSTEMS.snomed.uri})`,
      value: (d) =>
        firstIn(
          d.medicationCodeableConcept ? [d.medicationCodeableConcept] : undefined,
          FHIR_SYSTEMS.dmd.uri,
          FHIR_SYSTEMS.snomed.uri,
        ),
    },
    {
      column: 'quantity',
      path: 'MedicationDispense.quantity.value',
      note: 'as a decimal with 3 places (a value with more places is left as sent, and the contract rejects it)',
      value: (d) => {
        const q = d.quantity?.value;
        if (q === undefined) return null;
        return Number.isInteger(Math.round(q * 1000)) && Math.abs(q * 1000 - Math.round(q * 1000)) < 1e-6
          ? q.toFixed(3)
          : String(q);
      },
    },
    {
      column: 'items',
      path: 'MedicationDispense',
      note: 'derived: 1 (one dispense is one item)',
      value: () => 1,
    },
    {
      column: 'nic_gbp',
      path: 'MedicationDispense.medicationCodeableConcept × MedicationDispense.quantity.value',
      note: "derived: the dm+d product's price per unit on the dispensing date (reference data, `dmd-prices.csv`) × the quantity, to the penny (half up); R4 has no cost element and UK Core MedicationDispense adds none. No price for the product quarantines the dispense (FHIR.NO_PRICE)",
      value: (d, ctx) => nicOf(d, ctx),
    },
  ],
};

/** The system-qualified location of a dispense's dm+d coding (for messages: never the code). */
const dmdCodingAt = (label: string): string =>
  `${label}.medicationCodeableConcept.coding.where(system='${FHIR_SYSTEMS.dmd.uri}' or system='${FHIR_SYSTEMS.snomed.uri}')`;

/**
 * The net ingredient cost of a dispense: price per unit of its dm+d product (VMP or AMP), effective
 * on the dispensing date, × the quantity dispensed, in pence rounded half up. Exact: both factors are
 * taken as whole thousandths. Null when the quantity or the dispensing date is absent (their own
 * columns report it); a problem when there is no dm+d code, or no price for it.
 */
function nicOf(d: MedicationDispense, ctx: FhirRowContext): FhirValue {
  const quantity = d.quantity?.value;
  const day =
    d.whenHandedOver && /^\d{4}-\d{2}-\d{2}/.test(d.whenHandedOver)
      ? d.whenHandedOver.slice(0, 10)
      : undefined;
  if (quantity === undefined || day === undefined) return null;
  const code = firstIn(
    d.medicationCodeableConcept ? [d.medicationCodeableConcept] : undefined,
    FHIR_SYSTEMS.dmd.uri,
    FHIR_SYSTEMS.snomed.uri,
  );
  if (code === null)
    return problem(
      'FHIR.MISSING_ELEMENT',
      dmdCodingAt(ctx.entry.label),
      'is absent; prescribing_item.nic_gbp is priced from the dm+d product dispensed',
    );
  const price = ctx.dmdPrice(code, day);
  if (!price)
    return problem(
      'FHIR.NO_PRICE',
      dmdCodingAt(ctx.entry.label),
      'names a dm+d product with no price per unit in the reference data on the dispensing date (dmd-prices: load the Drug Tariff / dm+d prices)',
    );
  const [pounds = '0', fraction = ''] = price.pricePerUnitGbp.split('.');
  const priceMills = Number(pounds) * 1000 + Number(fraction.padEnd(3, '0').slice(0, 3));
  const quantityThousandths = Math.round(quantity * 1000);
  // mills × thousandths = millionths of a pound; a penny is 10,000 of them.
  const pence = Math.floor((priceMills * quantityThousandths + 5_000) / 10_000);
  return `${Math.floor(pence / 100)}.${String(pence % 100).padStart(2, '0')}`;
}

export const CSDS_REFERRAL_FROM_FHIR: FhirTableMapping<ServiceRequest> = {
  table: 'csds_referral',
  resourceType: 'ServiceRequest',
  selects:
    'every ServiceRequest dropped in the csds_referral folder (the folder says it is a community referral)',
  subject: (r) => r.subject,
  subjectPath: 'ServiceRequest.subject',
  supports: [],
  columns: [
    {
      column: 'referral_id',
      path: 'ServiceRequest.id',
      note: 'as episode_id',
      value: (r, ctx) => ctx.key(r.id, 'referral_id'),
    },
    {
      column: 'provider_code',
      path: 'ServiceRequest.performer',
      note: 'the first performer with an ODS code (identifier or referenced Organization)',
      value: (r, ctx) => {
        for (const [i, ref] of (r.performer ?? []).entries()) {
          const v = odsOf(ref, `${ctx.entry.label}.performer[${i}]`, ctx);
          if (v !== null) return v;
        }
        return null;
      },
    },
    {
      column: 'referral_received_date',
      path: 'ServiceRequest.authoredOn',
      note: 'the date the request was authored, read as received (unverified equivalence)',
      value: (r, ctx) => dateOf(r.authoredOn, `${ctx.entry.label}.authoredOn`),
    },
  ],
};

/** Every table mapping, one per table (MedicationRequest feeds prescribing through its dispense). */
export const FHIR_TABLE_MAPPINGS: readonly FhirTableMapping[] = [
  SUS_APC_SPELL_FROM_FHIR,
  SUS_APC_EPISODE_FROM_FHIR,
  ECDS_ATTENDANCE_FROM_FHIR,
  DIDS_IMAGING_TEST_FROM_FHIR,
  PRESCRIBING_ITEM_FROM_FHIR,
  CSDS_REFERRAL_FROM_FHIR,
] as readonly FhirTableMapping[];

/**
 * Where a resource goes: a table (its row's resource), a supporting role (it fills columns of
 * other resources' rows), or a problem (an Encounter class no table takes).
 */
export function fhirDestination(
  entry: FhirEntry,
): { table: SourceTableName } | { supporting: true } | { problem: FhirProblem } {
  const r = entry.resource;
  if (!r) return { supporting: true };
  switch (r.resourceType) {
    case 'Encounter': {
      const cls = encounterClass(r);
      if (cls === 'IMP') return { table: 'sus_apc_episode' };
      if (cls === 'EMER') return { table: 'ecds_attendance' };
      // A spell Encounter (episodes point at it with partOf) supports its episodes' rows.
      return {
        problem: problem(
          'FHIR.ENCOUNTER_CLASS',
          `${entry.label}.class`,
          'is not IMP (inpatient: SUS+ APC) or EMER (emergency: ECDS) in the v3 ActCode system',
        ),
      };
    }
    case 'ImagingStudy':
      return { table: 'dids_imaging_test' };
    case 'MedicationDispense':
      return { table: 'prescribing_item' };
    case 'ServiceRequest':
      return { table: 'csds_referral' };
    default:
      return { supporting: true };
  }
}

function joined(codes: readonly string[]): string | null {
  return codes.length > 0 ? codes.join(',') : null;
}

function firstIn(list: readonly CodeableConcept[] | undefined, ...systems: string[]): string | null {
  for (const c of (list ?? []).flatMap((cc) => cc.coding ?? []))
    if (c.system !== undefined && systems.includes(c.system) && c.code) return c.code;
  return null;
}

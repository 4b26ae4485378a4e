import { nhsNumberCheckDigit } from '../nhs/nhs-number.js';
import { FHIR_RESOURCE_SCHEMAS, schemaProblemPath, type ReadResource } from './fhir-resources.schema.js';

/**
 * A FHIR file as a set of resources, each with its place in the file: a Bundle's entries (`row` =
 * entry position from 1) or a bulk-export NDJSON file's lines (`row` = resource count, `line` =
 * physical line). Pure: the text arrives from the landing file reader.
 *
 * Which files are FHIR (docs/fhir.md): `landing/<table>/<file>.json` is one FHIR R4 Bundle;
 * `landing/<table>/<file>.fhir.ndjson` (or `.fhir.jsonl`) is a bulk-export file, one resource per
 * line, resource types mixed (a Patient line and the lines that refer to it in the same file). A
 * plain `.ndjson` is always rows of the table, never FHIR.
 */

export type FhirFileKind = 'bundle' | 'ndjson';

/**
 * The largest FHIR Bundle read (a Bundle is one JSON document, parsed whole): 64 MiB. Larger
 * deliveries come as bulk NDJSON, which is streamed (docs/fhir.md).
 */
export const FHIR_BUNDLE_MAX_BYTES = 64 * 1024 * 1024;

/** The FHIR kind of a landing file, from its name only; undefined when it is not a FHIR file. */
export function fhirFileKind(name: string): FhirFileKind | undefined {
  const lower = name.toLowerCase();
  // A supplier manifest or column map beside a drop is JSON too, and never FHIR.
  if (lower.endsWith('.manifest.json') || lower.endsWith('.map.json')) return undefined;
  if (lower.endsWith('.fhir.ndjson') || lower.endsWith('.fhir.jsonl')) return 'ndjson';
  if (lower.endsWith('.json')) return 'bundle';
  return undefined;
}

/** Why a resource was not taken (quarantine rules; the location says where, never what). */
export const FHIR_QUARANTINE_RULES = [
  /** A line (or the whole Bundle) is not JSON. */
  'FHIR.JSON_MALFORMED',
  /** A `.json` file that is JSON but not a Bundle resource. */
  'FHIR.NOT_A_BUNDLE',
  /** A line or entry that is not a resource (no `resourceType`, not an object). */
  'FHIR.NOT_A_RESOURCE',
  /** An element the mapping reads has the wrong R4 type, or an unknown code (status, gender…). */
  'FHIR.SCHEMA',
  /** The same resource type and id twice in one file. */
  'FHIR.DUPLICATE_RESOURCE',
  /** An element a required column needs is absent. */
  'FHIR.MISSING_ELEMENT',
  /** The Patient has no identifier in the NHS number system. */
  'FHIR.NHS_NUMBER_MISSING',
  /** An identifier in another system than the one read (an NHS number or ODS code in a wrong system). */
  'FHIR.IDENTIFIER_SYSTEM',
  /** A code in none of the code systems the column takes (a SNOMED code where ICD-10 is read…). */
  'FHIR.CODE_SYSTEM',
  /** A reference to a resource that is not in the file. */
  'FHIR.REFERENCE_UNRESOLVED',
  /** An Encounter class that maps to no table (only IMP and EMER are read). */
  'FHIR.ENCOUNTER_CLASS',
  /** A date where the column needs a date and time with an offset, or a partial date. */
  'FHIR.DATE_PRECISION',
  /** A required column that FHIR R4 has no element for (docs/fhir.md, "Gaps"). */
  'FHIR.NO_ELEMENT',
  /** A dispensed dm+d product with no price per unit in the reference data (no net ingredient cost). */
  'FHIR.NO_PRICE',
] as const;
export type FhirQuarantineRule = (typeof FHIR_QUARANTINE_RULES)[number];

/** Why a resource was reported rather than taken: nothing wrong with it, not for this table. */
export const FHIR_REPORT_CODES = [
  /** It maps to another table (drop the file in that table's folder too). */
  'FHIR.OTHER_TABLE',
  /** A resource type nhs-flows does not read (Observation, Practitioner…). */
  'FHIR.TYPE_NOT_READ',
  /** A supporting resource (Patient, Organization, Condition…) no row of this table used. */
  'FHIR.NOT_USED',
] as const;
export type FhirReportCode = (typeof FHIR_REPORT_CODES)[number];

/** One resource of the file, where it was, and what it parsed to. */
export interface FhirEntry {
  /** Entry position in the Bundle, or resource count in an NDJSON file (from 1). */
  readonly row: number;
  /** Physical line (NDJSON files). */
  readonly line?: number;
  /** `fullUrl` of a Bundle entry (references may use it). */
  readonly fullUrl?: string;
  /** `Type/id` as shown in messages (the id hidden when it could be an identifier). */
  readonly label: string;
  readonly resourceType: string;
  /** The validated resource; absent when the entry could not be read. */
  readonly resource?: ReadResource;
  /** Why it could not be read (FHIR.JSON_MALFORMED, NOT_A_RESOURCE, SCHEMA). */
  readonly problem?: {
    readonly rule: FhirQuarantineRule;
    readonly location: string;
    readonly reason: string;
  };
  /** A resource type not read: kept as its type only. */
  readonly notRead?: true;
}

/**
 * Whether a text could hold an NHS number: ten consecutive digits, the first not 0, with a valid
 * modulus-11 check digit. Such a resource id is never shown nor used as a key as it is.
 */
export function mayHoldNhsNumber(text: string): boolean {
  for (const run of text.match(/\d{10,}/g) ?? [])
    for (let i = 0; i + 10 <= run.length; i += 1) {
      const window = run.slice(i, i + 10);
      if (window[0] !== '0' && nhsNumberCheckDigit(window.slice(0, 9)) === Number(window[9])) return true;
    }
  return false;
}

/**
 * A resource's label for messages: `Encounter/abc`. An id that could carry an identifier (one that
 * may hold an NHS number, or is not a valid FHIR id) is replaced by the entry position.
 */
export function resourceLabel(
  resourceType: string,
  id: unknown,
  row: number,
  where: 'entry' | 'row',
): string {
  const type = /^[A-Z][A-Za-z]{1,63}$/.test(resourceType) ? resourceType : 'Resource';
  const shown =
    typeof id === 'string' && /^[A-Za-z0-9\-.]{1,64}$/.test(id) && !mayHoldNhsNumber(id)
      ? id
      : `(${where} ${row})`;
  return `${type}/${shown}`;
}

/** Reads one parsed JSON value as a resource entry (schema-checked when its type is read). */
export function fhirEntryOf(
  value: unknown,
  at: { readonly row: number; readonly line?: number; readonly fullUrl?: string },
  where: 'entry' | 'row',
): FhirEntry {
  const base = { row: at.row, ...(at.line !== undefined ? { line: at.line } : {}) };
  const withUrl = at.fullUrl !== undefined ? { fullUrl: at.fullUrl } : {};
  if (!value || typeof value !== 'object' || Array.isArray(value) || !('resourceType' in value))
    return {
      ...base,
      label: `Resource/(${where} ${at.row})`,
      resourceType: 'Resource',
      problem: {
        rule: 'FHIR.NOT_A_RESOURCE',
        location: `Resource/(${where} ${at.row})`,
        reason: 'is not a FHIR resource (a JSON object with a resourceType)',
      },
    };
  const record = value as { resourceType: unknown; id?: unknown };
  const resourceType = typeof record.resourceType === 'string' ? record.resourceType : 'Resource';
  const label = resourceLabel(resourceType, record.id, at.row, where);
  const schema = (
    FHIR_RESOURCE_SCHEMAS as Record<
      string,
      (typeof FHIR_RESOURCE_SCHEMAS)[keyof typeof FHIR_RESOURCE_SCHEMAS]
    >
  )[resourceType];
  if (!schema) return { ...base, ...withUrl, label, resourceType, notRead: true };
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const path = schemaProblemPath(parsed.error);
    return {
      ...base,
      ...withUrl,
      label,
      resourceType,
      problem: {
        rule: 'FHIR.SCHEMA',
        location: path ? `${label}.${path}` : label,
        reason: `${path || 'the resource'} is not valid FHIR R4 ${resourceType}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      },
    };
  }
  return { ...base, ...withUrl, label, resourceType, resource: parsed.data };
}

/**
 * The entries of a Bundle's text, or one problem entry when the text is not JSON or not a Bundle.
 * Entries without a resource are reported as not resources.
 */
export function bundleEntries(text: string): FhirEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [wholeFileProblem('FHIR.JSON_MALFORMED', 'is not valid JSON')];
  }
  if (
    !value ||
    typeof value !== 'object' ||
    (value as { resourceType?: unknown }).resourceType !== 'Bundle' ||
    !Array.isArray((value as { entry?: unknown }).entry ?? [])
  )
    return [
      wholeFileProblem(
        'FHIR.NOT_A_BUNDLE',
        'is JSON but not a FHIR Bundle (resourceType Bundle with entry[])',
      ),
    ];
  const entries = (value as { entry?: unknown[] }).entry ?? [];
  return entries.map((e, i) => {
    const entry = (e && typeof e === 'object' ? e : {}) as { resource?: unknown; fullUrl?: unknown };
    return fhirEntryOf(
      entry.resource,
      { row: i + 1, ...(typeof entry.fullUrl === 'string' ? { fullUrl: entry.fullUrl } : {}) },
      'entry',
    );
  });
}

/** One line of a bulk-export NDJSON file as an entry (a line that is not JSON is a problem entry). */
export function ndjsonEntry(text: string, row: number, line: number): FhirEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      row,
      line,
      label: `Resource/(line ${line})`,
      resourceType: 'Resource',
      problem: {
        rule: 'FHIR.JSON_MALFORMED',
        location: `Resource/(line ${line})`,
        reason: `line ${line} is not valid JSON`,
      },
    };
  }
  return fhirEntryOf(value, { row, line }, 'row');
}

function wholeFileProblem(rule: FhirQuarantineRule, reason: string): FhirEntry {
  return {
    row: 1,
    line: 1,
    label: 'Bundle',
    resourceType: 'Bundle',
    problem: { rule, location: 'Bundle', reason: `the file ${reason}` },
  };
}

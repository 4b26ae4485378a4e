import type { Reference } from '@medplum/fhirtypes';
import type { SourceRow, SourceTableSpec } from '../datasets/source-tables.js';
import { hashHex } from '../pipeline/ids.js';
import {
  FHIR_TABLE_MAPPINGS,
  PERSON_SOURCES,
  fhirDestination,
  fhirKey,
  isProblem,
  locate,
  type DmdPriceLookup,
  type FhirLookup,
  type FhirProblem,
  type FhirRowContext,
  type FhirTableMapping,
} from './fhir-mapping.js';
import type { FhirEntry, FhirReportCode } from './fhir-resource-set.js';
import type { ReadResource } from './fhir-resources.schema.js';

/** A row mapped from a resource (the table's wire form, every column present). */
export interface FhirMappedRow {
  readonly row: number;
  readonly line?: number;
  readonly values: SourceRow;
}

/** A resource not taken: where it was, what is wrong, and where (never a value). */
export interface FhirQuarantined extends FhirProblem {
  readonly row: number;
  readonly line?: number;
  readonly resource: string;
}

/** Resources reported (not for this table, not read, not used), counted per code and resource type. */
export interface FhirReported {
  readonly code: FhirReportCode;
  readonly resourceType: string;
  /** For FHIR.OTHER_TABLE: the table the resources map to. */
  readonly table?: string;
  readonly count: number;
}

/**
 * What became of every resource of a file, for one table. Guarantee (tested):
 * `resources = rows + joined + quarantined + reported` where `joined` counts the supporting
 * resources a row used (its Patient, Organizations, Conditions, Procedures, spell, prescription).
 */
export interface FhirMappingResult {
  readonly rows: readonly FhirMappedRow[];
  readonly quarantined: readonly FhirQuarantined[];
  readonly reported: readonly FhirReported[];
  readonly tally: {
    readonly resources: number;
    readonly rows: number;
    readonly joined: number;
    readonly quarantined: number;
    readonly reported: number;
  };
}

/** The mapping of a table, or undefined when FHIR does not feed it. */
export function fhirMappingFor(table: string): FhirTableMapping | undefined {
  return FHIR_TABLE_MAPPINGS.find((m) => m.table === table);
}

/**
 * Maps the resources of one FHIR file to rows of `spec`'s table. Resources that map to another
 * table are reported (FHIR.OTHER_TABLE), supporting resources no row used are reported
 * (FHIR.NOT_USED), types not read are reported (FHIR.TYPE_NOT_READ); everything wrong is
 * quarantined with its location. `receivedAt` fills `modified_at` when a resource has no
 * `meta.lastUpdated`; `dmdPrice` prices a dispense (the reference data's dm+d prices).
 */
export function mapFhirEntries(
  entries: readonly FhirEntry[],
  spec: SourceTableSpec,
  receivedAt: string,
  dmdPrice: DmdPriceLookup,
): FhirMappingResult {
  const mapping = fhirMappingFor(spec.table);
  const byUrl = new Map<string, FhirEntry>();
  const byTypeId = new Map<string, FhirEntry>();
  const outcome = new Map<FhirEntry, 'row' | 'joined' | FhirProblem>();
  const duplicates = new Set<FhirEntry>();
  const quarantined: FhirQuarantined[] = [];
  const rows: FhirMappedRow[] = [];

  for (const e of entries) {
    if (!e.resource) continue;
    const key = `${e.resourceType}/${e.resource.id ?? ''}`;
    if (byTypeId.has(key)) {
      duplicates.add(e);
      outcome.set(e, {
        rule: 'FHIR.DUPLICATE_RESOURCE',
        location: e.label,
        reason: `the same ${e.resourceType} id appears earlier in the file`,
      });
      continue;
    }
    byTypeId.set(key, e);
    if (e.fullUrl) byUrl.set(e.fullUrl, e);
  }
  const resolve = (ref: Reference | undefined): FhirEntry | undefined => {
    const r = ref?.reference;
    if (!r) return undefined;
    const hit = byUrl.get(r);
    if (hit) return hit;
    const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(r);
    return m ? byTypeId.get(`${m[1]}/${m[2]}`) : undefined;
  };
  // Encounters pointed at by partOf are spells: they support their episodes, never rows of their own.
  const spells = new Set<FhirEntry>();
  for (const e of entries)
    if (e.resource?.resourceType === 'Encounter' && e.resource.partOf) {
      const spell = resolve(e.resource.partOf);
      if (spell) spells.add(spell);
    }
  const referringCache = new Map<string, FhirEntry[]>();
  let used = new Set<FhirEntry>();
  let rejected = new Map<FhirEntry, FhirProblem>();
  const lookup: FhirLookup = {
    resolve,
    referring: (type, target, element) => {
      const cacheKey = `${type}|${target.row}`;
      const cached = referringCache.get(cacheKey);
      if (cached) return cached;
      const found = entries.filter(
        (e) =>
          e.resource?.resourceType === type && !outcome.has(e) && resolve(element(e.resource)) === target,
      );
      referringCache.set(cacheKey, found);
      return found;
    },
    use: (e) => used.add(e),
    reject: (e, p) => rejected.set(e, p),
  };

  // The spells folder takes the spells, and the inpatient Encounters with no spell (their own).
  const isOwnSpell = (e: FhirEntry): boolean =>
    e.resource?.resourceType === 'Encounter' && resolve(e.resource.partOf) === undefined;
  const takes = (e: FhirEntry): boolean => {
    if (!mapping) return false;
    if (spec.table === 'sus_apc_spell') {
      if (spells.has(e)) return true;
      const dest = fhirDestination(e);
      return 'table' in dest && dest.table === 'sus_apc_episode' && isOwnSpell(e);
    }
    if (spells.has(e)) return false;
    const dest = fhirDestination(e);
    // An Encounter of a class no table takes may still support another row (an ImagingStudy's):
    // it is quarantined at the end only if no row used it.
    return 'table' in dest && dest.table === spec.table;
  };

  for (const e of entries) {
    if (!e.resource || outcome.has(e) || !takes(e) || !mapping) continue;
    used = new Set();
    rejected = new Map();
    const result = mapRow(e, e.resource, mapping, spec, lookup, receivedAt, dmdPrice);
    if (isProblem(result)) {
      outcome.set(e, result);
      continue;
    }
    outcome.set(e, 'row');
    rows.push({ row: e.row, ...(e.line !== undefined ? { line: e.line } : {}), values: result });
    for (const u of used) if (!outcome.has(u)) outcome.set(u, 'joined');
    for (const [r, p] of rejected) if (!outcome.has(r)) outcome.set(r, p);
  }

  const reported = new Map<
    string,
    { code: FhirReportCode; resourceType: string; table?: string; count: number }
  >();
  const report = (code: FhirReportCode, resourceType: string, table?: string) => {
    const k = `${code}|${resourceType}|${table ?? ''}`;
    const r = reported.get(k) ?? { code, resourceType, ...(table ? { table } : {}), count: 0 };
    r.count += 1;
    reported.set(k, r);
  };
  let joined = 0;
  for (const e of entries) {
    if (outcome.has(e) || !e.resource || spells.has(e)) continue;
    const dest = fhirDestination(e);
    if ('problem' in dest) outcome.set(e, dest.problem);
  }
  for (const e of entries) {
    const o = outcome.get(e);
    const problem = e.problem ?? (typeof o === 'object' ? o : undefined);
    if (problem) {
      quarantined.push({
        row: e.row,
        ...(e.line !== undefined ? { line: e.line } : {}),
        resource: e.label,
        ...problem,
      });
      continue;
    }
    if (o === 'row') continue;
    if (o === 'joined') {
      joined += 1;
      continue;
    }
    if (e.notRead) {
      report('FHIR.TYPE_NOT_READ', e.resourceType);
      continue;
    }
    const dest = fhirDestination(e);
    if (spells.has(e) && spec.table !== 'sus_apc_spell')
      // A spell no episode row used: its own row is sus_apc_spell's.
      report('FHIR.OTHER_TABLE', e.resourceType, 'sus_apc_spell');
    else if ('table' in dest && dest.table !== spec.table)
      report('FHIR.OTHER_TABLE', e.resourceType, dest.table);
    else report('FHIR.NOT_USED', e.resourceType);
  }
  const reportedList = [...reported.values()];
  return {
    rows,
    quarantined,
    reported: reportedList,
    tally: {
      resources: entries.length,
      rows: rows.length,
      joined,
      quarantined: quarantined.length,
      reported: reportedList.reduce((n, r) => n + r.count, 0),
    },
  };
}

/** One row from its resource: person columns from the subject Patient, the rest from the mapping. */
function mapRow(
  entry: FhirEntry,
  resource: ReadResource,
  mapping: FhirTableMapping,
  spec: SourceTableSpec,
  lookup: FhirLookup,
  receivedAt: string,
  dmdPrice: DmdPriceLookup,
): SourceRow | FhirProblem {
  const lengths = new Map(spec.columns.map((c) => [c.name, c.length ?? 64]));
  const ctx: FhirRowContext = {
    entry,
    lookup,
    dmdPrice,
    key: (id, column) => fhirKey(entry, id, lengths.get(column) ?? 20, hashHex),
  };
  const row: SourceRow = Object.fromEntries(spec.columns.map((c) => [c.name, null]));
  const paths = new Map<string, string>();
  const declared = new Set(spec.columns.map((c) => c.name));
  const subjectRef = mapping.subject(resource);
  if (!subjectRef)
    return {
      rule: 'FHIR.MISSING_ELEMENT',
      location: locate(entry.label, mapping.subjectPath),
      reason: 'names no Patient',
    };
  const patient = lookup.resolve(subjectRef);
  if (patient?.resource?.resourceType !== 'Patient')
    return {
      rule: 'FHIR.REFERENCE_UNRESOLVED',
      location: `${locate(entry.label, mapping.subjectPath)}.reference`,
      reason: 'refers to no Patient in the file',
    };
  const patientCtx: FhirRowContext = { ...ctx, entry: patient };
  for (const source of PERSON_SOURCES) {
    if (!declared.has(source.column)) continue;
    const v = source.value(patient.resource, patientCtx);
    if (isProblem(v)) return v;
    row[source.column] = v;
    paths.set(source.column, locate(patient.label, source.path));
  }
  lookup.use(patient);
  for (const source of mapping.columns) {
    const v = source.value(resource, ctx);
    if (isProblem(v)) return v;
    row[source.column] = v;
    paths.set(source.column, locate(entry.label, source.path));
  }
  const modified = resource.meta?.lastUpdated;
  const modifiedAt =
    modified && !Number.isNaN(Date.parse(modified)) ? new Date(modified) : new Date(receivedAt);
  row.modified_at = modifiedAt.toISOString();
  row[spec.changeVersionColumn] = String(modifiedAt.getTime());
  for (const c of spec.columns) {
    if (c.nullable || row[c.name] !== null) continue;
    const path = paths.get(c.name);
    return path
      ? {
          rule: 'FHIR.MISSING_ELEMENT',
          location: path,
          reason: `is absent; ${spec.table}.${c.name} is required`,
        }
      : {
          rule: 'FHIR.NO_ELEMENT',
          location: entry.label,
          reason: `${spec.table}.${c.name} is required and FHIR R4 ${entry.resourceType} has no element for it (docs/fhir.md, "Gaps")`,
        };
  }
  return row;
}

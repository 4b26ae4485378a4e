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
import type { ReadResource, ReadResourceType } from './fhir-resources.schema.js';

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

const READ_BY_EVERY_TABLE: ReadonlySet<string> = new Set(['Patient', 'Organization']);

/**
 * The entry as a bulk file holds it between its two passes: whole when `table`'s rows read it
 * (a Patient, an Organization, the mapping's `supports`), else a skeleton of what the file's
 * accounting needs (type and id; for an Encounter its status, class and partOf). A row's resource
 * is read again, whole, in the second pass.
 */
export function heldBetweenPasses(entry: FhirEntry, table: string): FhirEntry {
  const r = entry.resource;
  const mapping = fhirMappingFor(table);
  if (!r || !mapping || READ_BY_EVERY_TABLE.has(r.resourceType) || mapping.supports.includes(r.resourceType))
    return entry;
  const skeleton =
    r.resourceType === 'Encounter'
      ? { resourceType: r.resourceType, id: r.id, status: r.status, class: r.class, partOf: r.partOf }
      : { resourceType: r.resourceType, id: r.id };
  return { ...entry, resource: skeleton as ReadResource };
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
  const file = new FhirFileMapping(entries, spec, receivedAt, dmdPrice);
  const rows: FhirMappedRow[] = [];
  for (const e of entries)
    if (file.takes(e)) {
      const row = file.mapEntry(e);
      if (row) rows.push(row);
    }
  return { rows, ...file.finish() };
}

/**
 * One FHIR file being mapped for one table, in three steps so that a bulk file need not be held
 * whole: built over every entry of the file (rows may be held as skeletons: their type, id, class
 * and partOf), then `mapEntry` for each entry it `takes` (with the row's full resource when the
 * entry holds a skeleton), then `finish` for the quarantined and reported resources and the tally.
 * Each supporting resource is indexed once (by fullUrl, `Type/id`, and what refers to what), so a
 * file is mapped in time linear in its resources.
 */
export class FhirFileMapping {
  private readonly mapping: FhirTableMapping | undefined;
  private readonly byUrl = new Map<string, FhirEntry>();
  private readonly byTypeId = new Map<string, FhirEntry>();
  private readonly outcome = new Map<FhirEntry, 'row' | 'joined' | FhirProblem>();
  /** Encounters pointed at by partOf: spells, never rows of the episode table. */
  private readonly spells = new Set<FhirEntry>();
  private readonly referrers = new Map<string, Map<FhirEntry, FhirEntry[]>>();
  private readonly lookup: FhirLookup;
  private used = new Set<FhirEntry>();
  private rejected = new Map<FhirEntry, FhirProblem>();
  private rows = 0;

  constructor(
    private readonly entries: readonly FhirEntry[],
    private readonly spec: SourceTableSpec,
    private readonly receivedAt: string,
    private readonly dmdPrice: DmdPriceLookup,
  ) {
    this.mapping = fhirMappingFor(spec.table);
    for (const e of entries) {
      if (!e.resource) continue;
      const key = `${e.resourceType}/${e.resource.id ?? ''}`;
      if (this.byTypeId.has(key)) {
        this.outcome.set(e, {
          rule: 'FHIR.DUPLICATE_RESOURCE',
          location: e.label,
          reason: `the same ${e.resourceType} id appears earlier in the file`,
        });
        continue;
      }
      this.byTypeId.set(key, e);
      if (e.fullUrl) this.byUrl.set(e.fullUrl, e);
    }
    for (const e of entries)
      if (e.resource?.resourceType === 'Encounter' && e.resource.partOf) {
        const spell = this.resolve(e.resource.partOf);
        if (spell) this.spells.add(spell);
      }
    this.lookup = {
      resolve: (ref) => this.resolve(ref),
      referring: (type, target, element) => this.referring(type, target, element),
      use: (e) => this.used.add(e),
      reject: (e, p) => this.rejected.set(e, p),
    };
  }

  private resolve(ref: Reference | undefined): FhirEntry | undefined {
    const r = ref?.reference;
    if (!r) return undefined;
    const hit = this.byUrl.get(r);
    if (hit) return hit;
    const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(r);
    return m ? this.byTypeId.get(`${m[1]}/${m[2]}`) : undefined;
  }

  /** Resources of `type` referring to `target` through `element`, in file order (indexed once per type). */
  private referring(
    type: ReadResourceType,
    target: FhirEntry,
    element: (r: ReadResource) => Reference | undefined,
  ): FhirEntry[] {
    let index = this.referrers.get(type);
    if (!index) {
      index = new Map();
      for (const e of this.entries) {
        if (e.resource?.resourceType !== type || this.outcome.has(e)) continue;
        const to = this.resolve(element(e.resource));
        if (!to) continue;
        const list = index.get(to);
        if (list) list.push(e);
        else index.set(to, [e]);
      }
      this.referrers.set(type, index);
    }
    return index.get(target) ?? [];
  }

  /** An Encounter whose partOf names no Encounter in the file (its own spell). */
  private isOwnSpell(e: FhirEntry): boolean {
    return e.resource?.resourceType === 'Encounter' && this.resolve(e.resource.partOf) === undefined;
  }

  /** Whether the entry is a row of this table (the spells folder takes spells and one-episode stays). */
  takes(e: FhirEntry): boolean {
    if (!this.mapping || !e.resource || this.outcome.has(e)) return false;
    if (this.spec.table === 'sus_apc_spell') {
      if (this.spells.has(e)) return true;
      const dest = fhirDestination(e);
      return 'table' in dest && dest.table === 'sus_apc_episode' && this.isOwnSpell(e);
    }
    if (this.spells.has(e)) return false;
    const dest = fhirDestination(e);
    // An Encounter of a class no table takes may still support another row (an ImagingStudy's):
    // it is quarantined at the end only if no row used it.
    return 'table' in dest && dest.table === this.spec.table;
  }

  /**
   * Maps one entry the file `takes`: its row, or undefined when it is quarantined (recorded for
   * `finish`). `resource` is the entry's full resource when the entry holds a skeleton.
   */
  mapEntry(e: FhirEntry, resource: ReadResource | undefined = e.resource): FhirMappedRow | undefined {
    if (!this.mapping || !resource) return undefined;
    this.used = new Set();
    this.rejected = new Map();
    const result = mapRow(e, resource, this.mapping, this.spec, this.lookup, this.receivedAt, this.dmdPrice);
    if (isProblem(result)) {
      this.outcome.set(e, result);
      return undefined;
    }
    this.outcome.set(e, 'row');
    this.rows += 1;
    for (const u of this.used) if (!this.outcome.has(u)) this.outcome.set(u, 'joined');
    for (const [r, p] of this.rejected) if (!this.outcome.has(r)) this.outcome.set(r, p);
    return { row: e.row, ...(e.line !== undefined ? { line: e.line } : {}), values: result };
  }

  /** What became of every other resource, and the tally (after every row was mapped). */
  finish(): Omit<FhirMappingResult, 'rows'> {
    const { outcome, spells, spec } = this;
    const quarantined: FhirQuarantined[] = [];
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
    for (const e of this.entries) {
      if (outcome.has(e) || !e.resource || spells.has(e)) continue;
      const dest = fhirDestination(e);
      if ('problem' in dest) outcome.set(e, dest.problem);
    }
    for (const e of this.entries) {
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
      quarantined,
      reported: reportedList,
      tally: {
        resources: this.entries.length,
        rows: this.rows,
        joined,
        quarantined: quarantined.length,
        reported: reportedList.reduce((n, r) => n + r.count, 0),
      },
    };
  }
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

import { canonicalFamily, type CanonicalType, type HashColumn, type RowHashLayout } from './row-hash.js';

/** A column as the source reports it (the subset drift detection needs). */
export interface ObservedColumn {
  readonly name: string;
  readonly type: CanonicalType | 'unknown';
  readonly nativeType: string;
}

export interface RetypedColumn {
  readonly name: string;
  readonly from: CanonicalType;
  readonly to: CanonicalType | 'unknown';
  /** Same canonical family: hashes of unchanged values do not move. */
  readonly compatible: boolean;
}

/** How a source table differs from the columns the capture expects. */
export interface SchemaDrift {
  readonly added: readonly { readonly name: string; readonly nativeType: string }[];
  readonly dropped: readonly string[];
  readonly retyped: readonly RetypedColumn[];
}

export function hasDrift(drift: SchemaDrift): boolean {
  return drift.added.length + drift.dropped.length + drift.retyped.length > 0;
}

/** A stable one-line summary (names and types only, no values) for telemetry and the manifest. */
export function driftSignature(drift: SchemaDrift): string {
  if (!hasDrift(drift)) return '';
  return [
    ...drift.added.map((c) => `+${c.name}:${c.nativeType}`),
    ...drift.dropped.map((c) => `-${c}`),
    ...drift.retyped.map((c) => `~${c.name}:${c.from}>${c.to}`),
  ].join(',');
}

/** Compares the expected columns (table spec) with what the source reports. */
export function detectSchemaDrift(
  expected: readonly { readonly name: string; readonly type: CanonicalType }[],
  observed: readonly ObservedColumn[],
): SchemaDrift {
  const seen = new Map(observed.map((c) => [c.name, c]));
  const known = new Set(expected.map((c) => c.name));
  const retyped: RetypedColumn[] = [];
  const dropped: string[] = [];
  for (const col of expected) {
    const now = seen.get(col.name);
    if (!now) dropped.push(col.name);
    else if (now.type !== col.type)
      retyped.push({
        name: col.name,
        from: col.type,
        to: now.type,
        compatible: now.type !== 'unknown' && canonicalFamily(now.type) === canonicalFamily(col.type),
      });
  }
  const added = observed
    .filter((c) => !known.has(c.name))
    .map((c) => ({ name: c.name, nativeType: c.nativeType }));
  return { added, dropped, retyped };
}

/**
 * The layout the poll hashes with, given the drift: dropped columns leave the layout; retyped
 * columns are hashed under their new type (a compatible retype keeps the fingerprint, an
 * incompatible one moves it); added columns are reported but not hashed until the table spec or the
 * capture configuration names them, so adding a column never re-versions every row.
 */
export function driftedLayout(layout: RowHashLayout, drift: SchemaDrift): RowHashLayout {
  const dropped = new Set(drift.dropped);
  const retyped = new Map(drift.retyped.map((r) => [r.name, r]));
  const adjust = (col: HashColumn): HashColumn => {
    const r = retyped.get(col.name);
    return r && r.to !== 'unknown' ? { name: col.name, type: r.to } : col;
  };
  return {
    ...layout,
    keyColumns: layout.keyColumns.map(adjust),
    hashColumns: layout.hashColumns.filter((c) => !dropped.has(c.name)).map(adjust),
  };
}

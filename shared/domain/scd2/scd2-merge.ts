import { hash } from 'node:crypto';
import {
  canonicalAllAttributesText,
  canonicalTime,
  SCD2_HIGH_DATE,
  surrogateKeyOf,
  trackedHash,
  type DimensionAttributes,
  type DimensionChange,
  type DimensionSpec,
  type DimensionVersion,
} from './dimension.js';
import { InputError } from '../errors.js';

/**
 * The SCD2 algorithm, pure. A member's history is a function of the SET of its changes: fold them in
 * apply order (`compareChanges`: business time, capture time, change id) and you get its versions.
 * So duplicates change nothing (a change id is applied once), late changes are stitched by folding
 * again with the late one in place, and any delivery order gives the same history. The use case (scd2-merge.use-case.ts) folds only the
 * new changes onto the current version when they arrive in order (O(1)), and the full change log
 * when one arrives late.
 */

/** A validated change: canonical times, tracked hash and content hash. */
export interface AppliedChange {
  readonly changeId: string;
  readonly kind: 'upsert' | 'delete';
  readonly effectiveAt: string;
  readonly recordedAt: string;
  /** null for a delete. */
  readonly attributes: DimensionAttributes | null;
  /** Tracked-attribute hash (`row_hash`); null for a delete. */
  readonly rowHash: string | null;
  /** Kind + business time + every attribute: two deliveries of one change id must agree on it. */
  readonly contentHash: string;
}

/** What one change did to the history it was folded into. */
export type ChangeOutcome = 'inserted' | 'updated' | 'unchanged' | 'type1' | 'deleted' | 'resurrected';

/** Versions in `validFrom` order (at most the last one open) and whether the member ever existed. */
export interface MemberHistory {
  readonly versions: readonly DimensionVersion[];
  readonly existed: boolean;
}

export type FoldResult =
  | {
      readonly kind: 'folded';
      readonly history: MemberHistory;
      readonly outcomes: ReadonlyMap<string, ChangeOutcome>;
    }
  /** A partial start (only the current version) was not enough: fold the full change log instead. */
  | { readonly kind: 'needs-history' };

/** Validates one change (throws `InputError` naming the change id and field, never a value). */
export function normaliseChange(change: DimensionChange, spec: DimensionSpec): AppliedChange {
  if (typeof change.changeId !== 'string' || change.changeId === '')
    throw new InputError(`scd2: a change of dimension '${spec.name}' has no change id`);
  if (typeof change.key !== 'string' || change.key === '')
    throw new InputError(`scd2: change ${change.changeId} expected a non-empty member key`);
  const effectiveAt = canonicalTime(change.effectiveAt, 'effectiveAt', change.changeId);
  const recordedAt = canonicalTime(change.recordedAt, 'recordedAt', change.changeId);
  // A tracked attribute that is absent is NULL, and is stored as NULL (every tracked column present).
  let attributes: Record<string, string | number | boolean | null> | null = null;
  if (change.kind === 'upsert') {
    attributes = {};
    for (const name of spec.trackedAttributes) attributes[name] = null;
    for (const name in change.attributes) {
      const value = change.attributes[name] ?? null;
      const type = typeof value;
      if (
        type === 'number'
          ? !Number.isFinite(value)
          : value !== null && type !== 'string' && type !== 'boolean'
      )
        throw new InputError(
          `scd2: change ${change.changeId} attribute '${name}' expected a string, finite number, boolean or null, received ${type}`,
        );
      attributes[name] = value;
    }
  }
  const content = `scd2-change-v1|${change.kind}|${effectiveAt}|${attributes ? canonicalAllAttributesText(attributes) : ''}`;
  return {
    changeId: change.changeId,
    kind: change.kind,
    effectiveAt,
    recordedAt,
    attributes,
    rowHash: attributes ? trackedHash(spec, attributes) : null,
    contentHash: hash('sha256', content, 'hex'),
  };
}

/**
 * The order changes apply in (a contract: docs/scd2.md): business time, then capture time
 * (`recordedAt`), then change id in natural order (`compareChangeIds`). Times are canonical UTC
 * instants, so comparing their text compares the instants. A total order: 0 only for one change id
 * at one business and capture time.
 */
export function compareChanges(
  a: Pick<AppliedChange, 'effectiveAt' | 'recordedAt' | 'changeId'>,
  b: Pick<AppliedChange, 'effectiveAt' | 'recordedAt' | 'changeId'>,
): number {
  if (a.effectiveAt !== b.effectiveAt) return a.effectiveAt < b.effectiveAt ? -1 : 1;
  if (a.recordedAt !== b.recordedAt) return a.recordedAt < b.recordedAt ? -1 : 1;
  return compareChangeIds(a.changeId, b.changeId);
}

/**
 * Natural order of change ids, a total order that does not depend on digit count: runs of ASCII
 * digits compare as whole numbers of any length (`evt-9` < `evt-10` < `evt-100`), other characters
 * by UTF-16 code unit; ids equal that way (they differ only in leading zeros: `evt-01`, `evt-1`)
 * fall back to code-unit order of the whole id.
 */
export function compareChangeIds(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length;
  const m = b.length;
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      while (ei < n && isDigit(a.charCodeAt(ei))) ei++;
      let ej = j;
      while (ej < m && isDigit(b.charCodeAt(ej))) ej++;
      // Significant digits only: a longer run of them is a larger number.
      while (i < ei && a.charCodeAt(i) === 48) i++;
      while (j < ej && b.charCodeAt(j) === 48) j++;
      if (ei - i !== ej - j) return ei - i < ej - j ? -1 : 1;
      for (; i < ei; i++, j++) {
        const da = a.charCodeAt(i);
        const db = b.charCodeAt(j);
        if (da !== db) return da < db ? -1 : 1;
      }
      j = ej;
      continue;
    }
    if (ca !== cb) return ca < cb ? -1 : 1;
    i++;
    j++;
  }
  if (i < n || j < m) return i < n ? 1 : -1;
  return a < b ? -1 : 1;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * Folds `changes` (sorted by `compareChanges`, each id once, all after what `start` has seen) onto
 * `start`. With `partial`, `start` holds only the current version, and the fold asks for the full
 * history when it would need an earlier one.
 *
 * Type-1 values stay inside their business instant: a type-1 overwrite at time t changes the
 * version in force at t, and a version that ends at t (closed by a later change of the same instant)
 * keeps the values it had before t. A version's type-1 history is not stored, so closing a version
 * that came from `start` assumes no change of `start` fell at the closing instant; with `partial`
 * (and `untracked: 'type1'`) the fold asks for the full history instead of assuming.
 */
export function foldChanges(
  spec: DimensionSpec,
  key: string,
  start: MemberHistory & { readonly partial: boolean },
  changes: readonly AppliedChange[],
): FoldResult {
  const versions = [...start.versions];
  let existed = start.existed;
  const outcomes = new Map<string, ChangeOutcome>();
  const open = (): DimensionVersion | undefined => {
    const last = versions[versions.length - 1];
    return last?.isCurrent ? last : undefined;
  };
  const push = (c: AppliedChange, attributes: DimensionAttributes, rowHash: string, isDeleted: boolean) =>
    versions.push({
      key,
      surrogateKey: surrogateKeyOf(spec.name, key, c.effectiveAt),
      validFrom: c.effectiveAt,
      validTo: SCD2_HIGH_DATE,
      isCurrent: true,
      isDeleted,
      rowHash,
      recordedAt: c.recordedAt,
      changeId: c.changeId,
      attributes,
    });

  // The open version's attributes as they were before the type-1 overwrites of instant `type1At`, so
  // that closing it at that same instant gives them back (docs/scd2.md: type 1 within its instant).
  let type1At: string | undefined;
  let beforeType1: DimensionAttributes | undefined;
  // The open version came from `start`, whose type-1 instants the fold cannot see.
  let openFromStart = open() !== undefined;

  for (const c of changes) {
    if (c.kind === 'delete' && spec.deleteMode === 'ignore') continue;
    const current = open();
    const live = current && !current.isDeleted ? current : undefined;
    if (c.kind === 'upsert' && live && live.rowHash === c.rowHash) {
      const overwrite = spec.untracked === 'type1' && !sameAttributes(live.attributes, c.attributes!);
      if (overwrite) {
        if (type1At !== c.effectiveAt) {
          type1At = c.effectiveAt;
          beforeType1 = live.attributes;
        }
        versions[versions.length - 1] = versionWith(live, live.validTo, live.isCurrent, c.attributes!);
      }
      outcomes.set(c.changeId, overwrite ? 'type1' : 'unchanged');
      continue;
    }
    if (c.kind === 'delete' && !live) {
      outcomes.set(c.changeId, 'unchanged');
      continue;
    }
    // Close the open version here; one opened at this very time would last zero time: drop it.
    if (current && current.validFrom === c.effectiveAt) {
      if (start.partial && versions.length === 1) return { kind: 'needs-history' };
      versions.pop();
    } else if (current) {
      if (start.partial && openFromStart && spec.untracked === 'type1') return { kind: 'needs-history' };
      // A version that ends here does not cover this instant: none of its type-1 values belong to it.
      const attributes = type1At === c.effectiveAt && beforeType1 ? beforeType1 : current.attributes;
      versions[versions.length - 1] = versionWith(current, c.effectiveAt, false, attributes);
    }
    type1At = undefined;
    beforeType1 = undefined;
    openFromStart = false;
    if (c.kind === 'delete') {
      if (spec.deleteMode === 'new-record') push(c, live!.attributes, live!.rowHash, true);
      outcomes.set(c.changeId, 'deleted');
    } else {
      push(c, c.attributes!, c.rowHash!, false);
      outcomes.set(c.changeId, live ? 'updated' : existed ? 'resurrected' : 'inserted');
      existed = true;
    }
    // A version that starts where an equal one ends (same-instant changes) extends that one instead.
    const added = versions[versions.length - 1];
    const before = versions[versions.length - 2];
    if (!added || added.validFrom !== c.effectiveAt || !added.isCurrent) continue;
    if (!before) {
      if (start.partial && start.existed && versions.length === 1) return { kind: 'needs-history' };
      continue;
    }
    if (before.validTo === added.validFrom && sameState(before, added)) {
      versions.pop();
      const attributes =
        spec.untracked === 'type1' && !added.isDeleted ? added.attributes : before.attributes;
      versions[versions.length - 1] = versionWith(before, SCD2_HIGH_DATE, true, attributes);
      outcomes.set(c.changeId, 'unchanged');
      // Reopened at this instant with this instant's values; closing it here again gives back its own.
      if (attributes !== before.attributes) {
        type1At = c.effectiveAt;
        beforeType1 = before.attributes;
      }
    }
  }
  return { kind: 'folded', history: { versions, existed }, outcomes };
}

/** Two versions that say the same thing: both deleted, or both live with equal tracked attributes. */
function sameState(a: DimensionVersion, b: DimensionVersion): boolean {
  return a.isDeleted === b.isDeleted && (a.isDeleted || a.rowHash === b.rowHash);
}

/** Row key of a version in the member's partition: sorts by business time. */
export function versionRowKey(version: Pick<DimensionVersion, 'validFrom' | 'surrogateKey'>): string {
  return `v|${version.validFrom}|${version.surrogateKey}`;
}

/** The writes that turn `before` into `after` (versions matched by row key; unchanged rows are left alone). */
export function diffVersions(
  before: readonly DimensionVersion[],
  after: readonly DimensionVersion[],
): {
  readonly insert: readonly DimensionVersion[];
  readonly replace: readonly DimensionVersion[];
  readonly remove: readonly DimensionVersion[];
} {
  const old = new Map(before.map((v) => [versionRowKey(v), v]));
  const insert: DimensionVersion[] = [];
  const replace: DimensionVersion[] = [];
  for (const v of after) {
    const was = old.get(versionRowKey(v));
    old.delete(versionRowKey(v));
    if (!was) insert.push(v);
    else if (!sameVersion(was, v)) replace.push(v);
  }
  return { insert, replace, remove: [...old.values()] };
}

function sameVersion(a: DimensionVersion, b: DimensionVersion): boolean {
  return (
    a.validTo === b.validTo &&
    a.isCurrent === b.isCurrent &&
    a.isDeleted === b.isDeleted &&
    a.rowHash === b.rowHash &&
    a.recordedAt === b.recordedAt &&
    a.changeId === b.changeId &&
    sameAttributes(a.attributes, b.attributes)
  );
}

/** Same names with the same typed values (NULL ≠ '' ≠ 'null', 1 ≠ '1'). */
function sameAttributes(a: DimensionAttributes, b: DimensionAttributes): boolean {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  for (const name of names) if (!(name in b) || a[name] !== b[name]) return false;
  return true;
}

/**
 * `version` with another end, current flag and attributes, spelled out (V8 adds each property after
 * a spread, `{ ...version, validTo }`, through the runtime: a merge makes one per change).
 */
function versionWith(
  version: DimensionVersion,
  validTo: string,
  isCurrent: boolean,
  attributes: DimensionAttributes,
): DimensionVersion {
  return {
    key: version.key,
    surrogateKey: version.surrogateKey,
    validFrom: version.validFrom,
    validTo,
    isCurrent,
    isDeleted: version.isDeleted,
    rowHash: version.rowHash,
    recordedAt: version.recordedAt,
    changeId: version.changeId,
    attributes,
  };
}

import { hash } from 'node:crypto';
import { InputError } from '../errors.js';
import { canonicalUtc, ISO_TIME_EXPECTED, ISO_TIME_RECEIVED, readIsoTime } from '../time/iso-time.js';

/**
 * SCD Type 2 dimensions: what a member looks like, what a change is and what a version is.
 * The algorithm is in scd2-merge.ts; the design is in docs/scd2.md and docs/adr/0003-scd2-state.md.
 */

/** The attributes of a dimension member (for patients: pseudonymised attributes only, never identifiers). */
export type DimensionAttributes = Readonly<Record<string, string | number | boolean | null>>;

/**
 * What happens when a member is hard-deleted at the source:
 * - `ignore`: nothing; the current version stays current;
 * - `invalidate`: the current version is closed at the delete's business time, no version is current;
 * - `new-record`: the current version is closed and a tombstone version (`is_deleted`, same attributes)
 *   becomes current. A later re-appearance (after either delete mode) opens a new current version:
 *   a resurrection.
 */
export type HardDeleteMode = 'ignore' | 'invalidate' | 'new-record';

/**
 * One SCD2 dimension.
 *
 * `trackedAttributes` decide versioning: a change whose tracked attributes hash equal to the current
 * version's is not a new version. Every other attribute is untracked: with `untracked: 'type1'` its
 * latest value (in business time) overwrites the version it falls in; with `untracked: 'frozen'` a
 * version keeps the untracked values of the change that opened it.
 */
export interface DimensionSpec {
  /** Dimension name (`patient`, `organisation`, `gp_practice`); part of every surrogate key. */
  readonly name: string;
  /** Storage name of the members' histories: the lake state `scd2-<table>` (alphanumeric, 3–63 characters). */
  readonly table: string;
  readonly trackedAttributes: readonly string[];
  readonly untracked: 'type1' | 'frozen';
  readonly deleteMode: HardDeleteMode;
}

/** One incoming change of one member. `changeId` is deterministic (e.g. the capture event id). */
export type DimensionChange = {
  /** Business key: the patient token, ODS organisation code or practice code. */
  readonly key: string;
  readonly changeId: string;
  /** Business-effective time: ISO date (`YYYY-MM-DD`, taken as 00:00Z) or instant with an offset. */
  readonly effectiveAt: string;
  /** System time the change was captured: ISO instant with an offset. */
  readonly recordedAt: string;
} & ({ readonly kind: 'upsert'; readonly attributes: DimensionAttributes } | { readonly kind: 'delete' });

/** One version of one member: a row of the gold dimension. Times are canonical UTC instants. */
export interface DimensionVersion {
  readonly key: string;
  /** Hash of dimension, key and `validFrom` (`surrogateKeyOf`): the same on every re-run and re-cut. */
  readonly surrogateKey: string;
  /** Business time this version starts (inclusive). */
  readonly validFrom: string;
  /** Business time it ends (exclusive); `SCD2_HIGH_DATE` while current. */
  readonly validTo: string;
  readonly isCurrent: boolean;
  /** A `new-record` tombstone. */
  readonly isDeleted: boolean;
  /** Hash of the tracked attributes (see `trackedHash`). */
  readonly rowHash: string;
  /** System time of the change that opened this version. */
  readonly recordedAt: string;
  /** The change that opened this version. */
  readonly changeId: string;
  readonly attributes: DimensionAttributes;
}

/** `valid_to` of a current version (contract: the gold dimension and the warehouse rely on it). */
export const SCD2_HIGH_DATE = '9999-12-31T00:00:00.000Z';

/**
 * Canonical business or system time: the UTC instant `YYYY-MM-DDTHH:mm:ss.sssZ`, which sorts as text.
 * A date is midnight UTC of that date; an instant must carry an offset (a naive time is ambiguous).
 * Impossible dates and clock times (`2024-02-30`, `2024-02-30T10:00:00Z`, `T24:00`) are refused in
 * every form (shared/domain/time/iso-time.ts), never rolled over into the next month or day.
 */
export function canonicalTime(text: string, field: string, changeId: string): string {
  const known = timeCache.get(text);
  if (known !== undefined) return known;
  const reading = readIsoTime(text, 'date-or-instant');
  if (!reading.ok)
    throw new InputError(
      `scd2: change ${changeId} field '${field}' expected ${ISO_TIME_EXPECTED['date-or-instant']}, received ${ISO_TIME_RECEIVED[reading.problem]}`,
    );
  const canonical = canonicalUtc(reading.ms);
  if (canonical >= SCD2_HIGH_DATE || canonical.startsWith('-'))
    throw new InputError(
      `scd2: change ${changeId} field '${field}' expected a time from 0000-01-01T00:00:00.000Z and before ${SCD2_HIGH_DATE}, received one outside that range`,
    );
  // Batches repeat the same few business dates: remember them (bounded, pure: same text, same answer).
  if (timeCache.size >= 4096) timeCache.clear();
  timeCache.set(text, canonical);
  return canonical;
}
const timeCache = new Map<string, string>();

const escapable = /[\\|=]/g;
const needsEscape = /[\\|=]/;
function escape(text: string): string {
  return needsEscape.test(text) ? text.replace(escapable, (c) => `\\${c}`) : text;
}

const sortedNames = new WeakMap<readonly string[], readonly string[]>();
function sorted(names: readonly string[]): readonly string[] {
  let out = sortedNames.get(names);
  if (!out) {
    out = [...names].sort();
    sortedNames.set(names, out);
  }
  return out;
}

/**
 * Canonical text of a set of attributes, spec version 1 (a contract: changing it re-versions every
 * member). Names sorted by UTF-16 code unit; each field is `name=value` with `\`, `|` and `=` escaped,
 * joined with `|`; values typed: NULL (or absent) is `\N`, a string `s:<text>`, a number `n:<decimal>`
 * (`-0` as `0`), a boolean `b:1`/`b:0`. So NULL, '' and 'null' all differ, and so do 1 and '1'.
 */
export function canonicalAttributesText(attributes: DimensionAttributes, names: readonly string[]): string {
  return canonicalTextOfSorted(attributes, sorted(names));
}

/** `canonicalAttributesText` of every attribute present. */
export function canonicalAllAttributesText(attributes: DimensionAttributes): string {
  return canonicalTextOfSorted(attributes, Object.keys(attributes).sort());
}

function canonicalTextOfSorted(attributes: DimensionAttributes, names: readonly string[]): string {
  const parts: string[] = [];
  for (const name of names) {
    const value = attributes[name];
    const text =
      value === null || value === undefined
        ? '\\N'
        : typeof value === 'string'
          ? `s:${escape(value)}`
          : typeof value === 'number'
            ? `n:${Object.is(value, -0) ? '0' : String(value)}`
            : value
              ? 'b:1'
              : 'b:0';
    parts.push(`${escape(name)}=${text}`);
  }
  return parts.join('|');
}

/** `row_hash`: SHA-256 (hex) of the canonical text of the tracked attributes. */
export function trackedHash(spec: DimensionSpec, attributes: DimensionAttributes): string {
  return hash('sha256', `scd2-v1|${canonicalAttributesText(attributes, spec.trackedAttributes)}`, 'hex');
}

/**
 * `surrogate_key` (contract v2, ADR 0009): 32 hex digits of SHA-256 over `scd2-sk-v2`, dimension,
 * member key and the version's `valid_from` (canonical UTC instant). Nothing else: not the change
 * id, not the capture time. A member's versions never share a `valid_from` (a zero-length version is
 * dropped), so the key is unique, and a version keeps its key when a late or corrected change at the
 * same business time re-opens it, and in every run over the same set of changes.
 */
export function surrogateKeyOf(dimension: string, key: string, validFrom: string): string {
  return hash('sha256', `scd2-sk-v2|${escape(dimension)}|${escape(key)}|${validFrom}`, 'hex').slice(0, 32);
}

/**
 * The member-index partition a key belongs to: 1 hex digit, so 16 partitions. Enough to spread index
 * writes (one per new member; Table storage takes ~2,000 writes/s per partition) and few enough that
 * walking the index costs 16 queries plus one page per 1,000 members.
 */
export function memberBucket(key: string): string {
  return hash('sha256', key, 'hex').slice(0, 1);
}

/** The 16 member-index partitions, in order. */
export const MEMBER_BUCKETS: readonly string[] = Array.from({ length: 16 }, (_, i) => i.toString(16));

const tableName = /^[A-Za-z][A-Za-z0-9]{2,55}$/;
/** Checks a spec once per merge: table name, tracked attributes (throws `InputError`). */
export function checkDimensionSpec(spec: DimensionSpec): void {
  if (!tableName.test(spec.table))
    throw new InputError(
      `scd2: dimension '${spec.name}' table expected 3-56 letters or digits starting with a letter, received '${spec.table}'`,
    );
  if (new Set(spec.trackedAttributes).size !== spec.trackedAttributes.length)
    throw new InputError(`scd2: dimension '${spec.name}' lists a tracked attribute twice`);
}

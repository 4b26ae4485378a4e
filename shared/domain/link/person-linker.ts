import { hash } from 'node:crypto';
import { GuardError } from '../errors.js';
import type { ProjectId } from '../pseudonymise/projects.js';
import type { RekeyTable } from '../pseudonymise/rekey.js';
import {
  LINK_CONFIDENCE,
  LINK_QUALITY_DETERMINISTIC,
  LINK_QUALITY_UNLINKED,
  probabilisticQuality,
  type LinkQuality,
} from './link-quality.js';

/**
 * Patient linkage within one project.
 *
 * Rules, in order:
 * 1. a record with a `patient_token` belongs to the person of that token (deterministic);
 * 2. otherwise, with a `fallback_link_key` (keyed DOB + sex + LSOA) shared by exactly one person
 *    known by token, it belongs to that person (`probabilistic-0.95`);
 * 3. otherwise, with a fallback key no tokened person has, it belongs to the person formed by all
 *    untokened records with that key (`probabilistic-0.80`);
 * 4. otherwise (no key, or a key shared by two or more tokened persons) it is `unlinked`, with a
 *    null `person_id`.
 *
 * Contract (person id format, v1): `P` + the first 24 hex characters of
 * SHA-256(`person/v1|<project>|<patient_token>`) for persons with a token; `F` + the first 24 hex of
 * SHA-256(`person-fallback/v1|<project>|<fallback_link_key>`) for rule-3 persons. 96 bits: the
 * chance of any collision among 10 million persons is about 10^-15. The id is a function of the
 * token at the linker's key version (the link anchor), so reruns reproduce it; records tokenised
 * under another key version are first moved to the anchor through the re-key tables, read forwards
 * or backwards (docs/keys.md), so one person keeps one id across a rotation.
 *
 * Use: `observe` every record of the project (pass 1), then `link` each (pass 2). Memory is one
 * map entry per distinct fallback key.
 */
/** The columns of a row that linkage reads (`LinkableRow`'s fields, as a list for column selection). */
export const LINK_COLUMNS = ['patient_token', 'token_key_version', 'fallback_link_key'] as const;

export interface LinkableRow {
  readonly patient_token?: string | number | boolean | null;
  readonly token_key_version?: string | number | boolean | null;
  readonly fallback_link_key?: string | number | boolean | null;
}

export interface PersonLink {
  readonly person_id: string | null;
  readonly link_quality: LinkQuality;
  readonly link_confidence: number;
}

export interface PersonLinkerOptions {
  readonly project: ProjectId;
  /**
   * The key version tokens are linked at: the link anchor (the version before the first rotation,
   * see docs/keys.md), or the current version when the key has never been rotated.
   */
  readonly keyVersion: string;
  /**
   * Re-key tables between versions, read in the direction given (pass `invertRekeyTable(t)` too to
   * move newer tokens back to an older anchor). Chained along the shortest path of versions.
   */
  readonly rekey?: readonly RekeyTable[];
}

/** A record's token and fallback key as linkage compares them, and the key version they are at. */
export interface LinkTokens {
  readonly token: string | null;
  readonly fallback: string | null;
  /** The version of `token`: the linker's key version, or the version the person was first seen at. */
  readonly version: string | null;
}

const AMBIGUOUS = Symbol('ambiguous');
const UNLINKED: PersonLink = Object.freeze({
  person_id: null,
  link_quality: LINK_QUALITY_UNLINKED,
  link_confidence: LINK_CONFIDENCE.unlinked,
});
const MAX_REKEY_HOPS = 16;

export class PersonLinker {
  private readonly byFallback = new Map<string, string | typeof AMBIGUOUS>();
  private readonly personIds = new Map<string, string>();
  private readonly rekeyFrom = new Map<string, RekeyTable[]>();
  private readonly paths = new Map<string, readonly RekeyTable[] | null>();
  private readonly uniqueQuality = probabilisticQuality(LINK_CONFIDENCE.fallbackUniqueMatch);
  private readonly clusterQuality = probabilisticQuality(LINK_CONFIDENCE.fallbackCluster);

  constructor(private readonly options: PersonLinkerOptions) {
    for (const table of options.rekey ?? []) {
      if (table.project !== options.project)
        throw new GuardError(
          'KEY_VERSION_MISMATCH',
          `linker for project '${options.project}' given a re-key table of project '${table.project}'`,
        );
      const from = this.rekeyFrom.get(table.fromVersion) ?? [];
      from.push(table);
      this.rekeyFrom.set(table.fromVersion, from);
    }
  }

  /** Pass 1: learns which persons (by token) carry each fallback key. */
  observe(row: LinkableRow): void {
    const { token, fallback } = this.current(row);
    if (token === null || fallback === null) return;
    const seen = this.byFallback.get(fallback);
    if (seen === undefined) this.byFallback.set(fallback, token);
    else if (seen !== AMBIGUOUS && seen !== token) this.byFallback.set(fallback, AMBIGUOUS);
  }

  /** Pass 2: the person and link quality of one record. */
  link(row: LinkableRow): PersonLink {
    const { token, fallback } = this.current(row);
    if (token !== null)
      return {
        person_id: this.personOf('P', 'person/v1', token),
        link_quality: LINK_QUALITY_DETERMINISTIC,
        link_confidence: 1,
      };
    if (fallback === null) return UNLINKED;
    const match = this.byFallback.get(fallback);
    if (match === AMBIGUOUS) return UNLINKED;
    if (match !== undefined)
      return {
        person_id: this.personOf('P', 'person/v1', match),
        link_quality: this.uniqueQuality,
        link_confidence: LINK_CONFIDENCE.fallbackUniqueMatch,
      };
    return {
      person_id: this.personOf('F', 'person-fallback/v1', fallback),
      link_quality: this.clusterQuality,
      link_confidence: LINK_CONFIDENCE.fallbackCluster,
    };
  }

  /** The person id a token at the linker's key version gets (for joining other outputs). */
  personIdOfToken(token: string): string {
    return this.personOf('P', 'person/v1', token);
  }

  private personOf(prefix: 'P' | 'F', domain: string, value: string): string {
    const cacheKey = `${prefix}${value}`;
    let id = this.personIds.get(cacheKey);
    if (id === undefined) {
      id = `${prefix}${hash('sha256', `${domain}|${this.options.project}|${value}`, 'hex').slice(0, 24)}`;
      this.personIds.set(cacheKey, id);
    }
    return id;
  }

  /**
   * The token and fallback key a record links by: moved to the linker's key version through the
   * re-key tables. A value a table does not know stops there and links at the version reached (a
   * person first seen after a rotation has no older token; the table is fixed, so this is stable).
   * No path of tables from the record's version: `KEY_VERSION_MISMATCH`.
   */
  linkTokens(row: LinkableRow): LinkTokens {
    let token = typeof row.patient_token === 'string' && row.patient_token !== '' ? row.patient_token : null;
    let fallback =
      typeof row.fallback_link_key === 'string' && row.fallback_link_key !== ''
        ? row.fallback_link_key
        : null;
    const version = typeof row.token_key_version === 'string' ? row.token_key_version : null;
    if (token === null && fallback === null) return { token, fallback, version };
    if (version === this.options.keyVersion) return { token, fallback, version };
    const path = version === null ? null : this.pathFrom(version);
    if (!path)
      throw new GuardError(
        'KEY_VERSION_MISMATCH',
        `linkage of project '${this.options.project}' at key version '${this.options.keyVersion}' met a record at key version '${version ?? '(none)'}' and has no re-key table from it; build one with rekeyProject (nhs-flows keys rekey)`,
      );
    // Token and fallback key move independently; each stops at the first table that does not know it.
    let tokenVersion = version;
    let tokenMoving = token !== null;
    let fallbackMoving = fallback !== null;
    for (const table of path) {
      if (tokenMoving && token !== null) {
        const next = table.tokens.get(token);
        if (next === undefined) tokenMoving = false;
        else {
          token = next;
          tokenVersion = table.toVersion;
        }
      }
      if (fallbackMoving && fallback !== null) {
        const next = table.fallbackKeys.get(fallback);
        if (next === undefined) fallbackMoving = false;
        else fallback = next;
      }
    }
    return { token, fallback, version: tokenVersion };
  }

  private current(row: LinkableRow): { token: string | null; fallback: string | null } {
    const { token, fallback } = this.linkTokens(row);
    return { token, fallback };
  }

  /** Shortest chain of re-key tables from `version` to the linker's key version (null: none). */
  private pathFrom(version: string): readonly RekeyTable[] | null {
    const cached = this.paths.get(version);
    if (cached !== undefined) return cached;
    const previous = new Map<string, RekeyTable>();
    const queue = [version];
    const seen = new Set([version]);
    let found: RekeyTable[] | null = null;
    while (queue.length > 0 && seen.size <= MAX_REKEY_HOPS * 2) {
      const at = queue.shift()!;
      if (at === this.options.keyVersion) {
        found = [];
        for (let v = at; v !== version;) {
          const table = previous.get(v)!;
          found.unshift(table);
          v = table.fromVersion;
        }
        break;
      }
      for (const table of this.rekeyFrom.get(at) ?? []) {
        if (seen.has(table.toVersion)) continue;
        seen.add(table.toVersion);
        previous.set(table.toVersion, table);
        queue.push(table.toVersion);
      }
    }
    if (found && found.length > MAX_REKEY_HOPS) found = null;
    this.paths.set(version, found);
    return found;
  }
}

/**
 * Links a project's records in two passes and returns each with `person_id`, `link_quality` and
 * `link_confidence` added (the input rows are not changed).
 */
export function linkRows<T extends LinkableRow>(
  rows: readonly T[],
  options: PersonLinkerOptions,
): (T & PersonLink)[] {
  const linker = new PersonLinker(options);
  for (const row of rows) linker.observe(row);
  return rows.map((row) => ({ ...row, ...linker.link(row) }));
}

/**
 * Records that carry no identity of their own (MHSDS/CSDS care contacts, cluster assessments)
 * take the person of their parent referral; an orphan (parent unknown) is unlinked.
 */
export function linkViaParent(
  parentKey: string | null | undefined,
  parents: ReadonlyMap<string, PersonLink>,
): PersonLink {
  if (!parentKey) return UNLINKED;
  return parents.get(parentKey) ?? UNLINKED;
}

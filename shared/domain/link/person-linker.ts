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
 * token at the linker's key version, so reruns reproduce it; records tokenised under an older key
 * version are first moved to the current one through the re-key tables (docs/linkage.md), so one
 * person keeps one id across a rotation once the re-key table is applied.
 *
 * Use: `observe` every record of the project (pass 1), then `link` each (pass 2). Memory is one
 * map entry per distinct fallback key.
 */
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
  /** The key version every token is compared at (the current master key version). */
  readonly keyVersion: string;
  /** Re-key tables that move older versions to `keyVersion` (chained when needed). */
  readonly rekey?: readonly RekeyTable[];
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
  private readonly rekeyFrom = new Map<string, RekeyTable>();
  private readonly uniqueQuality = probabilisticQuality(LINK_CONFIDENCE.fallbackUniqueMatch);
  private readonly clusterQuality = probabilisticQuality(LINK_CONFIDENCE.fallbackCluster);

  constructor(private readonly options: PersonLinkerOptions) {
    for (const table of options.rekey ?? []) {
      if (table.project !== options.project)
        throw new GuardError(
          'KEY_VERSION_MISMATCH',
          `linker for project '${options.project}' given a re-key table of project '${table.project}'`,
        );
      this.rekeyFrom.set(table.fromVersion, table);
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

  /** Token and fallback key at the linker's key version (through re-key tables when older). */
  private current(row: LinkableRow): { token: string | null; fallback: string | null } {
    let token = typeof row.patient_token === 'string' && row.patient_token !== '' ? row.patient_token : null;
    let fallback =
      typeof row.fallback_link_key === 'string' && row.fallback_link_key !== ''
        ? row.fallback_link_key
        : null;
    if (token === null && fallback === null) return { token, fallback };
    let version = typeof row.token_key_version === 'string' ? row.token_key_version : null;
    for (let hops = 0; version !== this.options.keyVersion; hops++) {
      const table = version === null ? undefined : this.rekeyFrom.get(version);
      if (!table || hops >= MAX_REKEY_HOPS)
        throw new GuardError(
          'KEY_VERSION_MISMATCH',
          `linkage of project '${this.options.project}' at key version '${this.options.keyVersion}' met a record at key version '${version ?? '(none)'}' and has no re-key table from it; build one with rekeyProject`,
        );
      token = token === null ? null : (table.tokens.get(token) ?? null);
      fallback = fallback === null ? null : (table.fallbackKeys.get(fallback) ?? null);
      version = table.toVersion;
    }
    return { token, fallback };
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

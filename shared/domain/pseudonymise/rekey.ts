import { createPseudonymiser } from './pseudonym.js';
import type { ProjectKey } from './project-key.js';
import type { ProjectId } from './projects.js';
import type { SilverRow } from './silver-row.js';

/**
 * Re-keying after a master key rotation, without the NHS number leaving the custodian.
 *
 * The custodian (the only process that may read registered identities and both key versions) computes,
 * for every identity it has registered, the pseudonym under the old and the new key version. The
 * result maps old tokens (and old fallback link keys) to new ones and contains no identifier, so
 * silver rows and link indexes can be moved to the new version by lookup alone.
 *
 * The table is still sensitive: whoever holds it and the OLD key could carry a dictionary attack on
 * old tokens over to new ones. It lives in the restricted `identity` container next to the identity
 * register. It is written once (create-only) and never changed: linkage across a rotation reads it
 * in both directions (see `invertRekeyTable` and docs/keys.md), so a person's link token only
 * stays stable while the table does.
 */
export interface RekeyTable {
  readonly project: ProjectId;
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly tokens: ReadonlyMap<string, string>;
  readonly fallbackKeys: ReadonlyMap<string, string>;
}

/** Identities as the custodian's register holds them. */
export interface RegisteredIdentities {
  readonly nhsNumbers: Iterable<string>;
  readonly fallbackParts: Iterable<readonly [dateOfBirth: string, sex: string, lsoa: string]>;
}

/** Builds the old → new map for one project from registered identities and both project keys. */
export function buildRekeyTable(
  identities: RegisteredIdentities,
  from: ProjectKey,
  to: ProjectKey,
): RekeyTable {
  if (from.project !== to.project)
    throw new Error(`rekey: keys of different projects ('${from.project}', '${to.project}')`);
  const oldP = createPseudonymiser(from, { cacheLimit: 0 });
  const newP = createPseudonymiser(to, { cacheLimit: 0 });
  const tokens = new Map<string, string>();
  for (const nhs of identities.nhsNumbers) {
    const old = oldP.token(nhs);
    const next = newP.token(nhs);
    if (old && next) tokens.set(old, next);
  }
  const fallbackKeys = new Map<string, string>();
  for (const [dob, sex, lsoa] of identities.fallbackParts) {
    const old = oldP.fallbackLinkKey(dob, sex, lsoa);
    const next = newP.fallbackLinkKey(dob, sex, lsoa);
    if (old && next) fallbackKeys.set(old, next);
  }
  return { project: from.project, fromVersion: from.version, toVersion: to.version, tokens, fallbackKeys };
}

export interface RekeyedRow {
  readonly row: SilverRow;
  /** True when the row had a token or fallback key the table does not know (left null). */
  readonly unmapped: boolean;
}

/**
 * Moves one silver row from `table.fromVersion` to `table.toVersion`: token and fallback key are
 * replaced through the table, `token_key_version` is updated; rows at another version are
 * returned unchanged. A value the table does not know becomes null (it can no longer link) and is
 * flagged, so the caller can count and report it.
 */
export function rekeySilverRow(row: SilverRow, table: RekeyTable): RekeyedRow {
  if (row.token_key_version !== table.fromVersion) return { row, unmapped: false };
  let unmapped = false;
  const out: SilverRow = { ...row, token_key_version: table.toVersion };
  if (typeof row.patient_token === 'string') {
    const next = table.tokens.get(row.patient_token);
    if (next === undefined) unmapped = true;
    out.patient_token = next ?? null;
  }
  if (typeof row.fallback_link_key === 'string') {
    const next = table.fallbackKeys.get(row.fallback_link_key);
    if (next === undefined) unmapped = true;
    out.fallback_link_key = next ?? null;
  }
  return { row: out, unmapped };
}

/**
 * The same map read backwards (new → old), for linkage anchored at an older key version: a token
 * at the new version of a person the table knows maps to that person's token at the old version.
 * A token the table does not know (a person first seen after the rotation) has no entry.
 */
export function invertRekeyTable(table: RekeyTable): RekeyTable {
  const invert = (map: ReadonlyMap<string, string>) => {
    const out = new Map<string, string>();
    for (const [from, to] of map) out.set(to, from);
    return out;
  };
  return {
    project: table.project,
    fromVersion: table.toVersion,
    toVersion: table.fromVersion,
    tokens: invert(table.tokens),
    fallbackKeys: invert(table.fallbackKeys),
  };
}

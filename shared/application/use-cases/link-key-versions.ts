import { z } from 'zod';
import { lakePaths } from '../../domain/lake/lake-paths.js';
import type { PersonLinkerOptions } from '../../domain/link/person-linker.js';
import { invertRekeyTable, type RekeyTable } from '../../domain/pseudonymise/rekey.js';
import type { ProjectId } from '../../domain/pseudonymise/projects.js';
import type { ObjectStore } from '../ports/object-store.port.js';
import { IDENTITY_CONTAINER } from './pseudonymise-identity-register.js';
import type { ProjectKeyRing } from './pseudonymise-keys.js';
import { loadRekeyTable } from './rekey-project.use-case.js';

/**
 * The key versions linkage works at, across master key rotations.
 *
 * Contract (`identity-keys/link-anchor.json` in the identity container, create-only, written by the
 * first rotation before the new version becomes current): `{"anchorVersion":"<version>"}`. Every
 * link token (gold's `dim_patient.patient_token`, `fact_activity.patient_token`, `person_id`, the
 * marts' persons) is the token at the anchor version; a record tokenised at a later version is moved
 * back to it through the project's re-key tables read backwards, and a person first seen after a
 * rotation (unknown to the table) keeps the token of the version they were first seen at. Without an
 * anchor (the key was never rotated) linkage works at the current version.
 *
 * Why an anchor and not the newest version: gold and the warehouse already hold person ids and
 * dimension members at the old version; moving them would rewrite every stored row. Anchoring
 * keeps every stored link valid and needs only the (immutable) re-key tables (docs/keys.md).
 */
export const linkAnchorSchema = z.object({ anchorVersion: z.string().regex(/^[A-Za-z0-9_.=-]{1,64}$/) });

export interface LinkKeyDeps {
  readonly lake: ObjectStore;
  readonly keys: ProjectKeyRing;
}

const anchors = new WeakMap<ObjectStore, string>();
const tables = new WeakMap<ObjectStore, Map<string, Promise<readonly RekeyTable[]>>>();

/** The stored link anchor, or undefined when the key was never rotated through `rotateKeys`. */
export async function readLinkAnchor(lake: ObjectStore): Promise<string | undefined> {
  const cached = anchors.get(lake);
  if (cached !== undefined) return cached;
  const body = await lake.get(IDENTITY_CONTAINER, lakePaths.linkAnchor());
  if (!body) return undefined;
  const { anchorVersion } = linkAnchorSchema.parse(JSON.parse(body.toString('utf8')));
  // Create-only, never rewritten: safe to keep for the life of the process.
  anchors.set(lake, anchorVersion);
  return anchorVersion;
}

/** Writes the link anchor if none is stored; returns the stored one (the first writer wins). */
export async function ensureLinkAnchor(lake: ObjectStore, version: string): Promise<string> {
  const existing = await readLinkAnchor(lake);
  if (existing !== undefined) return existing;
  const body = JSON.stringify(linkAnchorSchema.parse({ anchorVersion: version }));
  const { created } = await lake.put(IDENTITY_CONTAINER, lakePaths.linkAnchor(), body, {
    ifNoneMatch: '*',
    contentType: 'application/json',
  });
  if (created) return version;
  return (await readLinkAnchor(lake)) ?? version;
}

/**
 * The linker options of one project: the anchor version and every stored re-key table of the
 * project, forwards and backwards. Tables are immutable, so each is read once per process.
 */
export async function linkKeyVersions(
  deps: LinkKeyDeps,
  project: ProjectId,
): Promise<Pick<PersonLinkerOptions, 'keyVersion' | 'rekey'>> {
  const anchor = await readLinkAnchor(deps.lake);
  if (anchor === undefined) return { keyVersion: await deps.keys.currentVersion(), rekey: [] };
  let cache = tables.get(deps.lake);
  if (!cache) tables.set(deps.lake, (cache = new Map<string, Promise<readonly RekeyTable[]>>()));
  const rekey: RekeyTable[] = [];
  for await (const info of deps.lake.list(IDENTITY_CONTAINER, lakePaths.rekeyPrefix(project))) {
    const name = info.path.slice(info.path.lastIndexOf('/') + 1).replace(/\.ndjson$/, '');
    const [from, to] = name.split('--');
    if (!from || !to) continue;
    const path = info.path;
    let table = cache.get(path);
    if (!table) {
      table = loadRekeyTable(deps.lake, project, from, to).then((t) => (t ? [t, invertRekeyTable(t)] : []));
      table.catch(() => cache.delete(path));
      cache.set(path, table);
    }
    rekey.push(...(await table));
  }
  return { keyVersion: anchor, rekey };
}

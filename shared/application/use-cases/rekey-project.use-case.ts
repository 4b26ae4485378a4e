import type { Logger } from '../ports/logger.port.js';
import { lakePaths } from '../../domain/lake/lake-paths.js';
import type { ObjectStore } from '../ports/object-store.port.js';
import type { SecretStore } from '../ports/secret-store.port.js';
import { buildRekeyTable, type RekeyTable } from '../../domain/pseudonymise/rekey.js';
import type { ProjectId } from '../../domain/pseudonymise/projects.js';
import { IDENTITY_CONTAINER, type IdentityRegister } from './pseudonymise-identity-register.js';
import type { ProjectKeyRing } from './pseudonymise-keys.js';

/** A secret store that can create a new version of a secret (both adapters implement it). */
export interface RotatableSecretStore extends SecretStore {
  /** Writes a new random 32-byte value (base64) as a new version, makes it current, returns its id. */
  rotateSecret(name: string): Promise<string>;
}

/**
 * Rotates the pseudonymisation master key: a new version becomes current; old versions stay
 * readable (needed to re-key and to re-identify old tokens until re-keying is done). From then
 * on new tokens carry the new `token_key_version`.
 */
export async function rotateMasterKey(deps: {
  readonly secrets: RotatableSecretStore;
  readonly secretName: string;
  readonly logger: Logger;
}): Promise<{ readonly previousVersion: string; readonly currentVersion: string }> {
  const previousVersion = await deps.secrets.currentVersion(deps.secretName);
  const currentVersion = await deps.secrets.rotateSecret(deps.secretName);
  deps.logger.warn('pseudonymisation master key rotated', {
    secret: deps.secretName,
    previousVersion,
    currentVersion,
  });
  return { previousVersion, currentVersion };
}

/** Restricted path of a stored re-key table (bronze, next to the identity register). */
export function rekeyTablePath(project: ProjectId, fromVersion: string, toVersion: string): string {
  return lakePaths.rekeyTable(project, fromVersion, toVersion);
}

export interface RekeyProjectDeps {
  readonly keys: ProjectKeyRing;
  readonly register: IdentityRegister;
  readonly lake: ObjectStore;
  readonly logger: Logger;
  /** Restricted container (default `bronze`). */
  readonly container?: string;
}

/**
 * Custodian step after a rotation: builds the old → new token and fallback-key map of one project
 * from the identity register and both key versions, stores it in the restricted bronze area
 * (create-only) and returns it. No NHS number leaves this function; the stored table holds
 * pseudonyms only. Apply it to stored silver rows with `rekeySilverRow`, or hand it to the linker
 * so records under both versions link to one person.
 */
export async function rekeyProject(
  deps: RekeyProjectDeps,
  request: { readonly project: ProjectId; readonly fromVersion: string; readonly toVersion?: string },
): Promise<RekeyTable> {
  const toVersion = request.toVersion ?? (await deps.keys.currentVersion());
  const [from, to] = await Promise.all([
    deps.keys.version(request.project, request.fromVersion),
    deps.keys.version(request.project, toVersion),
  ]);
  const table = buildRekeyTable(await deps.register.load(request.project), from, to);
  const lines: string[] = [];
  for (const [o, n] of table.tokens) lines.push(JSON.stringify({ t: [o, n] }));
  for (const [o, n] of table.fallbackKeys) lines.push(JSON.stringify({ f: [o, n] }));
  await deps.lake.put(
    deps.container ?? IDENTITY_CONTAINER,
    rekeyTablePath(request.project, table.fromVersion, table.toVersion),
    `${lines.join('\n')}\n`,
    {
      ifNoneMatch: '*',
      contentType: 'application/x-ndjson',
    },
  );
  deps.logger.info('rekey table built', {
    project: request.project,
    fromVersion: table.fromVersion,
    toVersion: table.toVersion,
    tokens: table.tokens.size,
    fallbackKeys: table.fallbackKeys.size,
  });
  return table;
}

/** Reads a stored re-key table back (for the pipeline's re-key or link activities); undefined when absent. */
export async function loadRekeyTable(
  lake: ObjectStore,
  project: ProjectId,
  fromVersion: string,
  toVersion: string,
  container: string = IDENTITY_CONTAINER,
): Promise<RekeyTable | undefined> {
  const body = await lake.get(container, rekeyTablePath(project, fromVersion, toVersion));
  if (!body) return undefined;
  const tokens = new Map<string, string>();
  const fallbackKeys = new Map<string, string>();
  for (const line of body.toString('utf8').split('\n')) {
    if (!line) continue;
    const entry = JSON.parse(line) as { t?: [string, string]; f?: [string, string] };
    if (entry.t) tokens.set(entry.t[0], entry.t[1]);
    else if (entry.f) fallbackKeys.set(entry.f[0], entry.f[1]);
  }
  return { project, fromVersion, toVersion, tokens, fallbackKeys };
}

import { randomUUID } from 'node:crypto';
import type { Clock } from '../ports/clock.port.js';
import type { Logger } from '../ports/logger.port.js';
import { GuardError, NhsFlowsError } from '../../domain/errors.js';
import { PersonLinker } from '../../domain/link/person-linker.js';
import { projectIds } from '../../domain/pseudonymise/projects.js';
import { recordAudit } from './audit/audit-trail.js';
import { ensureLinkAnchor, linkKeyVersions, readLinkAnchor } from './link-key-versions.js';
import { lakePaths } from '../../domain/lake/lake-paths.js';
import type { ObjectStore } from '../ports/object-store.port.js';
import type { SecretStore } from '../ports/secret-store.port.js';
import { buildRekeyTable, type RekeyTable } from '../../domain/pseudonymise/rekey.js';
import type { ProjectId } from '../../domain/pseudonymise/projects.js';
import { IDENTITY_CONTAINER, IdentityRegister } from './pseudonymise-identity-register.js';
import type { PipelineDeps } from './pipeline/pipeline-deps.js';
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

/** Restricted path of a stored re-key table (identity container, next to the identity register). */
export function rekeyTablePath(project: ProjectId, fromVersion: string, toVersion: string): string {
  return lakePaths.rekeyTable(project, fromVersion, toVersion);
}

export interface RekeyProjectDeps {
  readonly keys: ProjectKeyRing;
  readonly register: IdentityRegister;
  readonly lake: ObjectStore;
  readonly logger: Logger;
  /** Restricted container (default `identity`). */
  readonly container?: string;
}

/**
 * Custodian step after a rotation: builds the old → new token and fallback-key map of one project
 * from the identity register and both key versions, stores it in the restricted identity container
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

/** True when the secret store can create versions (both adapters can; a test double may not). */
export function isRotatable(secrets: SecretStore): secrets is RotatableSecretStore {
  return typeof (secrets as Partial<RotatableSecretStore>).rotateSecret === 'function';
}

export interface KeyLifecycleDeps {
  readonly secrets: SecretStore;
  /** Name of the master key secret (setting NHSFLOWS_PSEUDO_KEY_SECRET). */
  readonly secretName: string;
  readonly keys: ProjectKeyRing;
  readonly register: IdentityRegister;
  readonly lake: ObjectStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Setting NHSFLOWS_KEY_CUSTODIAN_ROLE: the role rotate and rekey require ('' = none). */
  readonly custodianRole: string;
}

/** Who asks for a key action, and the roles the platform (or the local operator) vouches for. */
export interface KeyActionRequest {
  readonly actor: string;
  readonly roles: readonly string[];
}

/**
 * Refuses a rotate or rekey by a caller without the custodian role (when one is configured): the
 * refusal is audited (`refused`, ROLE_REQUIRED) and nothing else is touched.
 */
async function requireCustodian(
  deps: KeyLifecycleDeps,
  request: KeyActionRequest,
  kind: 'key-rotate' | 'key-rekey',
  auditId: string,
): Promise<void> {
  if (deps.custodianRole === '' || request.roles.includes(deps.custodianRole)) return;
  await recordAudit(
    { kind, id: auditId, actor: request.actor, outcome: 'refused', reason: 'ROLE_REQUIRED', details: {} },
    deps,
  );
  throw new GuardError(
    'ROLE_REQUIRED',
    `${kind === 'key-rotate' ? 'key rotation' : 're-keying'} needs the custodian role (NHSFLOWS_KEY_CUSTODIAN_ROLE); refused and audited as ${auditId}`,
  );
}

/** A key action that failed past its gate: audited `failed` with the error's code (best effort). */
async function auditFailure(
  deps: KeyLifecycleDeps,
  entry: {
    readonly kind: 'key-rotate' | 'key-rekey';
    readonly id: string;
    readonly actor: string;
    readonly details: Record<string, string | number>;
  },
  error: unknown,
): Promise<void> {
  await recordAudit(
    { ...entry, outcome: 'failed', reason: error instanceof NhsFlowsError ? error.code : 'ERROR' },
    deps,
  ).catch(() => undefined);
}

export interface KeyRotation {
  readonly auditId: string;
  readonly previousVersion: string;
  readonly currentVersion: string;
  readonly anchorVersion: string;
  /** Re-key table entries built per project (tokens). */
  readonly tokens: Readonly<Record<ProjectId, number>>;
}

/**
 * `nhs-flows keys rotate` / `POST /api/keys/rotate`: the custodian's rotation, end to end.
 * 1. the link anchor is fixed at the current version if none is stored yet (before the new version
 *    exists, so no batch can ever link at a version without a path back to the anchor);
 * 2. a new master key version is created and becomes current (new tokens use it at once);
 * 3. the re-key table previous → new is built for every project from the identity register.
 * A batch tokenised at the new version between 2 and 3 fails with KEY_VERSION_MISMATCH and is
 * retried (activity retries; `nhs-flows replay`). Writes one `key-rotate` audit record (versions and
 * counts), `done` or `failed`.
 */
export async function rotateKeys(deps: KeyLifecycleDeps, request: KeyActionRequest): Promise<KeyRotation> {
  const auditId = randomUUID();
  await requireCustodian(deps, request, 'key-rotate', auditId);
  const details: Record<string, string | number> = {};
  try {
    if (!isRotatable(deps.secrets))
      throw new GuardError('KEY_NOT_ROTATABLE', 'the configured secret store cannot create key versions');
    const previous = await deps.keys.currentVersion();
    details.previousVersion = previous;
    const anchorVersion = await ensureLinkAnchor(deps.lake, previous);
    details.anchorVersion = anchorVersion;
    const { currentVersion } = await rotateMasterKey({
      secrets: deps.secrets,
      secretName: deps.secretName,
      logger: deps.logger,
    });
    details.currentVersion = currentVersion;
    const tokens = {} as Record<ProjectId, number>;
    for (const project of projectIds()) {
      const table = await rekeyProject(deps, { project, fromVersion: previous, toVersion: currentVersion });
      tokens[project] = table.tokens.size;
      details[`${project}Tokens`] = table.tokens.size;
      details[`${project}FallbackKeys`] = table.fallbackKeys.size;
    }
    await recordAudit(
      { kind: 'key-rotate', id: auditId, actor: request.actor, outcome: 'done', details },
      deps,
    );
    return { auditId, previousVersion: previous, currentVersion, anchorVersion, tokens };
  } catch (error) {
    await auditFailure(deps, { kind: 'key-rotate', id: auditId, actor: request.actor, details }, error);
    throw error;
  }
}

export interface KeyRekey {
  readonly auditId: string;
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly projects: readonly { project: ProjectId; built: boolean; tokens: number }[];
}

/**
 * `nhs-flows keys rekey`: builds the re-key table `from → to` (default: link anchor → current
 * version) for each project that has none, and stores `from` as the link anchor when none is
 * stored yet (a rotation made in Key Vault directly). A stored table is never rebuilt: linkage reads it both
 * ways, and a person first seen after the rotation keeps their newer token only while it stays
 * as it is. Writes one `key-rekey` audit record (versions, counts).
 */
export async function rekeyKeys(
  deps: KeyLifecycleDeps,
  request: KeyActionRequest & {
    readonly fromVersion?: string;
    readonly toVersion?: string;
    readonly project?: ProjectId;
  },
): Promise<KeyRekey> {
  const auditId = randomUUID();
  await requireCustodian(deps, request, 'key-rekey', auditId);
  const toVersion = request.toVersion ?? (await deps.keys.currentVersion());
  const fromVersion = request.fromVersion ?? (await readLinkAnchor(deps.lake)) ?? toVersion;
  const details: Record<string, string | number> = { fromVersion, toVersion };
  const projects: { project: ProjectId; built: boolean; tokens: number }[] = [];
  try {
    // A rotation made outside `rotateKeys` (in Key Vault directly) left no anchor: the older
    // version named here becomes it, so records at both versions link from now on.
    if (fromVersion !== toVersion) details.anchorVersion = await ensureLinkAnchor(deps.lake, fromVersion);
    if (fromVersion !== toVersion)
      for (const project of request.project ? [request.project] : projectIds()) {
        if (await deps.lake.exists(IDENTITY_CONTAINER, rekeyTablePath(project, fromVersion, toVersion))) {
          projects.push({ project, built: false, tokens: 0 });
          details[`${project}Built`] = 0;
          continue;
        }
        const table = await rekeyProject(deps, { project, fromVersion, toVersion });
        projects.push({ project, built: true, tokens: table.tokens.size });
        details[`${project}Built`] = 1;
        details[`${project}Tokens`] = table.tokens.size;
      }
    await recordAudit(
      {
        kind: 'key-rekey',
        id: auditId,
        actor: request.actor,
        outcome: projects.some((p) => p.built) ? 'done' : 'nothing-matched',
        details,
      },
      deps,
    );
    return { auditId, fromVersion, toVersion, projects };
  } catch (error) {
    await auditFailure(deps, { kind: 'key-rekey', id: auditId, actor: request.actor, details }, error);
    throw error;
  }
}

export interface KeyStatus {
  readonly currentVersion: string;
  /** The version linkage is anchored at (undefined: never rotated; linkage at the current version). */
  readonly anchorVersion: string | undefined;
  readonly projects: readonly {
    project: ProjectId;
    registerFiles: number;
    rekeyTables: readonly string[];
    /** True when records at the current version link back to the anchor through stored tables. */
    linked: boolean;
  }[];
}

/** `nhs-flows keys status`: versions, anchor and re-key tables per project (read only; no values). */
export async function keyStatus(deps: Pick<KeyLifecycleDeps, 'keys' | 'lake'>): Promise<KeyStatus> {
  const currentVersion = await deps.keys.currentVersion();
  const anchorVersion = await readLinkAnchor(deps.lake);
  const projects = [];
  for (const project of projectIds()) {
    let registerFiles = 0;
    for await (const info of deps.lake.list(IDENTITY_CONTAINER, lakePaths.identityPrefix(project)))
      if (info.path.endsWith('.ndjson')) registerFiles += 1;
    const rekeyTables: string[] = [];
    for await (const info of deps.lake.list(IDENTITY_CONTAINER, lakePaths.rekeyPrefix(project)))
      rekeyTables.push(info.path.slice(info.path.lastIndexOf('/') + 1).replace(/\.ndjson$/, ''));
    let linked = true;
    try {
      new PersonLinker({ project, ...(await linkKeyVersions(deps, project)) }).linkTokens({
        patient_token: 'status-probe',
        token_key_version: currentVersion,
      });
    } catch {
      linked = false;
    }
    projects.push({ project, registerFiles, rekeyTables, linked });
  }
  return { currentVersion, anchorVersion, projects };
}

/** The key lifecycle's dependencies from the pipeline's (one wiring for the CLI and the admin endpoints). */
export function keyLifecycleDeps(pipeline: PipelineDeps): KeyLifecycleDeps {
  return {
    secrets: pipeline.secrets,
    secretName: pipeline.settings.NHSFLOWS_PSEUDO_KEY_SECRET,
    keys: pipeline.keys,
    register: new IdentityRegister(pipeline.lake),
    lake: pipeline.lake,
    clock: pipeline.clock,
    logger: pipeline.logger,
    custodianRole: pipeline.settings.NHSFLOWS_KEY_CUSTODIAN_ROLE,
  };
}

import type { Settings } from '../../config/settings.schema.js';
import { ConcurrencyError, ConfigError, GuardError, NhsFlowsError } from '../../domain/errors.js';
import { lakePaths } from '../../domain/lake/lake-paths.js';
import {
  parseOptOutCsv,
  parseOptOutExemptions,
  type OptOutExemptionBasis,
  type OptOutExemptions,
} from '../../domain/opt-out/opt-out-list.js';
import {
  OptOutFilter,
  optOutListId,
  storedOptOutListSchema,
  type StoredOptOutList,
} from '../../domain/opt-out/opt-out-tokens.js';
import {
  isProjectId,
  projectDeclaration,
  projectIds,
  type ProjectId,
} from '../../domain/pseudonymise/projects.js';
import { createPseudonymiser } from '../../domain/pseudonymise/pseudonym.js';
import type { Clock } from '../ports/clock.port.js';
import type { Logger } from '../ports/logger.port.js';
import type { ObjectStore } from '../ports/object-store.port.js';
import { recordAudit } from './audit/audit-trail.js';
import { linkKeyVersions } from './link-key-versions.js';
import { IDENTITY_CONTAINER } from './pseudonymise-identity-register.js';
import type { ProjectKeyRing } from './pseudonymise-keys.js';

export interface OptOutImportDeps {
  readonly lake: ObjectStore;
  readonly keys: ProjectKeyRing;
  readonly clock: Clock;
  readonly logger: Logger;
  /** NHSFLOWS_KEY_CUSTODIAN_ROLE: when set, only a caller holding it may import (empty: no check). */
  readonly custodianRole?: string;
}

export interface OptOutImportRequest {
  readonly csvText: string;
  /** Who imports (audited). */
  readonly actor: string;
  /** The caller's roles (checked against the custodian role when one is configured). */
  readonly roles?: readonly string[];
}

export interface OptOutImportResult {
  readonly listId: string;
  readonly path: string;
  /** Rows of the list (periods), and distinct NHS numbers in it. */
  readonly entries: number;
  readonly patients: number;
  /** Per project, the key versions its tokens were made at (link version first). */
  readonly keyVersions: Readonly<Record<ProjectId, readonly string[]>>;
  /** The id of the `opt-out-import` audit record. */
  readonly auditId: string;
}

/**
 * Imports a National Data Opt-out list (CSV text, see `parseOptOutCsv`): each NHS number becomes
 * its `patient_token` in every project, at the link version (what gold and the marts link at) and
 * the current key version when they differ; the tokens and dates are written create-only to
 * `opt-out/<listId>.json` in the identity container, where the newest list replaces the last.
 *
 * Guarantees: the NHS numbers exist only in memory for the duration of the call; nothing is
 * written when any row is bad (`InputError`, naming lines and fields, never values) or the caller
 * lacks the custodian role when one is configured (`GuardError('ROLE_REQUIRED')`); every attempt is
 * audited (`opt-out-import`); the result and the log carry counts, versions and the list id only.
 */
export async function importOptOutList(
  deps: OptOutImportDeps,
  request: OptOutImportRequest,
): Promise<OptOutImportResult> {
  const role = deps.custodianRole ?? '';
  if (role !== '' && !(request.roles ?? []).includes(role)) {
    const record = await recordAudit(
      {
        kind: 'opt-out-import',
        actor: request.actor,
        outcome: 'refused',
        reason: 'ROLE_REQUIRED',
        details: {},
      },
      deps,
    );
    throw new GuardError(
      'ROLE_REQUIRED',
      `importing the opt-out list needs the custodian role (NHSFLOWS_KEY_CUSTODIAN_ROLE); refused and audited as ${record.id}`,
    );
  }
  let entries;
  try {
    entries = parseOptOutCsv(request.csvText);
  } catch (error) {
    await recordAudit(
      {
        kind: 'opt-out-import',
        actor: request.actor,
        outcome: 'refused',
        reason: error instanceof NhsFlowsError ? error.code : 'UNEXPECTED',
        details: {},
      },
      deps,
    );
    throw error;
  }
  const current = await deps.keys.currentVersion();
  const projects: Partial<StoredOptOutList['projects']> = {};
  const keyVersions: Partial<Record<ProjectId, readonly string[]>> = {};
  for (const project of projectIds()) {
    const { keyVersion } = await linkKeyVersions(deps, project);
    const versions = keyVersion === current ? [keyVersion] : [keyVersion, current];
    const pseudonymisers = await Promise.all(
      versions.map(async (v) => createPseudonymiser(await deps.keys.version(project, v))),
    );
    projects[project] = {
      keyVersions: versions,
      entries: entries.map((e) => ({
        tokens: pseudonymisers.map((p) => p.tokenOfValid(e.nhsNumber)),
        from: e.period.from,
        until: e.period.until,
      })),
    };
    keyVersions[project] = versions;
  }
  const at = deps.clock.now();
  const listId = optOutListId(at);
  const stored: StoredOptOutList = storedOptOutListSchema.parse({
    version: 1,
    listId,
    importedAt: at.toISOString(),
    entries: entries.length,
    projects,
  });
  const path = lakePaths.optOutList(listId);
  const { created } = await deps.lake.put(IDENTITY_CONTAINER, path, JSON.stringify(stored), {
    ifNoneMatch: '*',
    contentType: 'application/json',
  });
  if (!created) throw new ConcurrencyError(`opt-out list ${listId} already exists; import again`);
  const patients = new Set(entries.map((e) => e.nhsNumber)).size;
  const audit = await recordAudit(
    {
      kind: 'opt-out-import',
      actor: request.actor,
      outcome: 'done',
      details: {
        listId,
        entries: entries.length,
        patients,
        ...Object.fromEntries(
          projectIds().map((p) => [`keyVersions.${p}`, (keyVersions[p] ?? []).join(',')]),
        ),
      },
    },
    deps,
  );
  deps.logger.info('opt-out list imported', { listId, entries: entries.length, patients, auditId: audit.id });
  return {
    auditId: audit.id,
    listId,
    path,
    entries: entries.length,
    patients,
    keyVersions: keyVersions as Record<ProjectId, readonly string[]>,
  };
}

/** The newest stored opt-out list, or undefined when none was imported. */
export async function readOptOutList(lake: ObjectStore): Promise<StoredOptOutList | undefined> {
  let newest: string | undefined;
  for await (const info of lake.list(IDENTITY_CONTAINER, lakePaths.optOutPrefix()))
    if (info.path.endsWith('.json') && (newest === undefined || info.path > newest)) newest = info.path;
  if (newest === undefined) return undefined;
  const body = await lake.get(IDENTITY_CONTAINER, newest);
  if (!body) return undefined;
  return storedOptOutListSchema.parse(JSON.parse(body.toString('utf8')));
}

/** What applies to data leaving the pipeline: the list in force and, per project, its filter. */
export interface OptOutApplication {
  /** The list in force; null when none was imported (nothing is withheld). */
  readonly listId: string | null;
  /** Projects whose flows are exempt (direct care or a legal exemption): not filtered. */
  readonly exempt: OptOutExemptions;
  /** Per filtered project with a list: its filter. */
  readonly filters: ReadonlyMap<ProjectId, OptOutFilter>;
}

export interface OptOutApplyDeps {
  readonly lake: ObjectStore;
  readonly keys: ProjectKeyRing;
  readonly settings: Pick<Settings, 'NHSFLOWS_OPT_OUT_EXEMPTIONS'>;
  readonly logger: Logger;
}

/**
 * The exempt projects: each project's `optOut.exemption` in the projects file, unless
 * `NHSFLOWS_OPT_OUT_EXEMPTIONS` names the project (that deployment's setting wins). A setting that
 * names a project not in force is a `ConfigError`.
 */
export function optOutExemptions(settings: Pick<Settings, 'NHSFLOWS_OPT_OUT_EXEMPTIONS'>): OptOutExemptions {
  const parsed = parseOptOutExemptions(settings.NHSFLOWS_OPT_OUT_EXEMPTIONS, isProjectId);
  if (!parsed.ok) throw new ConfigError(parsed.problems.map((p) => `NHSFLOWS_OPT_OUT_EXEMPTIONS: ${p}`));
  const exempt: Partial<Record<ProjectId, OptOutExemptionBasis>> = {};
  for (const project of projectIds()) {
    const basis = parsed.exemptions[project] ?? projectDeclaration(project).optOut.exemption;
    if (basis !== null) exempt[project] = basis;
  }
  return exempt;
}

/**
 * The opt-out filters of every project that is not exempt (`optOutExemptions`). Warns (counts and
 * versions only) when the list holds no tokens at the current key version: records of patients
 * first seen after a rotation could not be matched, so the list should be imported again. A
 * filtered project the list holds nothing for (declared after the list was imported) is refused
 * (`GuardError('OPT_OUT_LIST_STALE')`): its opted-out patients could not be withheld.
 */
export async function loadOptOutApplication(deps: OptOutApplyDeps): Promise<OptOutApplication> {
  const exempt = optOutExemptions(deps.settings);
  const list = await readOptOutList(deps.lake);
  const filters = new Map<ProjectId, OptOutFilter>();
  if (!list) return { listId: null, exempt, filters };
  const current = await deps.keys.currentVersion();
  for (const project of projectIds()) {
    const stored = list.projects[project];
    if (exempt[project] !== undefined) continue;
    if (!stored)
      throw new GuardError(
        'OPT_OUT_LIST_STALE',
        `the National Data Opt-out list ${list.listId} holds no tokens for project '${project}' (declared after the list was imported): import the list again (nhs-flows opt-out import) before its data leaves the pipeline`,
      );
    if (!stored.keyVersions.includes(current))
      deps.logger.warn('opt-out list predates the current key version: import it again', {
        listId: list.listId,
        project,
        currentKeyVersion: current,
      });
    filters.set(project, new OptOutFilter(project, stored.keyVersions, stored.entries));
  }
  return { listId: list.listId, exempt, filters };
}

import { services, resetServices } from '../../functions/composition-root.js';
import {
  keyLifecycleDeps,
  keyStatus,
  rekeyKeys,
  rotateKeys,
  type KeyStatus,
} from '../application/use-cases/rekey-project.use-case.js';
import { isProjectId, projectIds } from '../domain/pseudonymise/projects.js';
import { InputError } from '../domain/errors.js';
import type { CliCommand } from './cli-io.js';
import { localActor, openLocalEnvironment } from './local-environment.js';

/**
 * `nhs-flows keys rotate|rekey|status`: the custodian's key lifecycle on the embedded default (the
 * same use cases `POST /api/keys/rotate`, `POST /api/keys/rekey` and `GET /api/keys/status` run on
 * Azure). rotate and rekey write an audit record; no key value or token is ever printed.
 */
export const keysCommand: CliCommand = {
  name: 'keys',
  summary: 'pseudonymisation key lifecycle: rotate, rekey, status (audited)',
  usage:
    'nhs-flows keys rotate [--role R] | keys rekey [--from V] [--to V] [--project P] [--role R] | keys status [--json]',
  options: {
    from: { type: 'string', description: 'rekey: the older key version (default: the link anchor)' },
    to: { type: 'string', description: 'rekey: the newer key version (default: the current version)' },
    project: {
      type: 'string',
      description: 'rekey: one project (an id from the projects file); default every project',
    },
    json: { type: 'boolean', description: 'print JSON' },
    role: {
      type: 'string',
      description:
        'rotate, rekey: the role you act in (default: the local-operator-role of the local secrets file); NHSFLOWS_KEY_CUSTODIAN_ROLE, when set, must be among them',
    },
  },
  run: async (args, io) => {
    const action = args.positionals[0];
    if (action !== 'rotate' && action !== 'rekey' && action !== 'status') {
      io.err(
        `nhs-flows keys: expected rotate, rekey or status; received ${action ? `'${action}'` : 'nothing'}`,
      );
      return 2;
    }
    const project = args.values.project;
    if (project !== undefined && (typeof project !== 'string' || !isProjectId(project)))
      throw new InputError(`--project: expected ${projectIds().join(' or ')}; received '${String(project)}'`);
    const env = await openLocalEnvironment();
    try {
      const deps = keyLifecycleDeps((await services()).pipeline);
      const caller = {
        actor: localActor(),
        roles: typeof args.values.role === 'string' ? [args.values.role] : env.operatorRoles,
      };
      const json = args.values.json === true;
      if (action === 'status') {
        const status = await keyStatus(deps);
        io.out(json ? JSON.stringify(status, null, 2) : renderKeyStatus(status));
        return status.projects.every((p) => p.linked) ? 0 : 1;
      }
      if (action === 'rotate') {
        const rotation = await rotateKeys(deps, caller);
        io.out(
          json
            ? JSON.stringify(rotation, null, 2)
            : [
                `key rotated: ${rotation.previousVersion} → ${rotation.currentVersion} (link anchor ${rotation.anchorVersion})`,
                ...Object.entries(rotation.tokens).map(
                  ([p, n]) =>
                    `  ${p.padEnd(13)} re-key table ${rotation.previousVersion}--${rotation.currentVersion}: ${n} tokens`,
                ),
                `audit record ${rotation.auditId}`,
              ].join('\n'),
        );
        return 0;
      }
      const rekey = await rekeyKeys(deps, {
        ...caller,
        ...(typeof args.values.from === 'string' ? { fromVersion: args.values.from } : {}),
        ...(typeof args.values.to === 'string' ? { toVersion: args.values.to } : {}),
        ...(typeof project === 'string' && isProjectId(project) ? { project } : {}),
      });
      io.out(
        json
          ? JSON.stringify(rekey, null, 2)
          : [
              `re-key ${rekey.fromVersion} → ${rekey.toVersion}:`,
              ...(rekey.projects.length === 0 ? ['  nothing to do (same version)'] : []),
              ...rekey.projects.map(
                (p) =>
                  `  ${p.project.padEnd(13)} ${p.built ? `built (${p.tokens} tokens)` : 'already stored (never rebuilt)'}`,
              ),
              `audit record ${rekey.auditId}`,
            ].join('\n'),
      );
      return 0;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

export function renderKeyStatus(status: KeyStatus): string {
  const lines = [
    `current key version: ${status.currentVersion}`,
    `link anchor:         ${status.anchorVersion ?? '(none: never rotated; linkage at the current version)'}`,
  ];
  for (const p of status.projects)
    lines.push(
      `  ${p.project.padEnd(13)} register files ${String(p.registerFiles).padStart(5)}  re-key tables ${p.rekeyTables.length === 0 ? '(none)' : p.rekeyTables.join(', ')}  ${p.linked ? 'links to the anchor' : 'NO PATH to the anchor: run nhs-flows keys rekey'}`,
    );
  return lines.join('\n');
}

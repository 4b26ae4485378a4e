import { services, resetServices } from '../../functions/composition-root.js';
import { IdentityRegister } from '../application/use-cases/pseudonymise-identity-register.js';
import { reidentify } from '../application/use-cases/reidentify.use-case.js';
import type { ProjectId } from '../domain/pseudonymise/projects.js';
import type { CliCommand } from './cli-io.js';
import { localActor, openLocalEnvironment } from './local-environment.js';

/**
 * The role the local operator presents: `--role`, else the configured role when the local secrets
 * file's `local-operator-role` names it, else the first role it names, else none. Locally there is
 * no identity provider: holding the data dir's secrets file is what makes someone its operator.
 */
export function presentedLocalRole(
  operatorRoles: readonly string[],
  configured: string,
  flag: unknown,
): string {
  if (typeof flag === 'string') return flag;
  if (configured !== '' && operatorRoles.includes(configured)) return configured;
  return operatorRoles[0] ?? '';
}

/**
 * `nhs-flows reidentify`: token → NHS number for an approved purpose. Off by default: it needs the
 * setting NHSFLOWS_REIDENTIFICATION_ROLE AND the same role presented (`--role`, or named by the
 * local secrets file's `local-operator-role`). Every attempt, refused or granted, writes a `reidentify`
 * audit record (no token, no number). The NHS numbers go to stdout only (to the requester): never
 * to the log or the audit.
 */
export const reidentifyCommand: CliCommand = {
  name: 'reidentify',
  summary: 'token → NHS number for an approved purpose (off by default; role-gated, audited)',
  usage:
    'nhs-flows reidentify --project <project> --purpose "<reference>" --key-version <V> [--role <role>] <token> [<token> ...]',
  options: {
    project: { type: 'string', description: 'the project the tokens belong to' },
    purpose: { type: 'string', description: 'the approved purpose (a case or request reference)' },
    'key-version': { type: 'string', description: 'key version of the tokens (token_key_version)' },
    role: {
      type: 'string',
      description: 'the role you present (default: local-operator-role in the local secrets file)',
    },
    json: { type: 'boolean', description: 'print JSON' },
  },
  run: async (args, io) => {
    const env = await openLocalEnvironment();
    try {
      const s = await services();
      const p = s.pipeline;
      const keyVersion = typeof args.values['key-version'] === 'string' ? args.values['key-version'] : '';
      const result = await reidentify(
        {
          configuredRole: p.settings.NHSFLOWS_REIDENTIFICATION_ROLE,
          audit: { lake: p.lake, clock: p.clock },
          register: new IdentityRegister(p.lake),
          keys: p.keys,
        },
        {
          caller: localActor(),
          role: presentedLocalRole(
            env.operatorRoles,
            p.settings.NHSFLOWS_REIDENTIFICATION_ROLE,
            args.values.role,
          ),
          purpose: typeof args.values.purpose === 'string' ? args.values.purpose : '',
          project: (typeof args.values.project === 'string' ? args.values.project : '') as ProjectId,
          tokens: args.positionals.map((token) => ({ token, keyVersion })),
        },
      );
      if (result.outcome === 'refused') {
        io.err(
          `nhs-flows reidentify: ${result.message} (reason ${result.reason}; audit record ${result.auditId})`,
        );
        return 3;
      }
      if (args.values.json) io.out(JSON.stringify(result, null, 2));
      else {
        for (const i of result.identities)
          io.out(`${i.keyVersion}:${i.token}\t${i.nhsNumber ?? '(not found)'}`);
        io.err(`audit record ${result.auditId}`);
      }
      return 0;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

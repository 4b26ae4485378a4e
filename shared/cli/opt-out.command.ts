import { readFile } from 'node:fs/promises';
import { services, resetServices } from '../../functions/composition-root.js';
import {
  importOptOutList,
  optOutExemptions,
  readOptOutList,
} from '../application/use-cases/opt-out.use-case.js';
import { discloseCount } from '../domain/disclosure/small-numbers.js';
import { projectIds } from '../domain/pseudonymise/projects.js';
import type { CliCommand } from './cli-io.js';
import { localActor, openLocalEnvironment } from './local-environment.js';

/**
 * `nhs-flows opt-out import <file>` / `nhs-flows opt-out status`: the National Data Opt-out list.
 * The file (CSV `nhs_number,effective_from,withdrawn_on`) is read here and only its project tokens
 * and dates reach the lake: the clear file is never copied anywhere by the pipeline. Prints counts,
 * versions and ids only; every import is audited (`opt-out-import`). docs/opt-out.md.
 */
export const optOutCommand: CliCommand = {
  name: 'opt-out',
  summary: 'import the National Data Opt-out list (tokens only reach the lake) or show the one in force',
  usage: 'nhs-flows opt-out import <file.csv> [--role R] [--json]   |   nhs-flows opt-out status [--json]',
  options: {
    json: { type: 'boolean', description: 'print the result as JSON' },
    role: {
      type: 'string',
      description:
        'import: the role you act in (default: the local-operator-role of the local secrets file); NHSFLOWS_KEY_CUSTODIAN_ROLE, when set, must be among them',
    },
  },
  run: async (args, io) => {
    const [action, file] = args.positionals;
    if (action !== 'import' && action !== 'status') {
      io.err(`nhs-flows opt-out: expected import or status; received ${action ? `'${action}'` : 'nothing'}`);
      return 2;
    }
    if (action === 'import' && !file) {
      io.err('nhs-flows opt-out import: the opt-out list file is required');
      return 2;
    }
    const csvText = action === 'import' && file ? await readFile(file, 'utf8') : '';
    const json = args.values.json === true;
    const env = await openLocalEnvironment();
    try {
      const { pipeline } = await services();
      if (action === 'import') {
        const result = await importOptOutList(
          { ...pipeline, custodianRole: pipeline.settings.NHSFLOWS_KEY_CUSTODIAN_ROLE },
          {
            csvText,
            actor: localActor(),
            roles: typeof args.values.role === 'string' ? [args.values.role] : env.operatorRoles,
          },
        );
        io.out(
          json
            ? JSON.stringify(result, null, 2)
            : [
                `opt-out list ${result.listId} imported: ${result.entries} period(s) of ${result.patients} patient(s), as tokens only`,
                ...projectIds().map(
                  (p) => `  ${p.padEnd(13)} key version(s) ${(result.keyVersions[p] ?? []).join(', ')}`,
                ),
                `stored: identity/${result.path}`,
                `audit record ${result.auditId}`,
                'the clear file was read, not copied: keep or destroy it under your own controls',
              ].join('\n'),
        );
        return 0;
      }
      const list = await readOptOutList(pipeline.lake);
      const exempt = optOutExemptions(pipeline.settings);
      const status = {
        listId: list?.listId ?? null,
        importedAt: list?.importedAt ?? null,
        // Disclosure-controlled like every count the opt-out produces.
        entries: list ? discloseCount(list.entries) : '0',
        projects: Object.fromEntries(
          projectIds().map((p) => [
            p,
            exempt[p] !== undefined
              ? `exempt (${exempt[p]})`
              : !list
                ? 'filtered (no list imported: nothing withheld)'
                : list.projects[p]
                  ? `filtered (key version(s) ${list.projects[p].keyVersions.join(', ')})`
                  : 'filtered, but the list holds no tokens for it: import the list again (marts refresh and exports refuse until then)',
          ]),
        ),
      };
      io.out(
        json
          ? JSON.stringify(status, null, 2)
          : [
              list
                ? `opt-out list in force: ${status.listId} imported ${status.importedAt} (${status.entries} period(s))`
                : 'no opt-out list imported',
              ...projectIds().map((p) => `  ${p.padEnd(13)} ${status.projects[p] ?? ''}`),
            ].join('\n'),
      );
      return 0;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

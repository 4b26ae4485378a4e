import { services, resetServices } from '../../functions/composition-root.js';
import { patientDimension } from '../application/use-cases/pipeline/patient-dimension.js';
import {
  readMemberHistories,
  readMemberHistoriesAsOf,
} from '../application/use-cases/scd2-merge.use-case.js';
import { InputError } from '../domain/errors.js';
import { isProjectId, projectIds } from '../domain/pseudonymise/projects.js';
import { SCD2_HIGH_DATE, type DimensionVersion } from '../domain/scd2/dimension.js';
import type { CliCommand } from './cli-io.js';
import { openLocalEnvironment } from './local-environment.js';

/**
 * `nhs-flows patient-history`: one pseudonymised patient's SCD2 versions in a project, as they stand
 * or as the pipeline knew them at a system time (`--as-of`: changes captured after it, late re-cuts
 * included, are left out). Tokens and pseudonymised attributes only; nothing re-identifies.
 */
export const patientHistoryCommand: CliCommand = {
  name: 'patient-history',
  summary: "a patient token's dimension versions, now or as known at a system time (--as-of)",
  usage:
    'nhs-flows patient-history --project <project> --token <patient_token> [--as-of <ISO time>] [--json]',
  options: {
    project: { type: 'string', description: 'a project id (nhs-flows projects list)' },
    token: { type: 'string', description: 'the project patient token (as in dim_patient.patient_token)' },
    'as-of': {
      type: 'string',
      description: 'a system time (ISO date or instant, UTC): the history as captured up to then',
    },
    json: { type: 'boolean', description: 'print the versions as JSON' },
  },
  run: async (args, io) => {
    const project = args.values.project;
    if (typeof project !== 'string' || !isProjectId(project))
      throw new InputError(
        `--project: expected ${projectIds().join(' or ')}; received '${String(project ?? '')}'`,
      );
    const token = args.values.token;
    if (typeof token !== 'string' || token === '')
      throw new InputError('--token: a patient token is required');
    const asOf = args.values['as-of'];
    const env = await openLocalEnvironment();
    try {
      const { pipeline } = await services();
      const dimension = patientDimension(project);
      const versions =
        (typeof asOf === 'string'
          ? await readMemberHistoriesAsOf(dimension, [token], asOf, pipeline)
          : await readMemberHistories(dimension, [token], pipeline)
        ).get(token) ?? [];
      io.out(args.values.json === true ? JSON.stringify(versions, null, 2) : renderVersions(versions, asOf));
      return versions.length > 0 ? 0 : 1;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

function renderVersions(versions: readonly DimensionVersion[], asOf: unknown): string {
  const when = typeof asOf === 'string' ? ` as known at ${asOf}` : '';
  if (versions.length === 0) return `no versions of this token${when}`;
  return [
    `${versions.length} version(s)${when}:`,
    ...versions.map((v) => {
      const to = v.validTo === SCD2_HIGH_DATE ? 'current' : v.validTo.slice(0, 10);
      const attributes = Object.entries(v.attributes)
        .map(([name, value]) => `${name}=${value === null ? '' : String(value)}`)
        .join(' ');
      return `  ${v.validFrom.slice(0, 10)} → ${to}${v.isDeleted ? ' (deleted)' : ''}  ${attributes}  recorded ${v.recordedAt}`;
    }),
  ].join('\n');
}

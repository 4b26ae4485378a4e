import { services, resetServices } from '../../functions/composition-root.js';
import { sourceFeeds } from '../../functions/mssql-source.js';
import { capturedTableNames } from '../application/use-cases/poll-sources.use-case.js';
import {
  massDeleteReleaseRequestSchema,
  releaseMassDelete,
} from '../application/use-cases/operations/mass-delete-release.use-case.js';
import type { CliCommand } from './cli-io.js';
import { localActor, openLocalEnvironment } from './local-environment.js';

/**
 * `nhs-flows capture release-mass-delete --table T`: lets the next poll of one table through its
 * mass-delete guard (one poll), audited. The same as POST /api/capture/release-mass-delete.
 */
export const captureCommand: CliCommand = {
  name: 'capture',
  summary: 'capture operations: release-mass-delete --table T (one table, one poll; audited)',
  usage: 'nhs-flows capture release-mass-delete --table <source table or feed> [--reason <text>]',
  options: {
    table: {
      type: 'string',
      description: 'the source table or feed (capture name) whose next poll may delete past the guard',
    },
    reason: { type: 'string', description: 'why (kept in the audit record; no patient data)' },
  },
  run: async (args, io) => {
    const [action] = args.positionals;
    if (action !== 'release-mass-delete') {
      io.err(`nhs-flows capture: unknown action '${action ?? ''}'\n\nusage: ${captureCommand.usage}`);
      return 2;
    }
    const request = massDeleteReleaseRequestSchema.safeParse({
      table: args.values.table,
      ...(typeof args.values.reason === 'string' ? { reason: args.values.reason } : {}),
    });
    if (!request.success) {
      io.err(
        `nhs-flows capture: --table must name a captured source table or feed (${request.error.issues[0]?.message ?? ''})`,
      );
      return 2;
    }
    const env = await openLocalEnvironment();
    try {
      const s = await services();
      const tables = capturedTableNames(s.settings, sourceFeeds(s.settings));
      const released = await releaseMassDelete(request.data, localActor(), s.pipeline, tables);
      io.out(
        [
          `mass-delete guard released for the next poll of ${released.table} (one poll)${released.replacedPending ? '; it replaces a release not used yet' : ''}`,
          `the next poll (nhs-flows start, or the running host on its schedule) publishes its deletes and uses the release up`,
          `audit record: mass-delete-release/${released.audit.id}`,
        ].join('\n'),
      );
      return 0;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

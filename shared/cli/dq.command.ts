import { lakePaths } from '../domain/lake/lake-paths.js';
import { services, resetServices } from '../../functions/composition-root.js';
import { buildDqScorecard, renderDqScorecard } from '../application/use-cases/dq-scorecard.use-case.js';
import type { CliCommand } from './cli-io.js';
import { openLocalEnvironment } from './local-environment.js';

/** `nhs-flows dq`: the DQMI-style scorecard per provider × dataset × month, merged from every batch. */
export const dqCommand: CliCommand = {
  name: 'dq',
  summary: 'data-quality scorecard per provider × dataset × month (DQMI style)',
  usage: 'nhs-flows dq [--json]',
  options: { json: { type: 'boolean', description: 'print the scorecard rows as JSON' } },
  run: async (args, io) => {
    const env = await openLocalEnvironment();
    try {
      const { lake } = (await services()).pipeline;
      const statePaths: { container: string; path: string }[] = [];
      for await (const object of lake.list('gold', lakePaths.dqStatePrefix()))
        statePaths.push({ container: 'gold', path: object.path });
      if (statePaths.length === 0) {
        io.out('no batches have been validated yet: run nhs-flows start first');
        return 0;
      }
      const scorecard = await buildDqScorecard({ statePaths }, { lake });
      io.out(args.values.json ? JSON.stringify(scorecard.rows, null, 2) : renderDqScorecard(scorecard.rows));
      return 0;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

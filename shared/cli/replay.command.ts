import { services, resetServices } from '../../functions/composition-root.js';
import { pipelineStatus } from '../application/use-cases/pipeline/pipeline-status.use-case.js';
import type { CliCommand } from './cli-io.js';
import { openLocalEnvironment } from './local-environment.js';
import { openLocalFunctionsHost } from './local-functions-host.js';
import { renderStatus } from './status.command.js';

/**
 * `nhs-flows replay`: replays failed batches from the poison queue through the same HTTP function
 * operators call on Azure (POST /api/replay), then waits for the replays to finish.
 */
export const replayCommand: CliCommand = {
  name: 'replay',
  summary: 'replay failed batches from the poison queue (all, or one --batch)',
  usage: 'nhs-flows replay [--batch <batch id>]',
  options: { batch: { type: 'string', description: 'replay only this batch id' } },
  run: async (args, io) => {
    const env = await openLocalEnvironment();
    try {
      const s = await services();
      const capture = await s.capture();
      if (!capture.eventLog)
        throw new Error('replay on the embedded default needs NHSFLOWS_EVENTS_KIND=local');
      const { host } = await openLocalFunctionsHost(env, { logger: s.logger, eventLog: capture.eventLog });
      await host.start();
      const query =
        typeof args.values.batch === 'string' ? `?batchId=${encodeURIComponent(args.values.batch)}` : '';
      const response = await fetch(`${host.origin ?? ''}/api/replay${query}`, {
        method: 'POST',
        headers: { 'x-functions-key': env.adminKey },
      });
      const body = await response.text();
      io.out(`replay: HTTP ${response.status} ${body}`);
      await host.waitForIdle({ timeoutMs: 30 * 60_000 });
      io.out(renderStatus(await pipelineStatus(s.pipeline)));
      await host.stop();
      return response.ok ? 0 : 1;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

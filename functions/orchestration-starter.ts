import type { DurableClient } from 'durable-functions';
import type { OrchestrationStarter } from '../shared/application/ports/orchestration-starter.port.js';

/**
 * The orchestration-starter port on a durable client. Instance ids are batch ids: a batch already
 * running or completed is not started again (redelivery, replays of the same event), while a batch
 * whose instance failed or was terminated may be started afresh.
 */
export function starterFrom(client: DurableClient): OrchestrationStarter {
  return {
    start: async (orchestration, instanceId, input) => {
      const existing = await client.getStatus(instanceId).catch(() => undefined);
      const status = existing?.runtimeStatus as string | undefined;
      if (status && !['Failed', 'Terminated', 'Canceled'].includes(status)) return { started: false };
      await client.startNew(orchestration, { instanceId, input });
      return { started: true };
    },
  };
}

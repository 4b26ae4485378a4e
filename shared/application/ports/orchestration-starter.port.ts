/**
 * Starts durable orchestrations. On Azure and locally this is the durable client handed to a
 * client function (`df.getClient`); the port keeps use cases free of durable-functions.
 *
 * Guarantees: starting an instance id that already exists does not start a second run
 * (idempotent delivery); `start` resolves when the start request is durably accepted.
 */
export interface OrchestrationStarter {
  start(orchestration: string, instanceId: string, input: unknown): Promise<{ started: boolean }>;
}

import { startAzurite, type RunningAzurite } from '../../shared/runtime/local/azurite.js';

/**
 * The Azurite a test file talks to: the one `tests/run.mjs` started for the whole run (its
 * connection string in NHSFLOWS_TEST_AZURITE), or a private in-memory one when a file runs alone.
 */
export async function testAzurite(): Promise<{ connectionString: string; stop(): Promise<void> }> {
  const shared = process.env.NHSFLOWS_TEST_AZURITE;
  if (shared) return { connectionString: shared, stop: async () => undefined };
  const own: RunningAzurite = await startAzurite();
  return own;
}

/** A name unique to this test (containers, tables, queues must not collide across files). */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.toLowerCase();
}

import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import { CONNECTIONS, FUNCTIONS, ORCHESTRATIONS } from './function-names.js';
import { services } from './composition-root.js';
import { starterFrom } from './orchestration-starter.js';
import { observed } from './observed.js';
import { ingestLandingFile } from '../shared/application/use-cases/pipeline/ingest-landing-file.use-case.js';

/**
 * A supplier file dropped in `landing/<table>/<file>` → bronze copy → one orchestration. A file
 * rejected by its name is reported by the use case and the function succeeds (no host retries).
 */
export async function landingFile(
  blob: unknown,
  client: df.DurableClient,
  context: InvocationContext,
): Promise<void> {
  const s = await services();
  const raw = context.triggerMetadata?.name;
  const name = typeof raw === 'string' ? raw : '';
  const bytes = Buffer.isBuffer(blob) ? blob : Buffer.from(blob as string);
  const result = await ingestLandingFile(name, bytes, {
    ...s.pipeline,
    starter: starterFrom(client),
    orchestration: ORCHESTRATIONS.pipeline,
  });
  context.log(
    result.rejected
      ? `landing file rejected ${result.batchId} (${result.rejected.code}); reported to the poison queue`
      : `landing file batch ${result.batchId} ${result.started ? 'started' : 'already known'}`,
  );
}

df.app.client.storageBlob(FUNCTIONS.landingFile, {
  path: 'landing/{name}',
  connection: CONNECTIONS.lake,
  source: 'EventGrid',
  handler: observed(FUNCTIONS.landingFile, 'blob', landingFile),
});

import { lineageTransport, services } from './composition-root.js';
import type { LineageTransport } from '../shared/application/ports/lineage-transport.port.js';
import { runWithLineage } from '../shared/application/use-cases/lineage/activity-lineage.use-case.js';
import { lakeNamespaces } from '../shared/domain/lineage/openlineage-event.js';

let transport: { url: string; transport: LineageTransport } | undefined;

/** The delivery for NHSFLOWS_LINEAGE_URL (one per URL per process), or null when unset. */
function transportFor(
  url: string | undefined,
  deps: Parameters<typeof lineageTransport>[1],
): LineageTransport | null {
  if (!url) return null;
  if (transport?.url !== url) transport = { url, transport: lineageTransport(url, deps) };
  return transport.transport;
}

/**
 * Decorates an activity handler so every attempt records OpenLineage START and COMPLETE / FAIL
 * events (docs/lineage.md): the datasets come from the activity's input and its use case's result.
 */
export function withLineage<I, A extends unknown[], R>(
  activity: string,
  handler: (input: I, ...rest: A) => Promise<R>,
): (input: I, ...rest: A) => Promise<R> {
  return async (input: I, ...rest: A): Promise<R> => {
    const { pipeline, settings } = await services();
    return runWithLineage(activity, input, () => handler(input, ...rest), {
      lake: pipeline.lake,
      clock: pipeline.clock,
      logger: pipeline.logger,
      namespaces: lakeNamespaces(settings.NHSFLOWS_LAKE_ACCOUNT_URL, settings.NHSFLOWS_WAREHOUSE_KIND),
      transport: transportFor(settings.NHSFLOWS_LINEAGE_URL, pipeline),
    });
  };
}

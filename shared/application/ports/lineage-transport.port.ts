import type { RunEvent } from '../../domain/lineage/openlineage-event.js';

/**
 * Where run events go besides the lake: an OpenLineage HTTP endpoint (Marquez or any backend that
 * accepts the spec's POST of one event). Guarantees: `send` posts the events in order and throws an
 * `InfrastructureError` when the endpoint refuses one or cannot be reached; the caller decides that
 * lineage trouble never fails the pipeline.
 */
export interface LineageTransport {
  send(events: readonly RunEvent[]): Promise<void>;
}

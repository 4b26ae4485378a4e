import { InfrastructureError } from '../../domain/errors.js';
import type { LineageTransport } from '../../application/ports/lineage-transport.port.js';

/** The one `fetch` call the transport makes (tests and other runtimes may pass their own). */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number }>;

/**
 * OpenLineage over HTTP: each event is POSTed as JSON to the configured endpoint (the full URL,
 * e.g. `http://marquez:5000/api/v1/lineage`), one request per event as the spec's HTTP transport
 * does, within `timeoutMs`. An optional API key goes in the `Authorization: Bearer` header.
 */
export function openLineageHttpTransport(options: {
  readonly url: string;
  readonly apiKey?: string;
  readonly timeoutMs?: number;
  readonly fetch?: FetchLike;
}): LineageTransport {
  const post: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  return {
    send: async (events) => {
      for (const event of events) {
        let status: number;
        try {
          const response = await post(options.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
            },
            body: JSON.stringify(event),
            signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
          });
          if (response.ok) continue;
          status = response.status;
        } catch (error) {
          throw new InfrastructureError(
            'LINEAGE_ENDPOINT_UNREACHABLE',
            'OpenLineage endpoint could not be reached',
            { cause: error },
          );
        }
        throw new InfrastructureError(
          'LINEAGE_ENDPOINT_REFUSED',
          `OpenLineage endpoint answered HTTP ${status}, expected 2xx`,
        );
      }
    },
  };
}

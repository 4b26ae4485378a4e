import {
  afterFailure,
  afterSuccess,
  breakerStatus,
  CLOSED_BREAKER,
  type BreakerPolicy,
  type BreakerState,
} from '../../../domain/operations/circuit-breaker.js';
import type { RunEvent } from '../../../domain/lineage/openlineage-event.js';
import type { Clock } from '../../ports/clock.port.js';
import type { LineageTransport } from '../../ports/lineage-transport.port.js';
import type { Logger } from '../../ports/logger.port.js';

/** How the endpoint is spared and the activities protected (docs/lineage.md § Where they go). */
export interface LineageDeliveryPolicy {
  /** Events waiting to be posted at most; an event arriving at a full queue is dropped (counted). */
  readonly maxQueued: number;
  /** Failures in a row that open the circuit, and how long it stays open before one trial post. */
  readonly breaker: BreakerPolicy;
}

export const DEFAULT_LINEAGE_DELIVERY_POLICY: LineageDeliveryPolicy = {
  maxQueued: 500,
  breaker: { failureThreshold: 3, windowSeconds: 600, coolDownSeconds: 60 },
};

/** What a delivery did so far (diagnostics and tests). */
export interface LineageDeliveryCounts {
  readonly posted: number;
  readonly failed: number;
  /** Dropped because the queue was full. */
  readonly droppedQueueFull: number;
  /** Dropped without a post because the circuit was open. */
  readonly droppedCircuitOpen: number;
  readonly queued: number;
}

/**
 * Posts run events to the OpenLineage endpoint behind the activities' backs: `send` only queues
 * (it never waits for the network, so an endpoint that is slow or never answers cannot delay an
 * activity), one post at a time in arrival order (a START before its COMPLETE). The queue is
 * bounded; after `breaker.failureThreshold` failures in a row the circuit opens and queued and new
 * events are dropped without a post for `coolDownSeconds`, then one trial post decides (the
 * breaker of shared/domain/operations/circuit-breaker.ts, held in memory: it protects this process).
 * Dropped events are still in the lake (runWithLineage writes them there first or regardless).
 * Failures are logged by code only, once per failure while closed and once when the circuit opens.
 */
export class LineageDelivery implements LineageTransport {
  private readonly queue: RunEvent[] = [];
  private breaker: BreakerState = CLOSED_BREAKER;
  private draining: Promise<void> | null = null;
  private counts = { posted: 0, failed: 0, droppedQueueFull: 0, droppedCircuitOpen: 0 };

  constructor(
    private readonly endpoint: LineageTransport,
    private readonly deps: { readonly clock: Clock; readonly logger: Logger },
    private readonly policy: LineageDeliveryPolicy = DEFAULT_LINEAGE_DELIVERY_POLICY,
  ) {}

  /** Queues the events and returns at once; never throws, never waits for the endpoint. */
  send(events: readonly RunEvent[]): Promise<void> {
    for (const event of events) {
      if (this.queue.length >= this.policy.maxQueued) this.counts.droppedQueueFull++;
      else this.queue.push(event);
    }
    // Started on a later turn of the event loop: not even the first post's setup runs in the activity's turn.
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.draining = null;
      });
    return Promise.resolve();
  }

  /** Resolves once every queued event was posted or dropped (tests; a host shutting down). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  deliveryCounts(): LineageDeliveryCounts {
    return { ...this.counts, queued: this.queue.length };
  }

  private async drain(): Promise<void> {
    for (let event = this.queue.shift(); event; event = this.queue.shift()) {
      const now = this.deps.clock.now();
      if (breakerStatus(this.breaker, now, this.policy.breaker) === 'open') {
        this.counts.droppedCircuitOpen++;
        continue;
      }
      try {
        await this.endpoint.send([event]);
        this.counts.posted++;
        this.breaker = afterSuccess();
      } catch (error) {
        this.counts.failed++;
        const code = codeOf(error);
        const wasOpen = this.breaker.status === 'open';
        this.breaker = afterFailure(this.breaker, this.deps.clock.now(), code, this.policy.breaker);
        if (this.breaker.status === 'open')
          this.deps.logger.warn('lineage endpoint failing: posts paused, events kept in the lake only', {
            code,
            consecutiveFailures: this.breaker.consecutiveFailures,
            pausedSeconds: this.policy.breaker.coolDownSeconds,
            reopened: wasOpen,
          });
        else
          this.deps.logger.warn('lineage events not delivered to the endpoint', {
            code,
            eventType: event.eventType,
          });
      }
    }
  }
}

function codeOf(failure: unknown): string {
  const code = (failure as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? code : 'UNEXPECTED';
}

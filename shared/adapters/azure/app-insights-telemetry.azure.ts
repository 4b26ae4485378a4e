import type { Telemetry } from '../../application/ports/telemetry.port.js';

/** The narrow part of `applicationinsights`' TelemetryClient this adapter uses. */
export interface TelemetryClientLike {
  trackMetric(t: { name: string; value: number; properties?: Record<string, string> }): void;
  trackEvent(t: {
    name: string;
    properties?: Record<string, string>;
    measurements?: Record<string, number>;
  }): void;
  trackException(t: { exception: Error; properties?: Record<string, string> }): void;
  flush(): Promise<void> | void;
}

/**
 * Telemetry to Application Insights: custom metrics and events that the alert rules in
 * infra/app/alerts.bicep query (`nhsflows.batch.failed`, `nhsflows.cdc.massDeleteGuard`, ...).
 * Properties are ids, counts and codes; never patient identifiers.
 */
export class AppInsightsTelemetry implements Telemetry {
  constructor(private readonly client: TelemetryClientLike) {}

  static async fromConnectionString(connectionString: string): Promise<AppInsightsTelemetry> {
    const ai = await import('applicationinsights');
    const client = new ai.TelemetryClient(connectionString);
    return new AppInsightsTelemetry(client);
  }

  metric(name: string, value: number, properties?: Readonly<Record<string, string>>): void {
    this.client.trackMetric({ name, value, properties: properties ? { ...properties } : undefined });
  }

  event(
    name: string,
    properties?: Readonly<Record<string, string>>,
    measurements?: Readonly<Record<string, number>>,
  ): void {
    this.client.trackEvent({
      name,
      properties: properties ? { ...properties } : undefined,
      measurements: measurements ? { ...measurements } : undefined,
    });
  }

  exception(error: Error, properties?: Readonly<Record<string, string>>): void {
    this.client.trackException({ exception: error, properties: properties ? { ...properties } : undefined });
  }

  async flush(): Promise<void> {
    await this.client.flush();
  }
}

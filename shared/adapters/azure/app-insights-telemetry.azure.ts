import type { TokenCredential } from '@azure/identity';
import type { TelemetryClient } from 'applicationinsights';
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
 * infra/app/alerts.bicep query (`nhsflows.batch.failed`, `CaptureMassDeleteGuard`, `nhsflows.capture.freshnessSeconds`,
 * `nhsflows.function.failed`, ...; docs/operations.md). Metric properties become `customDimensions`.
 * Properties are ids, counts and codes; never patient identifiers.
 */
export class AppInsightsTelemetry implements Telemetry {
  constructor(private readonly client: TelemetryClientLike) {}

  /**
   * With a credential, telemetry is sent with Entra ID tokens (the component has local auth disabled;
   * the identity holds Monitoring Metrics Publisher on it). Without one, the connection string's key.
   */
  static async fromConnectionString(
    connectionString: string,
    credential?: TokenCredential,
  ): Promise<AppInsightsTelemetry> {
    return new AppInsightsTelemetry(await telemetryClientFor(connectionString, credential));
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

/**
 * The v3 TelemetryClient for a connection string. The credential goes on its config before the first
 * track call initialises the exporter (the shim passes `aadTokenCredential` to
 * `azureMonitorExporterOptions.credential`).
 */
export async function telemetryClientFor(
  connectionString: string,
  credential?: TokenCredential,
): Promise<TelemetryClient> {
  const ai = await import('applicationinsights');
  const client = new ai.TelemetryClient(connectionString);
  if (credential) client.config.aadTokenCredential = credential;
  return client;
}

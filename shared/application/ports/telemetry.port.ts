/**
 * Metrics and events for Azure Monitor (App Insights on Azure; a local summary otherwise).
 * Properties carry ids, counts and codes only: never patient identifiers.
 */
export interface Telemetry {
  metric(name: string, value: number, properties?: Readonly<Record<string, string>>): void;
  event(
    name: string,
    properties?: Readonly<Record<string, string>>,
    measurements?: Readonly<Record<string, number>>,
  ): void;
  exception(error: Error, properties?: Readonly<Record<string, string>>): void;
  flush(): Promise<void>;
}

/** Telemetry kept in memory: what the local runner summarises and tests assert on. */
export function memoryTelemetry(): Telemetry & {
  metrics: { name: string; value: number; properties: Record<string, string> }[];
  events: { name: string; properties: Record<string, string>; measurements: Record<string, number> }[];
  exceptions: { message: string; properties: Record<string, string> }[];
} {
  const metrics: { name: string; value: number; properties: Record<string, string> }[] = [];
  const events: { name: string; properties: Record<string, string>; measurements: Record<string, number> }[] =
    [];
  const exceptions: { message: string; properties: Record<string, string> }[] = [];
  return {
    metrics,
    events,
    exceptions,
    metric: (name, value, properties = {}) => metrics.push({ name, value, properties: { ...properties } }),
    event: (name, properties = {}, measurements = {}) =>
      events.push({ name, properties: { ...properties }, measurements: { ...measurements } }),
    exception: (error, properties = {}) =>
      exceptions.push({ message: error.message, properties: { ...properties } }),
    flush: async () => undefined,
  };
}

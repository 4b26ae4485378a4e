/** Types of subscribe-landing-events.mjs (the azd postdeploy hook), for its tests. */
export interface HookEnvironment {
  readonly AZURE_SUBSCRIPTION_ID?: string;
  readonly AZURE_RESOURCE_GROUP?: string;
  readonly AZURE_FUNCTION_APP_NAME?: string;
  readonly NHSFLOWS_LAKE_EVENTS_TOPIC?: string;
  readonly NHSFLOWS_LAKE_ACCOUNT_ID?: string;
  readonly [name: string]: string | undefined;
}
export const LANDING_FUNCTION: string;
export const LANDING_SUBSCRIPTION: {
  readonly name: string;
  readonly container: string;
  readonly eventType: string;
  readonly apis: readonly string[];
  readonly maxDeliveryAttempts: number;
  readonly eventTtlMinutes: number;
  readonly deadLetterContainer: string;
};
export function functionResourceId(env: HookEnvironment): string;
export function subscriptionArgs(env: HookEnvironment): string[];
export function subscribeLandingEvents(
  env: HookEnvironment,
  options?: { attempts?: number; delayMs?: number; log?: (line: string) => void; command?: string },
): Promise<number>;

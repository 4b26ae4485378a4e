/** Types of subscribe-landing-events.mjs (the azd postdeploy hook), for its tests. */
export interface HookEnvironment {
  readonly AZURE_RESOURCE_GROUP?: string;
  readonly AZURE_FUNCTION_APP_NAME?: string;
  readonly AZURE_FUNCTION_APP_HOSTNAME?: string;
  readonly NHSFLOWS_LAKE_EVENTS_TOPIC?: string;
  readonly [name: string]: string | undefined;
}
export const LANDING_FUNCTION: string;
export const LANDING_CONTAINER: string;
export const SUBSCRIPTION_NAME: string;
export function blobWebhookUrl(hostName: string, functionName: string, key: string): string;
export function keyQueryArgs(env: HookEnvironment): string[];
export function subscriptionArgs(env: HookEnvironment, endpoint: string): string[];
export function subscribeLandingEvents(
  env: HookEnvironment,
  options?: { attempts?: number; delayMs?: number; log?: (line: string) => void; command?: string },
): Promise<number>;

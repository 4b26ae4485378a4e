#!/usr/bin/env node
// azd postdeploy hook: subscribes the landing function to the lake's BlobCreated events.
//
// landingFile (functions/landing-file.function.ts) is an Event Grid trigger: it is handed the event,
// not the blob, and streams the file from the lake itself. Event Grid delivers to it as an
// `azurefunction` endpoint (the function's resource id; no key to handle), which Event Grid checks
// exists when the subscription is made, so this runs after code deploy (azure.yaml
// `hooks.postdeploy`), not in Bicep. infra/ creates the system topic on the lake with its own
// identity, allowed to write the dead-letter container (storage.bicep `lakeEvents`); this creates or
// updates the subscription, retrying while the freshly deployed function is not yet listed.
//
// Reads azd's environment (the outputs of infra/main.bicep, and azd's own AZURE_SUBSCRIPTION_ID):
// AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME, NHSFLOWS_LAKE_EVENTS_TOPIC,
// NHSFLOWS_LAKE_ACCOUNT_ID. Uses the Azure CLI (`az`) as the signed-in operator.
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

// The subscription, as shared/domain/landing/landing-event.ts LANDING_EVENT_SUBSCRIPTION declares it
// (tests/unit/deploy-readiness/post-deploy.test.ts holds the two equal).
export const LANDING_FUNCTION = 'landingFile';
export const LANDING_SUBSCRIPTION = {
  name: 'landing-blob-created',
  container: 'landing',
  eventType: 'Microsoft.Storage.BlobCreated',
  apis: ['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose'],
  maxDeliveryAttempts: 5,
  eventTtlMinutes: 1440,
  deadLetterContainer: 'landing-deadletter',
};

/** The landing function's resource id: Event Grid's `azurefunction` endpoint. */
export function functionResourceId(env) {
  return `/subscriptions/${env.AZURE_SUBSCRIPTION_ID}/resourceGroups/${env.AZURE_RESOURCE_GROUP}/providers/Microsoft.Web/sites/${env.AZURE_FUNCTION_APP_NAME}/functions/${LANDING_FUNCTION}`;
}

/** `az` arguments creating (or updating) the BlobCreated subscription on landing/ to the function. */
export function subscriptionArgs(env) {
  const s = LANDING_SUBSCRIPTION;
  return [
    'eventgrid',
    'system-topic',
    'event-subscription',
    'create',
    '--resource-group',
    env.AZURE_RESOURCE_GROUP,
    '--system-topic-name',
    env.NHSFLOWS_LAKE_EVENTS_TOPIC,
    '--name',
    s.name,
    '--endpoint-type',
    'azurefunction',
    '--endpoint',
    functionResourceId(env),
    '--included-event-types',
    s.eventType,
    '--subject-begins-with',
    `/blobServices/default/containers/${s.container}/blobs/`,
    // A Data Lake CreateFile also raises BlobCreated, for an empty file: only whole blobs are sent.
    '--advanced-filter',
    'data.api',
    'StringIn',
    ...s.apis,
    '--event-delivery-schema',
    'eventgridschema',
    '--max-delivery-attempts',
    String(s.maxDeliveryAttempts),
    '--event-ttl',
    String(s.eventTtlMinutes),
    // Undeliverable events go to the lake, where the landing sweep replays them (docs/landing.md).
    '--deadletter-identity',
    'systemassigned',
    '--deadletter-identity-endpoint',
    `${env.NHSFLOWS_LAKE_ACCOUNT_ID}/blobServices/default/containers/${s.deadLetterContainer}`,
  ];
}

const required = [
  'AZURE_SUBSCRIPTION_ID',
  'AZURE_RESOURCE_GROUP',
  'AZURE_FUNCTION_APP_NAME',
  'NHSFLOWS_LAKE_EVENTS_TOPIC',
  'NHSFLOWS_LAKE_ACCOUNT_ID',
];

// On Windows `az` is a .cmd script, which runs only through the shell: quote what cmd would split.
const onWindows = process.platform === 'win32';
const quoteForCmd = (arg) => (/[\s&|<>^"]/.test(arg) ? `"${arg.replace(/"/g, '""')}"` : arg);

function az(args, { az: command = 'az' } = {}) {
  const result = spawnSync(command, onWindows ? args.map(quoteForCmd) : args, {
    encoding: 'utf8',
    shell: onWindows,
  });
  return {
    status: result.status ?? 1,
    stdout: (result.stdout ?? '').trim(),
    stderr: (result.stderr ?? '').trim(),
  };
}

/**
 * Creates the subscription, retrying while Event Grid cannot yet see the deployed function (the
 * host may still be starting after deploy). Returns the process exit code; writes progress to `log`.
 */
export async function subscribeLandingEvents(
  env,
  { attempts = 20, delayMs = 15_000, log = console.log, command } = {},
) {
  const missing = required.filter((k) => !env[k]);
  if (missing.length > 0) {
    log(
      `subscribe-landing-events: missing ${missing.join(', ')} (run through azd, or set them from the deployment outputs)`,
    );
    return 2;
  }
  let last = '';
  for (let i = 1; i <= attempts; i += 1) {
    const r = az(subscriptionArgs(env), { az: command });
    if (r.status === 0) {
      log(
        `subscribe-landing-events: ${LANDING_SUBSCRIPTION.name} on ${env.NHSFLOWS_LAKE_EVENTS_TOPIC} → ${LANDING_FUNCTION} (BlobCreated under ${LANDING_SUBSCRIPTION.container}/, dead letters to ${LANDING_SUBSCRIPTION.deadLetterContainer}/)`,
      );
      return 0;
    }
    last = r.stderr.split('\n').slice(-3).join(' ');
    if (i < attempts) {
      log(
        `subscribe-landing-events: ${LANDING_FUNCTION} on ${env.AZURE_FUNCTION_APP_NAME} not subscribable yet (az exit ${r.status}; ${i}/${attempts})`,
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
  log(
    `subscribe-landing-events: creating ${LANDING_SUBSCRIPTION.name} failed after ${attempts} attempts: ${last} (is ${LANDING_FUNCTION} deployed and the host running? docs/deploy.md)`,
  );
  return 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await subscribeLandingEvents(process.env);
}

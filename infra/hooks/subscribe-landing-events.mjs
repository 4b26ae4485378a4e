#!/usr/bin/env node
// azd postdeploy hook: subscribes the landing blob trigger to the lake's BlobCreated events.
//
// landingFile (functions/landing-file.function.ts) is a blob trigger with `source: 'EventGrid'`: the
// Blob extension does not poll, it waits for Event Grid to POST to its webhook
//   https://<app host>/runtime/webhooks/blobs?functionName=Host.Functions.<function>&code=<blobs_extension key>
// The key is a system key that exists only once the deployed code has started with that trigger, so
// this runs after code deploy (azure.yaml `hooks.postdeploy`), not in Bicep. infra/ creates the
// system topic on the lake (storage.bicep `lakeEvents`); this creates or updates the subscription.
//
// Reads azd's environment (the outputs of infra/main.bicep): AZURE_RESOURCE_GROUP,
// AZURE_FUNCTION_APP_NAME, AZURE_FUNCTION_APP_HOSTNAME, NHSFLOWS_LAKE_EVENTS_TOPIC. Uses the Azure CLI
// (`az`) as the signed-in operator. The key is passed to az, never printed.
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** The trigger this subscription feeds: the function name and container of landing-file.function.ts. */
export const LANDING_FUNCTION = 'landingFile';
export const LANDING_CONTAINER = 'landing';
export const SUBSCRIPTION_NAME = 'landing-blob-created';

/** The Blob extension's Event Grid webhook for one function (the key goes in `code`). */
export function blobWebhookUrl(hostName, functionName, key) {
  return `https://${hostName}/runtime/webhooks/blobs?functionName=Host.Functions.${encodeURIComponent(functionName)}&code=${encodeURIComponent(key)}`;
}

/** `az` arguments reading the blobs_extension system key (empty until the host has loaded the trigger). */
export function keyQueryArgs(env) {
  return [
    'functionapp',
    'keys',
    'list',
    '--resource-group',
    env.AZURE_RESOURCE_GROUP,
    '--name',
    env.AZURE_FUNCTION_APP_NAME,
    '--query',
    'systemKeys.blobs_extension',
    '--output',
    'tsv',
  ];
}

/** `az` arguments creating (or updating) the BlobCreated subscription on landing/ to the webhook. */
export function subscriptionArgs(env, endpoint) {
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
    SUBSCRIPTION_NAME,
    '--endpoint-type',
    'webhook',
    '--endpoint',
    endpoint,
    '--included-event-types',
    'Microsoft.Storage.BlobCreated',
    '--subject-begins-with',
    `/blobServices/default/containers/${LANDING_CONTAINER}/blobs/`,
    '--event-delivery-schema',
    'eventgridschema',
    '--max-delivery-attempts',
    '30',
    '--event-ttl',
    '1440',
  ];
}

const required = [
  'AZURE_RESOURCE_GROUP',
  'AZURE_FUNCTION_APP_NAME',
  'AZURE_FUNCTION_APP_HOSTNAME',
  'NHSFLOWS_LAKE_EVENTS_TOPIC',
];

// On Windows `az` is a .cmd script, which runs only through the shell: quote what cmd would split
// (the webhook URL carries `&`).
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
 * Waits for the system key (the host may still be starting after deploy), then creates the
 * subscription. Returns the process exit code; writes progress without the key to `log`.
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
  let key = '';
  for (let i = 1; i <= attempts && !key; i += 1) {
    const r = az(keyQueryArgs(env), { az: command });
    key = r.status === 0 ? r.stdout : '';
    if (!key && i < attempts) {
      log(
        `subscribe-landing-events: waiting for the blobs_extension key of ${env.AZURE_FUNCTION_APP_NAME} (${i}/${attempts})`,
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
  if (!key) {
    log(
      `subscribe-landing-events: no blobs_extension key on ${env.AZURE_FUNCTION_APP_NAME}: is ${LANDING_FUNCTION} deployed and the host running? (docs/deploy.md)`,
    );
    return 1;
  }
  const endpoint = blobWebhookUrl(env.AZURE_FUNCTION_APP_HOSTNAME, LANDING_FUNCTION, key);
  const r = az(subscriptionArgs(env, endpoint), { az: command });
  if (r.status !== 0) {
    log(
      `subscribe-landing-events: creating ${SUBSCRIPTION_NAME} failed (az exit ${r.status}): ${r.stderr.split(key).join('***')}`,
    );
    return 1;
  }
  log(
    `subscribe-landing-events: ${SUBSCRIPTION_NAME} on ${env.NHSFLOWS_LAKE_EVENTS_TOPIC} → ${LANDING_FUNCTION} (BlobCreated under ${LANDING_CONTAINER}/)`,
  );
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await subscribeLandingEvents(process.env);
}

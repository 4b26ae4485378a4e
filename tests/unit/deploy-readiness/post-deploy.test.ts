import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  functionResourceId,
  LANDING_FUNCTION,
  LANDING_SUBSCRIPTION,
  subscribeLandingEvents,
  subscriptionArgs,
} from '../../../infra/hooks/subscribe-landing-events.mjs';
import { LANDING_EVENT_SUBSCRIPTION } from '../../../shared/domain/landing/landing-event.js';
import { FUNCTIONS } from '../../../functions/function-names.js';
import { declarations, stripComments } from './bicep-text.js';

const env = {
  AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
  AZURE_RESOURCE_GROUP: 'rg-nhsflows',
  AZURE_FUNCTION_APP_NAME: 'func-nhsflowsdev-abc',
  NHSFLOWS_LAKE_EVENTS_TOPIC: 'stlakeabc-events',
  NHSFLOWS_LAKE_ACCOUNT_ID:
    '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-nhsflows/providers/Microsoft.Storage/storageAccounts/stlakeabc',
};

/** A stand-in `az` that records its arguments (one JSON line per call) and fails its first `failFirst` calls. */
function fakeAz(failFirst: number): { command: string; calls: () => string[][]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-az-'));
  const log = join(dir, 'calls.ndjson');
  const count = join(dir, 'count');
  writeFileSync(count, '0');
  const script = join(dir, 'az');
  writeFileSync(
    script,
    `#!/usr/bin/env node
const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');
const n = Number(fs.readFileSync(${JSON.stringify(count)}, 'utf8')) + 1;
fs.writeFileSync(${JSON.stringify(count)}, String(n));
if (n <= ${failFirst}) { process.stderr.write('(InvalidRequest) Destination function not found\\n'); process.exit(1); }
`,
  );
  chmodSync(script, 0o755);
  return {
    command: script,
    dir,
    calls: () =>
      readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[]),
  };
}

test("the hook's subscription is the code's: function landingFile, an Event Grid trigger, and the declared subscription", () => {
  assert.equal(LANDING_FUNCTION, FUNCTIONS.landingFile);
  assert.deepEqual(LANDING_SUBSCRIPTION, { ...LANDING_EVENT_SUBSCRIPTION, apis: [...LANDING_EVENT_SUBSCRIPTION.apis] });
  const registration = readFileSync('functions/landing-file.function.ts', 'utf8');
  assert.match(registration, /df\.app\.client\.eventGrid\(FUNCTIONS\.landingFile/);
});

test('the subscription delivers whole landing blobs to the function and dead-letters to the lake', () => {
  const args = subscriptionArgs(env);
  const value = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
  assert.equal(value('--endpoint-type'), 'azurefunction');
  assert.equal(
    value('--endpoint'),
    `/subscriptions/${env.AZURE_SUBSCRIPTION_ID}/resourceGroups/rg-nhsflows/providers/Microsoft.Web/sites/func-nhsflowsdev-abc/functions/landingFile`,
  );
  assert.equal(functionResourceId(env), value('--endpoint'));
  assert.equal(value('--included-event-types'), 'Microsoft.Storage.BlobCreated');
  assert.equal(value('--subject-begins-with'), '/blobServices/default/containers/landing/blobs/');
  const filter = args.slice(args.indexOf('--advanced-filter') + 1, args.indexOf('--event-delivery-schema'));
  assert.deepEqual(filter, ['data.api', 'StringIn', ...LANDING_EVENT_SUBSCRIPTION.apis]);
  assert.equal(value('--max-delivery-attempts'), String(LANDING_EVENT_SUBSCRIPTION.maxDeliveryAttempts));
  assert.equal(value('--deadletter-identity'), 'systemassigned');
  assert.equal(
    value('--deadletter-identity-endpoint'),
    `${env.NHSFLOWS_LAKE_ACCOUNT_ID}/blobServices/default/containers/landing-deadletter`,
  );
  assert.equal(value('--system-topic-name'), env.NHSFLOWS_LAKE_EVENTS_TOPIC);
});

test('the hook retries while the deployed function is not yet subscribable, then subscribes once', async () => {
  const az = fakeAz(2);
  const lines: string[] = [];
  try {
    const code = await subscribeLandingEvents(env, {
      attempts: 5,
      delayMs: 1,
      log: (l: string) => lines.push(l),
      command: az.command,
    });
    assert.equal(code, 0);
    const calls = az.calls();
    assert.equal(calls.length, 3);
    for (const call of calls)
      assert.equal(call.slice(0, 4).join(' '), 'eventgrid system-topic event-subscription create');
    assert.match(lines.at(-1)!, /landing-blob-created on stlakeabc-events → landingFile/);
  } finally {
    rmSync(az.dir, { recursive: true, force: true });
  }
});

test('failing every attempt, or without its settings, the hook fails (non-zero) and says why', async () => {
  const az = fakeAz(99);
  const lines: string[] = [];
  try {
    assert.equal(
      await subscribeLandingEvents(env, {
        attempts: 2,
        delayMs: 1,
        log: (l: string) => lines.push(l),
        command: az.command,
      }),
      1,
    );
    assert.match(lines.at(-1)!, /failed after 2 attempts: .*Destination function not found/);
    assert.equal(
      await subscribeLandingEvents(
        { ...env, NHSFLOWS_LAKE_ACCOUNT_ID: '' },
        { log: (l: string) => lines.push(l) },
      ),
      2,
    );
    assert.match(lines.at(-1)!, /missing NHSFLOWS_LAKE_ACCOUNT_ID/);
  } finally {
    rmSync(az.dir, { recursive: true, force: true });
  }
});

test('azure.yaml runs the hook after deploy, and main.bicep outputs every variable it reads', () => {
  const yaml = readFileSync('azure.yaml', 'utf8');
  assert.match(
    yaml,
    /^hooks:\n {2}postdeploy:\n(?: {4}.*\n)*? {6}run: node infra\/hooks\/subscribe-landing-events\.mjs/m,
  );
  const main = stripComments(readFileSync('infra/main.bicep', 'utf8'));
  // AZURE_SUBSCRIPTION_ID is azd's own; the rest are the deployment's outputs.
  for (const name of Object.keys(env).filter((n) => n !== 'AZURE_SUBSCRIPTION_ID'))
    assert.match(main, new RegExp(`^output ${name} string = `, 'm'));
  const storage = stripComments(readFileSync('infra/app/storage.bicep', 'utf8'));
  const topic = declarations(storage).find((d) => d.target === 'Microsoft.EventGrid/systemTopics');
  assert.ok(topic, 'storage.bicep declares the system topic');
  assert.match(topic.body, /source: lake\.id/);
  assert.match(topic.body, /topicType: 'Microsoft\.Storage\.StorageAccounts'/);
  assert.match(topic.body, /identity: \{ type: 'SystemAssigned' \}/);
  const deadLetter = declarations(storage).find(
    (d) => d.target === 'Microsoft.Authorization/roleAssignments' && /lakeEvents\.identity\.principalId/.test(d.body),
  );
  assert.ok(deadLetter, "the topic's identity may write the dead-letter container");
  assert.match(deadLetter.body, /scope: containers\[deadLetterIndex\]/);
});

test("Entra ID fronts the app but leaves the Event Grid trigger's webhook and the health probe reachable", () => {
  const app = stripComments(readFileSync('infra/app/function-app.bicep', 'utf8'));
  const auth = declarations(app).find((d) => d.target === 'Microsoft.Web/sites/config');
  assert.ok(auth);
  assert.equal(auth.condition, '!empty(adminApiClientId)');
  assert.match(auth.body, /unauthenticatedClientAction: 'Return401'/);
  assert.match(
    auth.body,
    /excludedPaths: \['\/api\/health', '\/runtime\/webhooks\/eventgrid', '\/api\/v1\/\*'\]/,
  );
  assert.match(auth.body, /allowedPrincipals: \{ groups: \[adminGroupObjectId\] \}/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  blobWebhookUrl,
  LANDING_CONTAINER,
  LANDING_FUNCTION,
  subscribeLandingEvents,
  subscriptionArgs,
} from '../../../infra/hooks/subscribe-landing-events.mjs';
import { FUNCTIONS } from '../../../functions/function-names.js';
import { declarations, stripComments } from './bicep-text.js';

const env = {
  AZURE_RESOURCE_GROUP: 'rg-nhsflows',
  AZURE_FUNCTION_APP_NAME: 'func-nhsflowsdev-abc',
  AZURE_FUNCTION_APP_HOSTNAME: 'func-nhsflowsdev-abc.azurewebsites.net',
  NHSFLOWS_LAKE_EVENTS_TOPIC: 'stlakeabc-events',
};
const KEY = 'k3y/with+chars==';

/** A stand-in `az` that records its arguments (one JSON line per call) and answers the key query. */
function fakeAz(answerKeyAfter: number): { command: string; calls: () => string[][]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-az-'));
  const log = join(dir, 'calls.ndjson');
  const count = join(dir, 'count');
  writeFileSync(count, '0');
  const script = join(dir, 'az');
  writeFileSync(
    script,
    `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
if (args[0] === 'functionapp') {
  const n = Number(fs.readFileSync(${JSON.stringify(count)}, 'utf8')) + 1;
  fs.writeFileSync(${JSON.stringify(count)}, String(n));
  if (n > ${answerKeyAfter}) process.stdout.write(${JSON.stringify(KEY)} + '\\n');
}
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

test("the hook names the code's landing trigger: function landingFile on container landing, Event Grid source", () => {
  assert.equal(LANDING_FUNCTION, FUNCTIONS.landingFile);
  const registration = readFileSync('functions/landing-file.function.ts', 'utf8');
  assert.match(registration, new RegExp(`path: '${LANDING_CONTAINER}/\\{name\\}'`));
  assert.match(registration, /source: 'EventGrid'/);
});

test("the webhook is the Blob extension's endpoint with the function and the blobs_extension key", () => {
  assert.equal(
    blobWebhookUrl('app.azurewebsites.net', 'landingFile', 'a+b/c='),
    'https://app.azurewebsites.net/runtime/webhooks/blobs?functionName=Host.Functions.landingFile&code=a%2Bb%2Fc%3D',
  );
  const args = subscriptionArgs(env, 'https://x');
  const value = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
  assert.equal(value('--included-event-types'), 'Microsoft.Storage.BlobCreated');
  assert.equal(value('--subject-begins-with'), '/blobServices/default/containers/landing/blobs/');
  assert.equal(value('--endpoint-type'), 'webhook');
  assert.equal(value('--system-topic-name'), env.NHSFLOWS_LAKE_EVENTS_TOPIC);
});

test('the hook waits for the key, subscribes once, and never prints the key', async () => {
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
    assert.deepEqual(
      calls.map((c) => c.slice(0, 4).join(' ')),
      [
        'functionapp keys list --resource-group',
        'functionapp keys list --resource-group',
        'functionapp keys list --resource-group',
        'eventgrid system-topic event-subscription create',
      ],
    );
    const create = calls[3]!;
    assert.equal(
      create[create.indexOf('--endpoint') + 1],
      blobWebhookUrl(env.AZURE_FUNCTION_APP_HOSTNAME, 'landingFile', KEY),
    );
    assert.ok(!lines.join('\n').includes(KEY), 'the key is not logged');
  } finally {
    rmSync(az.dir, { recursive: true, force: true });
  }
});

test('without the key after every attempt, or without its settings, the hook fails (non-zero) and says why', async () => {
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
    assert.match(lines.at(-1)!, /no blobs_extension key on func-nhsflowsdev-abc/);
    assert.ok(
      az.calls().every((c) => c[0] === 'functionapp'),
      'no subscription without a key',
    );
    assert.equal(
      await subscribeLandingEvents(
        { ...env, NHSFLOWS_LAKE_EVENTS_TOPIC: '' },
        { log: (l: string) => lines.push(l) },
      ),
      2,
    );
    assert.match(lines.at(-1)!, /missing NHSFLOWS_LAKE_EVENTS_TOPIC/);
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
  for (const name of Object.keys(env)) assert.match(main, new RegExp(`^output ${name} string = `, 'm'));
  const storage = stripComments(readFileSync('infra/app/storage.bicep', 'utf8'));
  const topic = declarations(storage).find((d) => d.target === 'Microsoft.EventGrid/systemTopics');
  assert.ok(topic, 'storage.bicep declares the system topic');
  assert.match(topic.body, /source: lake\.id/);
  assert.match(topic.body, /topicType: 'Microsoft\.Storage\.StorageAccounts'/);
});

test('Entra ID fronts the app but leaves the Event Grid webhook and the health probe reachable', () => {
  const app = stripComments(readFileSync('infra/app/function-app.bicep', 'utf8'));
  const auth = declarations(app).find((d) => d.target === 'Microsoft.Web/sites/config');
  assert.ok(auth);
  assert.equal(auth.condition, '!empty(adminApiClientId)');
  assert.match(auth.body, /unauthenticatedClientAction: 'Return401'/);
  assert.match(
    auth.body,
    /excludedPaths: \['\/api\/health', '\/runtime\/webhooks\/blobs', '\/api\/v1\/\*'\]/,
  );
  assert.match(auth.body, /allowedPrincipals: \{ groups: \[adminGroupObjectId\] \}/);
});

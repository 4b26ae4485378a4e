import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSettings } from '../../../shared/config/settings.schema.js';
import { grants, loadSources, needsOf, plant, roleProblems } from './readiness.js';

const sources = loadSources();
const needs = needsOf(sources, loadSettings({}));

test('every role the code needs is granted at the narrowest scope, and nothing broader', () => {
  assert.deepEqual(roleProblems(sources, needs), []);
});

test('the app identity gets container-scoped Blob Data Contributor on exactly the containers the code uses', () => {
  const containerGrants = grants(sources).filter(
    (g) =>
      g.principal === 'app' && g.scopeType === 'Microsoft.Storage/storageAccounts/blobServices/containers',
  );
  assert.deepEqual(
    [...new Set(containerGrants.flatMap((g) => g.scopeNames))].sort(),
    [...needs.containers].sort(),
  );
});

const planted: { name: string; file: string; change: (t: string) => string; reported: RegExp }[] = [
  {
    name: 'lake roles widened from each container to the account',
    file: 'infra/app/storage.bicep',
    change: (t) => t.replace('scope: containers[i]', 'scope: lake'),
    reported:
      /app gets ba92f5b4-2d11-453d-a403-e96b0029c9fe on Microsoft.Storage\/storageAccounts 'lake', outside the allow-list/,
  },
  {
    name: 'Storage Blob Data Owner granted',
    file: 'infra/app/storage.bicep',
    change: (t) =>
      t.replace(
        "blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'",
        "blobDataContributor: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'",
      ),
    reported: /names role Storage Blob Data Owner .*refused/,
  },
  {
    name: 'Event Hubs namespace Owner instead of hub Sender',
    file: 'infra/app/event-hubs.bicep',
    change: (t) =>
      t.replace(
        "dataSender: '2b629674-e913-4c01-ae53-ef4638d8f975'",
        "dataSender: 'f526a384-b230-433a-b45c-95f59c4a2dec'",
      ),
    reported: /Azure Event Hubs Data Owner/,
  },
  {
    name: 'the receiver role dropped',
    file: 'infra/app/event-hubs.bicep',
    change: (t) =>
      t.replace('for role in [roles.dataSender, roles.dataReceiver]', 'for role in [roles.dataSender]'),
    reported: /the app identity lacks Event Hubs Data Receiver on the hub/,
  },
  {
    name: 'Synapse reading the whole lake',
    file: 'infra/app/synapse.bicep',
    change: (t) => t.replace('scope: gold\n', 'scope: lake\n'),
    reported: /the Synapse identity cannot read the gold container/,
  },
  {
    name: 'Storage Account Contributor on the host account',
    file: 'infra/app/storage.bicep',
    change: (t) =>
      t.replace(
        "tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'",
        "tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'\n  accountContributor: '17d1049b-9a84-46fb-8f53-869881c3d3ab'",
      ),
    reported: /Storage Account Contributor .*refused/,
  },
  {
    name: 'Monitoring Metrics Publisher missing',
    file: 'infra/app/monitoring.bicep',
    change: (t) => t.replace(/resource publisher [\s\S]*?\n\}\n/, ''),
    reported: /lacks Monitoring Metrics Publisher on App Insights/,
  },
];

for (const p of planted)
  test(`the role check reports a planted mismatch: ${p.name}`, () => {
    const problems = roleProblems(plant(sources, p.file, p.change), needs);
    assert.ok(
      problems.some((x) => p.reported.test(x)),
      `expected a problem matching ${p.reported}, got ${JSON.stringify(problems)}`,
    );
  });

test('a container the code starts using without a role is reported', () => {
  const problems = roleProblems(sources, { ...needs, containers: [...needs.containers, 'exports'] });
  assert.deepEqual(problems, ["the app identity has no Blob Data Contributor on container 'exports'"]);
});

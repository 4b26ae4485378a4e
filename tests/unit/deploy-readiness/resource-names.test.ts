import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSettings } from '../../../shared/config/settings.schema.js';
import { LAKE_CONTAINERS } from '../../../shared/domain/lake/lake-paths.js';
import { loadSources, needsOf, plant, resourceNameProblems } from './readiness.js';

const sources = loadSources();
const defaults = loadSettings({});

test('every container, table, queue, hub and consumer group the code uses exists in Bicep', () => {
  const needs = needsOf(sources, defaults);
  for (const c of [...LAKE_CONTAINERS, 'identity', 'cdc-state']) assert.ok(needs.containers.includes(c), c);
  assert.ok(needs.tables.includes('nhsflowsbatches'));
  assert.ok(needs.queues.includes(defaults.NHSFLOWS_POISON_QUEUE));
  assert.deepEqual(resourceNameProblems(sources, needs), []);
});

const planted: { name: string; file: string; change: (t: string) => string; reported: RegExp }[] = [
  {
    name: 'a container renamed in Bicep',
    file: 'infra/app/storage.bicep',
    change: (t) => t.replace("  'quarantine'\n", "  'quarantined'\n"),
    reported: /container 'quarantine' is used by the code but no Bicep creates it/,
  },
  {
    name: 'a container the code adds',
    file: 'shared/domain/lake/lake-paths.ts',
    change: (t) =>
      t.replace(
        'export const LAKE_CONTAINERS',
        "export const EXPORTS_CONTAINER = 'exports';\nexport const LAKE_CONTAINERS",
      ),
    reported: /container 'exports' is used by the code/,
  },
  {
    name: 'a state table dropped from Bicep',
    file: 'infra/app/storage.bicep',
    change: (t) => t.replace("  'cdcstate'\n", ''),
    reported: /table 'cdcstate' is used by the code but no Bicep creates it/,
  },
  {
    name: 'the poison queue renamed',
    file: 'infra/app/storage.bicep',
    change: (t) => t.replace("  'nhs-flows-batches-poison'\n", "  'nhs-flows-poison'\n"),
    reported: /queue 'nhs-flows-batches-poison' is used by the code/,
  },
  {
    name: 'a consumer group the registration reads',
    file: 'functions/cdc-consumer.function.ts',
    change: (t) => t.replace("consumerGroup: '$Default'", "consumerGroup: 'nhs-flows'"),
    reported: /consumerGroup 'nhs-flows' is used by the code but no Bicep creates it/,
  },
  {
    name: 'the hub renamed in main.bicep',
    file: 'infra/main.bicep',
    change: (t) => t.replace("hubName: 'nhs-flows-cdc'", "hubName: 'cdc'"),
    reported: /hub 'nhs-flows-cdc' is used by the code/,
  },
  {
    name: 'the deployment container removed',
    file: 'infra/app/storage.bicep',
    change: (t) =>
      t.replace("var deploymentContainer = 'deployments'", "var deploymentContainer = 'packages'"),
    reported: /container 'deployments' \(Flex Consumption's package container\) is not created/,
  },
];

for (const p of planted)
  test(`the resource-name check reports a planted mismatch: ${p.name}`, () => {
    const s = plant(sources, p.file, p.change);
    const problems = resourceNameProblems(s, needsOf(s, defaults));
    assert.ok(
      problems.some((x) => p.reported.test(x)),
      `expected a problem matching ${p.reported}, got ${JSON.stringify(problems)}`,
    );
  });

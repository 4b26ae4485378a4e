import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSettings, settingKeys } from '../../../shared/config/settings.schema.js';
import { ConfigError } from '../../../shared/domain/errors.js';
import { bicepEnvironment, loadSources, plant, settingProblems } from './readiness.js';

const sources = loadSources();
const APP = 'infra/app/function-app.bicep';

test('every setting the code reads on Azure is set by function-app.bicep, and it sets nothing unknown', () => {
  assert.deepEqual(settingProblems(sources, settingKeys()), []);
});

test("the Function App's settings, as Bicep writes them, pass the schema in azure mode", () => {
  const settings = loadSettings(bicepEnvironment(sources));
  assert.equal(settings.NHSFLOWS_MODE, 'azure');
  assert.equal(settings.NHSFLOWS_WAREHOUSE_KIND, 'synapse');
  assert.equal(settings.NHSFLOWS_EVENTS_KIND, 'eventhubs');
  assert.equal(settings.NHSFLOWS_SOURCE_KIND, 'mssql');
});

const planted: { name: string; file: string; change: (t: string) => string; reported: RegExp }[] = [
  {
    name: 'a schema setting removed from Bicep',
    file: APP,
    change: (t) => t.replace(/^.*name: 'NHSFLOWS_POISON_QUEUE'.*\n/m, ''),
    reported: /app setting NHSFLOWS_POISON_QUEUE \(read by the settings schema; .*\) is not set/,
  },
  {
    name: "a trigger connection's identity setting removed",
    file: APP,
    change: (t) => t.replace(/^.*name: 'NHSFLOWS_EVENTHUB__credential'.*\n/m, ''),
    reported: /NHSFLOWS_EVENTHUB__credential \(identity-based connection of a eventHub trigger\)/,
  },
  {
    name: 'the host storage identity setting removed',
    file: APP,
    change: (t) => t.replace(/^.*name: 'AzureWebJobsStorage__accountName'.*\n/m, ''),
    reported: /AzureWebJobsStorage__accountName \(host storage, identity-based\)/,
  },
  {
    name: 'a %setting% host.json reads removed',
    file: APP,
    change: (t) => t.replace(/^.*name: 'NHSFLOWS_TASK_HUB'.*\n/m, ''),
    reported: /NHSFLOWS_TASK_HUB \(referenced as %…% by host.json or a registration\)/,
  },
  {
    name: 'a setting no code reads added to Bicep',
    file: APP,
    change: (t) =>
      t.replace(
        "{ name: 'NHSFLOWS_MODE', value: 'azure' }",
        "{ name: 'NHSFLOWS_MODE', value: 'azure' }\n        { name: 'NHSFLOWS_CHUNK_SIZ', value: '1' }",
      ),
    reported: /function-app.bicep sets NHSFLOWS_CHUNK_SIZ, which no code reads/,
  },
  {
    name: 'the embedded warehouse chosen on Azure',
    file: APP,
    change: (t) =>
      t.replace(
        "{ name: 'NHSFLOWS_WAREHOUSE_KIND', value: 'synapse' }",
        "{ name: 'NHSFLOWS_WAREHOUSE_KIND', value: 'duckdb' }",
      ),
    reported: /NHSFLOWS_WAREHOUSE_KIND is not 'synapse'/,
  },
  {
    name: 'a new connection used by a registration',
    file: 'functions/function-names.ts',
    change: (t) => t.replace("eventHub: 'NHSFLOWS_EVENTHUB'", "eventHub: 'NHSFLOWS_EVENTS'"),
    reported: /NHSFLOWS_EVENTS__fullyQualifiedNamespace .* is not set/,
  },
];

for (const p of planted)
  test(`the settings check reports a planted mismatch: ${p.name}`, () => {
    const problems = settingProblems(plant(sources, p.file, p.change), settingKeys());
    assert.ok(
      problems.some((x) => p.reported.test(x)),
      `expected a problem matching ${p.reported}, got ${JSON.stringify(problems)}`,
    );
  });

test('a schema setting added without a Bicep value or a reason is reported', () => {
  const problems = settingProblems(sources, [...settingKeys(), 'NHSFLOWS_NEW_THING']);
  assert.deepEqual(problems, [
    'app setting NHSFLOWS_NEW_THING (read by the settings schema; or list it in NOT_SET_ON_AZURE, deploy-readiness/readiness.ts, with why) is not set by function-app.bicep',
  ]);
});

test('azure mode refuses the embedded DuckDB warehouse at startup with a coded configuration error', () => {
  const env = { ...bicepEnvironment(sources), NHSFLOWS_WAREHOUSE_KIND: 'duckdb' };
  assert.throws(
    () => loadSettings(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.match(
        error.message,
        /NHSFLOWS_WAREHOUSE_KIND: expected 'synapse' in azure mode \(a shared dedicated SQL pool\), received 'duckdb': the embedded DuckDB warehouse is local only/,
      );
      return true;
    },
  );
  const unset: Record<string, string> = { ...env };
  delete unset.NHSFLOWS_WAREHOUSE_KIND;
  assert.throws(
    () => loadSettings(unset),
    /received 'duckdb'/,
    'the default (duckdb) is refused in azure mode too',
  );
  assert.equal(
    loadSettings({ NHSFLOWS_WAREHOUSE_KIND: 'duckdb' }).NHSFLOWS_WAREHOUSE_KIND,
    'duckdb',
    'local mode keeps it',
  );
});

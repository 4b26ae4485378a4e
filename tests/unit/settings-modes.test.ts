import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  loadLocalSettings,
  loadSettings,
  settingKeys,
  unknownSettings,
} from '../../shared/config/settings.schema.js';
import { ConfigError } from '../../shared/domain/errors.js';

// Issue 10 item 8: one schema checks every setting, parsed into a shape per mode; unknown
// NHSFLOWS_* keys are reported by name with the closest known key, never with their value.

const azure = {
  NHSFLOWS_MODE: 'azure',
  NHSFLOWS_LAKE_ACCOUNT_URL: 'https://lake.blob.core.windows.net',
  NHSFLOWS_STATE_TABLE_URL: 'https://lake.table.core.windows.net',
  NHSFLOWS_KEYVAULT_URL: 'https://kv.vault.azure.net',
  NHSFLOWS_WAREHOUSE_KIND: 'synapse',
  NHSFLOWS_SYNAPSE_GOLD_URL: 'abfss://gold@lake.dfs.core.windows.net',
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadSettings(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

test('local mode has the local runner settings with their defaults', () => {
  const s = loadSettings({});
  assert.equal(s.NHSFLOWS_MODE, 'local');
  if (s.NHSFLOWS_MODE !== 'local') return;
  assert.equal(s.NHSFLOWS_AZURITE_BLOB_PORT, 0);
  assert.equal(s.NHSFLOWS_LOCAL_ACTIVITY_WORKERS, 2);
  assert.equal(s.NHSFLOWS_SEED, 42);
});

test('azure mode has Key Vault, Synapse and the gold URL, and no local-only setting even when one is set', () => {
  const s = loadSettings({ ...azure, NHSFLOWS_LOCAL_ACTIVITY_WORKERS: '4', NHSFLOWS_SEED: '7' });
  assert.equal(s.NHSFLOWS_MODE, 'azure');
  if (s.NHSFLOWS_MODE !== 'azure') return;
  assert.equal(s.NHSFLOWS_KEYVAULT_URL, azure.NHSFLOWS_KEYVAULT_URL);
  assert.equal(s.NHSFLOWS_WAREHOUSE_KIND, 'synapse');
  for (const key of ['NHSFLOWS_LOCAL_ACTIVITY_WORKERS', 'NHSFLOWS_SEED', 'NHSFLOWS_AZURITE_BLOB_PORT'])
    assert.equal(key in s, false, key);
  assert.deepEqual(
    unknownSettings({ ...azure, NHSFLOWS_SEED: '7' }).map((u) => u.message),
    ['setting NHSFLOWS_SEED is read in local mode only; ignored in azure mode'],
  );
});

test('each setting azure mode requires is reported once, together with the others', () => {
  for (const key of [
    'NHSFLOWS_KEYVAULT_URL',
    'NHSFLOWS_SYNAPSE_GOLD_URL',
    'NHSFLOWS_WAREHOUSE_KIND',
  ] as const) {
    const env: Record<string, string> = { ...azure };
    delete env[key];
    const problems = problemsOf(env);
    assert.equal(
      problems.filter((p) => p.startsWith(`${key}:`)).length,
      1,
      `${key}: ${problems.join(' | ')}`,
    );
  }
  const none = problemsOf({ NHSFLOWS_MODE: 'azure' });
  for (const key of [
    'NHSFLOWS_LAKE_ACCOUNT_URL',
    'NHSFLOWS_STATE_TABLE_URL',
    'NHSFLOWS_KEYVAULT_URL',
    'NHSFLOWS_WAREHOUSE_KIND',
  ])
    assert.equal(none.filter((p) => p.startsWith(`${key}:`)).length, 1, key);
});

test('an unknown mode is refused by name', () => {
  assert.match(problemsOf({ NHSFLOWS_MODE: 'cloud' }).join('\n'), /NHSFLOWS_MODE/);
});

test('the local runner refuses azure settings', () => {
  assert.throws(() => loadLocalSettings(azure), /NHSFLOWS_MODE: expected 'local' for the local runner/);
});

test('the CDC table list is checked by the schema: an unknown table is named, known ones pass', () => {
  assert.doesNotThrow(() => loadSettings({ NHSFLOWS_CDC_TABLES: 'sus_apc_episode, prescribing_item' }));
  const problems = problemsOf({ NHSFLOWS_CDC_TABLES: 'sus_apc_episode,sus_apc_episod' });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^NHSFLOWS_CDC_TABLES: names unknown tables: sus_apc_episod \(expected/);
});

test('an unknown NHSFLOWS_* key is reported with the closest known key and never its value', () => {
  const found = unknownSettings({
    NHSFLOWS_MAX_FANOT: 'secret-ish-value-9434765919',
    NHSFLOWS_CHUNKSIZE: '100',
    PATH: '/usr/bin',
    NHSFLOWS_MAX_FANOUT: '10',
  });
  assert.deepEqual(
    found.map((u) => [u.key, u.closest]),
    [
      ['NHSFLOWS_CHUNKSIZE', 'NHSFLOWS_CHUNK_SIZE'],
      ['NHSFLOWS_MAX_FANOT', 'NHSFLOWS_MAX_FANOUT'],
    ],
  );
  assert.equal(
    found[1]?.message,
    'unknown setting NHSFLOWS_MAX_FANOT is ignored; the closest known setting is NHSFLOWS_MAX_FANOUT',
  );
  assert.ok(found.every((u) => !JSON.stringify(u).includes('9434765919')));
});

test('names read by the host, the local secret store, azd and the tests are not reported', () => {
  assert.deepEqual(
    unknownSettings({
      NHSFLOWS_TASK_HUB: 'nhsflows',
      NHSFLOWS_LAKE__blobServiceUri: 'https://x',
      NHSFLOWS_EVENTHUB: 'Endpoint=sb://x',
      NHSFLOWS_SECRET_PSEUDONYMISATION_MASTER_KEY: 'k',
      NHSFLOWS_LAKE_EVENTS_TOPIC: 't',
      NHSFLOWS_TEST_AZURITE: 'c',
    }),
    [],
  );
});

test('every NHSFLOWS_* name the code or host.json mentions is a setting of the schema or read elsewhere', () => {
  const root = join(import.meta.dirname, '..', '..');
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = join(dir, name);
      // The schema itself is what is checked against (its read-elsewhere patterns are not names).
      if (full.endsWith('settings.schema.ts')) return [];
      return statSync(full).isDirectory() ? files(full) : /\.(ts|json)$/.test(name) ? [full] : [];
    });
  const names = new Set<string>();
  for (const file of [
    ...files(join(root, 'functions')),
    ...files(join(root, 'shared')),
    join(root, 'host.json'),
  ])
    for (const m of readFileSync(file, 'utf8').matchAll(/\bNHSFLOWS_[A-Z0-9_]*[A-Z0-9]/g)) names.add(m[0]);
  const known = new Set(settingKeys());
  const unexplained = [...names].filter(
    (n) => !known.has(n) && unknownSettings({ [n]: 'x' }).length > 0 && !n.startsWith('NHSFLOWS_SECRET'),
  );
  assert.deepEqual(unexplained, []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSettings } from '../../shared/config/settings.schema.js';
import { ConfigError } from '../../shared/domain/errors.js';

test('an empty environment gives the embedded local defaults', () => {
  const s = loadSettings({});
  assert.equal(s.NHSFLOWS_MODE, 'local');
  assert.equal(s.NHSFLOWS_SOURCE_KIND, 'embedded');
  assert.equal(s.NHSFLOWS_WAREHOUSE_KIND, 'duckdb');
  assert.ok(Object.isFrozen(s));
});

test('azure mode without lake, state and key vault names each missing setting in one error', () => {
  assert.throws(
    () => loadSettings({ NHSFLOWS_MODE: 'azure', NHSFLOWS_CDC_BATCH_SIZE: 'lots' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const text = error.message;
      for (const key of [
        'NHSFLOWS_CDC_BATCH_SIZE',
        'NHSFLOWS_LAKE_ACCOUNT_URL',
        'NHSFLOWS_STATE_TABLE_URL',
        'NHSFLOWS_KEYVAULT_URL',
      ])
        assert.match(text, new RegExp(key));
      return true;
    },
  );
});

test('local.settings.sample.json lists every setting the app reads', async () => {
  const { readFileSync } = await import('node:fs');
  const { settingKeys } = await import('../../shared/config/settings.schema.js');
  const sample = JSON.parse(readFileSync('local.settings.sample.json', 'utf8')) as { Values: Record<string, string> };
  const missing = settingKeys().filter((k) => !(k in sample.Values));
  assert.deepEqual(missing, []);
});

test("the README's configuration table documents every setting", async () => {
  const { readFileSync } = await import('node:fs');
  const { settingKeys } = await import('../../shared/config/settings.schema.js');
  const readme = readFileSync('README.md', 'utf8');
  assert.deepEqual(
    settingKeys().filter((k) => !readme.includes(`\`${k}\``)),
    [],
  );
});

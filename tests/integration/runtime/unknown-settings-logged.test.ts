import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildServices, routeLogs } from '../../../functions/composition-root.js';
import { testAzurite } from '../../support/azurite.js';

// Issue 10 item 8: building the services from an environment holding a mistyped NHSFLOWS_* key
// logs one warning naming the key and the closest known setting, and never the value.

test('a mistyped setting is logged at start with the closest known setting, never its value', async () => {
  const azurite = await testAzurite();
  const dataDir = await mkdtemp(join(tmpdir(), 'nhsflows-unknown-'));
  const lines: string[] = [];
  const restore = routeLogs({ write: (line) => lines.push(line) });
  try {
    const services = await buildServices({
      NHSFLOWS_DATA_DIR: dataDir,
      NHSFLOWS_LOCAL_SECRETS_FILE: join(dataDir, 'secrets.json'),
      NHSFLOWS_LAKE_CONNECTION: azurite.connectionString,
      NHSFLOWS_STATE_CONNECTION: azurite.connectionString,
      NHSFLOWS_TELEMETRY_DISABLED: 'true',
      NHSFLOWS_CHUNK_SIZ: '9434765919',
    });
    await services.close();
  } finally {
    restore();
    await azurite.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const warnings = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.level === 'warn');
  assert.deepEqual(
    warnings.map((w) => [w.msg, w.setting, w.closest]),
    [
      [
        'unknown setting NHSFLOWS_CHUNK_SIZ is ignored; the closest known setting is NHSFLOWS_CHUNK_SIZE',
        'NHSFLOWS_CHUNK_SIZ',
        'NHSFLOWS_CHUNK_SIZE',
      ],
    ],
  );
  assert.ok(lines.every((l) => !l.includes('9434765919')));
});

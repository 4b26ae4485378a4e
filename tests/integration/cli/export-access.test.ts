import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobObjectStore } from '../../../shared/adapters/azure/blob-object-store.azure.js';
import { systemClock } from '../../../shared/application/ports/clock.port.js';
import { readAudit } from '../../../shared/application/use-cases/audit/audit-trail.js';
import { openLocalEnvironment } from '../../../shared/cli/local-environment.js';
import { runCli } from '../../support/cli-process.js';

// `nhs-flows export` as an operator types it, on a fresh data dir (an empty warehouse: the header
// only): a published mart needs nothing, a restricted table needs --restricted, and that export
// leaves an audit record (read back from the data dir's lake) and says so on stderr.

let dir: string;
let env: NodeJS.ProcessEnv;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nhsflows-export-cli-'));
  env = { ...process.env, NHSFLOWS_DATA_DIR: join(dir, 'data') };
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a published mart is exported without a flag and without an audit record', async () => {
  const run = await runCli(['export', 'pub_activity_trust_month'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(
    run.stdout,
    'provider_code,period,spells_admitted,emergency_spells_admitted,episodes_started,mh_referrals_received,persons,spells_discharged,spell_cost_gbp\n',
  );
  assert.ok(!run.stderr.includes('restricted'), run.stderr);
});

test('a restricted table is refused without --restricted, and with it is exported, audited and logged', async () => {
  const refused = await runCli(['export', 'fact_activity'], env);
  assert.equal(refused.code, 2);
  assert.equal(refused.stdout, '');
  assert.match(
    refused.stderr,
    /^export: fact_activity is restricted \(row-level: .*person_id.*\); pass --restricted/,
  );

  const since = new Date();
  const run = await runCli(['export', 'fact_activity', '--restricted', '--limit', '5'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^activity_id,project,dataset,/);
  const said = /export: fact_activity is restricted: exported under --restricted, audit record (\S+)/.exec(
    run.stderr,
  );
  assert.ok(said, run.stderr);
  assert.match(run.stderr, /restricted table exported/);

  const local = await openLocalEnvironment({ env: { ...env } });
  try {
    const lake = BlobObjectStore.fromConnectionString(local.connectionString);
    const records = await readAudit(
      { since: new Date(since.getTime() - 1000), kind: 'restricted-export' },
      { lake, clock: systemClock },
    );
    assert.equal(records.length, 1, 'one audit record for the one restricted export');
    const [record] = records;
    assert.equal(record?.id, said[1]);
    assert.equal(record?.outcome, 'done');
    assert.match(record?.actor ?? '', /^local:/);
    assert.deepEqual(record?.details, { table: 'fact_activity', limit: 5, via: 'warehouse file' });
  } finally {
    await local.stop();
  }
});

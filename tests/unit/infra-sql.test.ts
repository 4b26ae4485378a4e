import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { loadBatchSql } from '../../shared/domain/warehouse/synapse-sql.js';

const read = (name: string): string => readFileSync(`infra/sql/${name}`, 'utf8');
/** The script without its comment lines: what sqlcmd runs. */
const code = (name: string): string =>
  read(name)
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('--'))
    .join('\n');

test('every post-deploy script is idempotent: each CREATE, ALTER DATABASE and role change is guarded', () => {
  for (const file of readdirSync('infra/sql').filter((f) => f.endsWith('.sql'))) {
    const lines = code(file).split('\n');
    lines.forEach((line, i) => {
      if (/^\s*(CREATE USER|ALTER DATABASE|ALTER TABLE|EXEC sp_addrolemember|CREATE SCHEMA)/.test(line))
        assert.match(
          lines[i - 1] ?? '',
          /^\s*(IF |\s*WHERE )/,
          `${file}: '${line.trim()}' runs only when needed`,
        );
    });
    assert.doesNotMatch(code(file), /PASSWORD\s*=|SECRET\s*=/i, `${file} holds no secret`);
    assert.match(read(file), /^-- nhs-flows/, `${file} says what it is for`);
    assert.match(read(file), /sqlcmd -S tcp:/, `${file} says how to run it`);
  }
});

test('the app user in Synapse gets what COPY INTO and the generated apply need, and no owner right', () => {
  const sql = code('synapse-app-user.sql');
  assert.match(sql, /CREATE USER \[\$\(AppIdentityName\)\] FROM EXTERNAL PROVIDER;/);
  for (const grant of [
    "EXEC sp_addrolemember N'db_datareader', N'$(AppIdentityName)'",
    "EXEC sp_addrolemember N'db_datawriter', N'$(AppIdentityName)'",
    'GRANT ADMINISTER DATABASE BULK OPERATIONS TO [$(AppIdentityName)]',
    'GRANT INSERT TO [$(AppIdentityName)]',
    'GRANT CREATE TABLE TO [$(AppIdentityName)]',
    'GRANT ALTER ON SCHEMA::[gold] TO [$(AppIdentityName)]',
    'GRANT ALTER ON SCHEMA::[staging] TO [$(AppIdentityName)]',
  ])
    assert.ok(sql.includes(grant), grant);
  assert.doesNotMatch(sql, /db_owner|db_ddladmin|CONTROL/);
  // Every schema the generated load touches is one the script creates and grants ALTER on.
  const load = loadBatchSql({
    table: {
      name: 'fact_activity',
      kind: 'fact',
      key: ['k'],
      columns: [{ name: 'k', type: 'string', nullable: false }],
    },
    batchId: 'b1',
    goldUrl: 'https://a/gold',
    files: ['f.parquet'],
  }).join('\n');
  const schemas = new Set([...load.matchAll(/(?:FROM|INTO|TABLE|JOIN) \[(\w+)\]\.\[\w+\]/g)].map((m) => m[1]));
  assert.deepEqual([...schemas].sort(), ['gold', 'staging']);
  for (const schema of schemas) {
    assert.ok(sql.includes(`CREATE SCHEMA [${schema}]`), `schema ${schema} is created`);
    assert.ok(sql.includes(`GRANT ALTER ON SCHEMA::[${schema}]`), `schema ${schema} is granted`);
  }
});

test('the source reader can read and see change tracking, and nothing more', () => {
  const sql = code('source-reader-user.sql');
  const grants = [...sql.matchAll(/^GRANT (.+) ON /gm)].map((m) => m[1]);
  assert.deepEqual(grants, ['SELECT', 'VIEW CHANGE TRACKING']);
  assert.doesNotMatch(sql, /sp_addrolemember|ALTER ROLE|INSERT|UPDATE|DELETE|EXECUTE/);
  assert.match(code('source-enable-snapshot.sql'), /SET ALLOW_SNAPSHOT_ISOLATION ON;/);
  assert.match(code('source-enable-change-tracking.sql'), /ENABLE CHANGE_TRACKING/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MssqlChangeSource,
  describeSourceSqlFailure,
  type MssqlPoolLike,
} from '../../../shared/adapters/azure/mssql-change-source.azure.js';

const SECRET = 'source-sql-connection';
const LOGIN = 'trust_reader';

/** Driver errors as `mssql` / tedious raise them (code, SQL Server message number, message). */
const failures: { name: string; error: Error; code: string; names: RegExp }[] = [
  {
    name: 'connection refused',
    error: Object.assign(
      new Error('Failed to connect to 10.1.2.3:1433 - connect ECONNREFUSED 10.1.2.3:1433'),
      {
        code: 'ESOCKET',
      },
    ),
    code: 'SOURCE_SQL_UNREACHABLE',
    names: /Server=tcp:<host>,<port>/,
  },
  {
    name: 'connect timeout',
    error: Object.assign(new Error('Failed to connect to sqlhost:1433 in 15000ms'), { code: 'ETIMEOUT' }),
    code: 'SOURCE_SQL_UNREACHABLE',
    names: /firewall/,
  },
  {
    name: 'login failed',
    error: Object.assign(new Error(`Login failed for user '${LOGIN}'.`), { code: 'ELOGIN', number: 18456 }),
    code: 'SOURCE_SQL_LOGIN_FAILED',
    names: /User Id \/ Password or Authentication/,
  },
  {
    name: 'table missing',
    error: Object.assign(new Error("Invalid object name 'dbo.ecds_attendance'."), { number: 208 }),
    code: 'SOURCE_TABLE_MISSING',
    names: /NHSFLOWS_CDC_TABLES/,
  },
  {
    name: 'permission denied',
    error: Object.assign(new Error("The SELECT permission was denied on the object 'ecds_attendance'."), {
      number: 229,
    }),
    code: 'SOURCE_SQL_PERMISSION_DENIED',
    names: /SELECT on the source tables/,
  },
  {
    name: 'snapshot isolation off',
    error: Object.assign(new Error('Snapshot isolation transaction failed accessing database'), {
      number: 3952,
    }),
    code: 'SOURCE_SQL_SNAPSHOT_OFF',
    names: /source-enable-snapshot\.sql/,
  },
  {
    name: 'change tracking off',
    error: Object.assign(new Error('Change tracking is not enabled on table'), { number: 4997 }),
    code: 'SOURCE_SQL_CHANGE_TRACKING_OFF',
    names: /NHSFLOWS_SOURCE_MSSQL_CHANGE_TRACKING_TABLES/,
  },
];

test('every source failure kind gets its own code, names the secret or setting to fix, and never a login name', () => {
  for (const f of failures) {
    const described = describeSourceSqlFailure('connect', f.error, SECRET);
    assert.equal(described.code, f.code, f.name);
    assert.match(described.message, f.names, f.name);
    assert.match(described.message, /^sql server source: connect failed: /, f.name);
    assert.equal(described.message.includes(LOGIN), false, `${f.name}: the login name is not repeated`);
    if (f.code === 'SOURCE_SQL_UNREACHABLE' || f.code === 'SOURCE_SQL_LOGIN_FAILED')
      assert.match(described.message, new RegExp(`secret ${SECRET}`), f.name);
  }
  const other = describeSourceSqlFailure('count x', new Error('deadlock victim'), SECRET);
  assert.deepEqual(other, {
    code: 'SOURCE_SQL_FAILED',
    message: 'sql server source: count x failed: deadlock victim',
  });
});

test('a connection string with a bad password fails with the login code and neither the password nor the login in the error', async () => {
  const password = 'Pa55-word-not-real';
  const error = await MssqlChangeSource.connect(
    `Server=tcp:127.0.0.1,1;Database=trust;User Id=${LOGIN};Password=${password}`,
    {},
    { connectionTimeoutMs: 2_000, requestTimeoutMs: 2_000, appName: 'nhs-flows', secretName: SECRET },
  ).then(
    () => assert.fail('nothing listens on port 1'),
    (e: unknown) => e as Error & { code: string },
  );
  assert.equal(error.code, 'SOURCE_SQL_UNREACHABLE');
  assert.match(error.message, new RegExp(`secret ${SECRET}`));
  for (const secret of [password, LOGIN]) assert.equal(error.message.includes(secret), false);
});

test('a table the login cannot see names the table, the secret and NHSFLOWS_CDC_TABLES', async () => {
  const pool: MssqlPoolLike = {
    request: () => ({ input: () => undefined, query: async () => ({ recordsets: [[]], recordset: [] }) }),
    close: async () => undefined,
  };
  const source = new MssqlChangeSource(pool, { secretName: SECRET });
  await assert.rejects(
    source.countRows('csds_referral').then(() => source.describeTable('csds_referral')),
    (e: Error) => {
      assert.match(e.message, /table 'dbo\.csds_referral' does not exist/);
      assert.match(e.message, new RegExp(`secret ${SECRET}`));
      assert.match(e.message, /NHSFLOWS_CDC_TABLES/);
      return true;
    },
  );
});

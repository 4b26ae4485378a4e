import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connectionStringValue,
  mssqlConfig,
  type MssqlConnectionOptions,
} from '../../shared/adapters/azure/mssql-connection.azure.js';
import { ConfigError } from '../../shared/domain/errors.js';

const options: MssqlConnectionOptions = {
  connectionTimeoutMs: 30_000,
  requestTimeoutMs: 1_200_000,
  appName: 'nhs-flows',
  secretName: 'synapse-sql-connection',
};

/** The example docs/warehouse-apply.md § Connection string gives, character for character. */
const DOCUMENTED =
  'Server=tcp:nhsflows-ws.sql.azuresynapse.net,1433;Database=nhsflows_dw;Authentication=Active Directory Default;Encrypt=True';

test('the documented connection string gives a managed-identity config with the settings\u2019 timeouts', () => {
  const config = mssqlConfig(DOCUMENTED, options) as unknown as Record<string, unknown>;
  assert.equal(config.server, 'nhsflows-ws.sql.azuresynapse.net');
  assert.equal(config.port, 1433);
  assert.equal(config.database, 'nhsflows_dw');
  assert.equal(config.authentication_type, 'azure-active-directory-default');
  assert.equal(config.user, undefined);
  assert.equal(config.connectionTimeout, 30_000);
  assert.equal(config.requestTimeout, 1_200_000);
  assert.deepEqual(config.options, { encrypt: true, appName: 'nhs-flows' });
});

test('the documented example is in the docs as the tests read it', async () => {
  const { readFileSync } = await import('node:fs');
  assert.ok(readFileSync('docs/warehouse-apply.md', 'utf8').includes(DOCUMENTED));
});

test('User Id with a managed-identity keyword names the user-assigned identity (client id), not a SQL login', () => {
  const config = mssqlConfig(
    'Server=tcp:src.database.windows.net,1433;Database=sus;Authentication=Active Directory Managed Identity;User Id=0000-client-id',
    options,
  ) as unknown as Record<string, unknown>;
  assert.equal(config.authentication_type, 'azure-active-directory-default');
  assert.equal(config.clientId, '0000-client-id');
  assert.equal(config.user, undefined);
});

test('timeouts in the string are replaced by the settings (one place decides them)', () => {
  const config = mssqlConfig(
    `${DOCUMENTED};Connect Timeout=5;Request Timeout=1000`,
    options,
  ) as unknown as Record<string, unknown>;
  assert.equal(config.connectionTimeout, 30_000);
  assert.equal(config.requestTimeout, 1_200_000);
});

test('a SQL login passes through as mssql reads it', () => {
  const config = mssqlConfig(
    'Server=tcp:src.example.nhs.uk,1433;Database=sus;User Id=nhsflows_reader;Password=not-a-real-one',
    options,
  ) as unknown as Record<string, unknown>;
  assert.equal(config.user, 'nhsflows_reader');
  assert.equal(config.authentication_type, undefined);
});

test('an unknown authentication keyword, a missing server or database is refused naming the secret, never a value', () => {
  assert.throws(
    () =>
      mssqlConfig(
        'Server=tcp:a,1433;Database=d;Authentication=Active Directory Interactive;Password=hunter2',
        options,
      ),
    (e: ConfigError) =>
      e.code === 'CONFIG_INVALID' &&
      e.message.includes(
        "secret synapse-sql-connection: Authentication='active directory interactive' is not supported",
      ) &&
      !e.message.includes('hunter2'),
  );
  assert.throws(
    () => mssqlConfig('Database=d;Authentication=Active Directory Default', options),
    (e: ConfigError) => e.problems.some((p) => p.includes('found no server')),
  );
  assert.throws(
    () => mssqlConfig('Server=tcp:a,1433;Authentication=Active Directory Default', options),
    (e: ConfigError) => e.problems.some((p) => p.includes('found no database')),
  );
});

test('connection string values are read case-insensitively, quoted values unquoted', () => {
  const cs = 'server=a;AUTHENTICATION="Active Directory Default";Password={x;}}y}';
  assert.equal(connectionStringValue(cs, 'Authentication'), 'Active Directory Default');
  assert.equal(connectionStringValue(cs, 'password'), 'x;}y');
  assert.equal(connectionStringValue(cs, 'database'), undefined);
});

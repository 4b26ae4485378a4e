import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { telemetryClientFor } from '../../../shared/adapters/azure/app-insights-telemetry.azure.js';
import { mssqlConfig } from '../../../shared/adapters/azure/mssql-connection.azure.js';
import { stripComments } from './bicep-text.js';

const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }),
};
const connectionString =
  'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.invalid/';

test("the telemetry client's exporter authenticates with the managed identity it is given", async () => {
  const client = await telemetryClientFor(connectionString, credential);
  const options = client.config.parseConfig();
  assert.equal(options.azureMonitorExporterOptions?.credential, credential);
  const keyed = await telemetryClientFor(connectionString);
  assert.equal(keyed.config.parseConfig().azureMonitorExporterOptions?.credential, undefined);
});

test('the composition root gives the telemetry client the same credential as every other Azure client', () => {
  const root = readFileSync('functions/composition-root.ts', 'utf8');
  assert.match(
    root,
    /AppInsightsTelemetry\.fromConnectionString\(\s*settings\.APPLICATIONINSIGHTS_CONNECTION_STRING,\s*credential,\s*\)/,
  );
});

test("the Synapse connection secret Bicep writes is mssql's managed-identity form for the app's identity", () => {
  const main = stripComments(readFileSync('infra/main.bicep', 'utf8'));
  const template = /synapseConnectionString: deploySynapse\s*\?\s*'([^']+)'/.exec(main)?.[1];
  assert.ok(template, 'main.bicep writes the connection string');
  const value = template
    .replace('${synapseName}', 'synw-nhsflowsdev-abc')
    .replace('${identity.outputs.clientId}', '11111111-2222-3333-4444-555555555555');
  assert.doesNotMatch(value, /\$\{/, 'every Bicep hole is filled');
  const config = mssqlConfig(value, {
    connectionTimeoutMs: 30_000,
    requestTimeoutMs: 1_200_000,
    appName: 'nhs-flows',
    secretName: 'synapse-sql-connection',
  }) as unknown as Record<string, unknown>;
  assert.equal(config.server, 'synw-nhsflowsdev-abc.sql.azuresynapse.net');
  assert.equal(config.port, 1433);
  assert.equal(config.authentication_type, 'azure-active-directory-default');
  assert.equal(config.clientId, '11111111-2222-3333-4444-555555555555');
  assert.equal(config.password, undefined);
  const pool =
    /resource pool 'Microsoft\.Synapse\/workspaces\/sqlPools@[^']+' = \{[\s\S]*?name: '(\w+)'/.exec(
      stripComments(readFileSync('infra/app/synapse.bicep', 'utf8')),
    )?.[1];
  assert.equal(config.database, pool, 'the database is the dedicated pool synapse.bicep creates');
});

import type { Settings } from '../shared/config/settings.schema.js';
import type { ChangeSource } from '../shared/application/ports/change-source.port.js';
import type { SecretStore } from '../shared/application/ports/secret-store.port.js';
import { MssqlChangeSource } from '../shared/adapters/azure/mssql-change-source.azure.js';
import type { MssqlConnectionOptions } from '../shared/adapters/azure/mssql-connection.azure.js';

/** Timeouts and the app name both SQL pools connect with (settings, never the connection string). */
export function sqlConnectionOptions(settings: Settings, secretName: string): MssqlConnectionOptions {
  return {
    connectionTimeoutMs: settings.NHSFLOWS_SQL_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: settings.NHSFLOWS_SQL_REQUEST_TIMEOUT_MS,
    appName: 'nhs-flows',
    secretName,
  };
}

/** Opens the SQL Server change source; the connection string comes from the secret store, never a setting. */
export async function openMssqlChangeSource(secrets: SecretStore, settings: Settings): Promise<ChangeSource> {
  const ctTables = (settings.NHSFLOWS_SOURCE_MSSQL_CHANGE_TRACKING_TABLES ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  return MssqlChangeSource.connect(
    await secrets.getSecret(settings.NHSFLOWS_SOURCE_MSSQL_SECRET),
    {
      snapshotIsolation: settings.NHSFLOWS_SOURCE_MSSQL_SNAPSHOT,
      changeTrackingTables: ctTables,
      retry: { attempts: settings.NHSFLOWS_SQL_RETRY_ATTEMPTS },
      secretName: settings.NHSFLOWS_SOURCE_MSSQL_SECRET,
    },
    sqlConnectionOptions(settings, settings.NHSFLOWS_SOURCE_MSSQL_SECRET),
  );
}

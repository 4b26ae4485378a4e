import type { Settings } from '../shared/config/settings.schema.js';
import type { ChangeSource } from '../shared/application/ports/change-source.port.js';
import type { SecretStore } from '../shared/application/ports/secret-store.port.js';

/** Opens the SQL Server change source (connection string from the secret store). */
export async function openMssqlChangeSource(secrets: SecretStore, settings: Settings): Promise<ChangeSource> {
  await secrets.getSecret(settings.NHSFLOWS_SOURCE_MSSQL_SECRET);
  throw new Error('INTERIM: SQL Server change source wiring pending');
}

import type { Settings } from '../shared/config/settings.schema.js';
import type { ChangeSource } from '../shared/application/ports/change-source.port.js';
import type { SecretStore } from '../shared/application/ports/secret-store.port.js';
import { MssqlChangeSource } from '../shared/adapters/azure/mssql-change-source.azure.js';

/** Opens the SQL Server change source; the connection string comes from the secret store, never a setting. */
export async function openMssqlChangeSource(secrets: SecretStore, settings: Settings): Promise<ChangeSource> {
  return MssqlChangeSource.connect(await secrets.getSecret(settings.NHSFLOWS_SOURCE_MSSQL_SECRET));
}

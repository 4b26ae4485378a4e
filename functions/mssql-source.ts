import type { Settings } from '../shared/config/settings.schema.js';
import type { ChangeSource } from '../shared/application/ports/change-source.port.js';
import type { SecretStore } from '../shared/application/ports/secret-store.port.js';
import { MssqlChangeSource } from '../shared/adapters/azure/mssql-change-source.azure.js';
import type { MssqlConnectionOptions } from '../shared/adapters/azure/mssql-connection.azure.js';
import { readFileSync } from 'node:fs';
import type { SourceTableMapping } from '../shared/domain/capture/source-table-map.js';
import { parseSourceTableFile, type SourceFeed } from '../shared/domain/capture/source-feeds.js';
import { ConfigError } from '../shared/domain/errors.js';

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
      ...(settings.NHSFLOWS_SOURCE_MSSQL_TABLE_MAP
        ? loadSourceTableMap(settings.NHSFLOWS_SOURCE_MSSQL_TABLE_MAP)
        : {}),
    },
    sqlConnectionOptions(settings, settings.NHSFLOWS_SOURCE_MSSQL_SECRET),
  );
}

/**
 * The table map file NHSFLOWS_SOURCE_MSSQL_TABLE_MAP names (renamed tables and source feeds),
 * checked against the declarations.
 */
export function loadSourceTableMap(path: string): {
  readonly tableMap: ReadonlyMap<string, SourceTableMapping>;
  readonly feeds: ReadonlyMap<string, SourceFeed>;
} {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError([
      `NHSFLOWS_SOURCE_MSSQL_TABLE_MAP: '${path}' could not be read as JSON (${error instanceof Error ? error.message : String(error)})`,
    ]);
  }
  return parseSourceTableFile(input);
}

/**
 * The source feeds a poll may capture (NHSFLOWS_CDC_TABLES names them): those of the table map
 * file when the source is SQL Server, none otherwise.
 */
export function sourceFeeds(
  settings: Pick<Settings, 'NHSFLOWS_SOURCE_KIND' | 'NHSFLOWS_SOURCE_MSSQL_TABLE_MAP'>,
): ReadonlyMap<string, SourceFeed> {
  return settings.NHSFLOWS_SOURCE_KIND === 'mssql' && settings.NHSFLOWS_SOURCE_MSSQL_TABLE_MAP
    ? loadSourceTableMap(settings.NHSFLOWS_SOURCE_MSSQL_TABLE_MAP).feeds
    : new Map();
}

import sql from 'mssql';
import { ConfigError } from '../../domain/errors.js';

/**
 * The connection-string form both SQL pools accept (the Synapse warehouse and the SQL Server change
 * source), and the `mssql` config built from it. Contract (docs/warehouse-apply.md § Connection
 * string; the secret named by NHSFLOWS_SYNAPSE_SECRET / NHSFLOWS_SOURCE_MSSQL_SECRET holds it):
 *
 *   Server=tcp:<host>,1433;Database=<database>;Authentication=Active Directory Default;Encrypt=True
 *
 * ADO.NET-style `key=value;` pairs, read by mssql's own parser, then corrected where mssql 12 reads
 * an Entra ID keyword wrongly: it maps `Active Directory Default`, `Active Directory Managed
 * Identity` and `Active Directory MSI` to SQL authentication with no password. Here they mean the
 * app's managed identity through `DefaultAzureCredential` (tedious `azure-active-directory-default`);
 * `User Id=<client id>` picks a user-assigned identity. `Active Directory Integrated`, `Active
 * Directory Password` and SQL logins (`User Id` + `Password`) are passed through as mssql reads
 * them. Any other `Authentication` value is refused rather than silently read as SQL auth.
 *
 * Timeouts come from settings (NHSFLOWS_SQL_CONNECTION_TIMEOUT_MS, NHSFLOWS_SQL_REQUEST_TIMEOUT_MS)
 * and replace any `Connect Timeout` / `Request Timeout` in the string, so one place decides them.
 */

const MANAGED_IDENTITY = new Set([
  'active directory default',
  'active directory managed identity',
  'active directory msi',
]);
const PASSED_THROUGH = new Set(['active directory integrated', 'active directory password', 'sqlpassword']);

/** The value of one key of an ADO-style connection string (keys case-insensitive; quotes allowed). */
export function connectionStringValue(connectionString: string, key: string): string | undefined {
  const wanted = key.toLowerCase();
  let found: string | undefined;
  const pair = /\s*([^=;]+?)\s*=\s*("(?:[^"]|"")*"|'(?:[^']|'')*'|\{(?:[^}]|\}\})*\}|[^;]*)\s*(?:;|$)/gy;
  for (let m = pair.exec(connectionString); m && m[0] !== ''; m = pair.exec(connectionString)) {
    if (m[1]!.toLowerCase() !== wanted) continue;
    const raw = m[2]!.trim();
    const q = raw[0];
    found =
      q === '"' || q === "'"
        ? raw.slice(1, -1).replaceAll(q + q, q)
        : q === '{'
          ? raw.slice(1, -1).replaceAll('}}', '}')
          : raw;
  }
  return found;
}

/** Options of `mssqlConfig`. */
export interface MssqlConnectionOptions {
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Shown in sys.dm_exec_sessions.program_name (which app holds a session). */
  readonly appName: string;
  /** Names the secret in error messages (never its value). */
  readonly secretName: string;
}

/**
 * An `mssql` pool config from a connection string of the documented form. Throws `ConfigError`
 * (naming the secret and the key, never a value: the string may hold a password) when the server or
 * database is missing or the authentication keyword is not one this adapter understands.
 */
export function mssqlConfig(connectionString: string, options: MssqlConnectionOptions): sql.config {
  const problems: string[] = [];
  let parsed: Record<string, unknown>;
  try {
    parsed = sql.ConnectionPool.parseConnectionString(connectionString) as unknown as Record<string, unknown>;
  } catch {
    throw new ConfigError([
      `secret ${options.secretName}: expected an ADO-style connection string (Server=tcp:<host>,1433;Database=<db>;Authentication=Active Directory Default), it could not be parsed`,
    ]);
  }
  if (typeof parsed.server !== 'string' || parsed.server === '')
    problems.push(`secret ${options.secretName}: expected Server=tcp:<host>,<port>, found no server`);
  if (typeof parsed.database !== 'string' || parsed.database === '')
    problems.push(`secret ${options.secretName}: expected Database=<name>, found no database`);
  const authentication = connectionStringValue(connectionString, 'authentication')?.toLowerCase();
  const config = { ...parsed, options: { ...(parsed.options as object) } } as Record<string, unknown>;
  if (authentication !== undefined && MANAGED_IDENTITY.has(authentication)) {
    config.authentication_type = 'azure-active-directory-default';
    // SqlClient's meaning of User Id here: the client id of a user-assigned managed identity.
    if (typeof config.user === 'string') config.clientId = config.user;
    delete config.user;
    delete config.password;
  } else if (authentication !== undefined && !PASSED_THROUGH.has(authentication)) {
    problems.push(
      `secret ${options.secretName}: Authentication='${authentication}' is not supported; expected 'Active Directory Default' (managed identity), 'Active Directory Managed Identity', 'Active Directory Integrated', 'Active Directory Password' or a SQL login (User Id + Password)`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  config.connectionTimeout = options.connectionTimeoutMs;
  config.requestTimeout = options.requestTimeoutMs;
  config.options = { encrypt: true, ...(config.options as object), appName: options.appName };
  return config as unknown as sql.config;
}

/** Opens an `mssql` pool from a connection string of the documented form. */
export async function openMssqlPool(
  connectionString: string,
  options: MssqlConnectionOptions,
): Promise<sql.ConnectionPool> {
  return new sql.ConnectionPool(mssqlConfig(connectionString, options)).connect();
}

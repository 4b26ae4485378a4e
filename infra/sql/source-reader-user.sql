-- nhs-flows: a least-privilege reader for the CDC poller on the source SQL Server database.
-- Run once (idempotent) by the DBA, in the source database:
--
--   sqlcmd -S tcp:<source server>,1433 -d <source database> --authentication-method ActiveDirectoryDefault \
--     -v ReaderName="<app's managed identity name>" SourceSchema="dbo" -i infra/sql/source-reader-user.sql
--
-- The poller only reads: keyset pages, row hashes (HASHBYTES), range checksums, change reads
-- (rowversion, or CHANGETABLE with VIEW CHANGE TRACKING) and sys.columns for the tables it can
-- SELECT. No write, no DDL, no VIEW SERVER STATE.
--
-- Azure SQL Database / Managed Instance, or SQL Server 2022+ joined to Microsoft Entra ID: the
-- app's managed identity, as below. A SQL Server without Entra ID: replace the CREATE USER with a
-- login the DBA creates (CREATE LOGIN [nhsflows_reader] WITH PASSWORD = ...; CREATE USER
-- [nhsflows_reader] FOR LOGIN [nhsflows_reader];) and store its connection string in Key Vault
-- (docs/capture.md § SQL Server adapter).

IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'$(ReaderName)')
  CREATE USER [$(ReaderName)] FROM EXTERNAL PROVIDER;

GRANT SELECT ON SCHEMA::[$(SourceSchema)] TO [$(ReaderName)];
-- Only for tables read through Change Tracking (source-enable-change-tracking.sql):
GRANT VIEW CHANGE TRACKING ON SCHEMA::[$(SourceSchema)] TO [$(ReaderName)];

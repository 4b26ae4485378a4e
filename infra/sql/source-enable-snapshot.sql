-- nhs-flows: let the CDC poller read a source table's changes, its covering version and its row
-- count in one consistent SNAPSHOT read (NHSFLOWS_SOURCE_MSSQL_SNAPSHOT=true).
-- Run once (idempotent) on the source SQL Server by a user with ALTER on the database
-- (the DBA); it does not change how existing sessions read (that would be READ_COMMITTED_SNAPSHOT):
--
--   sqlcmd -S tcp:<source server>,1433 -d <source database> --authentication-method ActiveDirectoryDefault \
--     -v SourceDatabase="<source database>" -i infra/sql/source-enable-snapshot.sql
--
-- Cost: row versions in tempdb while snapshot transactions run (the poller's reads are short).

IF NOT EXISTS (SELECT 1 FROM sys.databases WHERE name = N'$(SourceDatabase)' AND snapshot_isolation_state = 1)
  ALTER DATABASE [$(SourceDatabase)] SET ALLOW_SNAPSHOT_ISOLATION ON;

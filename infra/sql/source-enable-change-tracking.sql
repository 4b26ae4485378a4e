-- nhs-flows (optional): SQL Server Change Tracking for source tables that have no rowversion
-- column, read through CHANGETABLE(CHANGES ...) (NHSFLOWS_SOURCE_MSSQL_CHANGE_TRACKING_TABLES lists
-- them). Each table needs a primary key. Run once per table (idempotent) by the DBA:
--
--   sqlcmd -S tcp:<source server>,1433 -d <source database> --authentication-method ActiveDirectoryDefault \
--     -v SourceDatabase="<source database>" SourceSchema="dbo" SourceTable="sus_apc_episode" \
--     -i infra/sql/source-enable-change-tracking.sql
--
-- Retention: keep changes longer than the longest gap between two polls (an outage included). A
-- poll whose watermark is older than CHANGE_TRACKING_MIN_VALID_VERSION falls back to a full scan.
-- Microsoft recommends SNAPSHOT reads with Change Tracking: run source-enable-snapshot.sql too.

IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_databases WHERE database_id = DB_ID(N'$(SourceDatabase)'))
  ALTER DATABASE [$(SourceDatabase)] SET CHANGE_TRACKING = ON (CHANGE_RETENTION = 7 DAYS, AUTO_CLEANUP = ON);

IF NOT EXISTS (SELECT 1 FROM sys.change_tracking_tables WHERE object_id = OBJECT_ID(N'[$(SourceSchema)].[$(SourceTable)]'))
  ALTER TABLE [$(SourceSchema)].[$(SourceTable)] ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);

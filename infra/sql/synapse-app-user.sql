-- nhs-flows: the Function App's database user in the Synapse dedicated SQL pool.
-- Run once after every deploy (idempotent), connected to the dedicated pool database (not master)
-- as the SQL pool's Microsoft Entra admin:
--
--   sqlcmd -S tcp:<workspace>.sql.azuresynapse.net,1433 -d <pool> \
--     --authentication-method ActiveDirectoryDefault \
--     -v AppIdentityName="<name of the app's user-assigned managed identity>" \
--     -i infra/sql/synapse-app-user.sql
--
-- What the app does in the pool (shared/domain/warehouse/synapse-sql.ts) and the right each needs:
--   SELECT / INSERT / UPDATE / DELETE on gold.* and staging.*    db_datareader, db_datawriter
--   COPY INTO staging.* and the marts                             ADMINISTER DATABASE BULK OPERATIONS, INSERT
--   CREATE / DROP / ALTER / TRUNCATE TABLE, CTAS in gold, staging CREATE TABLE, ALTER ON SCHEMA::gold and ::staging
-- The schemas are created here, so the app never needs CREATE SCHEMA (its own
-- "IF SCHEMA_ID(...) IS NULL" check then finds them). No db_owner, no CONTROL.

IF SCHEMA_ID(N'gold') IS NULL EXEC(N'CREATE SCHEMA [gold]');
IF SCHEMA_ID(N'staging') IS NULL EXEC(N'CREATE SCHEMA [staging]');

IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'$(AppIdentityName)')
  CREATE USER [$(AppIdentityName)] FROM EXTERNAL PROVIDER;

IF NOT EXISTS (
  SELECT 1 FROM sys.database_role_members AS m
  JOIN sys.database_principals AS r ON r.principal_id = m.role_principal_id
  JOIN sys.database_principals AS u ON u.principal_id = m.member_principal_id
  WHERE r.name = N'db_datareader' AND u.name = N'$(AppIdentityName)')
  EXEC sp_addrolemember N'db_datareader', N'$(AppIdentityName)';

IF NOT EXISTS (
  SELECT 1 FROM sys.database_role_members AS m
  JOIN sys.database_principals AS r ON r.principal_id = m.role_principal_id
  JOIN sys.database_principals AS u ON u.principal_id = m.member_principal_id
  WHERE r.name = N'db_datawriter' AND u.name = N'$(AppIdentityName)')
  EXEC sp_addrolemember N'db_datawriter', N'$(AppIdentityName)';

-- GRANT is idempotent: granting a permission the user holds changes nothing.
GRANT ADMINISTER DATABASE BULK OPERATIONS TO [$(AppIdentityName)];
GRANT INSERT TO [$(AppIdentityName)];
GRANT CREATE TABLE TO [$(AppIdentityName)];
GRANT ALTER ON SCHEMA::[gold] TO [$(AppIdentityName)];
GRANT ALTER ON SCHEMA::[staging] TO [$(AppIdentityName)];

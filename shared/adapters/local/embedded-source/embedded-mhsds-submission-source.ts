import type { MhsdsSubmissionSource } from '../../../application/ports/mhsds-submission-source.port.js';
import { sourceTable } from '../../../domain/datasets/source-tables.js';
import { InputError } from '../../../domain/errors.js';
import type { EmbeddedSource } from './embedded-source.js';
import { quoteIdent, quoteLiteral } from './embedded-source-sql.js';

/** The submission register's table in the embedded source (not a source table: never captured). */
export const MHSDS_SUBMISSION_REGISTER = 'nhsflows_mhsds_submissions';

/**
 * The embedded source as an MHSDS submission reads and writes it: the provider-month's keys by one
 * query on `provider_code` and `uniq_month_id`, then the rows through the keyed read the capture
 * uses (so they come back in wire form), the ordinary writes, and the submission register (one row
 * per table and provider-month: the latest submission applied).
 */
export function embeddedMhsdsSubmissionSource(source: EmbeddedSource): MhsdsSubmissionSource {
  const keyColumns = (table: string) =>
    sourceTable(table).key.map((name) => {
      const col = sourceTable(table).columns.find((c) => c.name === name)!;
      return { name, type: col.type };
    });
  const readByKeys: MhsdsSubmissionSource['readByKeys'] = async (table, keys) =>
    keys.length === 0 ? [] : source.readRowsByKeys({ table, keyColumns: keyColumns(table), keys });
  let registerReady = false;
  const register = async (): Promise<string> => {
    if (!registerReady) {
      await source.executeSql(
        `CREATE TABLE IF NOT EXISTS ${quoteIdent(MHSDS_SUBMISSION_REGISTER)} (table_name VARCHAR NOT NULL, provider_code VARCHAR NOT NULL, uniq_month_id INTEGER NOT NULL, uniq_submission_id DECIMAL(38,0) NOT NULL, PRIMARY KEY (table_name, provider_code, uniq_month_id))`,
      );
      registerReady = true;
    }
    return quoteIdent(MHSDS_SUBMISSION_REGISTER);
  };
  const scopeWhere = (table: string, providerCode: string, uniqMonthId: number): string => {
    if (!Number.isInteger(uniqMonthId))
      throw new InputError('MHSDS submission: the UniqMonthID is not a whole number');
    return `table_name = ${quoteLiteral(table)} AND provider_code = ${quoteLiteral(providerCode)} AND uniq_month_id = ${uniqMonthId}`;
  };
  return {
    async latestSubmission(table, providerCode, uniqMonthId) {
      const found = await source.querySql(
        `SELECT CAST(uniq_submission_id AS VARCHAR) AS id FROM ${await register()} WHERE ${scopeWhere(table, providerCode, uniqMonthId)}`,
      );
      return found.length === 0 ? undefined : String(found[0]!.id);
    },
    async recordSubmission(table, providerCode, uniqMonthId, uniqSubmissionId) {
      if (!/^[0-9]{1,20}$/.test(uniqSubmissionId))
        throw new InputError(
          'MHSDS submission: the UniqSubmissionID is not a whole number of up to 20 digits',
        );
      await source.executeSql(
        `INSERT INTO ${await register()} VALUES (${quoteLiteral(table)}, ${quoteLiteral(providerCode)}, ${uniqMonthId}, ${uniqSubmissionId}) ON CONFLICT DO UPDATE SET uniq_submission_id = greatest(uniq_submission_id, excluded.uniq_submission_id)`,
      );
    },
    async readScope(table, providerCode, uniqMonthId) {
      if (!Number.isInteger(uniqMonthId))
        throw new InputError('MHSDS submission: the UniqMonthID is not a whole number');
      const spec = sourceTable(table);
      const found = await source.querySql(
        `SELECT ${spec.key.map((k) => `CAST(${quoteIdent(k)} AS VARCHAR) AS ${quoteIdent(k)}`).join(', ')} FROM ${quoteIdent(table)} WHERE ${quoteIdent(spec.providerColumn)} = ${quoteLiteral(providerCode)} AND ${quoteIdent('uniq_month_id')} = ${uniqMonthId}`,
      );
      return readByKeys(
        table,
        found.map((r) => spec.key.map((k) => String(r[k]))),
      );
    },
    readByKeys,
    insertRows: (table, rows) => source.insertRows(table, rows),
    updateRows: (table, rows) => source.updateRows(table, rows),
    deleteRows: (table, keys) => source.deleteRows(table, keys),
  };
}

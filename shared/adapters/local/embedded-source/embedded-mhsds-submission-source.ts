import type { MhsdsSubmissionSource } from '../../../application/ports/mhsds-submission-source.port.js';
import { sourceTable } from '../../../domain/datasets/source-tables.js';
import type { EmbeddedSource } from './embedded-source.js';
import { quoteIdent, quoteLiteral } from './embedded-source-sql.js';

/**
 * The embedded source as an MHSDS submission reads and writes it: the provider-month's keys by one
 * query on `provider_code` and `uniq_month_id`, then the rows through the keyed read the capture
 * uses (so they come back in wire form), and the ordinary writes.
 */
export function embeddedMhsdsSubmissionSource(source: EmbeddedSource): MhsdsSubmissionSource {
  const keyColumns = (table: string) =>
    sourceTable(table).key.map((name) => {
      const col = sourceTable(table).columns.find((c) => c.name === name)!;
      return { name, type: col.type };
    });
  const readByKeys: MhsdsSubmissionSource['readByKeys'] = async (table, keys) =>
    keys.length === 0 ? [] : source.readRowsByKeys({ table, keyColumns: keyColumns(table), keys });
  return {
    async readScope(table, providerCode, uniqMonthId) {
      if (!Number.isInteger(uniqMonthId)) throw new Error('uniqMonthId must be a whole number');
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

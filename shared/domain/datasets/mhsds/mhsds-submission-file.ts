import { InputError } from '../../errors.js';
import { sourceTable, type SourceRow, type SourceTableName } from '../source-tables.js';
import { wireSchemaOf } from '../wire-schema.js';
import type { MhsdsSubmission } from './mhsds-resubmission.js';

/**
 * One provider's submission of one MHSDS table for one month, read from an NDJSON file (one source
 * row in wire form per line, without the source system's `modified_at` and change version).
 *
 * Guarantees: every row matches the table's declared columns (the generated wire schema); every
 * row carries the same `provider_code`, `uniq_month_id` and `uniq_submission_id`, which become the
 * submission's; an empty file is refused (a provider-month is emptied by a resubmission holding no
 * rows only through the use case, on purpose, never by an empty file by accident). Errors name the
 * file, the line and the field, never a value.
 */
export function parseMhsdsSubmissionFile(
  file: string,
  table: SourceTableName,
  text: string,
): MhsdsSubmission {
  const spec = sourceTable(table);
  const schema = wireSchemaOf({
    columns: spec.columns.filter((c) => c.name !== spec.changeVersionColumn && c.name !== 'modified_at'),
  });
  const rows: SourceRow[] = [];
  let identity: { provider: string; month: number; submission: string } | undefined;
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const at = `${file} line ${index + 1}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new InputError(`${at}: not a JSON object (MHSDS submissions are NDJSON, one row per line)`);
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const field = issue.path.length > 0 ? issue.path.join('.') : '(row)';
      const unknown =
        issue.code === 'unrecognized_keys' ? ` (not a column of ${table}: ${issue.keys.join(', ')})` : '';
      throw new InputError(
        `${at}, field ${field}: does not match ${table}'s declared column (${issue.code})${unknown}`,
      );
    }
    const row: SourceRow = result.data;
    const here = {
      provider: String(row.provider_code),
      month: Number(row.uniq_month_id),
      submission: String(row.uniq_submission_id),
    };
    identity ??= here;
    for (const [field, value, expected] of [
      ['provider_code', here.provider, identity.provider],
      ['uniq_month_id', here.month, identity.month],
      ['uniq_submission_id', here.submission, identity.submission],
    ] as const)
      if (value !== expected)
        throw new InputError(
          `${at}, field ${field}: differs from the file's first row (one file is one provider's submission of one month)`,
        );
    rows.push(row);
  }
  if (!identity)
    throw new InputError(`${file}: holds no rows (an MHSDS submission file has one row per line)`);
  return {
    table,
    providerCode: identity.provider,
    uniqMonthId: identity.month,
    uniqSubmissionId: identity.submission,
    rows,
  };
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMhsdsSubmissionFile } from '../../../../shared/domain/datasets/mhsds/mhsds-submission-file.js';
import type { SourceRow } from '../../../../shared/domain/datasets/source-tables.js';
import { CLEAN_ROWS } from '../clean-rows.js';

const row = (patch: SourceRow = {}): SourceRow => {
  const r: SourceRow = { ...CLEAN_ROWS.mhsds_care_contact, ...patch };
  delete r.modified_at;
  delete r.change_version;
  return r;
};
const ndjson = (...rows: SourceRow[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function refused(text: string, expected: RegExp): void {
  assert.throws(
    () => parseMhsdsSubmissionFile('sep.ndjson', 'mhsds_care_contact', text),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'INPUT_INVALID');
      assert.match(error.message, expected);
      // Never a value: the NHS number, the ids and the dates of the rows stay out of the message.
      for (const value of Object.values(CLEAN_ROWS.mhsds_care_contact))
        if (typeof value === 'string' && value.length >= 6) assert.ok(!error.message.includes(value), value);
      return true;
    },
  );
}

test('a file of one provider-month becomes its submission: provider, UniqMonthID and submission id from its rows', () => {
  const base = row();
  const s = parseMhsdsSubmissionFile(
    'sep.ndjson',
    'mhsds_care_contact',
    ndjson(base, row({ care_contact_id: `${String(base.care_contact_id)}-2` })).replace('\n', '\r\n'),
  );
  assert.equal(s.table, 'mhsds_care_contact');
  assert.equal(s.providerCode, base.provider_code);
  assert.equal(s.uniqMonthId, base.uniq_month_id);
  assert.equal(s.uniqSubmissionId, base.uniq_submission_id);
  assert.equal(s.rows.length, 2);
});

test('a row of another provider, month or submission is refused, naming the file, line and field', () => {
  const base = row();
  refused(ndjson(base, row({ provider_code: 'RMY' })), /^sep\.ndjson line 2, field provider_code: differs/);
  refused(
    ndjson(base, row({ uniq_month_id: Number(base.uniq_month_id) + 1 })),
    /line 2, field uniq_month_id/,
  );
  refused(ndjson(base, row({ uniq_submission_id: '9999999' })), /line 2, field uniq_submission_id/);
});

test('a row that does not match the declared columns is refused by field, never quoting the value', () => {
  refused(
    ndjson(row(), row({ contact_date: 20260915 })),
    /^sep\.ndjson line 2, field contact_date: does not match/,
  );
  refused(
    ndjson(row({ shoe_size: 9 })),
    /line 1, field \(row\).*not a column of mhsds_care_contact: shoe_size/,
  );
  refused(`${ndjson(row())}{"care_contact_id": \n`, /^sep\.ndjson line 2: not a JSON object/);
  refused('\n\n', /^sep\.ndjson: holds no rows/);
});

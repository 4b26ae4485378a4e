import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  identifierColumns,
  type SourceRow,
} from '../../../shared/domain/datasets/source-tables.js';
import { ReconciliationError } from '../../../shared/domain/errors.js';
import { MemoryContentIndex } from '../../../shared/domain/validate/content-index.js';
import { MemoryReferralIndex, type ReferralIndex } from '../../../shared/domain/validate/referral-index.js';
import {
  reconcile,
  validateBatch,
  validateNumberedRows,
} from '../../../shared/domain/validate/validate-batch.js';
import { EXTRACT_DATE, reference, row, validate } from './validate-fixtures.js';

const ep = (id: string, changes: SourceRow = {}) => row('sus_apc_episode', { episode_id: id, ...changes });

/** A mixed SUS batch: clean, warned, rejected (contract), rejected (rule), duplicate. */
const MIXED: readonly SourceRow[] = [
  ep('E1'),
  ep('E2', { nhs_number: null, hospital_provider_spell_number: 'SP2' }), // warn only
  ep('E3', { discharge_date: '2026-08-01', hospital_provider_spell_number: 'SP3' }), // contract reject
  ep('E4', { nhs_number: '9990000019', hospital_provider_spell_number: 'SP4' }), // check digit
  ep('E5'), // duplicate of E1
  ep('E6', { admission_source: '51', hospital_provider_spell_number: 'SP6' }), // warn only
];

test('a mixed batch reconciles: every row is accepted or quarantined, never both', async () => {
  const result = await validate('sus_apc_episode', MIXED);
  assert.deepEqual(
    { in: result.counts.in, accepted: result.counts.accepted, quarantined: result.counts.quarantined },
    { in: 6, accepted: 3, quarantined: 3 },
  );
  assert.equal(result.counts.acceptedWithWarnings, 2);
  assert.deepEqual(
    result.accepted.map((r) => r.row['episode_id']),
    ['E1', 'E2', 'E6'],
  );
  const quarantinedRows = new Set(
    result.records.filter((r) => r.outcome === 'quarantined').map((r) => r.row),
  );
  assert.deepEqual([...quarantinedRows].sort(), [3, 4, 5]);
  assert.deepEqual(result.counts.failuresByRule, {
    'SUS.MISSING_NHS_NUMBER': 1,
    'SUS.DISCHARGE_DATE.BEFORE_ADMISSION': 1,
    'SUS.EPISODE_END_DATE.AFTER_DISCHARGE': 1,
    'SUS.EPISODE_START_DATE.AFTER_DISCHARGE': 1,
    'SUS.NHS_NUMBER.CHECK_DIGIT': 1,
    'SUS.DUPLICATE_ROW': 1,
    'SUS.ADMISSION_METHOD_SOURCE_INCONSISTENT': 1,
  });
});

test('a count that does not reconcile throws ReconciliationError naming the counts', () => {
  assert.doesNotThrow(() => reconcile({ in: 6, accepted: 3, quarantined: 3 }, 'table t batch b'));
  assert.throws(
    () => reconcile({ in: 6, accepted: 3, quarantined: 2 }, 'table t batch b'),
    (e: unknown) =>
      e instanceof ReconciliationError &&
      e.code === 'COUNTS_DO_NOT_RECONCILE' &&
      e.message === 'table t batch b: rows in (6) ≠ accepted (3) + quarantined (2)',
  );
});

test('failure records name dataset, table, batch, 1-based row, business key, field, rule, severity', async () => {
  const result = await validate('sus_apc_episode', MIXED, { batchId: 'b-42' });
  const r = result.records.find((x) => x.rule === 'SUS.NHS_NUMBER.CHECK_DIGIT');
  assert.ok(r);
  assert.deepEqual(
    {
      dataset: r.dataset,
      table: r.table,
      batchId: r.batchId,
      row: r.row,
      recordKey: r.recordKey,
      field: r.field,
    },
    {
      dataset: 'sus_apc',
      table: 'sus_apc_episode',
      batchId: 'b-42',
      row: 4,
      recordKey: 'E4',
      field: 'nhs_number',
    },
  );
  assert.equal(r.severity, 'reject');
  assert.equal(r.origin, 'contract');
});

test('streaming in small chunks gives the same outcome as one array, including cross-chunk duplicates', async () => {
  async function* stream() {
    for (const r of MIXED) yield r;
  }
  const whole = await validate('sus_apc_episode', MIXED);
  const chunked = await validateBatch('sus_apc_episode', stream(), {
    batchId: 'batch-test',
    extractDate: EXTRACT_DATE,
    reference,
    chunkSize: 2,
  });
  assert.deepEqual(chunked.counts, whole.counts);
  assert.deepEqual(chunked.records, whole.records);
});

test('a sink takes rows and records chunk by chunk, so the result holds none', async () => {
  const accepted: number[] = [];
  let records = 0;
  let rowsSeen = 0;
  const result = await validateBatch(
    'sus_apc_episode',
    MIXED,
    { batchId: 'b', extractDate: EXTRACT_DATE, reference, chunkSize: 4 },
    {
      accepted: (rows) => void accepted.push(...rows.map((r) => r.n)),
      failures: (chunk) => void (records += chunk.length),
      row: () => void rowsSeen++,
    },
  );
  assert.deepEqual(accepted, [1, 2, 6]);
  assert.ok(records > 0);
  assert.equal(rowsSeen, 6);
  assert.equal(result.accepted.length, 0);
  assert.equal(result.records.length, 0);
});

test('rows keep the numbers they were given and numbering can start further into a file', async () => {
  const numbered = await validateNumberedRows(
    'sus_apc_episode',
    [
      { n: 17, row: ep('E1') },
      { n: 40, row: ep('E5') },
    ],
    { batchId: 'b', extractDate: EXTRACT_DATE, reference },
  );
  assert.deepEqual(
    numbered.records.map((r) => r.row),
    [40],
  );
  const offset = await validateBatch('sus_apc_episode', [ep('E1'), ep('E5')], {
    batchId: 'b',
    extractDate: EXTRACT_DATE,
    reference,
    firstRowNumber: 101,
  });
  assert.deepEqual(
    offset.records.map((r) => r.row),
    [102],
  );
});

test('the referral index is asked once per distinct referral id per batch, a chunk at a time', async () => {
  const asked: string[] = [];
  const inner = new MemoryReferralIndex().add('csds_referral', 'CR1', '2026-09-01');
  const counting: ReferralIndex = {
    has: async (t, id) => (asked.push(`has:${id}`), inner.has(t, id)),
    receivedDate: async (t, id) => (asked.push(`date:${id}`), inner.receivedDate(t, id)),
  };
  const contacts = ['CR1', 'CR1', 'CR2', 'CR1', 'CR2'].map((referral, i) =>
    row('csds_care_contact', {
      care_contact_id: `CC${i}`,
      referral_id: referral,
      contact_date: `2026-09-1${i}`,
    }),
  );
  const result = await validate('csds_care_contact', contacts, { referralIndex: counting, chunkSize: 2 });
  assert.deepEqual(asked.sort(), ['date:CR1', 'date:CR2', 'has:CR1', 'has:CR2']);
  assert.equal(result.counts.quarantined, 2); // the CR2 contacts are orphans
});

test('an extract date that is not YYYY-MM-DD is refused before any row is read', async () => {
  await assert.rejects(
    validateBatch('sus_apc_episode', [ep('E1')], { batchId: 'b', extractDate: '01/11/2026', reference }),
    /extract date must be 'YYYY-MM-DD'/,
  );
});

/** Distinctive identifier values: none of them may appear anywhere in a failure record. */
const IDENTIFIERS = {
  nhs_number: '9990000026',
  local_patient_id: 'LOCALXYZ987',
  patient_name: 'ZEBEDEE QUARTERMAIN',
  date_of_birth: '1931-07-29',
  postcode: 'B15 2TT',
} as const;

test('quarantine records carry no NHS number, DOB, postcode, name or local id, whatever fails', async () => {
  for (const table of SOURCE_TABLE_NAMES) {
    const spec = SOURCE_TABLES[table];
    const ids: SourceRow = {};
    for (const col of identifierColumns(spec))
      ids[col.name] = IDENTIFIERS[col.name as keyof typeof IDENTIFIERS];
    // Everything wrong at once: bad identifiers' formats, future dates, orphans, duplicates.
    const broken: SourceRow = { ...row(table), ...ids };
    for (const col of spec.columns) {
      if (col.type === 'date' && col.identifier === undefined) broken[col.name] = '2099-01-01';
      if (col.name === 'sex') broken[col.name] = '7';
    }
    if ('nhs_number' in ids) broken['nhs_number'] = '999000002X';
    const key = spec.key[0]!;
    const rows = [broken, { ...broken, [key]: 'DUP1' }, { ...row(table), ...ids }];
    const result = await validate(table, rows);
    assert.ok(result.records.length > 0, table);
    const text = JSON.stringify(result.records);
    for (const value of [...Object.values(IDENTIFIERS), '999000002X', '1931'])
      assert.ok(!text.includes(value), `${table}: a failure record contains an identifier value`);
    for (const r of result.records) assert.equal(r.recordKey, String(rows[r.row - 1]?.[key]), table);
  }
});

test('with a content index, duplicates are found across batches and a key re-delivering its content is not one', async () => {
  const contentIndex = new MemoryContentIndex();
  const run = (rows: SourceRow[], batchId: string) =>
    validateBatch('sus_apc_episode', rows, { batchId, extractDate: EXTRACT_DATE, reference, contentIndex });
  const first = await run([ep('E1'), ep('E2', { hospital_provider_spell_number: 'SP2' })], 'b1');
  assert.equal(first.counts.quarantined, 0);
  const second = await run([ep('E1'), ep('E9'), ep('E8', { hospital_provider_spell_number: 'SP8' })], 'b2');
  assert.deepEqual(
    second.records.map((r) => [r.row, r.recordKey, r.rule]),
    [[2, 'E9', 'SUS.DUPLICATE_ROW']],
  );
});

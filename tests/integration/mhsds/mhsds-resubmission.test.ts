import assert from 'node:assert/strict';
import { test } from 'node:test';
import { embeddedMhsdsSubmissionSource } from '../../../shared/adapters/local/embedded-source/embedded-mhsds-submission-source.js';
import { openEmbeddedSource } from '../../../shared/adapters/local/embedded-source/embedded-source.js';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import { memoryTelemetry } from '../../../shared/application/ports/telemetry.port.js';
import {
  captureChanges,
  ensureCaptureStorage,
  type CaptureChangesDeps,
} from '../../../shared/application/use-cases/capture/capture-changes.use-case.js';
import { applyMhsdsSubmission } from '../../../shared/application/use-cases/mhsds/apply-mhsds-submission.use-case.js';
import { captureTable } from '../../../shared/domain/capture/capture-config.js';
import { CLEAN_ROWS } from '../../unit/datasets/clean-rows.js';
import { SOURCE_TABLES, type SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { RecordingPublisher } from '../capture/capture-fixtures.js';

/**
 * MHSDS resubmission end to end at the source: submissions applied to the embedded source, then
 * the capture that feeds silver (the history), gold and the warehouse (delete tombstones).
 */
const spec = SOURCE_TABLES.mhsds_care_contact;
const SEP = 1518; // September 2026
const OCT = 1519;
const contact = (
  id: string,
  provider: string,
  month: number,
  submission: string,
  patch: SourceRow = {},
): SourceRow => {
  const row = { ...CLEAN_ROWS.mhsds_care_contact };
  delete row.modified_at;
  delete row.change_version;
  const day = month === SEP ? '2026-09-15' : '2026-10-15';
  return {
    ...row,
    care_contact_id: id,
    provider_code: provider,
    uniq_month_id: month,
    uniq_submission_id: submission,
    record_start_date: `${day.slice(0, 8)}01`,
    contact_date: day,
    ...patch,
  };
};
const submission = (provider: string, month: number, id: string, rows: SourceRow[]) => ({
  table: 'mhsds_care_contact',
  providerCode: provider,
  uniqMonthId: month,
  uniqSubmissionId: id,
  rows,
});

async function setup() {
  const clock = fixedClock('2026-11-01T09:00:00.000Z');
  const source = await openEmbeddedSource({ path: ':memory:', clock });
  await source.createTables([spec]);
  const publisher = new RecordingPublisher();
  const capture: CaptureChangesDeps = {
    source,
    publisher,
    objects: new MemoryObjectStore(),
    state: new MemoryStateStore(),
    clock,
    telemetry: memoryTelemetry(),
    logger: memoryLogger(),
  };
  await ensureCaptureStorage(capture);
  const table = captureTable(spec, { mode: 'change-version' });
  const deps = { source: embeddedMhsdsSubmissionSource(source), logger: memoryLogger() };
  const view = async () =>
    (await source.querySql(
      `SELECT care_contact_id AS id, provider_code AS p, uniq_month_id AS m, uniq_submission_id AS s, CAST(contact_date AS VARCHAR) AS d FROM ${spec.table} ORDER BY 1`,
    )) as { id: string; p: string; m: number; s: string; d: string }[];
  return { source, publisher, capture: () => captureChanges(capture, { table }), deps, view };
}

test('a resubmitted month replaces that provider-month only, and capture carries the replacement as history', async () => {
  const { source, publisher, capture, deps, view } = await setup();
  try {
    // September and October from RXT, September from RMY
    await applyMhsdsSubmission(
      deps,
      submission(
        'RXT',
        SEP,
        '1518001',
        ['C1', 'C2', 'C3'].map((id) => contact(id, 'RXT', SEP, '1518001')),
      ),
    );
    await applyMhsdsSubmission(
      deps,
      submission(
        'RXT',
        OCT,
        '1519001',
        ['C7', 'C8'].map((id) => contact(id, 'RXT', OCT, '1519001')),
      ),
    );
    await applyMhsdsSubmission(
      deps,
      submission(
        'RMY',
        SEP,
        '1518004',
        ['D1', 'D2'].map((id) => contact(id, 'RMY', SEP, '1518004')),
      ),
    );
    await capture();
    const snapshot = publisher.take();
    assert.equal(snapshot.length, 7);
    const before = (await view()).filter((r) => !(r.p === 'RXT' && r.m === SEP));

    // RXT resubmits September: C1 changed, C2 dropped, C3 as it was, C4 added
    const result = await applyMhsdsSubmission(
      deps,
      submission('RXT', SEP, '1518002', [
        contact('C1', 'RXT', SEP, '1518002', { contact_duration_minutes: 60 }),
        contact('C3', 'RXT', SEP, '1518002'),
        contact('C4', 'RXT', SEP, '1518002'),
      ]),
    );
    assert.deepEqual(
      [result.outcome, result.inserted, result.updated, result.deleted, result.replaces],
      ['applied', 1, 2, 1, ['1518001']],
    );

    // the current view holds exactly the resubmission for RXT September; the rest is untouched
    const now = await view();
    assert.deepEqual(
      now.filter((r) => r.p === 'RXT' && r.m === SEP).map((r) => [r.id, r.s]),
      [
        ['C1', '1518002'],
        ['C3', '1518002'],
        ['C4', '1518002'],
      ],
    );
    assert.deepEqual(
      now.filter((r) => !(r.p === 'RXT' && r.m === SEP)),
      before,
    );

    // capture publishes the replacement as changes of that provider-month only
    await capture();
    const deltas = publisher.take();
    assert.deepEqual(deltas.map((d) => [d.op, d.businessKey[0]]).sort(), [
      ['delete', 'C2'],
      ['insert', 'C4'],
      ['update', 'C1'],
      ['update', 'C3'],
    ]);
    // history: the replaced submission's rows are the earlier captures each change names
    const first = new Map(snapshot.map((d) => [d.businessKey[0], d]));
    for (const d of deltas.filter((x) => x.op !== 'insert')) {
      assert.equal(
        d.previousHash,
        first.get(d.businessKey[0])!.rowHash,
        `${d.businessKey[0]} names the row it replaces`,
      );
      assert.equal(first.get(d.businessKey[0])!.row!.uniq_submission_id, '1518001');
      assert.equal(first.get(d.businessKey[0])!.row!.record_start_date, '2026-09-01');
    }
    assert.equal(deltas.find((d) => d.op === 'delete')!.row, null);
    assert.ok(deltas.filter((d) => d.op !== 'delete').every((d) => d.row!.uniq_submission_id === '1518002'));
  } finally {
    await source.close();
  }
});

test('an older month resubmitted after a newer one leaves the newer month alone; a late replay of a replaced submission changes nothing', async () => {
  const { source, publisher, capture, deps, view } = await setup();
  try {
    await applyMhsdsSubmission(
      deps,
      submission(
        'RXT',
        SEP,
        '1518001',
        ['C1', 'C2'].map((id) => contact(id, 'RXT', SEP, '1518001')),
      ),
    );
    // October reports C2 again (still open) and C5: C2 moves to October
    const oct = await applyMhsdsSubmission(
      deps,
      submission('RXT', OCT, '1519001', [
        contact('C2', 'RXT', OCT, '1519001'),
        contact('C5', 'RXT', OCT, '1519001'),
      ]),
    );
    assert.deepEqual([oct.inserted, oct.updated], [1, 1]);
    await capture();
    publisher.take();
    const octoberBefore = (await view()).filter((r) => r.m === OCT);

    // September resubmitted with C2 (held for October now) and C1 changed
    const sep = await applyMhsdsSubmission(
      deps,
      submission('RXT', SEP, '1518002', [
        contact('C1', 'RXT', SEP, '1518002', { attend_or_dna: '6' }),
        contact('C2', 'RXT', SEP, '1518002'),
      ]),
    );
    assert.deepEqual([sep.updated, sep.keptInLaterMonth, sep.deleted, sep.inserted], [1, 1, 0, 0]);
    assert.deepEqual(
      (await view()).filter((r) => r.m === OCT),
      octoberBefore,
    );
    await capture();
    assert.deepEqual(
      publisher.take().map((d) => [d.op, d.businessKey[0]]),
      [['update', 'C1']],
    );

    // the first September submission arrives again, late: stale, nothing moves
    const late = await applyMhsdsSubmission(
      deps,
      submission('RXT', SEP, '1518001', [contact('C9', 'RXT', SEP, '1518001')]),
    );
    assert.equal(late.outcome, 'stale');
    await capture();
    assert.deepEqual(publisher.take(), []);
  } finally {
    await source.close();
  }
});

test('the submission register keeps an emptied month empty: a late earlier submission does not bring its records back', async () => {
  const { source, deps, view } = await setup();
  try {
    await applyMhsdsSubmission(
      deps,
      submission('RXT', SEP, '1518001', [contact('C1', 'RXT', SEP, '1518001')]),
    );
    const emptied = await applyMhsdsSubmission(deps, submission('RXT', SEP, '1518002', []));
    assert.deepEqual([emptied.outcome, emptied.deleted], ['applied', 1]);
    const late = await applyMhsdsSubmission(
      deps,
      submission('RXT', SEP, '1518001', [contact('C1', 'RXT', SEP, '1518001')]),
    );
    assert.equal(late.outcome, 'stale');
    assert.deepEqual(await view(), []);
    // the register is not a source table: capture never sees it
    assert.equal(await deps.source.latestSubmission('mhsds_care_contact', 'RXT', SEP), '1518002');
    assert.equal(await deps.source.latestSubmission('mhsds_care_contact', 'RXT', OCT), undefined);
  } finally {
    await source.close();
  }
});

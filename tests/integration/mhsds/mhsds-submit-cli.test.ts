import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openEmbeddedSource } from '../../../shared/adapters/local/embedded-source/embedded-source.js';
import { systemClock } from '../../../shared/application/ports/clock.port.js';
import type { CliIo } from '../../../shared/cli/cli-io.js';
import { main } from '../../../shared/cli/main.js';
import { SOURCE_FILE } from '../../../shared/cli/seed-source.js';
import { SOURCE_TABLES, type SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import { CLEAN_ROWS } from '../../unit/datasets/clean-rows.js';

// `nhs-flows mhsds submit` on a real embedded source file: a month, then its resubmission (one
// record changed, one dropped, one added), then a late earlier submission of the same month.
const dataDir = mkdtempSync(join(tmpdir(), 'nhsflows-mhsds-cli-'));
const previous = process.env.NHSFLOWS_DATA_DIR;
process.env.NHSFLOWS_DATA_DIR = dataDir;
after(() => {
  if (previous === undefined) delete process.env.NHSFLOWS_DATA_DIR;
  else process.env.NHSFLOWS_DATA_DIR = previous;
  rmSync(dataDir, { recursive: true, force: true });
});

const SEP = 1518;
const contact = (id: string, submission: string, patch: SourceRow = {}): SourceRow => {
  const row: SourceRow = { ...CLEAN_ROWS.mhsds_care_contact };
  delete row.modified_at;
  delete row.change_version;
  return {
    ...row,
    care_contact_id: id,
    provider_code: 'RXT',
    uniq_month_id: SEP,
    uniq_submission_id: submission,
    record_start_date: '2026-09-01',
    contact_date: '2026-09-15',
    ...patch,
  };
};
function file(name: string, rows: SourceRow[]): string {
  const path = join(dataDir, name);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}
async function submit(path: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(['mhsds', 'submit', path, '--table', 'mhsds_care_contact'], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
async function view(): Promise<{ id: string; s: string; d: string }[]> {
  const source = await openEmbeddedSource({ path: join(dataDir, SOURCE_FILE), clock: systemClock });
  try {
    return (await source.querySql(
      `SELECT care_contact_id AS id, uniq_submission_id AS s, CAST(contact_date AS VARCHAR) AS d FROM mhsds_care_contact ORDER BY 1`,
    )) as { id: string; s: string; d: string }[];
  } finally {
    await source.close();
  }
}

test('without a seeded source the command says to run start first; a wrong table is refused with the list', async () => {
  const r = await submit(file('early.ndjson', [contact('C1', '1518001')]));
  assert.equal(r.code, 1);
  assert.match(r.err, /no embedded source .*run nhs-flows start once first/);
  const io: CliIo = { out: () => undefined, err: () => undefined };
  assert.equal(await main(['mhsds', 'submit', 'x.ndjson', '--table', 'ecds_attendance'], io), 2);
});

test('a month, its resubmission and a late earlier submission: the source holds exactly the latest submission', async () => {
  const source = await openEmbeddedSource({ path: join(dataDir, SOURCE_FILE), clock: systemClock });
  await source.createTables(Object.values(SOURCE_TABLES));
  await source.close();

  const first = await submit(
    file(
      'sep-1.ndjson',
      ['C1', 'C2', 'C3'].map((id) => contact(id, '1518001')),
    ),
  );
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /applied\n {2}3 inserted, 0 updated, 0 deleted/);

  const second = await submit(
    file('sep-2.ndjson', [
      contact('C1', '1518002'),
      contact('C2', '1518002', { contact_date: '2026-09-20' }),
      contact('C4', '1518002'),
    ]),
  );
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, /1 inserted, 2 updated, 1 deleted/);
  assert.deepEqual(await view(), [
    { id: 'C1', s: '1518002', d: '2026-09-15' },
    { id: 'C2', s: '1518002', d: '2026-09-20' },
    { id: 'C4', s: '1518002', d: '2026-09-15' },
  ]);

  const late = await submit(
    file(
      'sep-1-again.ndjson',
      ['C1', 'C2', 'C3'].map((id) => contact(id, '1518001')),
    ),
  );
  assert.equal(late.code, 0, late.err);
  assert.match(late.out, /stale/);
  assert.equal((await view()).length, 3);
  assert.ok(
    !`${first.out}${second.out}${late.out}`.includes(String(CLEAN_ROWS.mhsds_care_contact.nhs_number)),
  );
});

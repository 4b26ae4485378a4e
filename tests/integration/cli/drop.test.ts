import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLUMNS, HEADER, csv, episode, line, nhsNumber } from '../../support/landing-corpus.js';
import { runCli } from '../../support/cli-process.js';

// `nhs-flows drop` and `nhs-flows quarantine` as a user types them, on a fresh data dir with no host
// running: the file goes through the real blob trigger, orchestrator, activities and warehouse of a
// local host the command starts, and the command prints the outcome and exits by it. Small files.

let dir: string;
let files: string;
let env: NodeJS.ProcessEnv;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nhsflows-drop-cli-'));
  files = join(dir, 'files');
  mkdirSync(files);
  env = { ...process.env, NHSFLOWS_DATA_DIR: join(dir, 'data') };
});
after(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
// Five episodes, the fourth with a broken NHS number check digit (quarantined), the fifth a field short.
const broken = `${nhsNumber(4).slice(0, 9)}${(Number(nhsNumber(4).slice(9)) + 1) % 10}`;
const GOOD = csv([
  HEADER,
  ...[1, 2, 3].map((i) => line(episode(100 + i))),
  line(episode(104, { nhs_number: broken })),
  line(episode(105)).split(',').slice(0, -1).join(','),
]);

test('drop loads a CSV, prints the batch, its counts and top quarantine reasons, and exits 0; quarantine lists the reasons worst first', async () => {
  const file = join(files, '2026-11.csv');
  writeFileSync(file, GOOD);
  const run = await runCli(['drop', file, '--table', 'sus_apc_episode', '--timeout', '240'], env);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(
    run.stdout,
    /^sus_apc_episode\/2026-11\.csv: accepted as batch sus_apc_episode-file-[0-9a-f]+$/m,
  );
  assert.match(run.stdout, /4 records: 3 accepted, 1 quarantined; 1 unreadable rows/);
  assert.match(run.stdout, /top quarantine reasons:/);
  assert.match(run.stdout, /FILE\.COLUMN_COUNT {2}e\.g\. row 5 \(line 6\) \(record\)/);
  for (const id of [broken, nhsNumber(101), 'QUILLFEATHER'])
    assert.ok(!run.stdout.includes(id), `${id} printed`);

  const listed = await runCli(['quarantine', '--table', 'sus_apc_episode'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^quarantine: \d+ rejection\(s\)/);
  assert.match(listed.stdout, /sus_apc_episode\/2026-11\.csv row 4, field nhs_number/);
  assert.match(listed.stdout, /sus_apc_episode\/2026-11\.csv row 5 \(line 6\), field \(record\)/);
  const counts = [...listed.stdout.matchAll(/^ +(\d+) {2}sus_apc_episode/gm)].map((m) => Number(m[1]));
  assert.deepEqual(
    counts,
    [...counts].sort((a, b) => b - a),
    'worst first',
  );
  assert.ok(!listed.stdout.includes(broken));
  const onlyRule = await runCli(['quarantine', '--rule', 'FILE.COLUMN_COUNT', '--json'], env);
  const summary = JSON.parse(onlyRule.stdout) as { groups: { rule: string }[] };
  assert.deepEqual(
    summary.groups.map((g) => g.rule),
    ['FILE.COLUMN_COUNT'],
  );
});

test('the same bytes dropped under another name are reported as a duplicate (exit 3), and a truncated file with its manifest is rejected whole (exit 1)', async () => {
  const copy = join(files, '2026-11-resent.csv');
  writeFileSync(copy, GOOD);
  const again = await runCli(['drop', copy, '--table', 'sus_apc_episode', '--timeout', '240'], env);
  assert.equal(again.code, 3, `${again.stdout}\n${again.stderr}`);
  assert.match(
    again.stdout,
    /a duplicate: its bytes were loaded before as batch sus_apc_episode-file-[0-9a-f]+ \(sus_apc_episode\/2026-11\.csv\); not loaded again/,
  );

  const whole = csv([HEADER, ...[1, 2, 3, 4].map((i) => line(episode(200 + i)))]);
  const truncated = join(files, '2026-12.csv');
  writeFileSync(truncated, whole.slice(0, whole.length - 30));
  writeFileSync(
    `${truncated}.manifest.json`,
    JSON.stringify({
      rows: 4,
      sha256: sha256(whole),
      table: 'sus_apc_episode',
      period: '2026-12',
      supplier: 'RRK',
    }),
  );
  const rejected = await runCli(['drop', truncated, '--timeout', '240'], env);
  assert.equal(rejected.code, 1, `${rejected.stdout}\n${rejected.stderr}`);
  assert.match(
    rejected.stdout,
    /^sus_apc_episode\/2026-12\.csv: REJECTED \(FILE\.CHECKSUM_MISMATCH\), rejection landing-[0-9a-f]+$/m,
  );
  assert.match(rejected.stdout, /the upload is truncated or altered/);
});

test("a CSV with the supplier's own headers loads with a column map; a bad map is refused naming the map file and row", async () => {
  const supplierName = (c: string) => `Supplier ${c.replace(/_/g, ' ')}`;
  const file = join(files, 'supplier.csv');
  writeFileSync(
    file,
    csv([COLUMNS.map(supplierName).join(','), ...[1, 2].map((i) => line(episode(300 + i)))]),
  );
  const map = join(files, 'rrk-episode.csv');
  writeFileSync(map, ['supplier_column,column', ...COLUMNS.map((c) => `${supplierName(c)},${c}`)].join('\n'));
  const run = await runCli(
    ['drop', file, '--table', 'sus_apc_episode', '--map', map, '--timeout', '240'],
    env,
  );
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /2 records: 2 accepted, 0 quarantined/);

  const bad = join(files, 'bad-map.csv');
  writeFileSync(bad, 'supplier_column,column\nRef,episode_id\nNo,episode_id\nWard,ward_code\n');
  const refused = await runCli(['drop', file, '--table', 'sus_apc_episode', '--map', bad], env);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /column map .*bad-map\.csv is not valid/);
  assert.match(refused.stderr, /line 3: duplicate target episode_id/);
  assert.match(refused.stderr, /line 4: 'ward_code' is not a column of sus_apc_episode/);
});

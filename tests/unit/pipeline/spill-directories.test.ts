import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  privateSpillDirectory,
  sweepAbandonedSpillDirectories,
} from '../../../shared/adapters/parquet/duckdb-parquet.js';
import { DuckDbParquetLake } from '../../../shared/adapters/parquet/duckdb-parquet-lake.js';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';

// A killed process never ran its exit hook: its DuckDB spill folder was left in the temp folder for
// good (about 970 of them on a busy development machine). Folders are named with their owner's pid
// and swept once the owner no longer runs.

test('spill folders of processes that are gone are swept; live owners and recent unnamed ones are kept', () => {
  const parent = mkdtempSync(join(tmpdir(), 'nhsflows-spill-test-'));
  try {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const deadPid = Number(gone.stdout);
    const dead = join(parent, `nhsflows-duckdb-spill-${deadPid}-abc123`);
    const mine = join(parent, `nhsflows-duckdb-spill-${process.pid}-def456`);
    const oldUnnamed = join(parent, 'nhsflows-duckdb-spill-Zx81Qa');
    const newUnnamed = join(parent, 'nhsflows-duckdb-spill-Ab12Cd');
    const unrelated = join(parent, 'something-else');
    for (const dir of [dead, mine, oldUnnamed, newUnnamed, unrelated]) mkdirSync(dir);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    utimesSync(oldUnnamed, twoDaysAgo, twoDaysAgo);

    assert.equal(sweepAbandonedSpillDirectories(parent), 2);
    assert.deepEqual(
      [dead, mine, oldUnnamed, newUnnamed, unrelated].map((d) => existsSync(d)),
      [false, true, false, true, true],
    );
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('a new spill folder carries its owner pid and is removed when the process exits', () => {
  const parent = mkdtempSync(join(tmpdir(), 'nhsflows-spill-test-'));
  try {
    const dir = privateSpillDirectory(parent);
    assert.match(dir, new RegExp(`nhsflows-duckdb-spill-${process.pid}-`));
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { privateSpillDirectory } = await import(${JSON.stringify(join(process.cwd(), 'shared/adapters/parquet/duckdb-parquet.ts'))});
         process.stdout.write(privateSpillDirectory(${JSON.stringify(parent)}));`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /nhsflows-duckdb-spill-\d+-/);
    assert.equal(existsSync(child.stdout), false, 'removed at exit');
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test("a Parquet lake's scratch folder carries its owner pid, and a lake opened on the same folder sweeps those of processes that are gone", async () => {
  const parent = mkdtempSync(join(tmpdir(), 'nhsflows-lake-scratch-test-'));
  try {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    // A killed process's folder: its cached runs and a part staged when it died.
    const dead = join(parent, `parquet-lake-${Number(gone.stdout)}-abc123`);
    mkdirSync(join(dead, 'spill'), { recursive: true });
    writeFileSync(join(dead, '7.parquet.rows.ndjson'), '{"a":"1"}\n');
    const live = join(parent, `parquet-lake-${process.ppid}-def456`);
    const oldUnnamed = join(parent, 'parquet-lake-Zx81Qa');
    const spill = join(parent, `nhsflows-duckdb-spill-${Number(gone.stdout)}-ghi789`);
    for (const dir of [live, oldUnnamed, spill]) mkdirSync(dir);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    utimesSync(oldUnnamed, twoDaysAgo, twoDaysAgo);

    const lake = new DuckDbParquetLake(new MemoryObjectStore(), parent);
    try {
      await lake.write('gold', 'x.parquet', [{ name: 'a', type: 'string', nullable: false }], [{ a: '1' }]);
      const mine = readdirSync(parent).filter((n) => n.startsWith(`parquet-lake-${process.pid}-`));
      assert.equal(mine.length, 1, 'its own folder, named with its pid');
      // Another prefix's folders are left to their own sweep.
      assert.deepEqual(
        [dead, live, oldUnnamed, spill].map((d) => existsSync(d)),
        [false, true, false, true],
      );
    } finally {
      await lake.close();
    }
    assert.equal(
      readdirSync(parent).some((n) => n.startsWith(`parquet-lake-${process.pid}-`)),
      false,
      'removed on close',
    );
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEmbeddedSource } from '../../../shared/adapters/local/embedded-source/embedded-source.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import {
  ROW_HASH_SPEC_VERSION,
  rowHash,
  rowHashPrefix64,
  selectHashColumns,
  type RowHashLayout,
} from '../../../shared/domain/capture/row-hash.js';
import { SOURCE_TABLES, type SourceRow, type SourceTableSpec } from '../../../shared/domain/datasets/source-tables.js';
import { syntheticRow } from './capture-fixtures.js';

const apc = SOURCE_TABLES.sus_apc_episode;
const ecds = SOURCE_TABLES.ecds_attendance;

function layoutOf(spec: SourceTableSpec): RowHashLayout {
  return {
    specVersion: ROW_HASH_SPEC_VERSION,
    table: spec.table,
    keyColumns: selectHashColumns(spec.columns, { include: [...spec.key] }),
    hashColumns: selectHashColumns(spec.columns, { exclude: [spec.changeVersionColumn, 'modified_at'] }),
    versionColumn: spec.changeVersionColumn,
  };
}

async function openWithTables() {
  const clock = fixedClock('2026-02-01T09:00:00.000Z');
  const source = await openEmbeddedSource({ path: ':memory:', clock });
  await source.createTables(Object.values(SOURCE_TABLES));
  return { source, clock };
}

test('rows written to the embedded source read back in wire form with a new change version and modified_at from the clock', async () => {
  const { source } = await openWithTables();
  try {
    const rows = [0, 1, 2].map((i) => syntheticRow(ecds, i));
    await source.insertRows('ecds_attendance', rows);
    const back = await source.readRows({
      table: ecds.table,
      keyColumns: layoutOf(ecds).keyColumns,
      limit: 10,
    });
    assert.equal(back.length, 3);
    back.forEach((row, i) => {
      const expected = {
        ...rows[i]!,
        change_version: String(i + 1),
        modified_at: '2026-02-01T09:00:00.000Z',
      };
      assert.deepEqual(row, expected);
    });
  } finally {
    await source.close();
  }
});

test('an update changes only the given columns, bumps the change version and returns how many rows matched', async () => {
  const { source, clock } = await openWithTables();
  try {
    await source.insertRows('sus_apc_episode', [syntheticRow(apc, 1), syntheticRow(apc, 2)]);
    clock.set('2026-02-02T10:30:00.250Z');
    const matched = await source.updateRows('sus_apc_episode', [
      { episode_id: 'K00000001', primary_diagnosis: 'I219' },
      { episode_id: 'K00000002', site_code: null, episode_number: 7 },
      { episode_id: 'K99999999', primary_diagnosis: 'I10X' },
    ]);
    assert.equal(matched, 2);
    const keyColumns = layoutOf(apc).keyColumns;
    const [one, two] = await source.readRows({ table: apc.table, keyColumns, limit: 10 });
    assert.deepEqual(
      { ...one, primary_diagnosis: null, change_version: null, modified_at: null },
      { ...syntheticRow(apc, 1), primary_diagnosis: null, change_version: null, modified_at: null },
    );
    assert.equal(one!.primary_diagnosis, 'I219');
    assert.equal(two!.site_code, null);
    assert.equal(two!.episode_number, 7);
    assert.equal(one!.modified_at, '2026-02-02T10:30:00.250Z');
    assert.ok(BigInt(one!.change_version as string) > 2n && BigInt(two!.change_version as string) > 2n);
    assert.notEqual(one!.change_version, two!.change_version);
  } finally {
    await source.close();
  }
});

test('deletes by business key report how many rows existed and the row count follows', async () => {
  const { source } = await openWithTables();
  try {
    await source.insertRows(
      'sus_apc_episode',
      [1, 2, 3].map((i) => syntheticRow(apc, i)),
    );
    assert.equal(await source.deleteRows('sus_apc_episode', [['K00000002'], ['K00000009']]), 1);
    assert.equal(await source.countRows('sus_apc_episode'), 2);
  } finally {
    await source.close();
  }
});

test('a failed bulk insert (duplicate business key) leaves the table unchanged', async () => {
  const { source } = await openWithTables();
  try {
    await source.insertRows('sus_apc_episode', [syntheticRow(apc, 1)]);
    await assert.rejects(
      source.insertRows('sus_apc_episode', [syntheticRow(apc, 2), syntheticRow(apc, 1)]),
      (error: Error & { code?: string }) => error.code === 'EMBEDDED_SOURCE_FAILED',
    );
    assert.equal(await source.countRows('sus_apc_episode'), 1);
  } finally {
    await source.close();
  }
});

test('the source computes the same canonical row hash and range checksums as the TypeScript spec', async () => {
  const { source } = await openWithTables();
  try {
    for (const spec of [apc, ecds, SOURCE_TABLES.prescribing_item]) {
      const rows = Array.from({ length: 40 }, (_, i) => syntheticRow(spec, i));
      // Awkward strings: separator, escape, NULL sentinel look-alike, empty, trailing space, non-ASCII.
      const textCol = spec.columns.find((c) => c.type === 'varchar' && c.nullable && !c.identifier)!;
      ['a|b', '\\N', '', 'x\\', ' padded ', 'Zoë ☃'].forEach((text, i) => (rows[i]![textCol.name] = text));
      await source.insertRows(spec.table, rows);
      const layout = layoutOf(spec);
      const stored = await source.readRows({ table: spec.table, keyColumns: layout.keyColumns, limit: 100 });
      const hashes = await source.readRowHashes({ layout, limit: 100 });
      assert.equal(hashes.length, stored.length);
      hashes.forEach((entry, i) => {
        assert.equal(entry.hash, rowHash(layout.hashColumns, stored[i]!), `row ${i} of ${spec.table}`);
        assert.deepEqual(entry.key, [stored[i]![spec.key[0]!]]);
        assert.equal(entry.version, stored[i]!.change_version);
      });
      const page2 = await source.readRowHashes({ layout, after: hashes[9]!.key, limit: 5 });
      assert.deepEqual(page2, hashes.slice(10, 15));
      const cut = (i: number) => hashes[i]!.key;
      const ranges = [
        { from: null, to: cut(10) },
        { from: cut(10), to: cut(25) },
        { from: cut(30), to: null },
      ];
      const sums = await source.rangeChecksums({ layout, ranges });
      const expect = (lo: number, hi: number) => ({
        count: hi - lo,
        sum: hashes
          .slice(lo, hi)
          .reduce((acc, h) => acc + rowHashPrefix64(h.hash), 0n)
          .toString(),
      });
      assert.deepEqual(sums, [expect(0, 10), expect(10, 25), expect(30, 40)]);
      // Many ranges, with gaps between them (the single-pass ASOF form).
      const many = Array.from({ length: 19 }, (_, i) => ({
        from: i === 0 ? null : cut(2 * i),
        to: cut(2 * i + 1),
      }));
      assert.deepEqual(
        await source.rangeChecksums({ layout, ranges: many }),
        many.map((_, i) => expect(i === 0 ? 0 : 2 * i, 2 * i + 1)),
      );
      assert.deepEqual(
        (await source.rangeChecksums({ layout, ranges: many, countOnly: true })).map((r) => r.count),
        many.map((_, i) => (i === 0 ? 1 : 1)),
      );
      assert.deepEqual(
        (
          await source.readRowsInRanges({ table: spec.table, keyColumns: layout.keyColumns, ranges: many })
        ).map((r) => r[spec.key[0]!]),
        many.map((_, i) => stored[i === 0 ? 0 : 2 * i]![spec.key[0]!]),
      );
    }
  } finally {
    await source.close();
  }
});

test('changes since a version are read with the covering version and row count, and truncate past the limit', async () => {
  const { source } = await openWithTables();
  try {
    await source.insertRows(
      'sus_apc_episode',
      [1, 2, 3, 4].map((i) => syntheticRow(apc, i)),
    );
    const request = {
      table: apc.table,
      keyColumns: layoutOf(apc).keyColumns,
      versionColumn: 'change_version',
      limit: 10,
    };
    const first = await source.readChangesSince({ ...request, sinceVersion: null });
    assert.equal(first.rows.length, 4);
    assert.equal(first.upToVersion, '4');
    await source.updateRows('sus_apc_episode', [{ episode_id: 'K00000003', episode_number: 99 }]);
    const next = await source.readChangesSince({ ...request, sinceVersion: first.upToVersion });
    assert.deepEqual(
      next.rows.map((r) => r.episode_id),
      ['K00000003'],
    );
    assert.equal(next.rowCount, 4);
    assert.equal(await source.currentVersion(apc.table, 'change_version'), next.upToVersion);
    const truncated = await source.readChangesSince({ ...request, sinceVersion: null, limit: 2 });
    assert.equal(truncated.truncated, true);
    assert.equal(truncated.rows.length, 0);
  } finally {
    await source.close();
  }
});

test('schema introspection reports the declared SQL types, and an altered column its new type', async () => {
  const { source } = await openWithTables();
  try {
    const columns = await source.describeTable('ecds_attendance');
    assert.deepEqual(
      columns.map((c) => c.name),
      ecds.columns.map((c) => c.name),
    );
    assert.deepEqual(
      columns.map((c) => c.type),
      ecds.columns.map((c) => c.type),
    );
    assert.equal(columns.find((c) => c.name === 'attendance_id')!.length, 20);
    await source.executeSql(`ALTER TABLE sus_apc_episode ALTER episode_number TYPE BIGINT`);
    await source.executeSql(`ALTER TABLE sus_apc_episode ADD COLUMN extra_flag BOOLEAN`);
    const altered = await source.describeTable('sus_apc_episode');
    assert.equal(altered.find((c) => c.name === 'episode_number')!.type, 'bigint');
    assert.equal(altered.find((c) => c.name === 'extra_flag')!.type, 'bit');
    const spell = await source.describeTable('sus_apc_spell');
    assert.equal(spell.find((c) => c.name === 'tariff_gbp')!.scale, 2);
  } finally {
    await source.close();
  }
});

test('a database file keeps its rows and change versions across reopen, and bulk inserts use the appender', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-src-'));
  const path = join(dir, 'source.duckdb');
  try {
    const clock = fixedClock('2026-02-01T09:00:00.000Z');
    const first = await openEmbeddedSource({ path, clock });
    await first.createTables([apc]);
    await first.insertRows(
      'sus_apc_episode',
      Array.from({ length: 5_000 }, (_, i) => syntheticRow(apc, i)),
    );
    await first.close();
    const second = await openEmbeddedSource({ path, clock });
    try {
      assert.equal(await second.countRows('sus_apc_episode'), 5_000);
      await second.insertRows('sus_apc_episode', [syntheticRow(apc, 9_999_999)]);
      assert.equal(await second.currentVersion('sus_apc_episode', 'change_version'), '5001');
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every row read returns awkward text, extreme integers, booleans and nulls exactly as written', async () => {
  // Rows cross from the engine as one JSON text each: text that looks like JSON, quotes,
  // backslashes, control characters, astral-plane characters and member names of Object.prototype
  // must come back as the same values, not parsed, escaped twice or dropped.
  const { source } = await openWithTables();
  try {
    const awkward = [
      '{"nhs_number":"9434765919"}',
      'quote " and backslash \\ and slash /',
      'tab\tnewline\ncarriage\rbell\u0007nul-free',
      'emoji 🏥 and é, ß, 中文',
      '',
      '__proto__',
      '[1,2]',
      'null',
    ];
    const rows: SourceRow[] = awkward.map((text, i) => ({
      ...syntheticRow(ecds, i),
      site_code: text,
      duration_mins: [2147483647, -2147483648, 0, null][i % 4] ?? null,
      is_arrival_planned: [true, false, null][i % 3] ?? null,
    }));
    await source.insertRows('ecds_attendance', rows);
    const keyColumns = layoutOf(ecds).keyColumns;
    const expected = rows.map((row, i) => ({
      ...row,
      change_version: String(i + 1),
      modified_at: '2026-02-01T09:00:00.000Z',
    }));
    const byKey = (list: readonly Record<string, unknown>[]) =>
      [...list].sort((a, b) => String(a.attendance_id).localeCompare(String(b.attendance_id)));
    const read = await source.readRows({ table: ecds.table, keyColumns, limit: 100 });
    assert.deepEqual(byKey(read), byKey(expected));
    const scanned: Record<string, unknown>[] = [];
    for await (const page of source.scanRows({ table: ecds.table, keyColumns, pageSize: 3 }))
      scanned.push(...page);
    assert.deepEqual(byKey(scanned), byKey(expected));
    const keys = rows.map((r) => [String(r.attendance_id)]);
    assert.deepEqual(
      byKey(await source.readRowsByKeys({ table: ecds.table, keyColumns, keys })),
      byKey(expected),
    );
    const changes = await source.readChangesSince({
      table: ecds.table,
      keyColumns,
      versionColumn: 'change_version',
      sinceVersion: null,
      limit: 100,
    });
    assert.deepEqual(byKey(changes.rows), byKey(expected));
    for (const row of read) assert.equal(Object.getPrototypeOf(row), Object.prototype);
  } finally {
    await source.close();
  }
});

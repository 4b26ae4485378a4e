import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MssqlChangeSource,
  type MssqlPoolLike,
} from '../../../shared/adapters/azure/mssql-change-source.azure.js';
import { KEY_COLLATION } from '../../../shared/adapters/azure/mssql-sql.azure.js';
import { captureTable } from '../../../shared/domain/capture/capture-config.js';
import { parseSourceTableFile } from '../../../shared/domain/capture/source-feeds.js';
import { captureTables } from '../../../shared/application/use-cases/poll-sources.use-case.js';
import { SOURCE_TABLES } from '../../../shared/domain/datasets/source-tables.js';
import { ConfigError } from '../../../shared/domain/errors.js';

const spec = SOURCE_TABLES.ecds_attendance;

/** A second trust's A&E table: its own names, a key prefix, a recode and two extra columns. */
const FEED = {
  name: 'ecds_attendance_rxx',
  feeds: 'ecds_attendance',
  source: 'pas.EDAttendances',
  key: ['AttendanceRef'],
  keyPrefix: 'RXX-',
  changeVersion: 'RowVer',
  columns: {
    AttendanceRef: 'attendance_id',
    RowVer: 'change_version',
    Mode: { column: 'arrival_mode', recode: { AMB: '1048031000000100', "O'WALK": '1048001000000106' } },
  },
  extraColumns: [
    { name: 'PatientName', identifier: true },
    { name: 'Cubicle', identifier: false },
  ],
};

function problemsOf(input: unknown): string[] {
  try {
    parseSourceTableFile(input);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.problems];
  }
  return [];
}

test('a source feed declares its capture name, table, key, prefix, version, mapping with recodes and extra columns', () => {
  const { feeds, tableMap } = parseSourceTableFile({ feeds: [FEED] });
  assert.equal(tableMap.size, 0);
  const f = feeds.get('ecds_attendance_rxx')!;
  assert.deepEqual(
    { ...f, columns: [...f.columns], recodes: [...f.recodes].map(([c, r]) => [c, [...r]]) },
    {
      name: 'ecds_attendance_rxx',
      feeds: 'ecds_attendance',
      schema: 'pas',
      sourceTable: 'EDAttendances',
      keyPrefix: 'RXX-',
      changeTracking: false,
      columns: [
        ['attendance_id', 'AttendanceRef'],
        ['change_version', 'RowVer'],
        ['arrival_mode', 'Mode'],
      ],
      recodes: [
        [
          'arrival_mode',
          [
            ['AMB', '1048031000000100'],
            ["O'WALK", '1048001000000106'],
          ],
        ],
      ],
      extraColumns: FEED.extraColumns,
    },
  );
});

test('every problem of a feed file is listed at once, naming the feed and the field', () => {
  const problems = problemsOf({
    tables: [{ table: 'ecds_attendance', source: 'pas.EDAttendances' }],
    feeds: [
      {
        ...FEED,
        name: 'ecds_attendance',
        key: ['AttRef'],
        changeVersion: 'Stamp',
        extraColumns: [{ name: 'AttendanceRef', identifier: true }],
      },
      {
        ...FEED,
        name: 'ecds_c',
        source: 'pas.C',
        keyPrefix: 'C-',
        columns: {
          ...FEED.columns,
          Site: 'no_such_column',
          Arrived: { column: spec.activityDateColumn, recode: { X: '2026-01-01' } },
        },
      },
      { ...FEED, name: 'sus_apc_spell', keyPrefix: '' },
      { ...FEED, name: 'ecds_b', source: 'pas.EDB', keyPrefix: 'RXX-B' },
      { ...FEED, name: 'Bad Name', feeds: 'no_table' },
      {
        ...FEED,
        name: 'ecds_d',
        source: 'pas.D',
        keyPrefix: 'D-',
        columns: {
          ...FEED.columns,
          Arrived: { column: spec.activityDateColumn, recode: { X: '2026-01-01' } },
        },
      },
    ],
  });
  const expected = [
    /feeds\.4\.name: a capture name/,
    /feeds\.5\.columns\.Arrived: values are recoded in text columns only; \w+ is date/,
    /feeds\.0\.name: 'ecds_attendance' is already a capture name/,
    /feeds\.0\.source: 'pas\.EDAttendances' is already the source of ecds_attendance/,
    /feeds\.1\.columns: .*'no_such_column' is not a column of ecds_attendance/,
    /feeds\.0\.key: \[AttRef\] must be the source columns of ecds_attendance's key \(attendance_id\)/,
    /feeds\.0\.changeVersion: 'Stamp' must be the source column mapped to change_version/,
    /feeds\.0\.extraColumns\.0: 'AttendanceRef' is read as a declared column; an extra column is never read \(and this one holds patient identifiers\)/,
    /feeds\.2\.name: 'sus_apc_spell' is another declared table/,
    /feeds\.2\.source: 'pas\.EDAttendances' is already the source of ecds_attendance/,
    /feed sus_apc_spell has no keyPrefix, but 5 captures feed ecds_attendance/,
    /the keyPrefix 'RXX-' of .* starts the keyPrefix 'RXX-B' of ecds_b/,
  ];
  for (const pattern of expected)
    assert.ok(
      problems.some((p) => pattern.test(p)),
      `${pattern} not among:\n${problems.join('\n')}`,
    );
});

test('NHSFLOWS_CDC_TABLES takes feed names, orders a feed after its table, and refuses the built-in capture beside a prefixed feed', () => {
  const { feeds } = parseSourceTableFile({
    feeds: [FEED, { ...FEED, name: 'ecds_attendance_rkk', source: 'rkk.AE', keyPrefix: 'RKK-' }],
  });
  const selected = captureTables('ecds_attendance_rkk,sus_apc_spell,ecds_attendance_rxx', 100, 0.5, feeds);
  assert.deepEqual(
    selected.map((t) => [t.name, t.spec.table, t.layout.table]),
    [
      ['sus_apc_spell', 'sus_apc_spell', 'sus_apc_spell'],
      ['ecds_attendance_rkk', 'ecds_attendance', 'ecds_attendance_rkk'],
      ['ecds_attendance_rxx', 'ecds_attendance', 'ecds_attendance_rxx'],
    ],
  );
  assert.ok(
    captureTables(undefined, 100, 0.5, feeds).every((t) => t.name !== 'ecds_attendance'),
    'unset: every feed, and no built-in capture of a table that feeds read',
  );
  assert.throws(
    () => captureTables('ecds_attendance,ecds_attendance_rxx', 100, 0.5, feeds),
    (e: unknown) =>
      e instanceof ConfigError &&
      /NHSFLOWS_CDC_TABLES: feed ecds_attendance has no keyPrefix, but 2 captures feed ecds_attendance/.test(
        e.message,
      ),
  );
});

function fakePool(answer: (text: string) => unknown[][]): MssqlPoolLike & {
  seen: { text: string; params: Record<string, unknown> }[];
} {
  const seen: { text: string; params: Record<string, unknown> }[] = [];
  return {
    seen,
    request: () => {
      const params: Record<string, unknown> = {};
      return {
        input: (name: string, _type: unknown, value: unknown) => void (params[name] = value),
        query: async (text: string) => {
          seen.push({ text, params });
          const recordsets = answer(text);
          return { recordsets, recordset: recordsets[0] };
        },
      };
    },
    close: async () => undefined,
  };
}

test('a feed reads its own table: the key prefix and recodes in the projection and the hash, bare key columns in predicates with the prefix taken off, extra columns never read', async () => {
  const { feeds } = parseSourceTableFile({ feeds: [FEED] });
  const names: Record<string, string> = {
    attendance_id: 'AttendanceRef',
    change_version: 'RowVer',
    arrival_mode: 'Mode',
  };
  const sysColumns = [
    ...spec.columns.map((c) => ({
      name: names[c.name] ?? c.name,
      nativeType: c.name === spec.changeVersionColumn ? 'timestamp' : c.type,
      maxLength: c.name === spec.changeVersionColumn ? 8 : (c.length ?? 0),
      precision: c.precision ?? 0,
      scale: c.scale ?? 0,
      nullable: c.nullable,
      collation: c.type === 'varchar' || c.type === 'char' ? KEY_COLLATION : null,
    })),
    ...['PatientName', 'Cubicle', 'Surprise'].map((name) => ({
      name,
      nativeType: 'varchar',
      maxLength: 50,
      precision: 0,
      scale: 0,
      nullable: true,
      collation: KEY_COLLATION,
    })),
  ];
  const pool = fakePool((text) => {
    if (text.includes('sys.columns')) return [sysColumns];
    if (text.includes('[range]')) return [[{ range: 0, count: '1', sum: '0' }]];
    return [[]];
  });
  const source = new MssqlChangeSource(pool, { feeds });
  const resolved = captureTable(spec, {}, 'ecds_attendance_rxx');

  const described = (await source.describeTable('ecds_attendance_rxx')).map((c) => c.name);
  assert.ok(described.includes('Surprise'), 'an unlisted source column is reported (drift)');
  assert.ok(!described.includes('PatientName') && !described.includes('Cubicle'), 'listed extras are not');

  await source.readRows({
    table: 'ecds_attendance_rxx',
    keyColumns: resolved.layout.keyColumns,
    after: ['RXX-EC9'],
    limit: 5,
  });
  const page = pool.seen.at(-1)!;
  assert.match(page.text, /^SELECT TOP \(@p1\) \(N'RXX-' \+ \[AttendanceRef\]\) AS \[attendance_id\], /);
  assert.match(
    page.text,
    /CASE \[Mode\] WHEN N'AMB' THEN N'1048031000000100' WHEN N'O''WALK' THEN N'1048001000000106' ELSE \[Mode\] END AS \[arrival_mode\]/,
  );
  assert.match(
    page.text,
    /\nFROM \[pas\]\.\[EDAttendances\]\nWHERE \[AttendanceRef\] > @p0\nORDER BY \[AttendanceRef\];$/,
  );
  assert.equal(page.params.p0, 'EC9', 'the prefix is taken off the key bound');
  for (const name of ['PatientName', 'Cubicle', 'Surprise'])
    assert.ok(!page.text.includes(name), `${name} is read`);

  for await (const p of source.scanRowHashes({ layout: resolved.layout, pageSize: 10 })) void p;
  const hashes = pool.seen.at(-1)!.text;
  assert.match(
    hashes,
    /CAST\(\(N'RXX-' \+ \[AttendanceRef\]\) AS nvarchar\(max\)\) AS \[k0\]/,
    'the key text is prefixed',
  );
  assert.match(hashes, /CASE \[Mode\] WHEN N'AMB'/, 'the hash is of the recoded value');

  await source.rangeChecksums({
    layout: resolved.layout,
    ranges: [{ from: ['RXX-EC1'], to: ['RXX-EC5'] }],
    countOnly: true,
  });
  const ranges = pool.seen.at(-1)!;
  assert.match(ranges.text, /WHERE \[AttendanceRef\] >= @p0 AND \[AttendanceRef\] < @p1/);
  assert.deepEqual([ranges.params.p0, ranges.params.p1], ['EC1', 'EC5']);

  await source.readRowsByKeys({
    table: 'ecds_attendance_rxx',
    keyColumns: resolved.layout.keyColumns,
    keys: [['RXX-EC2']],
  });
  assert.equal(pool.seen.at(-1)!.params.p0, '[["EC2"]]');
});

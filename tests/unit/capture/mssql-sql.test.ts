import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  MssqlChangeSource,
  type MssqlPoolLike,
  type MssqlRequestLike,
} from '../../../shared/adapters/azure/mssql-change-source.azure.js';
import {
  canonicalExpression,
  canonicalRowSql,
  describeTableStatement,
  isBinaryKeyCollation,
  rangeChecksumsStatement,
  readChangesStatement,
  readRowHashesStatement,
  readRowsByKeysStatement,
  readRowsStatement,
  scanRowHashesStatement,
  type MssqlColumn,
  type TableShape,
} from '../../../shared/adapters/azure/mssql-sql.azure.js';
import { canonicalDecimal, type RowHashLayout } from '../../../shared/domain/capture/row-hash.js';
import { hashHexAt, keyAt } from '../../../shared/domain/capture/row-hash-page.js';
import { decodeKey } from '../../../shared/domain/capture/state-key.js';

const col = (name: string, nativeType: string, extra: Partial<MssqlColumn> = {}): MssqlColumn => ({
  name,
  nativeType,
  maxLength: 10,
  precision: 0,
  scale: 0,
  nullable: true,
  ...extra,
});

const demo: TableShape = {
  schema: 'dbo',
  table: 'demo',
  columns: [
    col('ward', 'varchar', { nullable: false }),
    col('seq', 'int', { nullable: false }),
    col('amount', 'decimal', { precision: 10, scale: 2 }),
    col('seen_at', 'datetimeoffset'),
    col('rv', 'timestamp', { maxLength: 8 }),
  ],
  keyColumns: [
    { name: 'ward', type: 'varchar' },
    { name: 'seq', type: 'int' },
  ],
};
const layout: RowHashLayout = {
  specVersion: 1,
  table: 'demo',
  keyColumns: demo.keyColumns,
  hashColumns: [
    { name: 'ward', type: 'varchar' },
    { name: 'seq', type: 'int' },
    { name: 'amount', type: 'decimal' },
    { name: 'seen_at', type: 'datetimeoffset' },
  ],
  versionColumn: 'rv',
};

test('a key-ordered page uses keyset pagination over the composite key in binary collation', () => {
  const statement = readRowsStatement(demo, { after: ['A', '5'], limit: 100 });
  assert.equal(
    statement.text,
    [
      "SELECT TOP (@p2) [ward] AS [ward], [seq] AS [seq], CONVERT(varchar(50), [amount]) AS [amount], STUFF(LEFT(CONVERT(varchar(27), CAST([seen_at] AS datetime2(7)), 121), 23), 11, 1, 'T') + DATENAME(TZOFFSET, [seen_at]) AS [seen_at], CONVERT(varchar(20), CAST([rv] AS bigint)) AS [rv]",
      'FROM [dbo].[demo]',
      'WHERE ([ward] > @p0 OR ([ward] = @p0 AND [seq] > @p1))',
      'ORDER BY [ward], [seq];',
    ].join('\n'),
  );
  assert.deepEqual(statement.params, [
    { name: 'p0', type: 'varchar', value: 'A' },
    { name: 'p1', type: 'bigint', value: '5' },
    { name: 'p2', type: 'int', value: 100 },
  ]);
});

test('a key-only page for reconciliation projects the key columns and the named columns only, with the same keyset predicate', () => {
  const full = readRowsStatement(demo, { after: ['A', '5'], limit: 100 });
  const keyOnly = readRowsStatement(demo, { after: ['A', '5'], limit: 100, columns: ['seen_at'] });
  assert.equal(
    keyOnly.text.split('\n')[0],
    "SELECT TOP (@p2) [ward] AS [ward], [seq] AS [seq], STUFF(LEFT(CONVERT(varchar(27), CAST([seen_at] AS datetime2(7)), 121), 23), 11, 1, 'T') + DATENAME(TZOFFSET, [seen_at]) AS [seen_at]",
  );
  assert.equal(keyOnly.text.split('\n').slice(1).join('\n'), full.text.split('\n').slice(1).join('\n'));
  assert.deepEqual(keyOnly.params, full.params);
  assert.doesNotMatch(
    readRowsStatement(demo, { limit: 1, columns: [] }).text,
    /amount|seen_at|rv/,
    'no named column: the key alone',
  );
});

test('a Change Tracking table without a version column reads each row’s version from CHANGETABLE(VERSION …), in pages and by keys', () => {
  const tracked: TableShape = {
    ...demo,
    columns: demo.columns.filter((c) => c.name !== 'rv'),
    trackedVersionColumn: 'rv',
  };
  const page = readRowsStatement(tracked, { limit: 10 }).text;
  assert.match(
    page,
    /, CONVERT\(varchar\(20\), ISNULL\(\(SELECT cv\.SYS_CHANGE_VERSION FROM CHANGETABLE\(VERSION \[dbo\]\.\[demo\], \(\[ward\], \[seq\]\), \(\[dbo\]\.\[demo\]\.\[ward\], \[dbo\]\.\[demo\]\.\[seq\]\)\) AS cv\), 0\)\) AS \[rv\]\nFROM \[dbo\]\.\[demo\]\n/,
  );
  assert.match(
    readRowsByKeysStatement(tracked, [['A', '1']]).text,
    /CHANGETABLE\(VERSION \[dbo\]\.\[demo\], \(\[ward\], \[seq\]\), \(t\.\[ward\], t\.\[seq\]\)\) AS cv\), 0\)\) AS \[rv\]\nFROM \[dbo\]\.\[demo\] AS t/,
  );
  assert.doesNotMatch(
    readRowsStatement(tracked, { limit: 10, columns: ['seen_at'] }).text,
    /CHANGETABLE/,
    'a key-only read needs no version',
  );
  assert.doesNotMatch(
    readRowsStatement(demo, { limit: 10 }).text,
    /CHANGETABLE/,
    'a rowversion table reads its column',
  );
});

test('a bounded range page has an inclusive lower and an exclusive upper key bound', () => {
  const { text } = readRowsStatement(demo, { from: ['B', '1'], before: ['C', '0'], limit: 10 });
  assert.match(
    text,
    /WHERE \(\[ward\] > @p0 OR \(\[ward\] = @p0 AND \[seq\] >= @p1\)\) AND \(\[ward\] < @p2 OR \(\[ward\] = @p2 AND \[seq\] < @p3\)\)/,
  );
});

const canonicalCases: [string, Parameters<typeof canonicalExpression>[0], MssqlColumn, string][] = [
  ['varchar untouched', 'varchar', col('c', 'varchar'), 'CAST([c] AS nvarchar(max))'],
  ['int as plain decimal', 'int', col('c', 'int'), 'CONVERT(nvarchar(40), [c])'],
  ['rowversion as bigint', 'bigint', col('c', 'timestamp'), 'CONVERT(nvarchar(20), CAST([c] AS bigint))'],
  [
    'decimal with scale: trailing zeros and point stripped, zero as 0',
    'decimal',
    col('c', 'decimal', { scale: 2 }),
    "CASE WHEN [c] IS NULL THEN NULL WHEN [c] = 0 THEN N'0' ELSE CASE WHEN RIGHT(REPLACE(RTRIM(REPLACE(CONVERT(nvarchar(50), [c]), N'0', N' ')), N' ', N'0'), 1) = N'.' THEN LEFT(REPLACE(RTRIM(REPLACE(CONVERT(nvarchar(50), [c]), N'0', N' ')), N' ', N'0'), LEN(REPLACE(RTRIM(REPLACE(CONVERT(nvarchar(50), [c]), N'0', N' ')), N' ', N'0')) - 1) ELSE REPLACE(RTRIM(REPLACE(CONVERT(nvarchar(50), [c]), N'0', N' ')), N' ', N'0') END END",
  ],
  ['decimal with scale 0 as is', 'decimal', col('c', 'decimal', { scale: 0 }), 'CONVERT(nvarchar(40), [c])'],
  ['date as ISO', 'date', col('c', 'date'), 'CONVERT(nchar(10), [c], 23)'],
  [
    'datetime2 as UTC milliseconds, truncated',
    'datetime2',
    col('c', 'datetime2'),
    "CAST(STUFF(LEFT(CONVERT(varchar(27), CAST([c] AS datetime2(7)), 121), 23), 11, 1, 'T') + 'Z' AS nvarchar(30))",
  ],
  [
    'datetimeoffset switched to UTC first',
    'datetimeoffset',
    col('c', 'datetimeoffset'),
    "CAST(STUFF(LEFT(CONVERT(varchar(27), CAST(SWITCHOFFSET([c], '+00:00') AS datetime2(7)), 121), 23), 11, 1, 'T') + 'Z' AS nvarchar(30))",
  ],
  ['bit as 1/0', 'bit', col('c', 'bit'), 'CONVERT(nchar(1), [c])'],
  ['binary as lowercase hex', 'binary', col('c', 'varbinary'), 'LOWER(CONVERT(nvarchar(max), [c], 2))'],
];
for (const [name, type, column, expected] of canonicalCases)
  test(`canonical T-SQL: ${name}`, () => assert.equal(canonicalExpression(type, column), expected));

test('the canonical row text escapes strings, uses the NULL sentinel and joins with the separator', () => {
  const text = canonicalRowSql(
    [
      { name: 'ward', type: 'varchar' },
      { name: 'seq', type: 'int' },
    ],
    new Map(demo.columns.map((c) => [c.name, c])),
  );
  assert.equal(
    text,
    "CAST(COALESCE(REPLACE(REPLACE(CAST([ward] AS nvarchar(max)) COLLATE Latin1_General_100_BIN2, N'\\', N'\\\\'), N'|', N'\\|'), N'\\N') AS nvarchar(max)) + N'|' + COALESCE(CONVERT(nvarchar(40), [seq]), N'\\N')",
  );
});

/** What the decimal T-SQL does to SQL Server's fixed-scale text, emulated on strings. */
function emulateTsqlDecimal(text: string): string {
  if (Number(text) === 0) return '0';
  const stripped = text.replace(/0/g, ' ').trimEnd().replace(/ /g, '0');
  return stripped.endsWith('.') ? stripped.slice(0, -1) : stripped;
}

test('the T-SQL decimal canonicalisation agrees with the spec on SQL Server fixed-scale text', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
      fc.integer({ min: 1, max: 6 }),
      (units, scale) => {
        const negative = units < 0n;
        const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
        const text = `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
        assert.equal(emulateTsqlDecimal(text), canonicalDecimal(text));
      },
    ),
  );
});

test('row hashes are HASHBYTES SHA2_256 over the UTF-8 bytes of the canonical text, as lowercase hex', () => {
  const { text, params } = readRowHashesStatement(demo, layout, { after: ['A', '1'], limit: 50 });
  assert.match(
    text,
    /^SELECT TOP \(@p2\) CAST\(\[ward\] AS nvarchar\(max\)\) AS \[k0\], CONVERT\(nvarchar\(40\), \[seq\]\) AS \[k1\], CONVERT\(varchar\(20\), CAST\(\[rv\] AS bigint\)\) AS \[version\], LOWER\(CONVERT\(char\(64\), HASHBYTES\('SHA2_256', CAST\(\(/,
  );
  assert.ok(text.includes(') COLLATE Latin1_General_100_BIN2_UTF8 AS varchar(max))), 2)) AS [hash]'));
  assert.deepEqual(
    params.map((p) => p.value),
    ['A', '1', 50],
  );
});

test("the full scan's pages carry the key texts and HASHBYTES' 32 bytes as they are (no hex, no version)", () => {
  const { text, params } = scanRowHashesStatement(demo, layout, { after: ['A', '1'], limit: 50 });
  assert.match(
    text,
    /^SELECT TOP \(@p2\) CAST\(\[ward\] AS nvarchar\(max\)\) AS \[k0\], CONVERT\(nvarchar\(40\), \[seq\]\) AS \[k1\], HASHBYTES\('SHA2_256', CAST\(\(/,
  );
  assert.ok(
    text.includes(') COLLATE Latin1_General_100_BIN2_UTF8 AS varchar(max))) AS [hash]\nFROM [dbo].[demo]'),
  );
  assert.ok(!text.includes('[version]') && !text.includes('CONVERT(char(64)'));
  assert.match(text, /ORDER BY \[ward\], \[seq\];$/);
  assert.deepEqual(
    params.map((p) => p.value),
    ['A', '1', 50],
  );
});

test('range checksums are one clustered-range branch per range summing the signed 64-bit hash prefix exactly', () => {
  const { text, params } = rangeChecksumsStatement(demo, layout, [
    { from: null, to: ['B', '1'] },
    { from: ['B', '1'], to: ['D', '0'] },
    { from: ['D', '0'], to: null },
  ]);
  const branches = text.split('\nUNION ALL\n');
  assert.equal(branches.length, 3);
  branches.forEach((branch, i) => {
    assert.ok(
      branch.startsWith(
        `SELECT ${i} AS [range], COUNT_BIG(*) AS [count], CONVERT(varchar(40), ISNULL(SUM(CAST(CAST(SUBSTRING(HASHBYTES('SHA2_256', `,
      ),
    );
    assert.ok(branch.includes(', 1, 8) AS bigint) AS decimal(38, 0))), 0)) AS [sum] FROM [dbo].[demo]'));
  });
  assert.ok(branches[0]!.endsWith('WHERE ([ward] < @p0 OR ([ward] = @p0 AND [seq] < @p1))'));
  assert.ok(!branches[2]!.includes(' < @'));
  assert.deepEqual(
    params.map((p) => p.value),
    ['B', '1', 'B', '1', 'D', '0', 'D', '0'],
  );
});

test('changes since a rowversion read up to MIN_ACTIVE_ROWVERSION - 1 in one snapshot batch', () => {
  const { text, params } = readChangesStatement(demo, {
    versionColumn: 'rv',
    versionKind: 'rowversion',
    sinceVersion: '10',
    limit: 1000,
    snapshot: true,
  });
  assert.ok(
    text.startsWith(
      'SET XACT_ABORT ON;\nSET TRANSACTION ISOLATION LEVEL SNAPSHOT;\nBEGIN TRANSACTION;\nDECLARE @upTo bigint = CAST(MIN_ACTIVE_ROWVERSION() AS bigint) - 1;',
    ),
  );
  assert.ok(
    text.includes(
      'WHERE (@p0 IS NULL OR t.[rv] > CONVERT(binary(8), @p0)) AND t.[rv] <= CONVERT(binary(8), @upTo)',
    ),
  );
  assert.ok(text.includes(') <= @p1\n  SELECT '));
  assert.ok(text.endsWith('ORDER BY t.[ward], t.[seq];\nCOMMIT TRANSACTION;'));
  assert.deepEqual(params, [
    { name: 'p0', type: 'bigint', value: '10' },
    { name: 'p1', type: 'bigint', value: 1000 },
  ]);
});

test('changes through Change Tracking read CHANGETABLE and report a version older than the minimum valid one', () => {
  const { text } = readChangesStatement(demo, {
    versionColumn: 'ct_version',
    versionKind: 'change-tracking',
    sinceVersion: '7',
    limit: 10,
    snapshot: false,
  });
  assert.ok(text.startsWith('DECLARE @upTo bigint = CHANGE_TRACKING_CURRENT_VERSION();'));
  assert.ok(text.includes("CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(N'[dbo].[demo]'))"));
  assert.ok(
    text.includes(
      'FROM CHANGETABLE(CHANGES [dbo].[demo], ISNULL(@p0, 0)) AS ct\n  JOIN [dbo].[demo] AS t ON t.[ward] = ct.[ward] AND t.[seq] = ct.[seq]',
    ),
  );
  assert.ok(text.includes("ct.SYS_CHANGE_OPERATION <> 'D'"));
  assert.ok(text.includes('CONVERT(varchar(20), ct.SYS_CHANGE_VERSION) AS [ct_version]'));
});

test('rows by key travel as one JSON parameter read with OPENJSON, typed like the key columns', () => {
  const { text, params } = readRowsByKeysStatement(demo, [
    ['A', '1'],
    ['B', '2'],
  ]);
  assert.ok(
    text.includes(
      "JOIN OPENJSON(@p0) WITH ([k0] varchar(10) '$[0]', [k1] bigint '$[1]') AS v ON t.[ward] = v.[k0] AND t.[seq] = v.[k1]",
    ),
  );
  assert.deepEqual(params, [{ name: 'p0', type: 'nvarchar', value: '[["A","1"],["B","2"]]' }]);
});

test('identifiers are bracket-quoted so a hostile name cannot break out of the statement', () => {
  const { text, params } = describeTableStatement('dbo', 'x]; DROP TABLE y; --');
  assert.ok(text.includes('WHERE c.object_id = OBJECT_ID(@p0)'));
  assert.equal(params[0]!.value, '[dbo].[x]]; DROP TABLE y; --]');
  assert.ok(readRowsStatement({ ...demo, table: 'a]b' }, { limit: 1 }).text.includes('FROM [dbo].[a]]b]'));
});

/** A pool that records statements and answers with canned recordsets. */
function fakePool(answer: (text: string) => Record<string, unknown>[][]): MssqlPoolLike & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    request(): MssqlRequestLike {
      return {
        input: () => undefined,
        query: async (text: string) => {
          seen.push(text);
          const recordsets = answer(text);
          return { recordsets, recordset: recordsets[0] };
        },
      };
    },
    close: async () => undefined,
  };
}

const sysColumns = [
  {
    name: 'ward',
    nativeType: 'nvarchar',
    maxLength: 20,
    precision: 0,
    scale: 0,
    nullable: false,
    collation: 'Latin1_General_100_BIN2',
  },
  { name: 'seq', nativeType: 'int', maxLength: 4, precision: 10, scale: 0, nullable: false },
  { name: 'amount', nativeType: 'numeric', maxLength: 9, precision: 10, scale: 2, nullable: true },
  { name: 'rv', nativeType: 'timestamp', maxLength: 8, precision: 0, scale: 0, nullable: false },
];

test('the adapter maps sys.columns to portable types (nvarchar lengths in characters, rowversion as bigint)', async () => {
  const source = new MssqlChangeSource(fakePool(() => [sysColumns]));
  assert.deepEqual(await source.describeTable('demo'), [
    { name: 'ward', type: 'varchar', nativeType: 'nvarchar', nullable: false, length: 10 },
    { name: 'seq', type: 'int', nativeType: 'int', nullable: false },
    { name: 'amount', type: 'decimal', nativeType: 'numeric', nullable: true, precision: 10, scale: 2 },
    { name: 'rv', type: 'bigint', nativeType: 'timestamp', nullable: false },
  ]);
});

test('the adapter reads a rowversion change batch and reports truncation past the limit', async () => {
  const pool = fakePool((text) =>
    text.includes('sys.columns')
      ? [sysColumns]
      : [[{ upToVersion: '99', rowCount: '12', valid: true }], [{ changed: '5' }]],
  );
  const source = new MssqlChangeSource(pool);
  const set = await source.readChangesSince({
    table: 'demo',
    keyColumns: demo.keyColumns,
    versionColumn: 'rv',
    sinceVersion: '50',
    limit: 3,
  });
  assert.deepEqual(set, { rows: [], upToVersion: '99', rowCount: 12, truncated: true });
  assert.ok(pool.seen[1]!.includes('MIN_ACTIVE_ROWVERSION()'));
});

test('the adapter turns full-scan keyset pages into row-hash pages with keys in the capture state encoding', async () => {
  const hash = (n: number) => Buffer.alloc(32, n);
  const pages = [
    [
      { k0: 'A', k1: 1, hash: hash(1) },
      { k0: 'A', k1: 2, hash: hash(2) },
    ],
    [{ k0: 'B', k1: -3, hash: hash(3) }],
  ];
  const pool = fakePool((text) => (text.includes('sys.columns') ? [sysColumns] : [pages.shift() ?? []]));
  const source = new MssqlChangeSource(pool);
  const seen: { key: string[]; hash: string }[] = [];
  for await (const page of source.scanRowHashes({ layout: { ...layout, hashColumns: [] }, pageSize: 2 }))
    for (let i = 0; i < page.length; i++)
      seen.push({ key: decodeKey(demo.keyColumns, keyAt(page, i)), hash: hashHexAt(page, i) });
  assert.deepEqual(seen, [
    { key: ['A', '1'], hash: hash(1).toString('hex') },
    { key: ['A', '2'], hash: hash(2).toString('hex') },
    { key: ['B', '-3'], hash: hash(3).toString('hex') },
  ]);
  assert.equal(pool.seen.filter((t) => t.includes('HASHBYTES')).length, 2, 'a short page ends the scan');
});

test('no key predicate, join or ORDER BY wraps a key column in COLLATE (that defeats the key index seek)', () => {
  const texts = [
    readRowsStatement(demo, { after: ['A', '1'], from: ['A', '0'], before: ['Z', '9'], limit: 5 }).text,
    readRowHashesStatement(demo, layout, { after: ['A', '1'], limit: 5 }).text,
    scanRowHashesStatement(demo, layout, { after: ['A', '1'], limit: 5 }).text,
    rangeChecksumsStatement(demo, layout, [{ from: ['A', '1'], to: ['B', '2'] }]).text,
    readRowsByKeysStatement(demo, [['A', '1']]).text,
    readChangesStatement(demo, {
      versionColumn: 'rv',
      versionKind: 'rowversion',
      sinceVersion: '1',
      limit: 5,
      snapshot: false,
    }).text,
  ];
  for (const text of texts) {
    assert.doesNotMatch(text, /(t\.)?\[(ward|seq)\] COLLATE/, text);
    assert.match(text, /(t\.)?\[ward\](, | [<>=])/, 'the key column is compared as it is');
  }
});

test('a text key column qualifies for index-ordered pages only with a BIN2 collation', () => {
  for (const [collation, ok] of [
    ['Latin1_General_100_BIN2', true],
    ['Latin1_General_100_BIN2_UTF8', true],
    ['SQL_Latin1_General_CP1_CI_AS', false],
    ['Latin1_General_BIN', false],
    [null, false],
  ] as const)
    assert.equal(isBinaryKeyCollation(collation), ok, String(collation));
  assert.match(describeTableStatement('dbo', 'demo').text, /c\.collation_name AS collation/);
});

test('the adapter refuses to page over a text key whose collation is not BIN2, naming the column and the fix', async () => {
  const ciColumns = sysColumns.map((c) =>
    c.name === 'ward' ? { ...c, collation: 'SQL_Latin1_General_CP1_CI_AS' } : c,
  );
  const pool = fakePool((text) => (text.includes('sys.columns') ? [ciColumns] : [[]]));
  const source = new MssqlChangeSource(pool);
  await assert.rejects(
    source.readRows({ table: 'demo', keyColumns: demo.keyColumns, limit: 10 }),
    (error: Error & { code?: string }) =>
      error.code === 'SOURCE_KEY_COLLATION' &&
      error.message.includes("key 'ward' has collation SQL_Latin1_General_CP1_CI_AS") &&
      error.message.includes('COLLATE Latin1_General_100_BIN2'),
  );
  assert.equal(pool.seen.length, 1, 'nothing but the schema read was sent');
});

test('a writer-assigned bigint version cannot bound late commits: the adapter answers truncated (full scan) without a MAX() read', async () => {
  const bigintColumns = sysColumns.map((c) =>
    c.name === 'rv' ? { ...c, name: 'change_version', nativeType: 'bigint' } : c,
  );
  const pool = fakePool((text) => (text.includes('sys.columns') ? [bigintColumns] : [[]]));
  const source = new MssqlChangeSource(pool);
  const set = await source.readChangesSince({
    table: 'demo',
    keyColumns: demo.keyColumns,
    versionColumn: 'change_version',
    sinceVersion: '50',
    limit: 100,
  });
  assert.deepEqual(set, { rows: [], upToVersion: null, rowCount: 0, truncated: true });
  assert.ok(
    pool.seen.every((t) => t.includes('sys.columns')),
    'no change read was sent',
  );
});

test('a rowversion change read is bounded by MIN_ACTIVE_ROWVERSION() - 1 in the filter, never by MAX()', () => {
  for (const snapshot of [false, true]) {
    const { text } = readChangesStatement(demo, {
      versionColumn: 'rv',
      versionKind: 'rowversion',
      sinceVersion: null,
      limit: 10,
      snapshot,
    });
    assert.match(text, /DECLARE @upTo bigint = CAST\(MIN_ACTIVE_ROWVERSION\(\) AS bigint\) - 1;/);
    assert.doesNotMatch(text, /MAX\(/);
    assert.equal(
      text.split('AND t.[rv] <= CONVERT(binary(8), @upTo)').length - 1,
      3,
      'count, guard and rows share the bound',
    );
    if (snapshot) assert.ok(text.startsWith('SET XACT_ABORT ON;\nSET TRANSACTION ISOLATION LEVEL SNAPSHOT;'));
  }
});

test('a source read is retried after a transient error and not after a permanent one', async () => {
  let failures = 1;
  const pool = fakePool((text) => {
    if (text.includes('sys.columns')) return [sysColumns];
    if (failures-- > 0) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    return [[{ count: '3' }]];
  });
  const slept: number[] = [];
  const source = new MssqlChangeSource(pool, {
    retry: { attempts: 2, sleep: async (ms) => void slept.push(ms), random: () => 1 },
  });
  assert.equal(await source.countRows('demo'), 3);
  assert.deepEqual(slept, [1000]);
  const denied = new MssqlChangeSource(
    fakePool(() => {
      throw Object.assign(new Error('permission denied'), { number: 229 });
    }),
    { retry: { attempts: 3, sleep: async () => assert.fail('a permission error is not retried') } },
  );
  await assert.rejects(
    denied.countRows('demo'),
    (e: Error & { code?: string }) => e.code === 'SOURCE_SQL_PERMISSION_DENIED',
  );
});

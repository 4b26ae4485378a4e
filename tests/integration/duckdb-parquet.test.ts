import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  DuckDbParquetCodec,
  parquetCompressionFor,
  stagedRowLine,
  READ_CHUNK_BYTES,
  ndjsonBatches,
} from '../../shared/adapters/parquet/duckdb-parquet.js';
import { DuckDbParquetLake } from '../../shared/adapters/parquet/duckdb-parquet-lake.js';
import { MemoryObjectStore } from '../../shared/adapters/memory/memory-object-store.js';
import { MemoryParquetLake } from '../../shared/adapters/memory/memory-parquet-lake.js';
import { LakeObjectMissingError } from '../../shared/domain/errors.js';
import type { PortableColumn, PortableRow } from '../../shared/domain/gold/portable-types.js';

const columns: PortableColumn[] = [
  { name: 'episode_id', type: 'string', nullable: false },
  { name: 'episode_number', type: 'int', nullable: false },
  { name: 'admission_date', type: 'date', nullable: false },
  { name: 'tariff_gbp', type: 'decimal(10,2)', nullable: true },
  { name: 'captured_at', type: 'timestamp', nullable: false },
  { name: 'is_current', type: 'boolean', nullable: false },
  { name: 'change_version', type: 'bigint', nullable: false },
];

test('rows written to Parquet read back in wire form with their types kept', async () => {
  const codec = new DuckDbParquetCodec();
  const file = join(mkdtempSync(join(tmpdir(), 'nhsflows-pq-')), 'x.parquet');
  const rows = [
    {
      episode_id: 'E1',
      episode_number: 1,
      admission_date: '2026-01-31',
      tariff_gbp: '1234.50',
      captured_at: '2026-02-01T10:00:00.000Z',
      is_current: true,
      change_version: '9007199254740993',
    },
    {
      episode_id: 'E2',
      episode_number: 2,
      admission_date: '2026-02-01',
      tariff_gbp: null,
      captured_at: '2026-02-01T10:00:00.123Z',
      is_current: false,
      change_version: '1',
    },
  ];
  assert.equal(await codec.write(file, columns, rows), 2);
  assert.equal(await codec.count(file), 2);
  const back = [];
  for await (const row of codec.read(file)) back.push(row);
  assert.deepEqual(back, rows);
});

test("a row's staged line is the JSON array of its values over the columns, in their order, undefined as null, then its tag, for any names and values", () => {
  const value = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
  );
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 8 }), { maxLength: 8 }),
      fc.array(value, { minLength: 8, maxLength: 8 }),
      fc.option(fc.nat(), { nil: undefined }),
      (names, values, tag) => {
        const cols: PortableColumn[] = names.map((name) => ({ name, type: 'string', nullable: true }));
        const row: Record<string, unknown> = {};
        names.forEach((name, i) => {
          if (values[i] !== undefined) row[name] = values[i];
        });
        const line = stagedRowLine(cols, { tagged: tag !== undefined })(row as PortableRow, tag);
        // A name the row lacks is null, even one an object inherits (`valueOf`).
        const own = (name: string) => (Object.hasOwn(row, name) ? (row[name] ?? null) : null);
        const expected = [...names.map(own), ...(tag === undefined ? [] : [tag])];
        // As JSON reads them back (a non-finite number is null in JSON).
        assert.deepEqual(JSON.parse(line), JSON.parse(JSON.stringify(expected)));
        assert.ok(!line.includes('\n'));
      },
    ),
  );
});

test("a column named like an object's inherited member is the row's own value, or null; a tagged line needs its tag", () => {
  const names = ['valueOf', 'toString', 'constructor', 'hasOwnProperty'];
  const line = stagedRowLine(names.map((name) => ({ name, type: 'string', nullable: true })));
  assert.equal(line({}), '[null,null,null,null]');
  assert.equal(line({ valueOf: 'v', constructor: '1' }), '["v",null,"1",null]');
  const tagged = stagedRowLine([{ name: 'a', type: 'string', nullable: true }], { tagged: true });
  assert.equal(tagged({ a: 'x' }, 3), '["x",3]');
  assert.throws(() => tagged({ a: 'x' }), /whole-number tag/);
});

/** Asserts that any rows the arbitrary makes are written to Parquet and read back as they were. */
async function assertRoundTrips(
  columns: readonly PortableColumn[],
  rows: fc.Arbitrary<PortableRow[]>,
): Promise<void> {
  const codec = new DuckDbParquetCodec();
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-pq-'));
  let run = 0;
  await fc.assert(
    fc.asyncProperty(rows, async (written) => {
      const file = join(dir, `t${run++}.parquet`);
      assert.equal(await codec.write(file, columns, written), written.length);
      const back = [];
      for await (const row of codec.read(file)) back.push(row);
      assert.deepEqual(back, written);
    }),
    { numRuns: 30 },
  );
}

test('any text survives the write and the read: quotes, backslashes, separators, line breaks, non-Latin script', async () => {
  await assertRoundTrips(
    [
      { name: 'id', type: 'int', nullable: false },
      { name: 'a "quoted" name', type: 'string', nullable: true },
      { name: 'note', type: 'string', nullable: true },
    ],
    fc
      .array(fc.tuple(fc.option(fc.string({ unit: 'grapheme' })), fc.option(fc.string())), {
        minLength: 1,
        maxLength: 20,
      })
      .map((values) => values.map(([a, note], id) => ({ id, 'a "quoted" name': a, note }))),
  );
});

test('an empty row set still writes a valid file with the columns', async () => {
  const codec = new DuckDbParquetCodec();
  const file = join(mkdtempSync(join(tmpdir(), 'nhsflows-pq-')), 'empty.parquet');
  assert.equal(await codec.write(file, columns, []), 0);
  assert.equal(await codec.count(file), 0);
});

test('readLatest keeps the latest upsert per key across change-log files; with columns, rows hold only those', async () => {
  const codec = new DuckDbParquetCodec();
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-pq-'));
  const log: PortableColumn[] = [
    { name: 'id', type: 'string', nullable: false },
    { name: 'practice', type: 'string', nullable: true },
    { name: 'postcode_district', type: 'string', nullable: true },
    { name: '_captured_at', type: 'timestamp', nullable: false },
    { name: '_seq', type: 'int', nullable: false },
    { name: '_op', type: 'string', nullable: false },
  ];
  const row = (id: string, practice: string, at: string, op = 'upsert') => ({
    id,
    practice,
    postcode_district: 'B1',
    _captured_at: at,
    _seq: 1,
    _op: op,
  });
  const first = join(dir, 'a.parquet');
  const second = join(dir, 'b.parquet');
  await codec.write(first, log, [
    row('A', 'P1', '2026-01-01T00:00:00.000Z'),
    row('B', 'P1', '2026-01-01T00:00:00.000Z'),
  ]);
  await codec.write(second, log, [
    row('A', 'P2', '2026-01-02T00:00:00.000Z'),
    row('B', 'P1', '2026-01-02T00:00:00.000Z', 'delete'),
  ]);
  const whole = await codec.readLatest([first, second], ['id'], ['_captured_at', '_seq']);
  assert.deepEqual(
    whole.map((r) => [r.id, r.practice, r.postcode_district]),
    [['A', 'P2', 'B1']],
  );
  const cut = await codec.readLatest(
    [first, second],
    ['id'],
    ['_captured_at', '_seq'],
    ['id', 'practice', 'absent'],
  );
  assert.deepEqual(cut, [{ id: 'A', practice: 'P2' }]);
});

test('the lake reads many objects file after file, each in file order, whatever their count and sizes', async () => {
  const lake = new MemoryObjectStore();
  const parquet = new DuckDbParquetLake(lake, mkdtempSync(join(tmpdir(), 'nhsflows-pq-lake-')));
  try {
    const cols: PortableColumn[] = [
      { name: 'id', type: 'string', nullable: false },
      { name: 'n', type: 'int', nullable: false },
    ];
    // More files than one engine query takes, of uneven sizes (some empty), rows not in key order.
    const paths: string[] = [];
    const expected: PortableRow[] = [];
    for (let f = 0; f < 70; f++) {
      const rows = Array.from({ length: (f * 37) % 23 }, (_, r) => ({
        id: `f${f}-r${(r * 7) % 23}`,
        n: f * 1000 - r,
      }));
      const path = `t/period=${String(f).padStart(3, '0')}/part.parquet`;
      await parquet.write('silver', path, cols, rows);
      paths.push(path);
      expected.push(...rows);
    }
    const back: Record<string, unknown>[] = [];
    for await (const row of parquet.read('silver', paths)) back.push(row);
    assert.deepEqual(back, expected);
    // Only some columns: each row holds those the objects have; none of them: empty rows, counted.
    const twin = new MemoryParquetLake(new MemoryObjectStore());
    for (const [i, path] of paths.entries())
      await twin.write(
        'silver',
        path,
        cols,
        expected.filter((r) => String(r.id).startsWith(`f${i}-`)),
      );
    for (const lakeImpl of [parquet, twin]) {
      const cut: Record<string, unknown>[] = [];
      for await (const row of lakeImpl.read('silver', paths, { columns: ['n', 'absent'] })) cut.push(row);
      assert.deepEqual(
        cut,
        expected.map((r) => ({ n: r.n })),
      );
      let empty = 0;
      for await (const row of lakeImpl.read('silver', paths, { columns: ['absent'] })) {
        assert.deepEqual(row, {});
        empty++;
      }
      assert.equal(empty, expected.length);
    }
    // A later object with a column the others lack: read by name, the others' rows hold it as null.
    const wider: PortableColumn[] = [...cols, { name: 'extra', type: 'string', nullable: true }];
    await parquet.write('silver', 't/wider.parquet', wider, [{ id: 'w1', n: 1, extra: 'x' }]);
    const mixed: Record<string, unknown>[] = [];
    for await (const row of parquet.read('silver', [paths[1]!, 't/wider.parquet'])) mixed.push(row);
    assert.deepEqual(mixed.at(-1), { id: 'w1', n: 1, extra: 'x' });
    assert.equal(mixed.length, ((1 * 37) % 23) + 1);
    assert.ok(mixed.slice(0, -1).every((r) => r.extra === null));
    // A missing object fails the read, naming it.
    await assert.rejects(async () => {
      for await (const _ of parquet.read('silver', [paths[2]!, 't/missing.parquet'])) void _;
    }, LakeObjectMissingError);
  } finally {
    await parquet.close();
  }
});

test('a writer writes what write would from rows appended one at a time; nothing is in the lake before close, and discard leaves nothing behind', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'nhsflows-pq-writer-'));
  const duck = new DuckDbParquetLake(new MemoryObjectStore(), scratch);
  const twin = new MemoryParquetLake(new MemoryObjectStore());
  const rows: PortableRow[] = Array.from({ length: 9_001 }, (_, i) => ({
    episode_id: `E${i}`,
    episode_number: i % 7,
    admission_date: `2024-0${(i % 9) + 1}-1${i % 10}`,
    tariff_gbp: i % 5 === 0 ? null : `${i}.25`,
    captured_at: '2024-05-01T10:00:00.000Z',
    is_current: i % 2 === 0,
    change_version: String(10_000_000_000 + i),
  }));
  try {
    for (const lake of [duck, twin]) {
      await lake.write('gold', 'whole.parquet', columns, rows);
      const writer = lake.openWriter('gold', 'streamed.parquet', columns);
      for (const row of rows) writer.append(row);
      assert.equal(writer.rows(), rows.length);
      await assert.rejects(async () => {
        for await (const _ of lake.read('gold', ['streamed.parquet'])) void _;
      }, LakeObjectMissingError);
      assert.deepEqual(await writer.close(), { rows: rows.length, created: true });
      const back = async (path: string) => {
        const out: PortableRow[] = [];
        for await (const row of lake.read('gold', [path])) out.push(row);
        return out;
      };
      assert.deepEqual(await back('streamed.parquet'), await back('whole.parquet'));
      // Create-only: a second writer to the same path reports it was not created.
      const again = lake.openWriter('gold', 'streamed.parquet', columns, { ifNoneMatch: '*' });
      again.append(rows[0]!);
      assert.deepEqual(await again.close(), { rows: 1, created: false });
      // Discarded: no object, and (on the DuckDB lake) no scratch file left.
      const dropped = lake.openWriter('gold', 'dropped.parquet', columns);
      for (const row of rows.slice(0, 5_000)) dropped.append(row);
      dropped.discard();
      await assert.rejects(async () => {
        for await (const _ of lake.read('gold', ['dropped.parquet'])) void _;
      }, LakeObjectMissingError);
    }
    const left = readdirSync(scratch, { recursive: true }).map(String);
    assert.deepEqual(
      left.filter((f) => f.endsWith('.ndjson') || f.endsWith('.parquet')),
      [],
    );
  } finally {
    await duck.close();
  }
});

/** Every row of an NDJSON file through the chunk reader, each parsed line as it is. */
const readNdjsonRows = (file: string) => [...ndjsonBatches(file, (parsed) => parsed as PortableRow)].flat();

test('NDJSON results are read a chunk at a time: a character split across chunks, a last line without a newline and an empty file all read whole', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-ndjson-'));
  const emoji = '\u{1F600}'; // four bytes in UTF-8
  // The chunk boundary falls 1, 2 and 3 bytes into a four-byte character, and after a two-byte one.
  for (const [into, char] of [
    [1, emoji],
    [2, emoji],
    [3, emoji],
    [1, 'é'],
  ] as const) {
    const prefix = '{"a":"';
    const pad = 'x'.repeat(READ_CHUNK_BYTES - Buffer.byteLength(prefix) - into);
    const rows = [
      { a: `${pad}${char}tail` },
      { a: 'second', n: 2, b: true, z: null },
      { a: `${char.repeat(300_000)}` },
      { a: 'last' },
    ];
    const text = rows.map((r) => JSON.stringify(r)).join('\n');
    for (const ending of ['\n', '']) {
      const file = join(dir, `rows-${into}-${ending.length}.ndjson`);
      writeFileSync(file, text + ending);
      assert.deepEqual(readNdjsonRows(file), rows);
    }
  }
  const empty = join(dir, 'empty.ndjson');
  writeFileSync(empty, '');
  assert.deepEqual(readNdjsonRows(empty), []);
});

test('a streamed read of a result several chunks long gives every row in order, multi-byte text whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-stream-'));
  const codec = new DuckDbParquetCodec();
  const cols: PortableColumn[] = [
    { name: 'id', type: 'int', nullable: false },
    { name: 'text', type: 'string', nullable: true },
  ];
  // About 3.5 MB of NDJSON when read back, mostly three- and four-byte characters.
  const rows = Array.from({ length: 20_000 }, (_, i) => ({
    id: i,
    text: i % 11 === 0 ? null : `${'\u{1F600}é中'.repeat(1 + (i % 17))}${i}`,
  }));
  const file = join(dir, 'rows.parquet');
  await codec.write(file, cols, rows);
  const back: PortableRow[] = [];
  for await (const row of codec.read(file)) back.push(row);
  assert.deepEqual(back, rows);
});

test('rows written in groups come back one file per non-empty group, each with only its rows, in order, and no group column', async () => {
  const codec = new DuckDbParquetCodec();
  const dir = join(mkdtempSync(join(tmpdir(), 'nhsflows-pq-')), 'groups');
  const row = (i: number): PortableRow => ({
    episode_id: `E${i}`,
    episode_number: i,
    admission_date: '2026-01-31',
    tariff_gbp: i % 2 ? '10.00' : null,
    captured_at: '2026-02-01T10:00:00.000Z',
    is_current: i % 3 === 0,
    change_version: String(i),
  });
  // A row may carry members beyond the columns (a `_group` among them): only the columns are written.
  const groups = [[row(1), row(2)], [], [{ ...row(3), _group: 99 }], [row(4), row(5), row(6)]];
  const files = await codec.writeGroups(dir, columns, groups);
  assert.equal(files.length, 4);
  assert.equal(files[1], null);
  for (const [i, group] of groups.entries()) {
    if (group.length === 0) continue;
    // Read from a plain path (under its `_group=i` folder the reader would add the folder's value).
    const plain = join(dir, `..`, `group-${i}.parquet`);
    copyFileSync(files[i]!, plain);
    const back = [];
    for await (const r of codec.read(plain)) back.push(r);
    assert.deepEqual(
      back,
      group.map((r) => Object.fromEntries(columns.map((c) => [c.name, r[c.name] ?? null]))),
    );
  }
});

test('numbers and flags survive the write and the read exactly: integers to their limits, any finite double, booleans, nulls', async () => {
  await assertRoundTrips(
    [
      { name: 'i', type: 'int', nullable: true },
      { name: 'x', type: 'double', nullable: true },
      { name: 'b', type: 'boolean', nullable: true },
    ],
    fc
      .array(
        fc.record({
          i: fc.option(fc.integer({ min: -2147483648, max: 2147483647 })),
          // -0 is written as JSON writes it (0).
          x: fc.option(
            fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
          ),
          b: fc.option(fc.boolean()),
        }),
        { minLength: 1, maxLength: 30 },
      )
      // Plain objects (the generated records have no prototype).
      .map((generated) => generated.map((r) => ({ ...r }))),
  );
});

test("every Parquet object the lake writes has its container's codec: Snappy in gold (what Synapse COPY INTO reads), ZSTD elsewhere; a file the codec writes alone is Snappy", async () => {
  const store = new MemoryObjectStore();
  const parquet = new DuckDbParquetLake(store, mkdtempSync(join(tmpdir(), 'nhsflows-pq-lake-')));
  const codec = new DuckDbParquetCodec();
  const cols: PortableColumn[] = [
    { name: 'id', type: 'string', nullable: false },
    { name: 'n', type: 'int', nullable: false },
    { name: 'at', type: 'timestamp', nullable: true },
  ];
  const rows = (tag: string, count: number): PortableRow[] =>
    Array.from({ length: count }, (_, i) => ({
      id: `${tag}${i % 50}`,
      n: i,
      at: i % 3 ? '2026-02-01T10:00:00.000Z' : null,
    }));
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-pq-codec-'));
  const engine = await (await DuckDBInstance.create(':memory:')).connect();
  const codecsOf = async (file: string) =>
    (await engine.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${file}')`))
      .getRows()
      .map((r) => String(r[0]));
  try {
    assert.equal(parquetCompressionFor('gold'), 'snappy');
    for (const container of ['gold', 'silver', 'state'] as const) {
      // Every way the lake writes: a write, a writer, several objects at once, compactions.
      const paths = ['a/write.parquet', 'a/writer.parquet', 'a/many-0.parquet', 'a/many-1.parquet'];
      await parquet.write(container, paths[0]!, cols, rows('w', 200));
      const writer = parquet.openWriter(container, paths[1]!, cols);
      for (const row of rows('o', 200)) writer.append(row);
      await writer.close();
      await parquet.writeMany(container, cols, [
        { path: paths[2]!, rows: rows('m', 120) },
        { path: paths[3]!, rows: rows('k', 80) },
      ]);
      const runs = [
        { path: paths[2]!, rank: 1 },
        { path: paths[3]!, rank: 2 },
      ];
      await parquet.compact(container, runs, null, 'a/plain.parquet');
      await parquet.compact(container, runs, 'id', 'a/keyed.parquet');
      await parquet.compactMany(
        container,
        [
          { runs: [runs[0]!], to: 'a/group-0.parquet' },
          { runs: [runs[1]!], to: 'a/group-1.parquet' },
        ],
        'id',
      );
      paths.push('a/plain.parquet', 'a/keyed.parquet', 'a/group-0.parquet', 'a/group-1.parquet');
      const expected = container === 'gold' ? 'SNAPPY' : 'ZSTD';
      for (const path of paths) {
        const body = await store.get(container, path);
        assert.ok(body, `${container}/${path} was written`);
        const file = join(dir, `${container}-${path.replace(/\//g, '_')}`);
        writeFileSync(file, body);
        assert.deepEqual(await codecsOf(file), [expected], `${container}/${path}`);
      }
    }
    // A file written outside the lake (an export) is Snappy: what any reader takes.
    const exported = join(dir, 'export.parquet');
    await codec.write(exported, cols, rows('e', 10));
    assert.deepEqual(await codecsOf(exported), ['SNAPPY']);
  } finally {
    engine.closeSync();
    await parquet.close();
  }
});

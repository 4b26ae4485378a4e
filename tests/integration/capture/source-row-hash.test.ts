import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  openEmbeddedSource,
  type EmbeddedSource,
} from '../../../shared/adapters/local/embedded-source/embedded-source.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import {
  businessKeyOf,
  ROW_HASH_SPEC_VERSION,
  rowHash,
  rowHashPrefix64,
  type CanonicalType,
  type HashColumn,
  type RowHashLayout,
} from '../../../shared/domain/capture/row-hash.js';
import { hashHexAt, keyAt } from '../../../shared/domain/capture/row-hash-page.js';
import { encodeKey } from '../../../shared/domain/capture/state-key.js';
import {
  SOURCE_TABLES,
  type ColumnSpec,
  type SourceRow,
  type SourceRowValue,
  type SourceTableName,
  type SourceTableSpec,
} from '../../../shared/domain/datasets/source-tables.js';
import { scannedHashes } from './capture-fixtures.js';

/**
 * The embedded source computes the canonical row hash in DuckDB SQL (push-down). These tests hold it
 * bit-identical to the TypeScript spec v1: every golden vector, and random rows of every column type.
 */

interface Vector {
  name: string;
  columns: HashColumn[];
  row: SourceRow;
  hash: string;
}
const vectors = (
  JSON.parse(readFileSync(new URL('../../unit/capture/row-hash.vectors.json', import.meta.url), 'utf8')) as {
    vectors: Vector[];
  }
).vectors;

const KEY = 'vector_row';
const VERSION = 'vector_version';
let tables = 0;

/** Decimal scale of a column: enough for every value given (the canonical text does not depend on it). */
function scaleOf(values: readonly (SourceRowValue | undefined)[]): number {
  return Math.max(
    0,
    ...values.map((v) => (typeof v === 'string' && v.includes('.') ? v.length - v.indexOf('.') - 1 : 0)),
  );
}

/**
 * Stores rows in a fresh table of the embedded source (through its writer; binary columns, which
 * no source table has, through SQL) and returns the layout hashing `columns` in that order.
 */
async function store(
  source: EmbeddedSource,
  columns: readonly HashColumn[],
  rows: readonly SourceRow[],
): Promise<RowHashLayout> {
  const table = `hash_vectors_${++tables}`;
  const specColumns: ColumnSpec[] = [
    { name: KEY, type: 'int', nullable: false },
    ...columns
      .filter((c) => c.type !== 'binary')
      .map((c): ColumnSpec =>
        c.type === 'decimal'
          ? {
              name: c.name,
              type: c.type,
              nullable: true,
              precision: 38,
              scale: scaleOf(rows.map((r) => r[c.name])),
            }
          : { name: c.name, type: c.type as ColumnSpec['type'], nullable: true },
      ),
    { name: VERSION, type: 'bigint', nullable: false },
  ];
  const spec: SourceTableSpec = {
    table: table as SourceTableName,
    dataset: 'mhsds',
    description: 'row hash vectors',
    key: [KEY],
    changeVersionColumn: VERSION,
    providerColumn: KEY,
    activityDateColumn: KEY,
    columns: specColumns,
  };
  await source.createTables([spec]);
  const binary = columns.filter((c) => c.type === 'binary');
  for (const c of binary) await source.executeSql(`ALTER TABLE ${table} ADD COLUMN "${c.name}" BLOB`);
  await source.insertRows(
    spec.table,
    rows.map((row, i) => {
      const stored: SourceRow = { [KEY]: i };
      for (const c of specColumns.slice(1, -1)) if (row[c.name] !== undefined) stored[c.name] = row[c.name]!;
      return stored;
    }),
  );
  for (const [i, row] of rows.entries())
    for (const c of binary) {
      const value = row[c.name];
      if (typeof value === 'string')
        await source.executeSql(
          `UPDATE ${table} SET "${c.name}" = unhex('${value.replace(/^0x/, '')}') WHERE ${KEY} = ${i}`,
        );
    }
  return {
    specVersion: ROW_HASH_SPEC_VERSION,
    table,
    keyColumns: [{ name: KEY, type: 'int' }],
    hashColumns: [...columns],
    versionColumn: VERSION,
  };
}

/** Every way the source hashes: the full-scan stream, keyset pages and one range checksum over the table. */
async function sourceHashes(source: EmbeddedSource, layout: RowHashLayout, rows: number) {
  const scanned = await scannedHashes(source, layout);
  const paged = (await source.readRowHashes({ layout, limit: rows + 1 })).map((e) => e.hash);
  const [whole] = await source.rangeChecksums({ layout, ranges: [{ from: null, to: null }] });
  return { scanned, paged, whole: whole! };
}

test('every golden vector hashes in the embedded source (DuckDB SQL) to the same hex as the spec', async () => {
  const source = await openEmbeddedSource({
    path: ':memory:',
    clock: fixedClock('2026-02-01T09:00:00.000Z'),
  });
  try {
    for (const v of vectors) {
      const layout = await store(source, v.columns, [v.row]);
      const { scanned, paged, whole } = await sourceHashes(source, layout, 1);
      assert.equal(rowHash(v.columns, v.row), v.hash, `${v.name}: TypeScript`);
      assert.deepEqual(scanned, [v.hash], `${v.name}: full-scan stream`);
      assert.deepEqual(paged, [v.hash], `${v.name}: keyset page`);
      assert.deepEqual(whole, { count: 1, sum: rowHashPrefix64(v.hash).toString() }, `${v.name}: checksum`);
    }
  } finally {
    await source.close();
  }
});

test('a text-backed datetimeoffset naming an instant that does not exist hashes in the source as in the spec (its own text), and the capture hash never fails on it', async () => {
  const source = await openEmbeddedSource({
    path: ':memory:',
    clock: fixedClock('2026-02-01T09:00:00.000Z'),
  });
  try {
    const columns: HashColumn[] = [{ name: 'arrival_at', type: 'datetimeoffset' }];
    const rows: SourceRow[] = [
      { arrival_at: '2065-02-29T10:15:00.000+00:00' },
      { arrival_at: '2024-06-31T10:00:00.000+01:00' },
      { arrival_at: '2065-03-01T10:15:00.000+00:00' },
    ];
    const layout = await store(source, columns, rows);
    const { scanned, paged } = await sourceHashes(source, layout, rows.length);
    const expected = rows.map((row) => rowHash(columns, row));
    assert.deepEqual(scanned, expected, 'full-scan stream');
    assert.deepEqual(paged, expected, 'keyset page');
    assert.equal(
      new Set(expected).size,
      rows.length,
      'the impossible instant and its rolled-over day differ',
    );
  } finally {
    await source.close();
  }
});

// ------------------------------------------------------------------------------------ random rows

const MIN_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');
const DAY = 86_400_000;

const tricky = fc.constantFrom(
  '|',
  '\\',
  '\\N',
  'N',
  "'",
  '"',
  ' ',
  '',
  'é',
  '☃',
  '𝄞',
  '\u0000',
  '\t',
  '\n',
  '%',
);
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.array(tricky, { maxLength: 6 }).map((parts) => parts.join('')),
);
/** Sub-millisecond digits (datetime2(7) has up to 4 beyond the millisecond): truncated by the spec. */
const subMillis = fc.constantFrom('', '0', '5', '9999', '0001');
const instantMs = fc.integer({ min: MIN_MS + DAY, max: MAX_MS - DAY });
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 23);

function decimal(scale: number): fc.Arbitrary<string> {
  return fc
    .record({
      units: fc.bigInt({ min: -(10n ** 38n - 1n), max: 10n ** 38n - 1n }),
      small: fc.boolean(),
      trim: fc.boolean(),
    })
    .map(({ units, small, trim }) => {
      const value = small ? units % 100_000n : units;
      const sign = value < 0n ? '-' : '';
      const digits = (value < 0n ? -value : value).toString().padStart(scale + 1, '0');
      let out = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
      if (trim && scale > 0) out = out.replace(/0+$/, '').replace(/\.$/, '').replace(/^0\./, '.');
      return `${sign}${out === '' || out === '.' ? '0' : out}`;
    });
}

function valueOf(type: CanonicalType, scale: number): fc.Arbitrary<SourceRowValue> {
  switch (type) {
    case 'varchar':
    case 'char':
      return text;
    case 'int':
      return fc.oneof(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map(String),
      );
    case 'bigint':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
    case 'decimal':
      return decimal(scale);
    case 'date':
      return instantMs.map((ms) => new Date(ms).toISOString().slice(0, 10));
    case 'datetime2':
      return fc
        .tuple(instantMs, subMillis, fc.constantFrom('Z', '', '+00:00'))
        .map(([ms, extra, zone]) => `${iso(ms)}${extra}${zone}`);
    case 'datetimeoffset':
      return fc
        .tuple(instantMs, subMillis, fc.integer({ min: -840, max: 840 }))
        .map(([ms, extra, offset]) => {
          const sign = offset < 0 ? '-' : '+';
          const abs = Math.abs(offset);
          const hhmm = `${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          return `${iso(ms + offset * 60_000)}${extra}${sign}${hhmm}`;
        });
    case 'bit':
      return fc.oneof(fc.boolean(), fc.constantFrom(0, 1));
    case 'binary':
      return fc.tuple(fc.uint8Array({ maxLength: 20 }), fc.boolean()).map(([bytes, upper]) => {
        const hex = Buffer.from(bytes).toString('hex');
        return `0x${upper ? hex.toUpperCase() : hex}`;
      });
  }
}

const TYPES: readonly CanonicalType[] = [
  'varchar',
  'char',
  'int',
  'bigint',
  'decimal',
  'date',
  'datetime2',
  'datetimeoffset',
  'bit',
  'binary',
];

/** A random layout (1–6 columns of any type) and 1–8 rows of values of those types, NULLs included. */
const table = fc
  .array(fc.record({ type: fc.constantFrom(...TYPES), scale: fc.integer({ min: 0, max: 12 }) }), {
    minLength: 1,
    maxLength: 6,
  })
  .chain((cols) => {
    const columns = cols.map((c, i) => ({ name: `c${i}_${c.type}`, type: c.type }));
    const row = fc.tuple(...cols.map((c) => fc.option(valueOf(c.type, c.scale), { nil: null, freq: 6 })));
    return fc.record({
      columns: fc.constant(columns),
      rows: fc
        .array(row, { minLength: 1, maxLength: 8 })
        .map((rows) =>
          rows.map((values) => Object.fromEntries(columns.map((c, i) => [c.name, values[i] ?? null]))),
        ),
    });
  });

test('random rows of every column type hash identically in DuckDB SQL and in TypeScript (written and read back)', async () => {
  const source = await openEmbeddedSource({
    path: ':memory:',
    clock: fixedClock('2026-02-01T09:00:00.000Z'),
  });
  try {
    await fc.assert(
      fc.asyncProperty(table, async ({ columns, rows }) => {
        const layout = await store(source, columns, rows);
        const { scanned, paged, whole } = await sourceHashes(source, layout, rows.length);
        const expected = rows.map((row) => rowHash(columns, row));
        assert.deepEqual(scanned, expected, 'full-scan stream vs TypeScript on the rows written');
        assert.deepEqual(paged, expected, 'keyset pages');
        const readBack = await source.readRows({
          table: layout.table,
          keyColumns: layout.keyColumns,
          limit: rows.length + 1,
        });
        assert.deepEqual(
          readBack.map((row) => rowHash(columns, row)),
          expected,
          'TypeScript on the rows read back (what the engine hashes after a fetch)',
        );
        assert.deepEqual(whole, {
          count: rows.length,
          sum: expected.reduce((n, h) => n + rowHashPrefix64(h), 0n).toString(),
        });
        await source.executeSql(`DROP TABLE ${layout.table}`);
      }),
      { numRuns: 150 },
    );
  } finally {
    await source.close();
  }
});

test('full-scan pages carry keys in the capture state encoding and in its byte order: string, negative integer and composite keys', async () => {
  const source = await openEmbeddedSource({
    path: ':memory:',
    clock: fixedClock('2026-02-01T09:00:00.000Z'),
  });
  try {
    const cases: { key: HashColumn[]; rows: SourceRow[] }[] = [
      {
        key: [{ name: 'id', type: 'varchar' }],
        rows: ['b', 'a\\x41', 'Zoë', '☃', '', 'a|b'].map((id, i) => ({ id, v: String(i) })),
      },
      {
        key: [{ name: 'id', type: 'bigint' }],
        rows: ['-9223372036854775808', '-5', '0', '7', '9223372036854775807'].map((id, i) => ({
          id,
          v: String(i),
        })),
      },
      {
        key: [
          { name: 'ward', type: 'varchar' },
          { name: 'seq', type: 'int' },
        ],
        rows: [
          { ward: 'A', seq: 2, v: 'x' },
          { ward: 'A', seq: -1, v: 'y' },
          { ward: 'AB', seq: 0, v: 'z' },
          { ward: '', seq: 5, v: null },
        ],
      },
    ];
    for (const { key, rows } of cases) {
      const table = `key_pages_${++tables}`;
      const columns: ColumnSpec[] = [
        ...key.map((k): ColumnSpec => ({
          name: k.name,
          type: k.type as ColumnSpec['type'],
          nullable: false,
        })),
        { name: 'v', type: 'varchar', nullable: true },
        { name: VERSION, type: 'bigint', nullable: false },
      ];
      await source.createTables([
        {
          table: table as SourceTableName,
          dataset: 'mhsds',
          description: 'key encodings',
          key: key.map((k) => k.name),
          changeVersionColumn: VERSION,
          providerColumn: 'v',
          activityDateColumn: 'v',
          columns,
        },
      ]);
      await source.insertRows(table as SourceTableName, rows);
      const hashColumns = columns.slice(0, -1).map((c) => ({ name: c.name, type: c.type }));
      const layout: RowHashLayout = {
        specVersion: ROW_HASH_SPEC_VERSION,
        table,
        keyColumns: key,
        hashColumns,
        versionColumn: VERSION,
      };
      const expected = rows
        .map((row) => ({
          key: encodeKey(key, businessKeyOf(key, row)),
          hash: rowHash(hashColumns, row),
        }))
        .sort((a, b) => a.key.compare(b.key));
      const seen: { key: Buffer; hash: string }[] = [];
      for await (const page of source.scanRowHashes({ layout, pageSize: 2 }))
        for (let i = 0; i < page.length; i++)
          seen.push({ key: Buffer.from(keyAt(page, i)), hash: hashHexAt(page, i) });
      assert.deepEqual(seen, expected, `${table}: ${key.map((k) => k.type).join(', ')} key`);
      // Rows by key: a few keys through the index, and more than a few through one semi-join.
      const keys = rows.map((row) => businessKeyOf(key, row));
      const many = [
        ...keys,
        ...Array.from({ length: 80 }, (_, i) =>
          key.map((k) => (k.type === 'varchar' ? `missing ${i}` : String(1000 + i))),
        ),
      ];
      for (const asked of [keys.slice(0, 2), many]) {
        const read = await source.readRowsByKeys({ table, keyColumns: key, keys: asked });
        const wanted = expected.filter((e) => asked.some((k) => encodeKey(key, k).equals(e.key)));
        assert.deepEqual(
          read.map((row) => encodeKey(key, businessKeyOf(key, row))),
          wanted.map((e) => e.key),
          `${table}: rows by ${asked.length} keys, in key order, missing keys absent`,
        );
      }
    }
  } finally {
    await source.close();
  }
});

test('a scan of a large table comes in pages of at most the page size: every row once, in key order, with the same hashes as keyset reads', async () => {
  const source = await openEmbeddedSource({
    path: ':memory:',
    clock: fixedClock('2026-02-01T09:00:00.000Z'),
  });
  try {
    const spec = SOURCE_TABLES.mhsds_care_contact;
    await source.createTables([spec]);
    await source.executeSql(`INSERT INTO ${spec.table} (care_contact_id, referral_id, provider_code, uniq_month_id, uniq_submission_id, record_start_date, contact_date, change_version, modified_at)
      SELECT 'C' || CAST(i * 7919 % 100003 AS VARCHAR), 'R' || CAST(i % 97 AS VARCHAR), 'RX1', 1510, '1510001', DATE '2026-01-01', DATE '2026-01-01', i, TIMESTAMP '2026-01-01 00:00:00'
      FROM range(100003) t(i)`);
    const layout: RowHashLayout = {
      specVersion: ROW_HASH_SPEC_VERSION,
      table: spec.table,
      keyColumns: [{ name: 'care_contact_id', type: 'varchar' }],
      hashColumns: spec.columns
        .filter((c) => c.name !== spec.changeVersionColumn && c.name !== 'modified_at')
        .map((c) => ({ name: c.name, type: c.type })),
      versionColumn: spec.changeVersionColumn,
    };
    const reference = await source.readRowHashes({ layout, limit: 200_000 });
    for (const after of [null, reference[41_234]!.key]) {
      const expected = after ? reference.slice(41_235) : reference;
      const seen: string[] = [];
      let pages = 0;
      for await (const page of source.scanRowHashes({ layout, after, pageSize: 5_000 })) {
        pages++;
        for (let i = 0; i < page.length; i++) seen.push(`${keyAt(page, i).toString()} ${hashHexAt(page, i)}`);
      }
      assert.equal(seen.length, expected.length);
      assert.deepEqual(
        seen,
        expected.map((e) => `${e.key[0]} ${e.hash}`),
      );
      assert.ok(pages >= expected.length / 5_000, 'pages of at most the page size');
    }
  } finally {
    await source.close();
  }
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import {
  csvField,
  csvRecord,
  openSyntheticFileSink,
} from '../../../shared/adapters/local/synthetic-files/synthetic-file-sink.js';
import {
  generatePopulation,
  parseGenerateArgs,
} from '../../../shared/application/use-cases/generate-population.use-case.js';
import {
  SOURCE_TABLES,
  SOURCE_TABLE_NAMES,
  type SourceRow,
} from '../../../shared/domain/datasets/source-tables.js';
import { ConfigError } from '../../../shared/domain/errors.js';
import { generateAll, reference } from './synthetic-fixture.js';

/** RFC 4180 records (CRLF), strict quoting. */
function parseCsv(text: string): string[][] {
  return parse(text, { record_delimiter: '\r\n' });
}

const cases: readonly [string, string | number | null, string][] = [
  ['plain text as is', 'RRK', 'RRK'],
  ['a comma is quoted', 'E119,I10X', '"E119,I10X"'],
  ['a quote is doubled inside quotes', 'say "hi"', '"say ""hi"""'],
  ['a line break is quoted', 'a\r\nb', '"a\r\nb"'],
  ['NULL is the empty field', null, ''],
  ['the empty string is two quotes', '', '""'],
  ['a number is its text', 3, '3'],
];
for (const [name, value, expected] of cases)
  test(`csv field: ${name}`, () => assert.equal(csvField(value), expected));

test('csv records round-trip through an RFC 4180 parser for any text', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.string(), fc.constant(null)), { minLength: 1, maxLength: 6 }),
      (values) => {
        const columns = values.map((_, i) => `c${i}`);
        const row: SourceRow = Object.fromEntries(values.map((v, i) => [`c${i}`, v]));
        const parsed = parseCsv(csvRecord(row, columns));
        assert.deepEqual(
          parsed[0],
          values.map((v) => v ?? ''),
        );
      },
    ),
  );
});

test('the file sink writes one CSV and one NDJSON file per table holding exactly the generated rows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nhsflows-synth-'));
  try {
    const expected = generateAll({ patients: 200, seed: 4 });
    for (const format of ['csv', 'ndjson'] as const) {
      const sink = openSyntheticFileSink({ dir: join(dir, format), format });
      const report = await generatePopulation({ patients: 200, seed: 4, batchSize: 50 }, { reference, sink });
      assert.deepEqual(report, expected.report);
      for (const table of SOURCE_TABLE_NAMES) {
        const text = readFileSync(join(dir, format, `${table}.${format}`), 'utf8');
        if (format === 'ndjson') {
          const rows = text
            .trimEnd()
            .split('\n')
            .map((line) => JSON.parse(line) as SourceRow);
          assert.deepEqual(rows, expected.rows[table], table);
        } else {
          const records = parseCsv(text);
          assert.deepEqual(
            records[0],
            SOURCE_TABLES[table].columns.map((c) => c.name),
          );
          assert.equal(records.length - 1, expected.rows[table].length, table);
          const first = expected.rows[table][0]!;
          assert.deepEqual(
            records[1],
            Object.values(first).map((v) => (v === null ? '' : String(v))),
          );
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generate options: defaults, validation of every problem at once, and one target required', () => {
  const options = parseGenerateArgs([
    '--patients',
    '50',
    '--out',
    '/tmp/x',
    '--format=csv',
    '--defects',
    'none',
  ]);
  assert.equal(options.patients, 50);
  assert.equal(options.format, 'csv');
  assert.equal(options.seed, 1);
  assert.throws(
    () => parseGenerateArgs(['--patients', '0', '--bogus', '1', '--format', 'xml']),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.problems.some((p) => p.includes('--bogus')) &&
      error.problems.some((p) => p.startsWith('--patients')) &&
      error.problems.some((p) => p.startsWith('--format')),
  );
  assert.throws(() => parseGenerateArgs(['--patients', '5']), /exactly one of --out/);
  assert.throws(() => parseGenerateArgs(['--out', 'x', '--defects', 'nope']), /unknown defect class/);
});

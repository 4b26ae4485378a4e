import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { InputError } from '../../../shared/domain/errors.js';
import { CsvRowReader, parseCsvRows } from '../../../shared/domain/reference/reference-csv.js';
import {
  ReferenceImport,
  parseSuccessors,
  type ReferenceImportOptions,
} from '../../../shared/domain/reference/reference-import.js';
import {
  REFERENCE_LAYOUTS,
  REFERENCE_LAYOUT_IDS,
  ODS_SUCCESSORS,
  referenceLayoutSchema,
} from '../../../shared/domain/reference/reference-import-layouts.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'reference-import');
const read = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const current = loadReferenceData();
const SHA = 'a'.repeat(64);

const FIXTURE_OF: Record<string, { file: string; options?: Partial<ReferenceImportOptions> }> = {
  'ods-etr': { file: 'etr.csv' },
  'ods-ets': { file: 'ets.csv' },
  'ods-epraccur': { file: 'epraccur.csv' },
  'nhs-payment-scheme-apc': { file: 'apc-oproc-2025-26.csv', options: { financialYear: '2025/26' } },
  onspd: { file: 'onspd.csv' },
  imd: { file: 'imd.csv' },
  'bnf-code-information': { file: 'bnf-code-information.csv' },
  'bnf-snomed-mapping': { file: 'bnf-snomed-mapping.csv' },
  'dmd-vmp': { file: 'dmd-vmp.csv' },
  'dmd-amp': { file: 'dmd-amp.csv' },
};

function runImport(layout: keyof typeof REFERENCE_LAYOUTS, chunks: readonly string[], options: Partial<ReferenceImportOptions> = {}) {
  const importer = new ReferenceImport({
    layout,
    sourceFile: FIXTURE_OF[layout]?.file ?? 'source.csv',
    publishedOn: '2026-11-01',
    current,
    ...FIXTURE_OF[layout]?.options,
    ...options,
  });
  for (const c of chunks) importer.push(c);
  return importer.finish(SHA);
}

/** Splits text into chunks of the given sizes, repeated (so boundaries fall everywhere). */
function chunked(text: string, sizes: readonly number[]): string[] {
  const out: string[] = [];
  for (let i = 0, k = 0; i < text.length; k++) {
    const n = sizes[k % sizes.length] ?? 1;
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

test('every layout is declared once, passes its schema, and has a fixture', () => {
  assert.deepEqual(REFERENCE_LAYOUT_IDS.sort(), Object.keys(FIXTURE_OF).sort());
  for (const id of REFERENCE_LAYOUT_IDS) {
    const layout = REFERENCE_LAYOUTS[id];
    assert.equal(layout.id, id);
    assert.ok(referenceLayoutSchema.safeParse(layout).success, id);
  }
  assert.ok(referenceLayoutSchema.safeParse(ODS_SUCCESSORS).success);
  assert.equal(
    referenceLayoutSchema.safeParse({ ...REFERENCE_LAYOUTS['ods-etr'], columns: { code: { position: 0, publishedName: 'x', required: true } } }).success,
    false,
    'a position is 1-based',
  );
});

test('docs/reference-data.md names every layout, says whether it is verified, and lists every column read', () => {
  const docs = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'reference-data.md'), 'utf8');
  for (const id of REFERENCE_LAYOUT_IDS) {
    const layout = REFERENCE_LAYOUTS[id];
    assert.ok(docs.includes(`\`${id}\``), `docs name layout ${id}`);
    const names =
      layout.header === 'none'
        ? Object.values(layout.columns).map((c) => `${c.position} ${c.publishedName}`)
        : Object.values(layout.columns).flatMap((c) => c.headers);
    for (const n of names) assert.ok(docs.includes(n), `docs list column '${n}' of ${id}`);
    assert.ok(docs.includes(`${id}\` | ${layout.verified}`) || docs.includes(`${id}\`, ${layout.verified}`), `docs say ${id} is ${layout.verified}`);
  }
  for (const c of Object.values(ODS_SUCCESSORS.columns)) assert.ok(docs.includes(`${c.position} ${c.publishedName}`));
});

test('the import reads the same rows however the source is split into chunks (CRLF, quotes and wrapped headers across boundaries)', () => {
  for (const id of REFERENCE_LAYOUT_IDS) {
    const text = read(FIXTURE_OF[id]?.file ?? '');
    const whole = runImport(id, [text]);
    assert.ok(whole.files.every((f) => (f.manifest.rows ?? 0) > 0), `${id} imports rows`);
    for (const sizes of [[1], [2, 3], [7, 1, 13], [64]]) {
      const parts = runImport(id, chunked(text, sizes));
      assert.deepEqual(parts, whole, `${id} in chunks of ${sizes.join(',')}`);
    }
  }
});

test('the version is the publication date and the first 12 hex digits of the content hash; the successor file changes it', () => {
  const plain = runImport('ods-etr', [read('etr.csv')]);
  assert.equal(plain.version, `2026-11-01.${SHA.slice(0, 12)}`);
  const successors = { sourceFile: 'succ.csv', sha256: 'b'.repeat(64), byPredecessor: parseSuccessors(read('succ.csv'), 'succ.csv') };
  const withSucc = runImport('ods-etr', [read('etr.csv')], { successors });
  assert.notEqual(withSucc.version, plain.version);
  assert.match(withSucc.version, /^2026-11-01\.[0-9a-f]{12}$/);
  assert.equal(withSucc.files[0]?.manifest.import?.successorsFile, 'succ.csv');
});

test('error messages name file, row and column but never the value that was read', () => {
  const secret = 'QQ-NOT-A-DATE-77';
  const etr = read('etr.csv').replace('"20010401"', `"${secret}"`);
  const apc = read('apc-oproc-2025-26.csv').replace('"£10,222"', secret);
  const onspd = read('onspd.csv').replace('B15 9ZZ,B15  9ZZ,B15 9ZZ', `B15 9ZZ,B15  9ZZ,${secret}`);
  for (const [layout, text, expected] of [
    ['ods-etr', etr, /^etr\.csv row 2 column 11 \(Open Date\): is not a date 'YYYYMMDD'$/],
    ['nhs-payment-scheme-apc', apc, /^apc-oproc-2025-26\.csv row 6 column 'Non-elective spell tariff \(£\)': is not an amount in pounds$/],
    ['onspd', onspd, /^onspd\.csv row 4 column 'pcds': is not a UK postcode: /],
  ] as const) {
    assert.throws(
      () => runImport(layout, [text]),
      (e: unknown) => e instanceof InputError && expected.test(e.message) && !e.message.includes(secret),
      layout,
    );
  }
});

test('a named-header file without a required column says which columns are missing', () => {
  const text = read('bnf-code-information.csv').replace('BNF Presentation Code', 'Presentation Id');
  assert.throws(
    () => runImport('bnf-code-information', [text]),
    /bnf-code-information\.csv: no header row with the NHSBSA BNF code information columns in row 1; missing 'BNF Presentation Code'$/,
  );
});

test('ONSPD: the LSOA vintage picks the column, and a missing column is refused by name', () => {
  const r2021 = runImport('onspd', [read('onspd.csv')]);
  const r2011 = runImport('onspd', [read('onspd.csv')], { lsoaVintage: '2011' });
  const rows = (r: typeof r2021) => r.files.find((f) => f.path.endsWith('postcodes.csv'))?.manifest.rows;
  assert.equal(rows(r2021), 4);
  assert.equal(rows(r2011), 3, 'NR4 7ZZ has no 2011 LSOA');
  const no2021 = read('onspd.csv').replace(',lsoa21,', ',lsoa21x,');
  assert.throws(() => runImport('onspd', [no2021]), /onspd\.csv: no column 'lsoa21' for the 2021 LSOA vintage$/);
});

test('ODS dates: close date is the last effective day, blank open date takes the publication date, close before open is refused', () => {
  const etr = runImport('ods-etr', [read('etr.csv')]);
  const rows = parseCsvRows(etr.files[0]?.text ?? '', 'out');
  const header = rows[0]?.cells ?? [];
  const col = (name: string) => header.indexOf(name);
  const rr1 = rows.find((r) => r.cells[0] === 'RR1');
  assert.equal(rr1?.cells[col('effective_from')], '1996-04-01');
  assert.equal(rr1?.cells[col('effective_to')], '2018-03-31');
  const noOpen = read('etr.csv').replace('"20040401"', '""');
  const rrk = parseCsvRows(runImport('ods-etr', [noOpen]).files[0]?.text ?? '', 'out').find((r) => r.cells[0] === 'RRK');
  assert.equal(rrk?.cells[col('effective_from')], '2026-11-01');
  const closedFirst = read('etr.csv').replace('"19960401"', '"20190101"');
  assert.throws(() => runImport('ods-etr', [closedFirst]), /etr\.csv row 3 column 12 \(Close Date\): is before the open date$/);
});

test('the CSV row reader keeps line numbers across quoted newlines and CRLF, and names an open quote', () => {
  const rows = parseCsvRows('a,b\r\n"x\ny",2\r\n\r\nlast,3', 'f.csv');
  assert.deepEqual(rows, [
    { line: 1, cells: ['a', 'b'] },
    { line: 2, cells: ['x\ny', '2'] },
    { line: 5, cells: ['last', '3'] },
  ]);
  const reader = new CsvRowReader('f.csv');
  reader.push('a,"b');
  assert.throws(() => reader.end(), /^InputError: f\.csv line 1: a quoted field is never closed$/);
  assert.deepEqual(parseCsvRows('\uFEFFh1,h2\n', 'f.csv')[0]?.cells, ['h1', 'h2'], 'a byte-order mark is dropped');
});

test('a column read under an unverified mapping must hold a code of the expected kind, so a wrong guess fails loudly', () => {
  // Column 4 holding the region (as if regions and ICBs were the other way round) is refused.
  const swapped = read('etr.csv').replace('"Y60","QHL"', '"QHL","Y60"');
  assert.throws(
    () => runImport('ods-etr', [swapped]),
    /^InputError: etr\.csv row 1 column 4 \(High Level Health Geography\): is not an ICB code: .*\(docs\/reference-data\.md: check the layout\)$/,
  );
  const badCommissioner = read('epraccur.csv').replace('"B","15E"', '"B","QHL"');
  assert.throws(() => runImport('ods-epraccur', [badCommissioner]), /^InputError: epraccur\.csv row 1 column 15 \(Commissioner\): is not a sub-ICB location code/);
});

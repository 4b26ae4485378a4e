import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultReferenceDir,
  loadReferenceData,
} from '../../../shared/adapters/local/reference-data.loader.js';
import { InputError } from '../../../shared/domain/errors.js';
import { validateOdsCode } from '../../../shared/domain/nhs/ods-code.js';
import { validatePostcode } from '../../../shared/domain/nhs/postcode.js';
import { validateSnomedId } from '../../../shared/domain/nhs/snomed.js';
import { parseBnfCode } from '../../../shared/domain/nhs/bnf-code.js';
import {
  CODE_LIST_NAMES,
  financialYearOf,
  parseReferenceData,
} from '../../../shared/domain/reference/reference-data.js';

const dir = defaultReferenceDir();
const ref = loadReferenceData();

test('the reference folder is found by walking up from the loader module, and loads are cached', () => {
  assert.ok(dir.endsWith('reference'));
  assert.equal(loadReferenceData(), ref);
  assert.equal(loadReferenceData(dir), ref);
});

test('every code list named in the type is shipped and non-empty', () => {
  for (const list of CODE_LIST_NAMES) assert.ok(ref.codeList(list).length > 0, list);
});

test('the manifest gives every file a version, a description and what is synthetic', () => {
  for (const [file, meta] of Object.entries(ref.manifest.files)) {
    assert.ok(meta.version.length > 0, file);
    assert.ok(meta.description.length > 0, file);
    assert.ok(meta.synthetic.length > 0, file);
  }
});

test('each ICB has about 40 synthetic, pattern-correct GP practices with their sub-ICB', () => {
  for (const [icb, subIcb, prefixes] of [
    ['QHL', '15E', ['M85', 'M88', 'M89']],
    ['QMM', '26A', ['D82', 'D83']],
  ] as const) {
    const practices = ref.practicesInIcb(icb);
    assert.equal(practices.length, 40);
    for (const p of practices) {
      assert.ok(validateOdsCode(p.code, 'gp_practice').ok, p.code);
      assert.ok(prefixes.some((prefix) => p.code.startsWith(prefix)), p.code);
      assert.equal(p.synthetic, true);
      assert.equal(p.subIcbCode, subIcb);
      assert.equal(p.icbCode, icb);
    }
  }
});

test('organisation lookups are effective-dated: a practice closed in March 2025 is gone afterwards', () => {
  const closed = ref.practicesInIcb('QHL').find((p) => p.effectiveTo !== null);
  assert.ok(closed);
  assert.equal(ref.organisation(closed.code, '2025-03-31')?.code, closed.code);
  assert.equal(ref.organisation(closed.code, '2025-04-01'), undefined);
  assert.equal(ref.practicesInIcb('QHL', '2025-06-01').length, 38);
  assert.equal(ref.organisation('QHL', '2022-06-30'), undefined, 'ICBs start on 1 July 2022');
  assert.equal(ref.organisation('QHL', '2022-07-01')?.kind, 'icb');
  assert.equal(ref.organisation('RRK')?.icbCode, 'QHL');
  assert.equal(ref.organisation('RRK02')?.parentCode, 'RRK');
  assert.equal(ref.organisation('RM1')?.icbCode, 'QMM');
});

test('about 300 synthetic postcodes per area map to an LSOA with an IMD decile', () => {
  for (const [area, outward] of [
    ['bsol', /^B[0-9]/],
    ['nw', /^(NR[0-9]|IP2[12] )/],
  ] as const) {
    const postcodes = ref.postcodes(area);
    assert.equal(postcodes.length, 300);
    for (const p of postcodes) {
      assert.ok(outward.test(p.postcode), p.postcode);
      assert.ok(validatePostcode(p.postcode).ok);
      const decile = ref.imdDecile(p.lsoa);
      assert.ok(decile !== undefined && decile >= 1 && decile <= 10);
    }
  }
  const first = ref.postcodes('bsol')[0]!;
  assert.equal(ref.lsoaForPostcode(first.postcode.toLowerCase().replace(' ', '')), first.lsoa);
  assert.equal(ref.lsoaForPostcode('ZZ99 3VZ'), undefined);
});

test('HRG tariffs are priced per financial year and admission type', () => {
  assert.equal(financialYearOf('2025-03-31'), '2024/25');
  assert.equal(financialYearOf('2025-04-01'), '2025/26');
  assert.equal(financialYearOf('2026-11-23T10:00:00Z'), '2026/27');
  const el = ref.hrgTariff('EB03E', '2025/26', 'elective');
  const nel = ref.hrgTariff('EB03E', '2025/26', 'non_elective');
  assert.match(el ?? '', /^[0-9]+\.[0-9]{2}$/);
  assert.equal(nel, '2500.00');
  assert.notEqual(el, nel);
  assert.equal(ref.hrgTariff('EB03E', '2019/20', 'elective'), undefined);
  assert.equal(ref.hrgTariff('ZZ99Z', '2025/26', 'elective'), undefined);
  assert.equal(ref.isKnownHrg('UZ01Z'), true);
  assert.equal(ref.hrg('EB03E', '2024/25')?.verified, 'unverified');
});

test('code lists answer effective-dated membership', () => {
  assert.equal(ref.isValidCode('admission_method', '21', '2026-01-01'), true);
  assert.equal(ref.isValidCode('admission_method', '28', '2020-01-01'), true);
  assert.equal(ref.isValidCode('admission_method', '28', '2026-01-01'), false);
  assert.equal(ref.isValidCode('admission_method', '28'), true, 'without a date any version counts');
  assert.equal(ref.isValidCode('ecds_discharge_destination', '306689006'), true);
  assert.equal(ref.isValidCode('mh_care_cluster', '9', '2026-01-01'), false);
  assert.equal(ref.codeEntry('csds_team_type', '01')?.synthetic, true);
  assert.equal(ref.codeEntry('csds_care_activity_type', '10')?.verified, 'partial');
});

test('BNF presentations and imaging codes are well formed and consistent', () => {
  assert.ok(ref.bnfPresentations().length >= 29);
  for (const p of ref.bnfPresentations()) {
    const parts = parseBnfCode(p.code);
    assert.ok(parts, p.code);
    assert.equal(parts.chemicalCode, p.chemicalCode);
    assert.match(p.unitNicGbp, /^[0-9]+\.[0-9]{2,3}$/);
  }
  assert.ok(ref.imagingCodes().length >= 25);
  for (const c of ref.imagingCodes()) {
    assert.equal(c.nicip[0], c.modality);
    assert.ok(ref.isValidCode('imaging_modality', c.modality));
    assert.ok(validateSnomedId(c.snomedCode, 'concept').ok, c.snomedCode);
    assert.equal(ref.imagingCodeForSnomed(c.snomedCode), c);
  }
  assert.equal(ref.imagingCode('XCHES')?.modality, 'X');
});

// ---------- malformed reference data fails loudly with file and line ----------

const manifestText = readFileSync(join(dir, 'MANIFEST.json'), 'utf8');
function parseWith(overrides: Record<string, (text: string) => string>, manifest = manifestText) {
  return parseReferenceData(manifest, (path) => {
    const text = readFileSync(join(dir, path), 'utf8');
    return overrides[path]?.(text) ?? text;
  });
}
/** Replaces data line `n` (1 = header) of a CSV text. */
const editLine = (n: number, edit: (line: string) => string) => (text: string) =>
  text
    .split('\n')
    .map((l, i) => (i === n - 1 ? edit(l) : l))
    .join('\n');

const MALFORMED: readonly { name: string; overrides: Record<string, (t: string) => string>; message: RegExp }[] = [
  {
    name: 'an effective_from that is not a date',
    overrides: { 'organisations.csv': editLine(4, (l) => l.replace('2022-07-01', '2022-13-01')) },
    message: /organisations\.csv line 4: effective_from is not a date/,
  },
  {
    name: 'an effective_to before effective_from',
    overrides: { 'hrg-tariffs.csv': editLine(2, (l) => l.replace('2024-03-31', '2020-03-31')) },
    message: /hrg-tariffs\.csv line 2: effective_to is before effective_from/,
  },
  {
    name: 'a blank source',
    overrides: { 'code-lists/sex.csv': editLine(2, (l) => l.replace(/,[^,]*,yes$/, ',,yes')) },
    message: /code-lists\/sex\.csv line 2: source is blank/,
  },
  {
    name: 'a malformed ODS code',
    overrides: { 'organisations.csv': editLine(4, (l) => l.replace(/^QHL,/, 'QH,')) },
    message: /organisations\.csv line 4: code is not a valid ODS icb code/,
  },
  {
    name: 'a row with too few fields',
    overrides: { 'lsoas.csv': editLine(4, (l) => l.split(',').slice(0, 3).join(',')) },
    message: /lsoas\.csv line 4: expected 9 fields, found 3/,
  },
  {
    name: 'a SNOMED code failing Verhoeff in an ECDS list',
    overrides: { 'code-lists/ecds_acuity.csv': editLine(2, (l) => l.replace('1064891000000107', '1064891000000108')) },
    message: /ecds_acuity\.csv line 2: code is not a SNOMED CT concept id: check digit/,
  },
  {
    name: 'a missing required column',
    overrides: { 'bnf-presentations.csv': editLine(1, (l) => l.replace('unit_nic_gbp', 'unit_cost')) },
    message: /bnf-presentations\.csv line 1: missing column\(s\) unit_nic_gbp/,
  },
  {
    name: 'a postcode pointing at an unknown LSOA',
    overrides: { 'postcodes.csv': editLine(2, (l) => l.replace(/E01[0-9]{6}/, 'E01999999')) },
    message: /postcodes\.csv line 2: lsoa_code is not in the LSOA file/,
  },
  {
    name: 'an unclosed quote',
    overrides: { 'imaging-codes.csv': editLine(3, (l) => l.replace(',X,', ',"X,')) },
    message: /imaging-codes\.csv line 3: a quoted field is never closed/,
  },
];

for (const c of MALFORMED) {
  test(`reference data with ${c.name} fails loudly naming file and line`, () => {
    assert.throws(
      () => parseWith(c.overrides),
      (e: unknown) => e instanceof InputError && c.message.test(e.message),
    );
  });
}

test('a manifest entry with an unknown kind is refused', () => {
  const manifest = JSON.parse(manifestText) as { files: Record<string, { kind: string }> };
  manifest.files['lsoas.csv']!.kind = 'mystery';
  assert.throws(() => parseWith({}, JSON.stringify(manifest)), /lsoas\.csv has an unknown kind/);
});

// ---------- samples, file precedence and the optional columns ----------

test('every shipped file but the code lists is labelled a sample, in a flag and its description', () => {
  for (const [file, meta] of Object.entries(ref.manifest.files)) {
    if (file.startsWith('imported/')) continue;
    const sample = !file.startsWith('code-lists/');
    assert.equal(meta.sample === true, sample, file);
    assert.equal(meta.description.startsWith('SAMPLE: '), sample, file);
  }
});

/** The shipped manifest plus extra files listed after it (as an import appends them). */
function withExtraFiles(extra: Record<string, { kind: string; text: string }>) {
  const manifest = JSON.parse(manifestText) as { files: Record<string, unknown> };
  for (const [path, { kind }] of Object.entries(extra))
    manifest.files[path] = { version: 't.1', kind, description: 'test', synthetic: 'none' };
  return parseReferenceData(JSON.stringify(manifest), (path) => extra[path]?.text ?? readFileSync(join(dir, path), 'utf8'));
}
const COMMON = 'effective_from,effective_to,source,verified';

test('a later file replaces an earlier file’s rows for the same key, and leaves the other keys alone', () => {
  const practice = ref.practicesInIcb('QHL')[0];
  assert.ok(practice);
  const other = withExtraFiles({
    'imported/orgs.csv': {
      kind: 'organisations',
      text: `code,name,kind,org_type,parent_code,sub_icb_code,icb_code,area,notes,${COMMON}\n${practice.code},Replaced,gp_practice,GP practice,15E,15E,QHL,bsol,,2001-01-01,2001-12-31,test,yes\n`,
    },
    'imported/hrg.csv': {
      kind: 'hrg_tariffs',
      text: `hrg_code,label,financial_year,elective_tariff_gbp,non_elective_tariff_gbp,notes,${COMMON}\nAA22C,x,2025/26,,99.00,,2025-04-01,2026-03-31,test,yes\n`,
    },
  });
  assert.equal(other.organisation(practice.code)?.name, 'Replaced');
  assert.equal(other.organisations().filter((o) => o.code === practice.code).length, 1, 'no sample version left beside it');
  assert.equal(other.organisation(practice.code, '2025-01-01'), undefined, 'the replacing versions alone decide the dates');
  assert.equal(other.hrgTariff('AA22C', '2025/26', 'non_elective'), '99.00');
  assert.equal(other.hrgTariff('AA22C', '2025/26', 'elective'), undefined, 'a blank price is no price');
  assert.equal(other.hrgTariff('AA22C', '2024/25', 'non_elective'), ref.hrgTariff('AA22C', '2024/25', 'non_elective'));
  assert.equal(other.organisations().length, ref.organisations().length);
});

test('a postcode twice in one file is refused; an added postcode resolves only from its effective date', () => {
  const row = `B99 9ZZ,${ref.lsoas()[0]?.code ?? ''},bsol,,2020-01-01,,test,yes`;
  assert.throws(
    () => withExtraFiles({ 'imported/pc.csv': { kind: 'postcodes', text: `postcode,lsoa_code,area,notes,${COMMON}\n${row}\n${row}\n` } }),
    /imported\/pc\.csv line 3: postcode appears twice/,
  );
  const once = withExtraFiles({ 'imported/pc.csv': { kind: 'postcodes', text: `postcode,lsoa_code,area,notes,${COMMON}\n${row}\n` } });
  assert.equal(once.lsoaForPostcode('B999ZZ', '2019-12-31'), undefined);
  assert.equal(once.lsoaForPostcode('B999ZZ', '2020-01-01'), ref.lsoas()[0]?.code);
});

test('an LSOA may have a blank IMD decile (imdDecile is then undefined), but not an out-of-range one', () => {
  const lsoas = (decile: string) =>
    withExtraFiles({ 'imported/l.csv': { kind: 'lsoas', text: `lsoa_code,name,area,imd_decile,notes,${COMMON}\nE01000001,x,other,${decile},,2020-01-01,,test,yes\n` } });
  assert.equal(lsoas('').imdDecile('E01000001'), undefined);
  assert.equal(lsoas('3').imdDecile('E01000001'), 3);
  assert.throws(() => lsoas('11'), /imported\/l\.csv line 2: imd_decile is neither blank nor 1-10/);
});

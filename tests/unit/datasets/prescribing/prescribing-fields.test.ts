import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { readLandingFile } from '../../../../shared/application/use-cases/pipeline/landing-file-reader.js';
import { loadReferenceData } from '../../../../shared/adapters/local/reference-data.loader.js';
import { compileContract } from '../../../../shared/domain/datasets/contract-engine.js';
import { contractFor } from '../../../../shared/domain/datasets/contracts.js';
import {
  bnfCodeValidInMonth,
  effectiveInMonth,
  thousandths,
} from '../../../../shared/domain/datasets/prescribing/bnf-lookup.js';
import { epdLayoutColumns, epdLayoutOf } from '../../../../shared/domain/datasets/prescribing/epd-layouts.js';
import { prescribing } from '../../../../shared/domain/datasets/prescribing/prescribing.dataset.js';
import { prescribingItem } from '../../../../shared/domain/datasets/prescribing/prescribing-item.table.js';
import { SOURCE_TABLES, type SourceRow } from '../../../../shared/domain/datasets/source-tables.js';
import { validateSnomedId } from '../../../../shared/domain/nhs/snomed.js';
import type { BatchDescriptor } from '../../../../shared/domain/pipeline/batch-record.js';
import { parseReferenceData, type Effective } from '../../../../shared/domain/reference/reference-data.js';
import { generated } from '../../synthetic/synthetic-fixture.js';
import { CLEAN_ROWS, EXTRACT_DATE } from '../clean-rows.js';

const reference = loadReferenceData();
const clean = CLEAN_ROWS.prescribing_item;
const rulesOf = (patch: SourceRow, ref = reference): string[] => {
  const contract =
    ref === reference
      ? contractFor('prescribing_item', reference, { asOf: EXTRACT_DATE })
      : compileContract(prescribing, prescribingItem, ref, { asOf: EXTRACT_DATE });
  const result = contract.check({ ...clean, ...patch });
  return result.ok ? [] : result.failures.map((f) => f.rule);
};

test('TOTAL_QUANTITY is QUANTITY × ITEMS, compared exactly to the thousandth', () => {
  assert.deepEqual(rulesOf({ quantity: '28', items: 3, total_quantity: '84.000' }), []);
  assert.deepEqual(rulesOf({ quantity: '2.5', items: 3, total_quantity: '7.5' }), []);
  assert.deepEqual(rulesOf({ quantity: '28.000', items: 3, total_quantity: '28.000' }), [
    'PRESCRIBING.TOTAL_QUANTITY.NOT_QUANTITY_TIMES_ITEMS',
  ]);
  assert.deepEqual(rulesOf({ quantity: '28.000', items: 1, total_quantity: '28.001' }), [
    'PRESCRIBING.TOTAL_QUANTITY.NOT_QUANTITY_TIMES_ITEMS',
  ]);
  assert.equal(thousandths('28'), 28_000);
  assert.equal(thousandths('0.125'), 125);
  assert.ok(Number.isNaN(thousandths('1.2345')));
});

test('the chemical substance code is characters 1-9 of the BNF code; the SNOMED code is a dm+d concept id', () => {
  assert.deepEqual(rulesOf({ bnf_chemical_substance_code: '0601022B0' }), [
    'PRESCRIBING.BNF_CHEMICAL_SUBSTANCE_CODE.NOT_BNF_PREFIX',
  ]);
  assert.deepEqual(rulesOf({ bnf_chemical_substance_code: 'Atorvasta' }), [
    'PRESCRIBING.BNF_CHEMICAL_SUBSTANCE_CODE.FORMAT',
  ]);
  assert.deepEqual(rulesOf({ snomed_code: '5009999999107' }), ['PRESCRIBING.SNOMED_CODE.CHECK_DIGIT']);
  assert.deepEqual(rulesOf({ snomed_code: null, adq_usage: null, total_quantity: null }), []);
});

const version = (effectiveFrom: string, effectiveTo: string | null): Effective => ({
  effectiveFrom,
  effectiveTo,
  source: 'test',
  verified: 'synthetic',
  synthetic: true,
});

test('a BNF version counts for a prescribing month when it is in force on any day of that month', () => {
  const closedJune = version('1990-01-01', '2026-06-30');
  assert.equal(effectiveInMonth(closedJune, '202606'), true);
  assert.equal(effectiveInMonth(closedJune, '202607'), false);
  const fromMidJune = version('2026-06-15', null);
  assert.equal(effectiveInMonth(fromMidJune, '202605'), false);
  assert.equal(effectiveInMonth(fromMidJune, '202606'), true);
  const leap = version('2028-02-29', '2028-02-29');
  assert.equal(effectiveInMonth(leap, '202802'), true);
  assert.equal(effectiveInMonth(leap, '202803'), false);
});

/** The shipped reference plus a presentation withdrawn after June 2026 and one introduced mid-June 2026. */
const WITHDRAWN = '0212000B0AAAXAX';
const INTRODUCED = '0212000B0AAAYAY';
const withDatedBnf = (() => {
  const dir = join(process.cwd(), 'reference');
  const read = (path: string): string => {
    const text = readFileSync(join(dir, path), 'utf8');
    if (path !== 'bnf-presentations.csv') return text;
    const row = (code: string, from: string, to: string) =>
      `${code},Atorvastatin test tablets,Atorvastatin,0212000B0,02,Y,0.040,28,test fixture,${from},${to},test fixture,synthetic`;
    return `${text.trimEnd()}\n${row(WITHDRAWN, '1990-01-01', '2026-06-30')}\n${row(INTRODUCED, '2026-06-15', '')}\n`;
  };
  return parseReferenceData(read('MANIFEST.json'), read);
})();

test('the BNF lookup is effective-dated on the processing month; a code the reference does not hold is not judged', () => {
  assert.equal(bnfCodeValidInMonth(withDatedBnf, WITHDRAWN, '202606'), true);
  assert.equal(bnfCodeValidInMonth(withDatedBnf, WITHDRAWN, '202607'), false);
  assert.equal(bnfCodeValidInMonth(withDatedBnf, INTRODUCED, '202605'), false);
  assert.equal(bnfCodeValidInMonth(withDatedBnf, INTRODUCED, '202606'), true);
  assert.equal(bnfCodeValidInMonth(withDatedBnf, '0212000B0AAAZAZ', '202606'), undefined);
  const item = (code: string, month: string): SourceRow => ({
    bnf_code: code,
    bnf_chemical_substance_code: '0212000B0',
    dispensing_date: `${month.slice(0, 4)}-${month.slice(4)}-20`,
    processing_month: month,
  });
  assert.deepEqual(rulesOf(item(WITHDRAWN, '202606'), withDatedBnf), []);
  assert.deepEqual(rulesOf(item(WITHDRAWN, '202607'), withDatedBnf), [
    'PRESCRIBING.BNF_CODE.NOT_IN_PRESCRIBING_MONTH',
  ]);
  assert.deepEqual(rulesOf(item(INTRODUCED, '202605'), withDatedBnf), [
    'PRESCRIBING.BNF_CODE.NOT_IN_PRESCRIBING_MONTH',
  ]);
  assert.deepEqual(rulesOf(item('0212000B0AAAZAZ', '202607'), withDatedBnf), []);
});

test('the layout is told apart by its columns, and BNF_CHEMICAL_SUBSTANCE maps by the layout it is in', () => {
  assert.equal(epdLayoutOf(['YEAR_MONTH', 'BNF_CODE', 'BNF_CHEMICAL_SUBSTANCE']), 'legacy');
  assert.equal(epdLayoutOf(['YEAR_MONTH', 'BNF_PRESENTATION_CODE', 'BNF_CHEMICAL_SUBSTANCE']), 'snomed');
  assert.equal(epdLayoutOf(['SNOMED_CODE', 'BNF_CHEMICAL_SUBSTANCE']), 'snomed');
  assert.equal(epdLayoutOf(['item_id', 'bnf_code']), 'table');
  assert.deepEqual(
    epdLayoutColumns(['BNF_CODE', 'BNF_CHEMICAL_SUBSTANCE', 'CHEMICAL_SUBSTANCE_BNF_DESCR']).columns,
    ['bnf_code', 'bnf_chemical_substance_code', 'bnf_chemical_substance'],
  );
  assert.deepEqual(
    epdLayoutColumns(['BNF_PRESENTATION_CODE', 'BNF_CHEMICAL_SUBSTANCE_CODE', 'BNF_CHEMICAL_SUBSTANCE'])
      .columns,
    ['bnf_code', 'bnf_chemical_substance_code', 'bnf_chemical_substance'],
  );
  // Every mapped column is a column of the table.
  const names = new Set(prescribingItem.columns.map((c) => c.name));
  for (const header of [
    [
      'BNF_CODE',
      'BNF_DESCRIPTION',
      'BNF_CHEMICAL_SUBSTANCE',
      'CHEMICAL_SUBSTANCE_BNF_DESCR',
      'YEAR_MONTH',
      'PRACTICE_CODE',
      'QUANTITY',
      'ITEMS',
      'TOTAL_QUANTITY',
      'ADQUSAGE',
      'NIC',
      'ACTUAL_COST',
    ],
    [
      'BNF_PRESENTATION_CODE',
      'BNF_PRESENTATION_NAME',
      'BNF_CHEMICAL_SUBSTANCE_CODE',
      'BNF_CHEMICAL_SUBSTANCE',
      'SNOMED_CODE',
      'YEAR_MONTH',
      'PRACTICE_CODE',
      'QUANTITY',
      'ITEMS',
      'TOTAL_QUANTITY',
      'ADQUSAGE',
      'NIC',
      'ACTUAL_COST',
    ],
  ])
    for (const column of epdLayoutColumns(header).columns) assert.ok(names.has(column), column);
});

const PATIENT = 'item_id,nhs_number,date_of_birth,sex,postcode,prescriber_code,dispensing_date';
const PATIENT_VALUES = (id: string, day: string) => `${id},9990000018,1970-01-01,1,B1 1AA,G1234567,${day}`;
const LEGACY = [
  `${PATIENT},YEAR_MONTH,PRACTICE_CODE,BNF_CODE,BNF_DESCRIPTION,BNF_CHEMICAL_SUBSTANCE,CHEMICAL_SUBSTANCE_BNF_DESCR,QUANTITY,ITEMS,TOTAL_QUANTITY,ADQUSAGE,NIC,ACTUAL_COST`,
  `${PATIENT_VALUES('IT1', '2025-02-10')},202502,M85001,0212000B0AAABAB,Atorvastatin 20mg tablets,0212000B0,Atorvastatin,28,2,56,56,2.24,2.10`,
].join('\n');
const CURRENT = [
  `${PATIENT},YEAR_MONTH,PRACTICE_CODE,BNF_PRESENTATION_CODE,BNF_PRESENTATION_NAME,BNF_CHEMICAL_SUBSTANCE_CODE,BNF_CHEMICAL_SUBSTANCE,SNOMED_CODE,QUANTITY,ITEMS,TOTAL_QUANTITY,ADQUSAGE,NIC,ACTUAL_COST`,
  `${PATIENT_VALUES('IT2', '2025-04-10')},202504,M85001,0212000B0AAABAB,Atorvastatin 20mg tablets,0212000B0,Atorvastatin,5009999999106,28,2,56,56,2.24,2.10`,
].join('\n');

async function landed(text: string): Promise<SourceRow[]> {
  const batch: BatchDescriptor = {
    batchId: 'b-epd',
    table: 'prescribing_item',
    origin: 'prescribing_item/epd.csv',
    bronzePath: 'x.csv',
    format: 'csv',
    receivedAt: '2026-11-30T10:00:00.000Z',
  };
  const rows: SourceRow[] = [];
  for await (const item of readLandingFile(
    batch,
    SOURCE_TABLES.prescribing_item,
    Readable.from([Buffer.from(text)]),
  ))
    if ('op' in item && item.row !== null) rows.push(item.row);
  return rows;
}

test('a landing file in either EPD layout is read into the current columns, the legacy chemical code into the code column', async () => {
  const [legacy] = await landed(LEGACY);
  const [current] = await landed(CURRENT);
  assert.ok(legacy && current);
  for (const row of [legacy, current]) {
    assert.equal(row.bnf_code, '0212000B0AAABAB');
    assert.equal(row.bnf_description, 'Atorvastatin 20mg tablets');
    assert.equal(row.bnf_chemical_substance_code, '0212000B0');
    assert.equal(row.bnf_chemical_substance, 'Atorvastatin');
    assert.equal(row.prescribing_practice_code, 'M85001');
    assert.equal(row.items, 2);
    assert.equal(row.total_quantity, '56');
    assert.equal(row.adq_usage, '56');
    assert.equal(row.actual_cost_gbp, '2.10');
  }
  assert.equal(legacy.processing_month, '202502');
  assert.equal(legacy.snomed_code, undefined, 'the legacy layout has no SNOMED code');
  assert.equal(current.snomed_code, '5009999999106');
  // Both pass the contract once the columns the file does not carry are null.
  for (const row of [legacy, current]) {
    const full = Object.fromEntries(prescribingItem.columns.map((c) => [c.name, row[c.name] ?? null]));
    const result = contractFor('prescribing_item', reference, { asOf: EXTRACT_DATE }).check({
      ...full,
      modified_at: '2026-11-01T00:00:00.000Z',
      change_version: '1',
    });
    assert.deepEqual(result.ok ? [] : result.failures.map((f) => f.rule), []);
  }
});

test('generated items carry the current layout: chemical code prefix, a valid synthetic dm+d id per presentation, total = quantity × items', () => {
  const { rows } = generated({ patients: 300, seed: 11 });
  const items = rows.prescribing_item;
  assert.ok(items.length > 50);
  const idOf = new Map<string, string>();
  for (const row of items) {
    const code = row.bnf_code as string;
    assert.equal(row.bnf_chemical_substance_code, code.slice(0, 9));
    assert.ok(validateSnomedId(row.snomed_code as string, 'concept').ok);
    assert.equal(idOf.get(code) ?? row.snomed_code, row.snomed_code, 'one dm+d id per presentation');
    idOf.set(code, row.snomed_code as string);
    assert.equal(
      thousandths(row.total_quantity as string),
      thousandths(row.quantity as string) * (row.items as number),
    );
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultReferenceDir, loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { InputError } from '../../../shared/domain/errors.js';
import { parseReferenceData, SUBMITTED_DATASETS } from '../../../shared/domain/reference/reference-data.js';

const dir = defaultReferenceDir();
const ref = loadReferenceData();
const FILE = 'expected-submitters.csv';
const manifestText = readFileSync(join(dir, 'MANIFEST.json'), 'utf8');
const parseWith = (edit: (text: string) => string) =>
  parseReferenceData(manifestText, (path) => {
    const text = readFileSync(join(dir, path), 'utf8');
    return path === FILE ? edit(text) : text;
  });

test('every expected submitter is a trust of the organisations file, open when it is expected', () => {
  const all = ref.expectedSubmitters();
  assert.ok(all.length > 0);
  for (const s of all) {
    const org = ref.organisation(s.providerCode, s.effectiveFrom);
    assert.equal(org?.kind, 'trust', `${s.providerCode} (${s.dataset}) is not a trust on ${s.effectiveFrom}`);
  }
});

test('every dataset providers submit has expected submitters, and prescribing (NHSBSA) has none', () => {
  for (const dataset of SUBMITTED_DATASETS) assert.ok(ref.expectedSubmitters(dataset).length > 0, dataset);
  assert.equal(
    ref.expectedSubmitters().filter((s) => (s.dataset as string) === 'prescribing').length,
    0,
  );
});

test('the manifest row count matches the file, and every row says it is unverified', () => {
  const lines = readFileSync(join(dir, FILE), 'utf8').trim().split('\n').length - 1;
  assert.equal(ref.manifest.files[FILE]?.rows, lines);
  assert.equal(ref.expectedSubmitters().length, lines);
  for (const s of ref.expectedSubmitters()) assert.equal(s.verified, 'unverified');
});

test('expectedSubmitters with a date keeps the versions effective on it', () => {
  const edited = parseWith((text) => `${text.trimEnd()}\nRRK,mhsds,test window,2025-04-01,2025-06-30,test,unverified\n`);
  const on = (date: string) => edited.expectedSubmitters('mhsds', date).map((s) => s.providerCode).sort();
  assert.deepEqual(on('2025-05-15'), ['RMY', 'RRK', 'RXT']);
  assert.deepEqual(on('2025-07-01'), ['RMY', 'RXT']);
});

for (const [name, edit, message] of [
  ['an unknown dataset', (t: string) => t.replace('RRK,sus_apc', 'RRK,sus_op'), /expected-submitters\.csv line 2: dataset is not one of/],
  ['a provider that is not an ODS trust code', (t: string) => t.replace('RRK,sus_apc', 'M85063,sus_apc'), /line 2: provider_code is not a valid ODS trust code/],
  ['a row without effective_from', (t: string) => t.replace('RRK,sus_apc,acute trust: admitted patient care,1990-01-01', 'RRK,sus_apc,acute trust: admitted patient care,'), /line 2: effective_from/],
] as const)
  test(`a file with ${name} fails naming the file and line`, () => {
    assert.throws(() => parseWith(edit), (e: unknown) => e instanceof InputError && message.test(e.message));
  });

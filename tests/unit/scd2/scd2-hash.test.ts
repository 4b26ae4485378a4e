import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gpPracticeDimension, organisationDimension } from '../../../shared/domain/scd2/dimensions.js';
import {
  checkDimensionSpec,
  canonicalAttributesText,
  canonicalTime,
  surrogateKeyOf,
  trackedHash,
  type DimensionSpec,
} from '../../../shared/domain/scd2/dimension.js';
import { InputError } from '../../../shared/domain/errors.js';

const spec: DimensionSpec = {
  name: 'patient',
  table: 'patientdim',
  trackedAttributes: ['lsoa', 'sex'],
  untracked: 'type1',
  deleteMode: 'new-record',
};

describe('SCD2 canonical attribute text (spec version 1)', () => {
  const cases: [string, Record<string, string | number | boolean | null>, string][] = [
    ['names are sorted and values typed', { sex: '1', lsoa: 'E01' }, 'lsoa=s:E01|sex=s:1'],
    ['NULL is the \\N sentinel', { sex: null, lsoa: 'E01' }, 'lsoa=s:E01|sex=\\N'],
    ['an absent attribute is NULL', { lsoa: 'E01' }, 'lsoa=s:E01|sex=\\N'],
    ['empty text is not NULL', { sex: '', lsoa: 'E01' }, 'lsoa=s:E01|sex=s:'],
    ['the text null is not NULL', { sex: 'null', lsoa: 'E01' }, 'lsoa=s:E01|sex=s:null'],
    ['a number is not the same text', { sex: 1, lsoa: 'E01' }, 'lsoa=s:E01|sex=n:1'],
    ['-0 is 0', { sex: -0, lsoa: 'E01' }, 'lsoa=s:E01|sex=n:0'],
    ['booleans are b:1 and b:0', { sex: true, lsoa: false }, 'lsoa=b:0|sex=b:1'],
    ['separators in values are escaped', { sex: 'a|b=c\\', lsoa: 'E01' }, 'lsoa=s:E01|sex=s:a\\|b\\=c\\\\'],
  ];
  for (const [name, attributes, text] of cases)
    test(name, () => assert.equal(canonicalAttributesText(attributes, spec.trackedAttributes), text));

  test('untracked attributes do not change the row hash; tracked ones do', () => {
    const base = trackedHash(spec, { lsoa: 'E01', sex: '1', source: 'apc' });
    assert.equal(trackedHash(spec, { sex: '1', lsoa: 'E01', source: 'ecds' }), base);
    assert.notEqual(trackedHash(spec, { sex: '1', lsoa: null }), base);
    assert.match(base, /^[0-9a-f]{64}$/);
  });
});

describe('SCD2 canonical time', () => {
  const ok: [string, string][] = [
    ['2024-03-01', '2024-03-01T00:00:00.000Z'],
    ['2024-03-01T10:00:00Z', '2024-03-01T10:00:00.000Z'],
    ['2024-03-01T10:00:00.123456+01:00', '2024-03-01T09:00:00.123Z'],
    ['2024-03-31T23:30:00-01:00', '2024-04-01T00:30:00.000Z'],
  ];
  for (const [input, canonical] of ok)
    test(`${input} is the UTC instant ${canonical}`, () =>
      assert.equal(canonicalTime(input, 'effectiveAt', 'c1'), canonical));
  for (const bad of ['2024-03-01T10:00:00', '01/03/2024', '2024-13-01', '2024-02-30', '9999-12-31'])
    test(`${bad} is refused, naming the change and field`, () =>
      assert.throws(
        () => canonicalTime(bad, 'effectiveAt', 'c1'),
        (e: unknown) =>
          e instanceof InputError && e.message.startsWith("scd2: change c1 field 'effectiveAt' expected"),
      ));
});

test('a surrogate key depends on dimension, key and valid_from only (not the change id or capture time)', () => {
  const k = surrogateKeyOf('patient', 'tok_1', '2024-01-01T00:00:00.000Z');
  assert.equal(surrogateKeyOf('patient', 'tok_1', '2024-01-01T00:00:00.000Z'), k);
  assert.match(k, /^[0-9a-f]{32}$/);
  for (const other of [
    surrogateKeyOf('practice', 'tok_1', '2024-01-01T00:00:00.000Z'),
    surrogateKeyOf('patient', 'tok_2', '2024-01-01T00:00:00.000Z'),
    surrogateKeyOf('patient', 'tok_1', '2024-01-02T00:00:00.000Z'),
    surrogateKeyOf('patient', 'tok_1|2024', '01-01T00:00:00.000Z'),
  ])
    assert.notEqual(other, k);
});

test('the reference-data dimensions are valid specs with distinct tables', () => {
  const all = [organisationDimension, gpPracticeDimension];
  for (const d of all) checkDimensionSpec(d);
  assert.equal(new Set(all.map((d) => d.table)).size, 2);
  assert.throws(() => checkDimensionSpec({ ...organisationDimension, table: 'bad-name' }), InputError);
});

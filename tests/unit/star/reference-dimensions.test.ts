import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadReferenceData } from '../../../shared/adapters/local/reference-data.loader.js';
import { organisationSuccession } from '../../../shared/domain/reference/organisation-succession.js';
import type { Organisation, ReferenceData } from '../../../shared/domain/reference/reference-data.js';
import {
  REFERENCE_DIMENSIONS,
  referenceDimensionRows,
} from '../../../shared/domain/star/reference-dimensions.js';

const org = (
  o: Partial<Organisation> & Pick<Organisation, 'code' | 'kind' | 'effectiveFrom'>,
): Organisation =>
  ({
    name: `${o.code} name`,
    orgType: '',
    parentCode: null,
    subIcbCode: null,
    icbCode: null,
    area: 'other',
    notes: '',
    successorCode: null,
    successorDate: null,
    effectiveTo: null,
    source: 'test',
    verified: 'no',
    synthetic: true,
    ...o,
  });

/** Three trusts merged in turn (A → B in 2024, B → C in 2025), an ICB, a sub-ICB and a practice that moved sub-ICB. */
const ORGS: Organisation[] = [
  org({
    code: 'RA1',
    kind: 'trust',
    effectiveFrom: '2015-04-01',
    effectiveTo: '2024-03-31',
    successorCode: 'RB1',
    successorDate: '2024-04-01',
  }),
  org({
    code: 'RB1',
    kind: 'trust',
    effectiveFrom: '2015-04-01',
    effectiveTo: '2025-03-31',
    successorCode: 'RC1',
    successorDate: '2025-04-01',
  }),
  org({ code: 'RC1', kind: 'trust', effectiveFrom: '2015-04-01' }),
  org({ code: 'QAA', kind: 'icb', effectiveFrom: '2022-07-01', name: 'NHS Test ICB' }),
  org({
    code: '01A',
    kind: 'sub_icb',
    effectiveFrom: '2022-07-01',
    icbCode: 'QAA',
    name: 'Test sub-ICB one',
  }),
  org({
    code: '01B',
    kind: 'sub_icb',
    effectiveFrom: '2022-07-01',
    icbCode: 'QAA',
    name: 'Test sub-ICB two',
  }),
  org({
    code: 'P10001',
    kind: 'gp_practice',
    effectiveFrom: '2022-07-01',
    effectiveTo: '2025-09-30',
    subIcbCode: '01A',
    icbCode: 'QAA',
  }),
  org({
    code: 'P10001',
    kind: 'gp_practice',
    effectiveFrom: '2025-10-01',
    subIcbCode: '01B',
    icbCode: 'QAA',
  }),
];

const reference: Pick<ReferenceData, 'organisations' | 'organisation' | 'bnfPresentations' | 'hrgTariffs'> = {
  organisations: () => ORGS,
  organisation: (code, asOf) =>
    ORGS.find(
      (o) =>
        o.code === code &&
        (asOf === undefined ||
          (o.effectiveFrom <= asOf && (o.effectiveTo === null || asOf <= o.effectiveTo))),
    ),
  bnfPresentations: () => [],
  hrgTariffs: () => [],
};

const succession = organisationSuccession(ORGS);
const built = referenceDimensionRows(reference, (code) => succession.rollUp(code));
const rows = (name: string) => built.get(name)?.rows ?? [];

test('a merged trust rolls up to its final successor, transitively; a trust with none to itself', () => {
  const successor = new Map(
    rows('dim_organisation').map((r) => [r.organisation_code, r.current_successor_code]),
  );
  assert.deepEqual(
    [successor.get('RA1'), successor.get('RB1'), successor.get('RC1'), successor.get('QAA')],
    ['RC1', 'RC1', 'RC1', 'QAA'],
  );
});

test('each ODS version is one SCD2 row: keyed by code and start, valid to the day after its end, current while open', () => {
  const practice = rows('dim_organisation').filter((r) => r.organisation_code === 'P10001');
  assert.deepEqual(
    practice.map((r) => [r.organisation_sk, r.valid_from, r.valid_to, r.is_current]),
    [
      ['P10001@2022-07-01', '2022-07-01', '2025-10-01', false],
      ['P10001@2025-10-01', '2025-10-01', '9999-12-31', true],
    ],
  );
  const keys = rows('dim_organisation').map((r) => r.organisation_sk);
  assert.equal(new Set(keys).size, keys.length);
});

test('dim_practice holds each practice version with the sub-ICB and ICB it belonged to then', () => {
  assert.deepEqual(
    rows('dim_practice').map((r) => [r.practice_sk, r.sub_icb_code, r.sub_icb_name, r.icb_name]),
    [
      ['P10001@2022-07-01', '01A', 'Test sub-ICB one', 'NHS Test ICB'],
      ['P10001@2025-10-01', '01B', 'Test sub-ICB two', 'NHS Test ICB'],
    ],
  );
});

test('on the shipped reference every dimension has rows, every row fills its declared non-null columns, keys are unique', () => {
  const shipped = loadReferenceData();
  const all = referenceDimensionRows(shipped, (code) =>
    organisationSuccession(shipped.organisations()).rollUp(code),
  );
  const lineage = new Set(['reference_source', 'reference_version', 'batch_id', 'loaded_at']);
  for (const table of REFERENCE_DIMENSIONS) {
    const dimension = all.get(table.name);
    assert.ok(dimension && dimension.rows.length > 0, table.name);
    const key = table.key[0] ?? '';
    assert.equal(
      new Set(dimension.rows.map((r) => r[key])).size,
      dimension.rows.length,
      `${table.name} keys are unique`,
    );
    for (const row of dimension.rows) {
      assert.deepEqual(
        Object.keys(row).sort(),
        table.columns
          .filter((c) => !lineage.has(c.name))
          .map((c) => c.name)
          .sort(),
      );
      for (const c of table.columns)
        if (!c.nullable && !lineage.has(c.name))
          assert.notEqual(row[c.name], null, `${table.name}.${c.name}`);
    }
  }
  const hrg = all.get('dim_hrg')?.rows ?? [];
  assert.ok(
    hrg.some((r) => r.hrg_sk === 'EB03E|2026/27'),
    'the HRG of the clean spell has its 2026/27 tariff',
  );
});

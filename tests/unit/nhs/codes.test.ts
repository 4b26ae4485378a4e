import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ValueCheck } from '../../../shared/domain/nhs/value-check.js';
import { validateOdsCode, type OdsKind } from '../../../shared/domain/nhs/ods-code.js';
import { normalisePostcode, validatePostcode } from '../../../shared/domain/nhs/postcode.js';
import { validateLsoa } from '../../../shared/domain/nhs/lsoa.js';
import { normaliseIcd10, validateIcd10 } from '../../../shared/domain/nhs/icd10.js';
import { normaliseOpcs4, validateOpcs4 } from '../../../shared/domain/nhs/opcs4.js';
import { parseBnfCode, validateBnfCode } from '../../../shared/domain/nhs/bnf-code.js';
import { validateHrgCode } from '../../../shared/domain/nhs/hrg-code.js';

interface Case {
  readonly name: string;
  readonly check: (value: string) => ValueCheck;
  readonly valid: readonly string[];
  readonly rejected: readonly (readonly [value: string, rule: string])[];
}

const ods = (kind: OdsKind) => (value: string) => validateOdsCode(value, kind);

const CASES: readonly Case[] = [
  {
    name: 'ODS trust code',
    check: ods('trust'),
    valid: ['RRK', 'RM1', 'RY3', 'TAJ'],
    rejected: [
      ['', 'EMPTY'],
      ['RRK02', 'LENGTH'],
      ['QHL', 'FORMAT'],
      ['rrk', 'FORMAT'],
    ],
  },
  {
    name: 'ODS site code',
    check: ods('site'),
    valid: ['RRK02', 'RM102'],
    rejected: [
      ['RRK', 'LENGTH'],
      ['M8506', 'FORMAT'],
    ],
  },
  {
    name: 'ODS GP practice code',
    check: ods('gp_practice'),
    valid: ['M85063', 'D82044'],
    rejected: [
      ['M8506', 'LENGTH'],
      ['MM5063', 'FORMAT'],
      ['m85063', 'FORMAT'],
    ],
  },
  {
    name: 'ODS ICB code',
    check: ods('icb'),
    valid: ['QHL', 'QMM'],
    rejected: [
      ['QHLX', 'LENGTH'],
      ['RHL', 'FORMAT'],
    ],
  },
  {
    name: 'ODS sub-ICB code',
    check: ods('sub_icb'),
    valid: ['15E', '26A'],
    rejected: [
      ['15', 'LENGTH'],
      ['E15', 'FORMAT'],
    ],
  },
  {
    name: 'postcode',
    check: validatePostcode,
    valid: ['B1 1AA', 'B11AA', 'B90 4AB', 'NR1  3QE', 'IP21 4XY', 'ZZ99 3VZ', 'EC1A 1BB'],
    rejected: [
      ['', 'EMPTY'],
      ['NR1 3QE XX', 'LENGTH'],
      ['b1 1aa', 'FORMAT'],
      ['11 1AA', 'FORMAT'],
      ['B1 AAA', 'FORMAT'],
    ],
  },
  {
    name: 'LSOA',
    check: validateLsoa,
    valid: ['E01000001', 'W01000123'],
    rejected: [
      ['', 'EMPTY'],
      ['E0100001', 'LENGTH'],
      ['E02000001', 'FORMAT'],
    ],
  },
  {
    name: 'ICD-10 (SUS storage form)',
    check: validateIcd10,
    valid: ['I219', 'R69X', 'U071', 'F000'],
    rejected: [
      ['', 'EMPTY'],
      ['I21.9', 'DOTTED'],
      ['R69', 'LENGTH'],
      ['1219', 'FORMAT'],
      ['I21A', 'FORMAT'],
    ],
  },
  {
    name: 'OPCS-4',
    check: validateOpcs4,
    valid: ['W371', 'C751', 'H229', 'R171'],
    rejected: [
      ['', 'EMPTY'],
      ['W37.1', 'DOTTED'],
      ['W37', 'LENGTH'],
      ['I123', 'CHAPTER'],
      ['W3X1', 'FORMAT'],
    ],
  },
  {
    name: 'BNF code',
    check: validateBnfCode,
    valid: ['0601022B0AAABAB', '0601023ADAAAAAA', '0212000B0AAABAB', '0301011R0AAAPAP'],
    rejected: [
      ['', 'EMPTY'],
      ['0601022B0AAABA', 'LENGTH'],
      ['06010A2B0AAABAB', 'FORMAT'],
      ['0601022b0aaabab', 'FORMAT'],
      ['1601022B0AAABAB', 'CHAPTER'],
    ],
  },
  {
    name: 'HRG4+ code',
    check: validateHrgCode,
    valid: ['FZ91M', 'EB03E', 'UZ01Z', 'AA22C'],
    rejected: [
      ['', 'EMPTY'],
      ['FZ91', 'LENGTH'],
      ['F991M', 'FORMAT'],
      ['fz91m', 'FORMAT'],
    ],
  },
];

for (const c of CASES) {
  test(`a valid ${c.name} passes`, () => {
    for (const value of c.valid) assert.deepEqual(c.check(value), { ok: true }, value);
  });
  for (const [value, rule] of c.rejected) {
    test(`a ${c.name} is rejected with ${rule} for ${JSON.stringify(value)}`, () => {
      const result = c.check(value);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.rule, rule);
      assert.ok(result.reason.length > 0);
      if (value.length > 0) assert.ok(!result.reason.includes(value), 'reason must not contain the value');
    });
  }
}

test('postcodes normalise to one space before the inward code', () => {
  assert.equal(normalisePostcode('b11aa'), 'B1 1AA');
  assert.equal(normalisePostcode('NR1  3QE'), 'NR1 3QE');
  assert.equal(normalisePostcode('B90 4AB'), 'B90 4AB');
});

test('dotted and three-character ICD-10 codes normalise to the SUS storage form', () => {
  assert.equal(normaliseIcd10('I21.9'), 'I219');
  assert.equal(normaliseIcd10('r69'), 'R69X');
  assert.equal(normaliseIcd10('J44.X'), 'J44X');
  assert.equal(normaliseIcd10('I2'), null);
});

test('dotted OPCS-4 codes normalise to the storage form', () => {
  assert.equal(normaliseOpcs4('w37.1'), 'W371');
  assert.equal(normaliseOpcs4('W37'), null);
});

test('a BNF code parses into its hierarchy', () => {
  assert.deepEqual(parseBnfCode('0212000B0AAABAB'), {
    chapter: '02',
    section: '12',
    paragraph: '00',
    subParagraph: '0',
    chemical: 'B0',
    chemicalCode: '0212000B0',
    product: 'AA',
    strength: 'AB',
    generic: 'AB',
    isGeneric: true,
  });
  assert.equal(parseBnfCode('0212000B0AAABA'), null);
});

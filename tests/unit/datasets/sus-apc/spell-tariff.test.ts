import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  admissionTypeOf,
  penceToPounds,
  poundsToPence,
  spellTariff,
  type SpellTariffInput,
} from '../../../../shared/domain/datasets/sus-apc/spell-tariff.js';
import type { HrgTariff } from '../../../../shared/domain/reference/reference-data.js';

/** A tariff row in the workbook's shape: elective 1000.00, non-elective 2000.00, trims 3 / 5 days, 150.00 a day. */
const PRICE: HrgTariff = {
  hrg: 'EB03E',
  label: 'test',
  financialYear: '2026/27',
  electiveTariffGbp: '1000.00',
  nonElectiveTariffGbp: '2000.00',
  dayCaseTariffGbp: null,
  ordinaryElectiveTariffGbp: null,
  ordinaryElectiveTrimPointDays: 3,
  nonElectiveTrimPointDays: 5,
  perDayLongStayGbp: '150.00',
  reducedShortStayEmergencyApplicable: true,
  reducedShortStayEmergencyPercent: '40',
  reducedShortStayEmergencyTariffGbp: '800.00',
  notes: '',
  effectiveFrom: '2026-04-01',
  effectiveTo: '2027-03-31',
  source: 'test',
  verified: 'unverified',
  synthetic: false,
};

const priced = (input: Partial<SpellTariffInput> & { lengthOfStayDays: number }) =>
  spellTariff({ admissionMethod: '22', price: PRICE, ...input });

test('the admission type: methods 11-13 and 81 are elective, emergency, maternity and other methods are not', () => {
  for (const m of ['11', '12', '13', '81']) assert.equal(admissionTypeOf(m), 'elective', m);
  for (const m of ['21', '22', '2A', '2D', '28', '31', '82', '83'])
    assert.equal(admissionTypeOf(m), 'non_elective', m);
});

test('a stay exactly at the trim point has no long stay payment; one day over pays one per-day payment', () => {
  const at = priced({ lengthOfStayDays: 5 });
  assert.equal(at?.excessBedDays, 0);
  assert.equal(at?.tariffGbp, '2000.00');
  const over = priced({ lengthOfStayDays: 6 });
  assert.equal(over?.excessBedDays, 1);
  assert.equal(over?.excessBedDaysGbp, '150.00');
  assert.equal(over?.tariffGbp, '2150.00');
  assert.equal(priced({ lengthOfStayDays: 15 })?.tariffGbp, '3500.00', '10 days over');
});

test('the trim point is that of the admission type: an elective stay uses the ordinary elective trim point', () => {
  assert.equal(priced({ admissionMethod: '11', lengthOfStayDays: 3 })?.tariffGbp, '1000.00');
  assert.equal(priced({ admissionMethod: '11', lengthOfStayDays: 4 })?.tariffGbp, '1150.00');
  // 4 days is within the non-elective trim point of 5
  assert.equal(priced({ admissionMethod: '22', lengthOfStayDays: 4 })?.tariffGbp, '2000.00');
});

test('an emergency stay of 0 or 1 days takes the reduced short stay emergency tariff; 2 days does not', () => {
  for (const los of [0, 1]) {
    const t = priced({ admissionMethod: '21', lengthOfStayDays: los });
    assert.equal(t?.shortStayEmergency, true, `${los} days`);
    assert.equal(t?.tariffGbp, '800.00', `${los} days`);
  }
  const two = priced({ admissionMethod: '21', lengthOfStayDays: 2 });
  assert.equal(two?.shortStayEmergency, false);
  assert.equal(two?.tariffGbp, '2000.00');
});

test('the short stay adjustment needs the HRG flag and an emergency admission', () => {
  const unflagged = { ...PRICE, reducedShortStayEmergencyApplicable: false };
  assert.equal(
    spellTariff({ admissionMethod: '21', lengthOfStayDays: 0, price: unflagged })?.tariffGbp,
    '2000.00',
  );
  const blank = { ...PRICE, reducedShortStayEmergencyApplicable: null };
  assert.equal(
    spellTariff({ admissionMethod: '21', lengthOfStayDays: 0, price: blank })?.tariffGbp,
    '2000.00',
  );
  // maternity (31) and a non-emergency transfer (81) are not emergencies
  assert.equal(priced({ admissionMethod: '31', lengthOfStayDays: 0 })?.tariffGbp, '2000.00');
  assert.equal(priced({ admissionMethod: '81', lengthOfStayDays: 0 })?.tariffGbp, '1000.00');
});

test('where the workbook gives only the short stay percentage, the reduced tariff is that share of the base', () => {
  const percentOnly = { ...PRICE, reducedShortStayEmergencyTariffGbp: null };
  assert.equal(
    spellTariff({ admissionMethod: '21', lengthOfStayDays: 1, price: percentOnly })?.tariffGbp,
    '800.00',
  );
});

test("the provider's market forces factor multiplies the whole price, rounded half up to the penny once", () => {
  assert.equal(priced({ lengthOfStayDays: 6, marketForcesFactor: '1.10000' })?.tariffGbp, '2365.00');
  assert.equal(priced({ lengthOfStayDays: 2, marketForcesFactor: '0.97000' })?.tariffGbp, '1940.00');
  // 1150.00 × 1.00010 = 1150.115: half a penny rounds up
  assert.equal(
    priced({ admissionMethod: '11', lengthOfStayDays: 4, marketForcesFactor: '1.00010' })?.tariffGbp,
    '1150.12',
  );
  assert.equal(priced({ lengthOfStayDays: 2, marketForcesFactor: '1.00003' })?.tariffGbp, '2000.06');
  assert.equal(priced({ lengthOfStayDays: 2, marketForcesFactor: '1.00002' })?.tariffGbp, '2000.04');
  assert.equal(
    priced({ lengthOfStayDays: 0, admissionMethod: '21', marketForcesFactor: '1.02345' })?.tariffGbp,
    '818.76',
  );
  assert.equal(priced({ lengthOfStayDays: 2 })?.marketForcesFactor, '1.00000', 'no factor means 1');
});

test('no price: the HRG has no tariff of the type, the stay is negative, or the factor is unreadable', () => {
  assert.equal(
    spellTariff({ admissionMethod: '11', lengthOfStayDays: 2, price: { ...PRICE, electiveTariffGbp: null } }),
    undefined,
  );
  assert.equal(priced({ lengthOfStayDays: -1 }), undefined);
  assert.equal(priced({ lengthOfStayDays: 2, marketForcesFactor: 'abc' }), undefined);
  assert.equal(priced({ lengthOfStayDays: 2, marketForcesFactor: '0' }), undefined);
});

test('pounds and pence convert exactly', () => {
  for (const [gbp, pence] of [
    ['0.00', 0],
    ['0.5', 50],
    ['1234.56', 123456],
    ['7', 700],
    ['19.99', 1999],
  ] as const) {
    assert.equal(poundsToPence(gbp), pence, gbp);
  }
  assert.ok(Number.isNaN(poundsToPence('-1.00')));
  assert.equal(penceToPounds(123456), '1234.56');
  assert.equal(penceToPounds(5), '0.05');
});

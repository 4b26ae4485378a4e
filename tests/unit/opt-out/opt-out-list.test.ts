import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../shared/domain/errors.js';
import {
  isWithheldByOptOut,
  parseOptOutCsv,
  parseOptOutExemptions,
  type OptOutPeriod,
} from '../../../shared/domain/opt-out/opt-out-list.js';
import { OptOutFilter } from '../../../shared/domain/opt-out/opt-out-tokens.js';
import { PersonLinker } from '../../../shared/domain/link/person-linker.js';
import { loadSettings } from '../../../shared/config/settings.schema.js';
import { CAREFLOW } from '../../support/projects.js';

const A = '9990000018';
const B = '9990000026';

test('an opt-out list is read with display-form numbers, optional withdrawal and repeated patients', () => {
  const entries = parseOptOutCsv(
    `nhs_number,effective_from,withdrawn_on\n999 000 0018,2025-04-01,\n${B},2025-01-01,2025-06-30\n${B},2026-01-01,\n`,
  );
  assert.deepEqual(entries, [
    { nhsNumber: A, period: { from: '2025-04-01', until: null } },
    { nhsNumber: B, period: { from: '2025-01-01', until: '2025-06-30' } },
    { nhsNumber: B, period: { from: '2026-01-01', until: null } },
  ]);
  // Columns in another order, without withdrawn_on, with a BOM and CRLF line ends.
  assert.deepEqual(parseOptOutCsv(`\uFEFFeffective_from,nhs_number\r\n2025-04-01,${A}\r\n`), [
    { nhsNumber: A, period: { from: '2025-04-01', until: null } },
  ]);
});

test('one bad row refuses the whole list, naming lines and fields and never a value', () => {
  const bad = [
    'nhs_number,effective_from,withdrawn_on',
    `${A},2025-04-01,`,
    '9990000019,2025-04-01,', // check digit
    `${B},2025-02-30,`, // no such day
    `${B},2025-04-01,2025-03-01`, // withdrawn before effective
    `${A},2025-04-01`, // a field short
  ].join('\n');
  let error: unknown;
  try {
    parseOptOutCsv(bad);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof InputError);
  assert.equal(error.code, 'INPUT_INVALID');
  assert.match(error.message, /nothing imported/);
  assert.match(error.message, /line 3 nhs_number: check digit/);
  assert.match(error.message, /line 4 effective_from/);
  assert.match(error.message, /line 5 withdrawn_on: expected a date after effective_from/);
  assert.match(error.message, /line 6: 2 field\(s\), expected 3/);
  for (const value of ['9990000019', A, B, '2025-02-30']) assert.ok(!error.message.includes(value), value);
});

test('a list without the required header is refused before any row is read', () => {
  assert.throws(
    () => parseOptOutCsv(`${A},2025-04-01,\n`),
    /expected the header nhs_number,effective_from,withdrawn_on/,
  );
  assert.throws(() => parseOptOutCsv('nhs_number,effective_from,postcode\n'), /1 unknown column/);
});

// The rule at its boundaries: effective_from is the first day withheld, withdrawn_on the first day shown again.
const STANDING: OptOutPeriod[] = [{ from: '2026-03-10', until: null }];
const WITHDRAWN: OptOutPeriod[] = [{ from: '2026-03-10', until: '2026-06-01' }];
const RULE: readonly [periods: OptOutPeriod[], date: unknown, withheld: boolean, why: string][] = [
  [STANDING, '2026-03-09', false, 'activity the day before the opt-out took effect is kept'],
  [STANDING, '2026-03-10', true, 'activity on the day it took effect is withheld'],
  [STANDING, '2030-01-01', true, 'activity any time after, while it stands, is withheld'],
  [WITHDRAWN, '2026-05-31', true, 'activity the day before withdrawal is withheld'],
  [WITHDRAWN, '2026-06-01', false, 'activity on the day of withdrawal is kept'],
  [STANDING, '2026-03-10T23:30:00.000+01:00', true, 'a timestamp is judged at its own (local) date'],
  [STANDING, '2026-03-09T23:30:00.000Z', false, 'a UTC timestamp the day before is kept'],
  [STANDING, null, true, 'activity with no date is withheld when the patient has an opt-out'],
  [STANDING, 'not a date', true, 'activity with an unreadable date is withheld'],
  [[], null, false, 'no opt-out, nothing withheld'],
];
for (const [periods, date, withheld, why] of RULE)
  test(`opt-out rule: ${why}`, () => assert.equal(isWithheldByOptOut(periods, date), withheld));

test('the filter withholds by token at any stored key version and by the person that token links to', () => {
  const t1 = 'a'.repeat(64);
  const t2 = 'b'.repeat(64);
  const filter = new OptOutFilter(
    CAREFLOW,
    ['v1', 'v2'],
    [{ tokens: [t1, t2], from: '2026-01-01', until: null }],
  );
  assert.equal(filter.withholds({ patient_token: t1 }, '2026-02-01'), true);
  assert.equal(filter.withholds({ patient_token: t2 }, '2026-02-01'), true);
  assert.equal(filter.withholds({ patient_token: t1 }, '2025-12-31'), false);
  // A record with no token, linked to the opted-out person through the fallback key.
  const person = new PersonLinker({ project: CAREFLOW, keyVersion: 'v1' }).personIdOfToken(t1);
  assert.equal(filter.withholds({ patient_token: null, person_id: person }, '2026-02-01'), true);
  assert.equal(filter.withholds({ patient_token: 'c'.repeat(64), person_id: 'Pother' }, '2026-02-01'), false);
});

test('exemptions are per project with a stated basis; anything else is a configuration error', () => {
  assert.deepEqual(parseOptOutExemptions(''), { ok: true, exemptions: {} });
  assert.deepEqual(parseOptOutExemptions('careflow=direct-care, community360=legal-exemption'), {
    ok: true,
    exemptions: { careflow: 'direct-care', community360: 'legal-exemption' },
  });
  const bad = parseOptOutExemptions('careflow=research,elsewhere=direct-care');
  assert.equal(bad.ok, false);
  assert.throws(
    () => loadSettings({ NHSFLOWS_MODE: 'local', NHSFLOWS_OPT_OUT_EXEMPTIONS: 'careflow=research' }),
    /NHSFLOWS_OPT_OUT_EXEMPTIONS.*basis 'research' is not one of direct-care, legal-exemption/s,
  );
  assert.equal(loadSettings({ NHSFLOWS_MODE: 'local' }).NHSFLOWS_OPT_OUT_EXEMPTIONS, '');
});

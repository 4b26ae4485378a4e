import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { test } from 'node:test';
import { createHmacSha256 } from '../../../shared/domain/pseudonymise/hmac-sha256.js';
import { KeyMaterialError } from '../../../shared/domain/errors.js';
import { deriveProjectKey, parseMasterKey } from '../../../shared/domain/pseudonymise/project-key.js';
import { createPseudonymiser } from '../../../shared/domain/pseudonymise/pseudonym.js';
import { nhsNumberCheckDigit } from '../../../shared/domain/nhs/nhs-number.js';
import { careflowKey, community360Key, testMasterKey } from './row-fixtures.js';
import { CAREFLOW } from '../../support/projects.js';

// RFC 4231 HMAC-SHA256 test cases 1, 2, 4, 6 and 7 (6 and 7 use a key longer than the block).
const rfc4231 = [
  {
    name: 'case 1',
    key: Buffer.alloc(20, 0x0b),
    data: Buffer.from('Hi There'),
    mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  },
  {
    name: 'case 2 (key "Jefe")',
    key: Buffer.from('Jefe'),
    data: Buffer.from('what do ya want for nothing?'),
    mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  },
  {
    name: 'case 4',
    key: Buffer.from('0102030405060708090a0b0c0d0e0f10111213141516171819', 'hex'),
    data: Buffer.alloc(50, 0xcd),
    mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
  },
  {
    name: 'case 6 (131-byte key)',
    key: Buffer.alloc(131, 0xaa),
    data: Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    name: 'case 7 (131-byte key, long data)',
    key: Buffer.alloc(131, 0xaa),
    data: Buffer.from(
      'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
    ),
    mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
];

for (const v of rfc4231) {
  test(`the HMAC primitive reproduces RFC 4231 ${v.name}`, () => {
    const mac = createHmacSha256(v.key);
    const message = v.data.toString('latin1');
    // Only ASCII messages are tokenised; case 4's 0xcd bytes go through latin1 → utf8, so check it raw.
    if (!v.data.some((b) => b > 0x7f)) {
      assert.equal(mac.hex(message), v.mac);
      assert.equal(mac.digest(message).toString('hex'), v.mac);
    }
    assert.equal(createHmac('sha256', v.key).update(v.data).digest('hex'), v.mac);
  });
}

test('the HMAC primitive agrees with crypto.createHmac for short, long and non-ASCII messages', () => {
  const key = Buffer.from('0123456789abcdef0123456789abcdef');
  const mac = createHmacSha256(key);
  for (const m of ['', '9990000018', 'fallback/v1|1980-02-29|2|E01090077', 'é'.repeat(100), 'x'.repeat(500)])
    assert.equal(mac.hex(m), createHmac('sha256', key).update(m, 'utf8').digest('hex'));
});

test('project keys are HKDF-SHA256 of the master key with the project in the info string', () => {
  const expected = Buffer.from(
    hkdfSync('sha256', testMasterKey(), Buffer.alloc(0), 'nhs-flows/pseudonym/v1/careflow', 32),
  );
  assert.deepEqual(careflowKey().material, expected);
  assert.equal(
    careflowKey().material.toString('hex'),
    'd7ebd1ae237fdca2276f1ebb15b1603163fadce29c91d9a37982a125de45c829',
  );
  assert.equal(
    community360Key().material.toString('hex'),
    '2277f536833305206c3919449e0f7bc7b7172461783ea6f42f791511e19df246',
  );
});

// Fixed vectors, computed independently (Python hmac + a hand-written RFC 5869 HKDF).
const tokenVectors = [
  {
    project: 'careflow',
    nhs: '9990000018',
    token: 'e106dc8836c4292538ec75b1970eff324208588bf318a81ff58df261c013ab73',
  },
  {
    project: 'careflow',
    nhs: '9990000026',
    token: '94bda7a7967ea70182422035aae8a8d041c1a1010b70cbd98763556aa50a04d4',
  },
  {
    project: 'community360',
    nhs: '9990000018',
    token: '3cdd5139c4017425df54978770ba86624118f08d557a8bab4381dde0d23b625f',
  },
] as const;

for (const v of tokenVectors) {
  test(`the ${v.project} token of ${v.nhs} under the test master key is the fixed vector`, () => {
    const key = v.project === 'careflow' ? careflowKey() : community360Key();
    assert.equal(createPseudonymiser(key).token(v.nhs), v.token);
  });
}

test('the fallback link key is the HMAC of fallback/v1|DOB|sex|LSOA under the project key', () => {
  assert.equal(
    createPseudonymiser(careflowKey()).fallbackLinkKey('1980-02-29', '2', 'E01090001'),
    'f6ddec0ffaabc12814f48152c8adbc5206fa89b88fea571d0f690a6c04625da7',
  );
  assert.equal(
    createPseudonymiser(community360Key()).fallbackLinkKey('1980-02-29', '2', 'E01090001'),
    'fc8d2d790be40fe794732dfd56dd9085cefde2b36b39b36eeecbd666721955fa',
  );
});

test('careflow and community360 tokens differ for the same patient', () => {
  const a = createPseudonymiser(careflowKey()).token('9990000018');
  const b = createPseudonymiser(community360Key()).token('9990000018');
  assert.ok(a && b);
  assert.notEqual(a, b);
});

test('a display-form NHS number gives the same token as its storage form', () => {
  const p = createPseudonymiser(careflowKey());
  assert.equal(p.token('999 000 0018'), p.token('9990000018'));
  assert.equal(p.token('999-000-0018'), p.token('9990000018'));
});

const unusable = [
  ['missing', null],
  ['empty', ''],
  ['wrong check digit', '9990000019'],
  ['too short', '999000001'],
  ['all the same digit', '9999999999'],
  ['letters', '99900000AB'],
] as const;
for (const [why, value] of unusable) {
  test(`an NHS number that is ${why} gets no token`, () => {
    assert.equal(createPseudonymiser(careflowKey()).token(value), null);
  });
}

test('a new key version gives a different token for the same number', () => {
  const v1 = createPseudonymiser(careflowKey('v1')).token('9990000018');
  const v2 = createPseudonymiser(deriveProjectKey(Buffer.alloc(32, 7), 'v2', CAREFLOW)).token('9990000018');
  assert.notEqual(v1, v2);
});

test('the fallback key needs date of birth, a known sex and an LSOA', () => {
  const p = createPseudonymiser(careflowKey());
  assert.equal(p.fallbackLinkKey(null, '1', 'E01090001'), null);
  assert.equal(p.fallbackLinkKey('1980-01-01', '0', 'E01090001'), null);
  assert.equal(p.fallbackLinkKey('1980-01-01', 'X', 'E01090001'), null);
  assert.equal(p.fallbackLinkKey('1980-01-01', '1', null), null);
  assert.match(p.fallbackLinkKey('1980-01-01', '9', 'E01090001') ?? '', /^[0-9a-f]{64}$/);
});

test('master key material that is not base64 or too short is refused without echoing it', () => {
  assert.throws(
    () => parseMasterKey('not base64!!', 'pseudo-key'),
    (e: unknown) => {
      assert.ok(e instanceof KeyMaterialError);
      assert.equal(e.code, 'KEY_MATERIAL_INVALID');
      assert.ok(!e.message.includes('not base64!!'));
      return true;
    },
  );
  assert.throws(() => parseMasterKey(Buffer.alloc(16).toString('base64'), 'pseudo-key'), /at least 32 bytes/);
});

test('tokens stay correct while the adaptive cache switches between caching and bypassing', () => {
  const key = careflowKey();
  const p = createPseudonymiser(key, { cacheLimit: 1000 });
  const numbers: string[] = [];
  for (let n = 0; numbers.length < 30_000; n++) {
    const first9 = `999${String(n).padStart(6, '0')}`;
    const check = nhsNumberCheckDigit(first9);
    if (check !== null) numbers.push(`${first9}${check}`);
  }
  // Distinct numbers (the cache bypasses), then a few numbers repeated (the cache serves them).
  const sequence = [...numbers, ...Array.from({ length: 30_000 }, (_, i) => numbers[i % 50]!)];
  for (const [i, nhs] of sequence.entries())
    if (i % 97 === 0 || i >= numbers.length)
      assert.equal(p.token(nhs), createHmac('sha256', key.material).update(nhs).digest('hex'), `lookup ${i}`);
    else p.token(nhs);
});

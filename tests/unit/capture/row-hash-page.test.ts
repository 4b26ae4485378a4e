import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  hashHexAt,
  keyAt,
  RowHashPageBuilder,
  rowHashPageFromPacked,
} from '../../../shared/domain/capture/row-hash-page.js';

const rows = fc.array(
  fc.record({ key: fc.uint8Array({ maxLength: 40 }), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
  { maxLength: 30 },
);

test('a page packed as keyLength, key, hash per row reads back every key and hash', () => {
  fc.assert(
    fc.property(rows, (list) => {
      const packed = Buffer.concat(
        list.flatMap(({ key, hash }) => {
          const length = Buffer.alloc(2);
          length.writeUInt16BE(key.length);
          return [length, Buffer.from(key), Buffer.from(hash)];
        }),
      );
      const page = rowHashPageFromPacked(Buffer.from(packed.toString('hex'), 'hex'));
      assert.equal(page.length, list.length);
      list.forEach(({ key, hash }, i) => {
        assert.deepEqual(keyAt(page, i), Buffer.from(key));
        assert.equal(hashHexAt(page, i), Buffer.from(hash).toString('hex'));
      });
    }),
  );
});

test('a packed page that ends inside a row is rejected', () => {
  const row = Buffer.concat([Buffer.from([0, 2]), Buffer.from('ab'), Buffer.alloc(32, 7)]);
  assert.equal(rowHashPageFromPacked(row).length, 1);
  assert.throws(() => rowHashPageFromPacked(row.subarray(0, row.length - 1)), {
    name: 'InputError',
    message: 'row hash page: packed rows end at byte 36, the page has 35',
  });
  assert.throws(() => rowHashPageFromPacked(Buffer.concat([row, Buffer.from([0])])), /end at byte 36/);
});

test('a page built row by row holds each key and hash (given as bytes or hex)', () => {
  fc.assert(
    fc.property(rows, (list) => {
      const builder = new RowHashPageBuilder(1);
      list.forEach(({ key, hash }, i) =>
        builder.push(key, i % 2 === 0 ? hash : Buffer.from(hash).toString('hex')),
      );
      const page = builder.build();
      assert.equal(page.length, list.length);
      list.forEach(({ key, hash }, i) => {
        assert.deepEqual(keyAt(page, i), Buffer.from(key));
        assert.equal(hashHexAt(page, i), Buffer.from(hash).toString('hex'));
      });
    }),
  );
});

test('a row hash that is not 32 bytes is rejected', () => {
  const builder = new RowHashPageBuilder();
  assert.throws(() => builder.push(Buffer.from('k'), 'abcd'), {
    name: 'InputError',
    message: 'row hash page: a row hash is 32 bytes, received 2',
  });
  assert.throws(() => builder.push(Buffer.from('k'), Buffer.alloc(31)), /received 31/);
});

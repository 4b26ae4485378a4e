import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDeltaEnvelope } from '../../../shared/domain/events/delta-envelope.js';
import {
  FUNCTIONS_OUTPUT_MAX_EVENT_BYTES,
  bucketKeyOf,
  keyBucketLabel,
  keyBucketOf,
  packDeltas,
  utf8Length,
} from '../../../shared/domain/events/delta-packer.js';
import { EventTooLargeError } from '../../../shared/domain/errors.js';
import { partitionKeyOf } from '../../../shared/application/ports/event-publisher.port.js';
import { deltaHistory, syntheticDelta } from './synthetic-deltas.js';

describe('delta packer', () => {
  test('many deltas share one event, one key bucket per event, every body within the limit and exactly sized', () => {
    const deltas = deltaHistory(200, 2);
    const events = packDeltas(deltas, { maxEventBytes: 20_000, keyBuckets: 4 });
    assert.ok(events.length < deltas.length / 10);
    for (const event of events) {
      assert.equal(event.bytes, Buffer.byteLength(event.body));
      assert.ok(event.bytes <= 20_000);
      const parsed = parseDeltaEnvelope(event.body);
      assert.ok(parsed.ok);
      assert.equal(parsed.envelope.deltas.length, event.deltaCount);
      for (const d of parsed.envelope.deltas)
        assert.equal(keyBucketLabel(keyBucketOf(bucketKeyOf(d), 4)), event.partitionKey);
    }
  });

  test('the Functions output binding limit is honoured when configured', () => {
    const deltas = Array.from({ length: 30 }, (_, i) => syntheticDelta(`EP${i}`, 1, { padding: 20_000 }));
    const events = packDeltas(deltas, { maxEventBytes: FUNCTIONS_OUTPUT_MAX_EVENT_BYTES, keyBuckets: 1 });
    assert.ok(events.every((e) => e.bytes <= FUNCTIONS_OUTPUT_MAX_EVENT_BYTES));
    assert.ok(events.length >= 3);
  });

  test('the partition key of the port is table + business key', () => {
    assert.equal(
      partitionKeyOf({ sourceTable: 'mhsds_referral', businessKey: ['R1', '2'] }),
      'mhsds_referral|R1|2',
    );
  });

  test('a delta too big for any event fails naming its table and event id, never its values', () => {
    const huge = syntheticDelta('EP000009', 1, { padding: 5_000 });
    assert.throws(
      () => packDeltas([syntheticDelta('EP000001', 1), huge], { maxEventBytes: 2_000, keyBuckets: 8 }),
      (error: unknown) => {
        assert.ok(error instanceof EventTooLargeError);
        assert.equal(error.code, 'EVENT_TOO_LARGE');
        assert.match(
          error.message,
          new RegExp(
            `^delta ${huge.eventId} of table sus_apc_episode needs \\d+ bytes as an event; the transport limit is 2000 bytes$`,
          ),
        );
        assert.doesNotMatch(error.message, /9990000018|RX1|EP000009/);
        return true;
      },
    );
  });

  test('multi-byte text is measured in UTF-8 bytes', () => {
    for (const text of ['abc', 'é', '€', '😀', 'a😀b\u{10FFFF}', '\ud800'])
      assert.equal(utf8Length(text), Buffer.byteLength(text));
  });

  test('for any text, lone surrogates included, the measured length is the length of the bytes an event body is written as', () => {
    const encoder = new TextEncoder();
    fc.assert(
      // Any UTF-16 code units: lone and paired surrogates, astral characters, ASCII.
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 64 }), (units) => {
        const text = String.fromCharCode(...units);
        assert.equal(utf8Length(text), encoder.encode(text).length);
        assert.equal(utf8Length(text), Buffer.from(text, 'utf8').length);
      }),
      { numRuns: 500 },
    );
  });

  test('for any deltas of several tables and any limit: nothing lost, nothing doubled, per-key order kept, every event within the limit, one partition key per table', () => {
    const tables = ['sus_apc_episode', 'prescribing_item', 'ecds_attendance', 'csds_care_contact'] as const;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 20 }),
            fc.integer({ min: 0, max: 3_000 }),
            fc.integer({ min: 0, max: tables.length - 1 }),
          ),
          { minLength: 0, maxLength: 80 },
        ),
        fc.integer({ min: 4_000, max: 40_000 }),
        fc.integer({ min: 1, max: 16 }),
        (spec, maxEventBytes, keyBuckets) => {
          const counters = new Map<number, number>();
          // A key belongs to one table, as a business key does.
          const deltas = spec.map(([key, padding]) => {
            const v = (counters.get(key) ?? 0) + 1;
            counters.set(key, v);
            return syntheticDelta(`K${key}`, v, { padding, table: tables[key % tables.length]! });
          });
          const events = packDeltas(deltas, { maxEventBytes, keyBuckets });
          const out = events.flatMap((e) => {
            assert.ok(e.bytes <= maxEventBytes);
            const parsed = parseDeltaEnvelope(e.body);
            assert.ok(parsed.ok);
            return parsed.envelope.deltas;
          });
          assert.equal(out.length, deltas.length);
          // A table's deltas share one partition key, so the consumer receives them together.
          const keysOfTable = new Map<string, Set<string>>();
          for (const e of events) {
            const parsed = parseDeltaEnvelope(e.body);
            assert.ok(parsed.ok);
            for (const d of parsed.envelope.deltas)
              keysOfTable.set(
                d.sourceTable,
                (keysOfTable.get(d.sourceTable) ?? new Set()).add(e.partitionKey),
              );
          }
          for (const [table, keys] of keysOfTable)
            assert.equal(keys.size, 1, `${table}: ${[...keys].join(', ')}`);
          assert.deepEqual(new Set(out.map((d) => d.eventId)).size, deltas.length);
          for (const key of counters.keys()) {
            const versions = out
              .filter((d) => d.businessKey[0] === `K${key}`)
              .map((d) => Number(d.row!.version));
            assert.deepEqual(
              versions,
              versions.map((_, i) => i + 1),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

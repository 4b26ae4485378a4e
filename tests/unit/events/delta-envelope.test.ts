import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeDeltaEnvelope, parseDeltaEnvelope } from '../../../shared/domain/events/delta-envelope.js';
import { syntheticDelta } from './synthetic-deltas.js';

describe('delta envelope', () => {
  test('an encoded envelope parses back to the same deltas, from text, bytes or an object', () => {
    const deltas = [
      syntheticDelta('EP000001', 1),
      syntheticDelta('EP000001', 2),
      syntheticDelta('EP000002', 2, { op: 'delete' }),
    ];
    const text = encodeDeltaEnvelope(deltas);
    for (const body of [text, Buffer.from(text), JSON.parse(text) as unknown]) {
      const parsed = parseDeltaEnvelope(body);
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.envelope.deltas, deltas);
    }
  });

  const good = JSON.parse(encodeDeltaEnvelope([syntheticDelta('EP000001', 2)])) as {
    deltas: Record<string, unknown>[];
  };
  const withDelta = (patch: Record<string, unknown>) => ({
    ...good,
    deltas: [{ ...good.deltas[0], ...patch }],
  });
  const cases: [string, unknown, RegExp][] = [
    ['text that is not JSON', '{"schema":', /^body: expected JSON, received 10 characters/],
    ['another schema', { ...good, schema: 'other' }, /^body\.schema: /],
    ['a newer version', { ...good, version: 2 }, /^body\.version: /],
    [
      'a delete that carries a row',
      withDelta({ op: 'delete' }),
      /^body\.deltas\[0\]\.row: expected null for a delete/,
    ],
    [
      'an insert that names a previous hash',
      withDelta({ op: 'insert' }),
      /^body\.deltas\[0\]\.previousHash: expected null/,
    ],
    ['an unknown source table', withDelta({ sourceTable: 'patients' }), /^body\.deltas\[0\]\.sourceTable: /],
    [
      'a capture time with an offset',
      withDelta({ capturedAt: '2026-11-23T09:00:00+01:00' }),
      /^body\.deltas\[0\]\.capturedAt: /,
    ],
    [
      'a row value that is an object',
      withDelta({ row: { nhs_number: { v: '9990000018' } } }),
      /^body\.deltas\[0\]\.row\.nhs_number: /,
    ],
    ['a number', 42, /^body: /],
  ];
  for (const [name, body, expected] of cases)
    test(`a malformed envelope is reported, not thrown: ${name}`, () => {
      const parsed = parseDeltaEnvelope(body);
      assert.equal(parsed.ok, false);
      if (parsed.ok) return;
      assert.match(parsed.problems[0]!, expected);
      for (const problem of parsed.problems) {
        assert.doesNotMatch(problem, /9990000018/, 'no identifier in a problem');
        assert.doesNotMatch(problem, /RX1/, 'no row value in a problem');
      }
    });
});

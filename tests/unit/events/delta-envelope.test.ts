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
      /^body\.deltas\[0\]\.capturedAt: expected a UTC instant \(YYYY-MM-DDTHH:mm:ss\[\.fff\]Z\) on a real calendar date, received a date-time with an offset other than Z$/,
    ],
    [
      'a capture time on 30 February',
      withDelta({ capturedAt: '2024-02-30T10:00:00Z' }),
      /^body\.deltas\[0\]\.capturedAt: expected a UTC instant \(YYYY-MM-DDTHH:mm:ss\[\.fff\]Z\) on a real calendar date, received a date that does not exist in the calendar$/,
    ],
    [
      'a capture time on 29 February of a common year',
      withDelta({ capturedAt: '2023-02-29T10:00:00.000Z' }),
      /^body\.deltas\[0\]\.capturedAt: expected a UTC instant \(YYYY-MM-DDTHH:mm:ss\[\.fff\]Z\) on a real calendar date, received a date that does not exist in the calendar$/,
    ],
    [
      'a capture time at hour 24',
      withDelta({ capturedAt: '2024-01-01T24:00:00Z' }),
      /^body\.deltas\[0\]\.capturedAt: expected a UTC instant \(YYYY-MM-DDTHH:mm:ss\[\.fff\]Z\) on a real calendar date, received a clock time that does not exist \(hours 00-23, minutes and seconds 00-59\)$/,
    ],
    [
      'a row value that is an object',
      withDelta({ row: { nhs_number: { v: '9990000018' } } }),
      /^body\.deltas\[0\]\.row\.nhs_number: /,
    ],
    [
      'a row value that is a list',
      withDelta({ row: { nhs_number: '9990000018', diagnoses: ['RX1'] } }),
      /^body\.deltas\[0\]\.row\.diagnoses: /,
    ],
    ['a row that is a list', withDelta({ row: ['9990000018'] }), /^body\.deltas\[0\]\.row: /],
    ['a row that is text', withDelta({ row: '9990000018' }), /^body\.deltas\[0\]\.row: /],
    ['an upsert with no row field', withDelta({ row: undefined }), /^body\.deltas\[0\]\.row: /],
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

  const precision: [string, string][] = [
    ['2026-11-23T09:00:00Z', '2026-11-23T09:00:00.000Z'],
    ['2026-11-23T09:00:00.5Z', '2026-11-23T09:00:00.500Z'],
    ['2026-11-23T09:00:00.05Z', '2026-11-23T09:00:00.050Z'],
    ['2026-11-23T09:00:00.123Z', '2026-11-23T09:00:00.123Z'],
    ['2026-11-23T09:00:00.1239999Z', '2026-11-23T09:00:00.123Z'],
    ['2024-02-29T23:59:59.999999999Z', '2024-02-29T23:59:59.999Z'],
  ];
  for (const [received, canonical] of precision)
    test(`a capture time ${received} is read as the canonical instant ${canonical}`, () => {
      const parsed = parseDeltaEnvelope(withDelta({ capturedAt: received }));
      assert.ok(parsed.ok);
      assert.equal(parsed.envelope.deltas[0]!.capturedAt, canonical);
    });

  test('capture times of mixed precision sort as text in instant order once read', () => {
    const times = ['2026-11-23T09:00:00.5Z', '2026-11-23T09:00:00Z', '2026-11-23T09:00:00.05Z'];
    const body = { ...good, deltas: times.map((capturedAt) => ({ ...good.deltas[0], capturedAt })) };
    const parsed = parseDeltaEnvelope(body);
    assert.ok(parsed.ok);
    const read = parsed.envelope.deltas.map((d) => d.capturedAt);
    const byText = [...read].sort();
    const byInstant = [...read].sort((a, b) => Date.parse(a) - Date.parse(b));
    assert.deepEqual(byText, byInstant);
  });
});

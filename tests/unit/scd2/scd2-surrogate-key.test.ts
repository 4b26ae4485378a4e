// Surrogate keys are deterministic and stable under re-cuts (ADR 0009): a version's key is a function
// of dimension, member key and valid_from, so re-running the same source with other capture times,
// or correcting the change that opened a version, keeps every key the facts may point at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareChanges, foldChanges, normaliseChange } from '../../../shared/domain/scd2/scd2-merge.js';
import type { DimensionChange, DimensionVersion } from '../../../shared/domain/scd2/dimension.js';
import { patientDimension } from '../../../shared/application/use-cases/pipeline/patient-dimension.js';
import { CAREFLOW } from '../../support/projects.js';

const spec = patientDimension(CAREFLOW);
const TOKEN = 'tok-synthetic-1';

/** A change as pseudonymisation builds it: the change id starts with the capture time. */
function change(
  eventId: string,
  capturedAt: string,
  activityDate: string,
  practice: string,
): DimensionChange {
  return {
    key: TOKEN,
    changeId: `${capturedAt}|${eventId}`,
    effectiveAt: activityDate,
    recordedAt: capturedAt,
    kind: 'upsert',
    attributes: {
      sex: '1',
      lsoa: 'E01000001',
      gp_practice_code: practice,
      ethnic_category: 'A',
      token_key_version: 'v1',
    },
  };
}

function fold(changes: readonly DimensionChange[]): readonly DimensionVersion[] {
  const applied = changes.map((c) => normaliseChange(c, spec)).sort(compareChanges);
  const result = foldChanges(spec, TOKEN, { versions: [], existed: false, partial: false }, applied);
  assert.equal(result.kind, 'folded');
  return result.kind === 'folded' ? result.history.versions : [];
}

const keys = (versions: readonly DimensionVersion[]) => versions.map((v) => [v.validFrom, v.surrogateKey]);

test('the same source changes captured at other times (another run) give the same surrogate keys', () => {
  const runA = fold([
    change('e1', '2026-12-06T01:00:00.000Z', '2024-01-10', 'M85001'),
    change('e2', '2026-12-06T01:00:00.000Z', '2024-03-05', 'M85002'),
  ]);
  const runB = fold([
    change('e1', '2026-12-06T02:17:41.123Z', '2024-01-10', 'M85001'),
    change('e2', '2026-12-06T02:17:42.456Z', '2024-03-05', 'M85002'),
  ]);
  assert.equal(runA.length, 2);
  assert.deepEqual(keys(runB), keys(runA));
});

test('a corrected record at the same business time re-opens its version under the same surrogate key', () => {
  const before = fold([
    change('e1', '2026-12-06T01:00:00.000Z', '2024-01-10', 'M85001'),
    change('e2', '2026-12-06T01:00:00.000Z', '2024-03-05', 'M85002'),
  ]);
  // The March record is corrected (a later capture of the same business date, another event id).
  const after = fold([
    change('e1', '2026-12-06T01:00:00.000Z', '2024-01-10', 'M85001'),
    change('e2', '2026-12-06T01:00:00.000Z', '2024-03-05', 'M85002'),
    change('e3', '2026-12-07T09:00:00.000Z', '2024-03-05', 'M85003'),
  ]);
  assert.equal(after.length, 2);
  assert.equal(after[1]?.attributes.gp_practice_code, 'M85003', 'the correction wins');
  assert.deepEqual(keys(after), keys(before));
});

test('a late change that splits a version keeps the keys of the versions around it', () => {
  const before = fold([
    change('e1', '2026-12-06T01:00:00.000Z', '2024-01-10', 'M85001'),
    change('e2', '2026-12-06T01:00:00.000Z', '2024-06-01', 'M85002'),
  ]);
  const after = fold([
    change('e1', '2026-12-06T01:00:00.000Z', '2024-01-10', 'M85001'),
    change('e2', '2026-12-06T01:00:00.000Z', '2024-06-01', 'M85002'),
    change('e9', '2026-12-08T01:00:00.000Z', '2024-03-01', 'M85009'),
  ]);
  assert.equal(after.length, 3);
  assert.deepEqual(keys([after[0]!, after[2]!]), keys(before));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lakePaths } from '../../../shared/domain/lake/lake-paths.js';

const batchId = fc.stringMatching(/^[A-Za-z0-9_=-][A-Za-z0-9_.=-]{0,40}$/);
const day = fc.date({
  min: new Date('2000-01-01T00:00:00Z'),
  max: new Date('2099-12-31T23:59:59Z'),
  noInvalidDate: true,
});

test('a bronze batch path reads back as its batch id and date; chunks, other sources and manifests paths do not', () => {
  fc.assert(
    fc.property(batchId, day, fc.constantFrom('sus_apc_episode', 'prescribing_item'), (id, at, table) => {
      const source = lakePaths.bronzeCdcSource(table);
      const path = lakePaths.bronzeBatch(source, id, at);
      assert.deepEqual(lakePaths.bronzeBatchOf(source, path), {
        batchId: id,
        date: at.toISOString().slice(0, 10),
      });
      // A chunk of it, the same batch under another source, a landing sidecar: not a batch of `source`.
      assert.equal(lakePaths.bronzeBatchOf(source, lakePaths.bronzeChunk(path, 0)), null);
      assert.equal(lakePaths.bronzeBatchOf(lakePaths.bronzeCdcSource('csds_referral'), path), null);
      assert.equal(lakePaths.bronzeBatchOf(source, lakePaths.bronzeSidecar(path, '.manifest.json')), null);
      // A manifest's path names its batch.
      assert.equal(lakePaths.manifestBatchId(lakePaths.manifest(id)), id);
      assert.ok(lakePaths.manifest(id).startsWith(lakePaths.manifestsPrefix));
      assert.equal(lakePaths.manifestBatchId(`${lakePaths.manifestsPrefix}${id}/x.json`), null);
    }),
  );
});

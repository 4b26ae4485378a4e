import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryObjectStore } from '../../../shared/adapters/memory/memory-object-store.js';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import { fixedClock } from '../../../shared/application/ports/clock.port.js';
import { memoryLogger } from '../../../shared/application/ports/logger.port.js';
import { memoryTelemetry } from '../../../shared/application/ports/telemetry.port.js';
import type { OrchestrationStarter } from '../../../shared/application/ports/orchestration-starter.port.js';
import { ingestLandingFile } from '../../../shared/application/use-cases/pipeline/ingest-landing-file.use-case.js';
import type { PipelineDeps } from '../../../shared/application/use-cases/pipeline/pipeline-deps.js';
import { loadSettings } from '../../../shared/config/settings.schema.js';
import type { BatchDescriptor } from '../../../shared/domain/pipeline/batch-record.js';
import {
  fanOutWaves,
  pipelineInput,
  pipelineVersionOf,
  PIPELINE_VERSION,
  waveSizeOf,
  WAVE_SIZE_BEFORE_INPUTS_CARRIED_IT,
  type PipelineInput,
} from '../../../shared/domain/pipeline/pipeline-contracts.js';
import { HEADER, csv, episode, line } from '../../support/landing-corpus.js';

// Issue 10 item 8: the orchestrator's wave size travels in its input, set where the input is
// created from NHSFLOWS_MAX_FANOUT; the orchestrator itself reads no setting.

const batch: BatchDescriptor = {
  batchId: 'sus_apc_episode-file-abc',
  table: 'sus_apc_episode',
  origin: 'landing/sus_apc_episode/a.csv',
  bronzePath: 'file-sus_apc_episode/a.csv',
  format: 'csv',
  receivedAt: '2026-11-30T10:00:00.000Z',
};

describe('pipeline input', () => {
  test('carries the wave size it was given and leaves out an empty chunk list', () => {
    const version = PIPELINE_VERSION;
    assert.deepEqual(pipelineInput(batch, { waveSize: 7 }), { batch, waveSize: 7, version });
    assert.deepEqual(pipelineInput(batch, { waveSize: 7, onlyChunks: [] }), { batch, waveSize: 7, version });
    assert.deepEqual(pipelineInput(batch, { waveSize: 7, onlyChunks: [2, 5] }), {
      batch,
      waveSize: 7,
      onlyChunks: [2, 5],
      version,
    });
  });

  test('a new input carries the current orchestration version; one recorded before versions reads as version 1', () => {
    assert.equal(pipelineVersionOf(pipelineInput(batch, { waveSize: 7 })), PIPELINE_VERSION);
    assert.equal(pipelineVersionOf({ version: 2 }), 2);
    for (const legacy of [{}, { version: 0 }, { version: 1.5 }, { version: '2' }, { version: null }])
      assert.equal(pipelineVersionOf(legacy), 1, JSON.stringify(legacy));
  });

  test('an input recorded before inputs carried a wave size replays with the old default', () => {
    assert.equal(waveSizeOf({ waveSize: 3 }), 3);
    for (const legacy of [{}, { waveSize: 0 }, { waveSize: 2.5 }, { waveSize: '9' }])
      assert.equal(waveSizeOf(legacy), WAVE_SIZE_BEFORE_INPUTS_CARRIED_IT, JSON.stringify(legacy));
  });

  test('fan-out waves keep chunk order, hold at most the wave size and lose no chunk', () => {
    const chunks = Array.from({ length: 11 }, (_, i) => i);
    for (const size of [1, 3, 4, 11, 12, 500]) {
      const waves = fanOutWaves(chunks, size);
      assert.deepEqual(waves.flat(), chunks, `size ${size}`);
      assert.ok(
        waves.every((w) => w.length >= 1 && w.length <= size),
        `size ${size}`,
      );
      assert.equal(waves.length, Math.ceil(chunks.length / size), `size ${size}`);
    }
    assert.deepEqual(fanOutWaves([], 5), []);
  });

  test('a landed file starts its orchestration with NHSFLOWS_MAX_FANOUT as the wave size', async () => {
    const starts: PipelineInput[] = [];
    const starter: OrchestrationStarter = {
      start: async (_orchestration, _instanceId, input) => {
        starts.push(input as PipelineInput);
        return { started: true };
      },
    };
    const deps = {
      settings: loadSettings({ NHSFLOWS_MAX_FANOUT: '37' }),
      lake: new MemoryObjectStore(),
      state: new MemoryStateStore(),
      clock: fixedClock('2026-11-30T10:00:00.000Z'),
      logger: memoryLogger(),
      telemetry: memoryTelemetry(),
    } as unknown as PipelineDeps;
    const body = Buffer.from(csv([HEADER, line(episode(1)), line(episode(2))]), 'utf8');
    await deps.lake.put('landing', 'sus_apc_episode/wave.csv', body);
    const result = await ingestLandingFile('sus_apc_episode/wave.csv', {
      ...deps,
      starter,
      orchestration: 'pipelineOrchestrator',
    });
    assert.equal(result.started, true);
    assert.equal(starts.length, 1);
    assert.equal(starts[0]?.waveSize, 37);
    assert.equal(starts[0]?.onlyChunks, undefined);
  });
});

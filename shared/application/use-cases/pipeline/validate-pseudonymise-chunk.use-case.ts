import type {
  ChunkInput,
  ValidatePseudonymiseChunkResult,
} from '../../../domain/pipeline/pipeline-contracts.js';
import { pseudonymiseRecords } from './pseudonymise-chunk.use-case.js';
import { validateChunkRecords } from './validate-chunk.use-case.js';
import { readWorkRecords } from './work-files.js';
import type { PipelineDeps } from './pipeline-deps.js';

/**
 * Validates one chunk and pseudonymises its accepted records into silver, in one activity (pipeline
 * version 2): the chunk is read from bronze and decoded once, and the accepted records go from
 * validation to pseudonymisation in memory. The effects are those of `validateChunk` then
 * `pseudonymiseChunk` (quarantine, DQ counts, silver, the dimension changes, the identity register
 * and the referral index), except that no rejected-numbers work file is written: no later activity
 * reads one. A retry runs both steps again; each is idempotent, as it is on its own.
 */
export async function validatePseudonymiseChunk(
  input: ChunkInput,
  deps: PipelineDeps,
): Promise<ValidatePseudonymiseChunkResult> {
  const records = await readWorkRecords(deps.lake, input.chunk.path, input.chunk.encoding);
  const validated = await validateChunkRecords(input, records, deps, { writeRejected: false });
  const pseudonymise = await pseudonymiseRecords(input, validated.accepted, deps);
  return { validate: validated.result, pseudonymise };
}

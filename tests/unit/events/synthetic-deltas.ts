import { createHash } from 'node:crypto';
import type { Delta, DeltaOp } from '../../../shared/domain/capture/delta.js';
import type { SourceTableName } from '../../../shared/domain/datasets/source-tables.js';

/** A synthetic delta (no real data: 999-range NHS numbers, made-up codes). */
export function syntheticDelta(
  key: string,
  version: number,
  overrides: Partial<Omit<Delta, 'businessKey'>> & {
    table?: SourceTableName;
    op?: DeltaOp;
    padding?: number;
  } = {},
): Delta {
  const {
    table = 'sus_apc_episode',
    op = version === 1 ? 'insert' : 'update',
    padding = 0,
    ...rest
  } = overrides;
  const rowHash = op === 'delete' ? null : createHash('sha256').update(`${key}:${version}`).digest('hex');
  const previousHash =
    op === 'insert'
      ? null
      : createHash('sha256')
          .update(`${key}:${version - 1}`)
          .digest('hex');
  return {
    eventId: createHash('sha256').update(`${table}|${key}|${version}|${op}`).digest('hex').slice(0, 32),
    op,
    sourceTable: table,
    businessKey: [key],
    rowHash,
    previousHash,
    hashSpecVersion: 1,
    sourceVersion: String(1000 + version),
    capturedAt: '2026-11-23T09:00:00.000Z',
    snapshot: false,
    row:
      op === 'delete'
        ? null
        : {
            episode_id: key,
            nhs_number: '9990000018',
            provider_code: 'RX1',
            version,
            note: 'x'.repeat(padding),
          },
    ...rest,
  };
}

/** `keys` keys × `versions` versions, interleaved as a poller would emit them over several polls. */
export function deltaHistory(keys: number, versions: number): Delta[] {
  const out: Delta[] = [];
  for (let v = 1; v <= versions; v++)
    for (let k = 0; k < keys; k++) out.push(syntheticDelta(`EP${String(k).padStart(6, '0')}`, v));
  return out;
}

import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  SOURCE_TABLE_NAMES,
  SOURCE_TABLES,
  type SourceTableName,
} from '../../domain/datasets/source-tables.js';
import { captureTable, type ResolvedCaptureTable } from '../../domain/capture/capture-config.js';
import { keyPrefixProblems, type SourceFeed } from '../../domain/capture/source-feeds.js';
import { ConfigError, toError } from '../../domain/errors.js';
import type { Delta } from '../../domain/capture/delta.js';
import type { EventPublisher } from '../ports/event-publisher.port.js';
import { spellIndexId, type ReferralTableName } from '../../domain/validate/referral-index.js';
import type { ContentClaim, ContentIndex } from '../../domain/validate/content-index.js';
import { contentClaimsOf } from '../../domain/validate/rule-builders.js';
import type { MassDeleteReleases } from './operations/mass-delete-release.use-case.js';
import { POLL_ROWS_PER_TURN } from './capture/capture-types.js';
import {
  captureChanges,
  ensureCaptureStorage,
  type CaptureChangesDeps,
  type CaptureChangesResult,
} from './capture/capture-changes.use-case.js';

/**
 * Capture order: parents before children (referrals before their contacts and assessments), so a
 * contact captured in the same poll as its referral is never judged an orphan by an earlier batch.
 */
export const CAPTURE_ORDER: readonly SourceTableName[] = SOURCE_TABLE_NAMES;

/**
 * What a poll captures: NHSFLOWS_CDC_TABLES (comma-separated capture names: declared tables and the
 * names of source feeds, source-feeds.ts), or, unset, every feed and every declared table no feed
 * reads; in capture order (a feed right after the declared tables before its own). Refuses an
 * unknown name, and a selection where the built-in capture of a table (no key prefix) and a
 * prefixed feed of it would both run (their keys could meet).
 */
export function captureTables(
  setting: string | undefined,
  batchSize: number,
  maxDeleteShare: number,
  feeds: ReadonlyMap<string, SourceFeed> = new Map(),
): ResolvedCaptureTable[] {
  const fed = new Set([...feeds.values()].map((f) => f.feeds));
  const wanted = setting
    ? setting
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
    : [...SOURCE_TABLE_NAMES.filter((t) => !fed.has(t) || feeds.has(t)), ...feeds.keys()];
  const unknown = wanted.filter(
    (t) => !(SOURCE_TABLE_NAMES as readonly string[]).includes(t) && !feeds.has(t),
  );
  if (unknown.length > 0)
    throw new ConfigError([`NHSFLOWS_CDC_TABLES: names unknown tables: ${unknown.join(', ')}`]);
  const selected = [...new Set(wanted)].map((name) => ({
    name,
    feeds: feeds.get(name)?.feeds ?? (name as SourceTableName),
    keyPrefix: feeds.get(name)?.keyPrefix ?? '',
  }));
  const problems = keyPrefixProblems(selected, 'NHSFLOWS_CDC_TABLES');
  if (problems.length > 0) throw new ConfigError(problems);
  const order = (t: (typeof selected)[number]) =>
    CAPTURE_ORDER.indexOf(t.feeds) * 2 + (t.name === t.feeds ? 0 : 1);
  return selected
    .sort((a, b) => order(a) - order(b))
    .map((t) => captureTable(SOURCE_TABLES[t.feeds], { batchSize, maxDeleteShare }, t.name));
}

/** The capture names a poll captures, from the settings (the poller, release and status read this). */
export function capturedTableNames(
  settings: {
    readonly NHSFLOWS_CDC_TABLES?: string | undefined;
    readonly NHSFLOWS_CDC_BATCH_SIZE: number;
    readonly NHSFLOWS_CDC_MAX_DELETE_SHARE: number;
  },
  feeds: ReadonlyMap<string, SourceFeed> = new Map(),
): string[] {
  return captureTables(
    settings.NHSFLOWS_CDC_TABLES,
    settings.NHSFLOWS_CDC_BATCH_SIZE,
    settings.NHSFLOWS_CDC_MAX_DELETE_SHARE,
    feeds,
  ).map((t) => t.name);
}

export interface PollResult {
  readonly results: readonly CaptureChangesResult[];
  readonly failures: readonly { table: string; code: string; message: string }[];
}

/**
 * One poll of every configured table, in capture order. A table that fails (a guard trips, the
 * source is unreachable) is reported and the others still run; the caller decides whether the
 * poll as a whole failed. With a content index, each published upsert's content is claimed before
 * it is published (`claimingContent`), so duplicate pairs resolve the same way in every run.
 * With `releases`, a table whose mass-delete guard an operator released is polled once with its
 * deletes allowed; the release is used up (and audited) when that poll completes.
 */
export async function pollSources(
  tables: readonly ResolvedCaptureTable[],
  pollDeps: CaptureChangesDeps,
  referrals: ReferralRecorder,
  content?: ContentIndex,
  releases?: MassDeleteReleases,
): Promise<PollResult> {
  await ensureCaptureStorage(pollDeps);
  const publisher = content ? claimingContent(pollDeps.publisher, content) : pollDeps.publisher;
  const deps: CaptureChangesDeps = {
    ...pollDeps,
    publisher: recordingReferrals(publisher, referrals),
  };
  const results: CaptureChangesResult[] = [];
  const failures: { table: string; code: string; message: string }[] = [];
  for (const table of tables) {
    try {
      const release = releases ? await releases.pending(table.name) : null;
      const result = await captureChanges(deps, release ? { table, allowMassDelete: true } : { table });
      if (release) await releases?.used(release, { deletes: result.deletes, published: result.published });
      results.push(result);
    } catch (thrown) {
      const error = toError(thrown);
      const code = (error as { code?: unknown }).code;
      failures.push({
        table: table.name,
        code: typeof code === 'string' ? code : 'CAPTURE_FAILED',
        message: error.message,
      });
      // Capture errors carry codes, tables and counts, never row values (see shared/domain/errors.ts).
      deps.logger.error('capture failed', {
        table: table.name,
        code: typeof code === 'string' ? code : 'CAPTURE_FAILED',
        error: error.message.slice(0, 500),
        cause: error.cause instanceof Error ? error.cause.message.slice(0, 300) : undefined,
      });
    }
  }
  return { results, failures };
}

/**
 * A publisher that records the referral ids of published referral inserts/updates in the referral
 * index before forwarding them. With parents captured first, a contact is judged against every
 * referral the source holds, whichever order the consumer's batches then run in: an orphan is a
 * contact whose referral the source never sent, not one whose referral batch is still in flight.
 */
/** Where published referrals are recorded (the referral index in the lake). */
export interface ReferralRecorder {
  record(
    table: ReferralTableName,
    referrals: readonly { id: string; receivedDate: string | null }[],
  ): Promise<void>;
}

export function recordingReferrals(publisher: EventPublisher, index: ReferralRecorder): EventPublisher {
  return {
    publish: async (deltas: readonly Delta[]) => {
      for (const table of ['mhsds_referral', 'csds_referral'] as const) {
        const referrals = deltas
          .filter((d) => d.sourceTable === table && d.op !== 'delete' && d.row)
          .map((d) => ({
            id: String(d.row?.referral_id ?? d.businessKey[0] ?? ''),
            receivedDate:
              typeof d.row?.referral_received_date === 'string' ? d.row.referral_received_date : null,
          }));
        if (referrals.length > 0) await index.record(table, referrals);
      }
      // SUS+ APC spells, the parents of episodes, by provider + hospital provider spell number.
      const spells: { id: string; receivedDate: null }[] = [];
      for (const d of deltas) {
        if (d.sourceTable !== 'sus_apc_spell' || d.op === 'delete' || !d.row) continue;
        const id = spellIndexId(d.row);
        if (id !== undefined) spells.push({ id, receivedDate: null });
      }
      if (spells.length > 0) await index.record('sus_apc_spell', spells);
      return publisher.publish(deltas);
    },
    close: () => publisher.close(),
  };
}

/**
 * A publisher that claims the content of published inserts/updates in the duplicate rule's content
 * index before forwarding them (one claim per publish call, one read and at most one run per
 * touched bucket; digests only, never values). A capture publishes a table's deltas in business-key
 * order, one call after another, so the first key of a poll to carry a content holds it. Validation
 * then finds every holder already set: which copy of a duplicate pair is kept no longer depends on
 * which of the consumer's concurrent batches is validated first (docs/validation-rules.md).
 */
export function claimingContent(publisher: EventPublisher, index: ContentIndex): EventPublisher {
  return {
    publish: async (deltas: readonly Delta[]) => {
      const rows = new Map<SourceTableName, NonNullable<Delta['row']>[]>();
      for (const d of deltas) {
        if (d.op === 'delete' || !d.row) continue;
        let list = rows.get(d.sourceTable);
        if (!list) rows.set(d.sourceTable, (list = []));
        list.push(d.row);
      }
      for (const [table, list] of rows) {
        // Digested a slice at a time, the event loop turning between slices (POLL_ROWS_PER_TURN).
        // The first key of the publish to carry a content still holds it.
        const claims = new Map<string, ContentClaim>();
        for (let i = 0; i < list.length; i += POLL_ROWS_PER_TURN) {
          for (const claim of contentClaimsOf(table, list.slice(i, i + POLL_ROWS_PER_TURN)))
            if (!claims.has(claim.digest)) claims.set(claim.digest, claim);
          await nextTurn();
        }
        await index.claim(table, [...claims.values()]);
      }
      return publisher.publish(deltas);
    },
    close: () => publisher.close(),
  };
}

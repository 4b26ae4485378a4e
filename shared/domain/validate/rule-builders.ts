import { hash } from 'node:crypto';
import {
  SOURCE_TABLES,
  type DatasetId,
  type SourceRow,
  type SourceTableName,
} from '../datasets/source-tables.js';
import { readIsoTime } from '../time/iso-time.js';
import type { ContentClaim } from './content-index.js';
import { DigestSet } from './digest-set.js';
import { RULE_PREFIX, type BatchRule, type RowRule, type RuleContext } from './rule.js';
import { referralTableOf, type ReferralTableName } from './referral-index.js';

/**
 * Rules that several datasets share, built per dataset so every rule keeps one dataset and one id.
 * The datasets' rule files (rules/<dataset>.rules.ts) call these; nothing else does.
 */

/** A string value of a row, or undefined for NULL, '' and non-strings. */
export function text(row: SourceRow, field: string): string | undefined {
  const value = row[field];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Milliseconds since the epoch of an ISO instant (with offset), or undefined when absent or
 * unreadable: no offset, or a date or clock time that does not exist (never rolled over).
 */
export function instant(row: SourceRow, field: string): number | undefined {
  const value = text(row, field);
  if (value === undefined) return undefined;
  const reading = readIsoTime(value, 'instant');
  return reading.ok ? reading.ms : undefined;
}

/** `<PREFIX>.MISSING_NHS_NUMBER`: the row carries no NHS number (warn). */
export function missingNhsNumberRule(dataset: DatasetId, tables: readonly SourceTableName[]): RowRule {
  return {
    scope: 'row',
    id: `${RULE_PREFIX[dataset]}.MISSING_NHS_NUMBER`,
    dataset,
    tables,
    fields: ['nhs_number'],
    severity: 'warn',
    message: 'NHS number is missing, so the record cannot be linked deterministically',
    rationale:
      'the activity is real and counts; linkage falls back to DOB + sex + LSOA with a lower confidence',
    check: (row) => (text(row, 'nhs_number') === undefined ? 'nhs_number' : undefined),
  };
}

/**
 * What the duplicate rule compares, per table: a row's content text (every column but the business
 * key, the change version and modified_at; typed values joined by \u0000, NULL as \u0001, neither
 * of which occurs in source text) and its business key (key values joined by `|`). One definition
 * for the rule and for the claims the CDC poller makes before publishing (`contentClaimsOf`).
 */
function rowContent(table: SourceTableName): {
  canonical: (row: SourceRow) => string;
  keyOf: (row: SourceRow) => string;
} {
  const spec = SOURCE_TABLES[table];
  const skip = new Set([...spec.key, spec.changeVersionColumn, 'modified_at']);
  const content = spec.columns.map((c) => c.name).filter((n) => !skip.has(n));
  return {
    canonical: (row) => {
      let text = '';
      for (let i = 0; i < content.length; i++) {
        const v = row[content[i] as string];
        text += v === null || v === undefined ? '\u0001\u0000' : `${typeof v}:${String(v)}\u0000`;
      }
      return text;
    },
    keyOf: (row) => spec.key.map((k) => String(row[k] ?? '')).join('|'),
  };
}

/**
 * The content claims of `rows` for the content index, in the order given: each distinct content
 * digest (128-bit, hex) once, claimed by the first row that carries it. The CDC poller claims each
 * poll's upserts in business-key order before publishing them, so of two rows with the same content
 * captured in one poll the one first in key order holds it, whichever batch is validated first
 * (docs/validation-rules.md, "Duplicate row").
 */
export function contentClaimsOf(table: SourceTableName, rows: readonly SourceRow[]): ContentClaim[] {
  const { canonical, keyOf } = rowContent(table);
  const claims = new Map<string, string>();
  for (const row of rows) {
    const digest = hash('md5', canonical(row), 'hex');
    if (!claims.has(digest)) claims.set(digest, keyOf(row));
  }
  return [...claims].map(([digest, recordKey]) => ({ digest, recordKey }));
}

/**
 * `<PREFIX>.DUPLICATE_ROW`: the same content (every column but the business key, the change version
 * and modified_at) already arrived under another key. The first is kept. Without a content index in
 * the context, "already" means earlier in the same batch (and an exact second copy of one key in a
 * batch counts too); with one, it means held by another key in the index (other chunks and batches),
 * and a key re-delivering its own content is never a duplicate.
 */
export function duplicateRowRule(dataset: DatasetId, tables: readonly SourceTableName[]): BatchRule {
  return {
    scope: 'batch',
    id: `${RULE_PREFIX[dataset]}.DUPLICATE_ROW`,
    dataset,
    tables,
    fields: tables.map((t) => SOURCE_TABLES[t].key[0] ?? 'key'),
    severity: 'reject',
    message: 'same content as an earlier row under another key; the first is kept',
    rationale: 'a duplicated activity would be counted and costed twice',
    start(table, ctx) {
      const spec = SOURCE_TABLES[table];
      const keyField = spec.key[0] ?? 'key';
      const { canonical, keyOf } = rowContent(table);
      const index = ctx.contentIndex;
      if (index) {
        // Across chunks and batches: the index says which key first delivered each content.
        let digests = new Map<SourceRow, string>();
        let holders: ReadonlyMap<string, string> = new Map();
        return {
          async observe(rows) {
            digests = new Map();
            const claims = new Map<string, string>();
            for (const row of rows) {
              const digest = hash('md5', canonical(row), 'hex');
              digests.set(row, digest);
              if (!claims.has(digest)) claims.set(digest, keyOf(row));
            }
            holders = await index.claim(
              table,
              [...claims].map(([digest, recordKey]) => ({ digest, recordKey })),
            );
          },
          judge(row) {
            const digest = digests.get(row);
            const holder = digest === undefined ? undefined : holders.get(digest);
            return holder === undefined || holder === keyOf(row) ? undefined : keyField;
          },
        };
      }
      // Within the batch only: 64-bit digests in a typed-array set (~16 bytes a row, not the rows).
      const seen = new DigestSet();
      return {
        observe() {},
        judge(row) {
          const digest = hash('md5', canonical(row), 'buffer');
          return seen.add(digest.readUInt32LE(0), digest.readUInt32LE(4)) ? undefined : keyField;
        },
      };
    },
  };
}

/** What the referral index said about the referral ids of a batch, each id asked once. */
class ReferralCache {
  readonly known = new Map<string, boolean>();
  readonly dates = new Map<string, string | undefined>();
  constructor(
    private readonly table: ReferralTableName,
    private readonly ctx: RuleContext,
    private readonly ask: 'has' | 'receivedDate' | 'firstContactDate',
  ) {}

  /** Looks up the chunk's referral ids not yet asked, all concurrently. */
  async load(rows: readonly SourceRow[]): Promise<void> {
    const pending = new Set<string>();
    const seen = this.ask === 'has' ? this.known : this.dates;
    for (const row of rows) {
      const id = text(row, 'referral_id');
      if (id !== undefined && !seen.has(id)) pending.add(id);
    }
    if (pending.size === 0) return;
    const index = this.ctx.referralIndex;
    const table = this.table;
    await Promise.all(
      [...pending].map(async (id) => {
        if (this.ask === 'has') this.known.set(id, await index.has(table, id));
        else if (this.ask === 'receivedDate') this.dates.set(id, await index.receivedDate?.(table, id));
        else this.dates.set(id, await index.firstContactDate?.(table, id));
      }),
    );
  }
}

/** `<PREFIX>.REFERRAL_NOT_FOUND`: a contact/assessment whose referral is in neither the batch nor the index. */
export function referralNotFoundRule(dataset: DatasetId, tables: readonly SourceTableName[]): BatchRule {
  return {
    scope: 'batch',
    id: `${RULE_PREFIX[dataset]}.REFERRAL_NOT_FOUND`,
    dataset,
    tables,
    fields: ['referral_id'],
    severity: 'reject',
    message: 'referral id is not a known referral (orphan record)',
    rationale:
      'an orphan cannot be placed on a pathway or team caseload; quarantine lets it be replayed once the referral arrives',
    start(table, ctx) {
      const referralTable = referralTableOf(table);
      if (!referralTable) return { observe() {}, judge: () => undefined };
      const cache = new ReferralCache(referralTable, ctx, 'has');
      return {
        observe: (rows) => cache.load(rows),
        judge(row) {
          const id = text(row, 'referral_id');
          if (id === undefined) return undefined; // a missing id is the contract's to reject
          return cache.known.get(id) === true ? undefined : 'referral_id';
        },
      };
    },
  };
}

/**
 * `<PREFIX>.REFERRAL_AFTER_CONTACT`: a referral received after a care contact under it. Judged on
 * whichever side arrives second: on a referral row against the index's first contact date
 * (field `referral_received_date`), on a contact row against the index's referral received date
 * (field `contact_date`).
 */
export function referralAfterContactRule(
  dataset: DatasetId,
  referralTable: ReferralTableName,
  contactTable: SourceTableName,
): BatchRule {
  return {
    scope: 'batch',
    id: `${RULE_PREFIX[dataset]}.REFERRAL_AFTER_CONTACT`,
    dataset,
    tables: [referralTable, contactTable],
    fields: ['referral_received_date', 'contact_date'],
    severity: 'warn',
    message: 'referral received date is after the date of a care contact under the referral',
    rationale:
      'both records exist and link; which date is wrong is unknown, so both are kept and the provider is told',
    start(table, ctx) {
      const onReferral = table === referralTable;
      const cache = new ReferralCache(referralTable, ctx, onReferral ? 'firstContactDate' : 'receivedDate');
      const ownDate = onReferral ? 'referral_received_date' : 'contact_date';
      return {
        observe: (rows) => cache.load(rows),
        judge(row) {
          const id = text(row, 'referral_id');
          const date = text(row, ownDate);
          if (id === undefined || date === undefined) return undefined;
          const other = cache.dates.get(id);
          if (other === undefined) return undefined;
          const late = onReferral ? date > other : other > date;
          return late ? ownDate : undefined;
        },
      };
    },
  };
}

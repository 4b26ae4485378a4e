import {
  SOURCE_TABLES,
  type DatasetId,
  type SourceRow,
  type SourceTableName,
} from '../datasets/source-tables.js';
import { ReconciliationError } from '../errors.js';
import type { ReferenceData } from '../reference/reference-data.js';
import { contractFor, type ContractFailure } from '../datasets/contracts.js';
import type { ContentIndex } from './content-index.js';
import { NO_REFERRALS, type ReferralIndex } from './referral-index.js';
import {
  failureMessage,
  type BatchRule,
  type BatchRuleRun,
  type Rule,
  type RowRule,
  type RuleContext,
  type RuleFailure,
} from './rule.js';
import { rulesFor } from './rules/rule-catalogue.js';

/** The row contract the engine wraps (the shape of `RowContract` from contracts.ts). */
export interface RowContractLike {
  check(row: SourceRow): { ok: true } | { ok: false; failures: readonly ContractFailure[] };
}

/** What `validateBatch` needs besides the rows. */
export interface ValidationContext {
  readonly batchId: string;
  /** The extract date 'YYYY-MM-DD': activity after it is in the future (contract FUTURE_DATE rules). */
  readonly extractDate: string;
  readonly reference: ReferenceData;
  /** Referrals known outside the batch; defaults to none. */
  readonly referralIndex?: ReferralIndex;
  /**
   * The row contract (default `contractFor(table, reference, { asOf: extractDate })`); its failures
   * are rejects unless a `scope: 'contract'` rule of the catalogue sets another severity.
   */
  readonly contract?: RowContractLike;
  /** Content already delivered, for duplicates across chunks and batches (default: within this batch). */
  readonly contentIndex?: ContentIndex;
  /** Relative tariff tolerance (default 0.05 = 5 %; planted mismatches are 10-50 %). */
  readonly tariffTolerance?: number;
  /** Number of the first row (default 1), for a chunk that starts further into a file. */
  readonly firstRowNumber?: number;
  /** Rows judged together (default 10 000): memory is bounded by this, not the batch. */
  readonly chunkSize?: number;
  /** Rules to run (default: the table's rules from the catalogue). */
  readonly rules?: readonly Rule[];
}

/**
 * Where results go as they are produced. With `accepted`/`failures` given, the result holds no rows
 * or records, so a batch of any size streams in bounded memory.
 */
export interface ValidationSink {
  accepted?(rows: readonly NumberedRow[]): Promise<void> | void;
  /** Failure records of one chunk: every failure of quarantined rows and the warnings of accepted ones. */
  failures?(records: readonly QuarantineRecord[]): Promise<void> | void;
  /** Every row with its failures (empty when clean), e.g. for the DQ accumulator. */
  row?(row: SourceRow, failures: readonly RuleFailure[]): void;
}

/** A failure record as written to the quarantine container: the failure plus the row's outcome. */
export interface QuarantineRecord extends RuleFailure {
  readonly outcome: 'quarantined' | 'accepted';
}

export interface ValidationCounts {
  /** Rows read. */
  readonly in: number;
  readonly accepted: number;
  /** Accepted rows that carry at least one warning. */
  readonly acceptedWithWarnings: number;
  readonly quarantined: number;
  /** Rows failing each rule (a row counts once per rule). */
  readonly failuresByRule: Readonly<Record<string, number>>;
}

export interface ValidationResult {
  readonly dataset: DatasetId;
  readonly table: SourceTableName;
  readonly batchId: string;
  readonly counts: ValidationCounts;
  /** Accepted rows in batch order with their numbers, unchanged (empty when a sink took them). */
  readonly accepted: readonly NumberedRow[];
  /** Failure records (quarantined and warned rows), in row order (empty when a sink took them). */
  readonly records: readonly QuarantineRecord[];
}

const NO_FAILURES: readonly RuleFailure[] = Object.freeze([]);

/**
 * Throws ReconciliationError unless in = accepted + quarantined. The message carries counts only.
 */
export function reconcile(
  counts: Pick<ValidationCounts, 'in' | 'accepted' | 'quarantined'>,
  where: string,
): void {
  if (counts.in !== counts.accepted + counts.quarantined)
    throw new ReconciliationError(
      `${where}: rows in (${counts.in}) ≠ accepted (${counts.accepted}) + quarantined (${counts.quarantined})`,
    );
}

/** The business key of a row as text (key columns joined with '|'). */
export function recordKeyOf(keyColumns: readonly string[], row: SourceRow): string {
  if (keyColumns.length === 1) return String(row[keyColumns[0] as string] ?? '');
  return keyColumns.map((k) => String(row[k] ?? '')).join('|');
}

/** A row with its 1-based number in the batch (bronze `BatchRecord.n`). */
export interface NumberedRow {
  readonly n: number;
  readonly row: SourceRow;
}

async function* chunksOf<T>(rows: AsyncIterable<T> | Iterable<T>, size: number): AsyncGenerator<T[]> {
  if (Array.isArray(rows)) {
    for (let i = 0; i < rows.length; i += size) yield (rows as T[]).slice(i, i + size);
    return;
  }
  let chunk: T[] = [];
  for await (const row of rows) {
    chunk.push(row);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function* numbered(
  rows: AsyncIterable<SourceRow> | Iterable<SourceRow>,
  first: number,
  size: number,
): AsyncGenerator<NumberedRow[]> {
  let n = first;
  for await (const chunk of chunksOf(rows, size)) yield chunk.map((row) => ({ n: n++, row }));
}

/**
 * Validates one batch (or file) of one table: the row contract, then the table's row rules, then its
 * batch rules, chunk by chunk.
 *
 * Guarantees:
 * - every row is accepted (possibly with warnings) or quarantined (at least one reject), never both;
 *   counts reconcile (in = accepted + quarantined) after every chunk, else ReconciliationError;
 * - failures name dataset, table, batch, 1-based row number, business key, field, rule, severity and
 *   a message in words; no failure carries a row value or a patient identifier;
 * - memory is bounded by `chunkSize` plus the batch rules' per-batch state (duplicate digests, spell
 *   discharge dates, referral lookups), never by the batch when a sink takes rows and records.
 */
export async function validateBatch(
  table: SourceTableName,
  rows: AsyncIterable<SourceRow> | Iterable<SourceRow>,
  ctx: ValidationContext,
  sink: ValidationSink = {},
): Promise<ValidationResult> {
  const size = ctx.chunkSize ?? 10_000;
  return validateChunks(table, numbered(rows, ctx.firstRowNumber ?? 1, size), ctx, sink);
}

/**
 * As {@link validateBatch}, for rows that already carry their number in the batch (bronze records of
 * one chunk, whose numbers need not be contiguous). Rows are judged in the order given.
 */
export async function validateNumberedRows(
  table: SourceTableName,
  rows: AsyncIterable<NumberedRow> | Iterable<NumberedRow>,
  ctx: ValidationContext,
  sink: ValidationSink = {},
): Promise<ValidationResult> {
  return validateChunks(table, chunksOf(rows, ctx.chunkSize ?? 10_000), ctx, sink);
}

async function validateChunks(
  table: SourceTableName,
  chunks: AsyncIterable<NumberedRow[]>,
  ctx: ValidationContext,
  sink: ValidationSink,
): Promise<ValidationResult> {
  const spec = SOURCE_TABLES[table];
  const dataset = spec.dataset;
  const keyColumns = spec.key;
  for (const key of keyColumns) {
    const col = spec.columns.find((c) => c.name === key);
    if (col?.identifier)
      throw new Error(
        `table ${table}: key column ${key} is a patient identifier, refusing to use it as record key`,
      );
  }
  const ruleCtx: RuleContext = {
    extractDate: ctx.extractDate,
    reference: ctx.reference,
    referralIndex: ctx.referralIndex ?? NO_REFERRALS,
    tariffTolerance: ctx.tariffTolerance ?? 0.05,
    ...(ctx.contentIndex ? { contentIndex: ctx.contentIndex } : {}),
  };
  const rules = ctx.rules ?? rulesFor(table);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(ctx.extractDate))
    throw new Error(`extract date must be 'YYYY-MM-DD' (got ${ctx.extractDate.length} characters)`);
  const contract = ctx.contract ?? contractFor(table, ctx.reference, { asOf: ctx.extractDate });
  const overrides = new Map<string, Rule>();
  for (const rule of rules) if (rule.scope === 'contract') overrides.set(rule.id, rule);
  const rowRules = rules.filter((r): r is RowRule => r.scope === 'row');
  const batchRules = rules.filter((r): r is BatchRule => r.scope === 'batch');
  const runs: { readonly rule: Rule; readonly run: BatchRuleRun }[] = batchRules.map((rule) => ({
    rule,
    run: rule.start(table, ruleCtx),
  }));
  const where = `table ${table} batch ${ctx.batchId}`;

  let inCount = 0;
  let acceptedCount = 0;
  let warnedCount = 0;
  let quarantinedCount = 0;
  const failuresByRule: Record<string, number> = {};
  const keptAccepted: NumberedRow[] = [];
  const keptRecords: QuarantineRecord[] = [];

  // Allocated only when a row fails (clean rows, the common case, allocate nothing here).
  const addFailure = (
    failures: RuleFailure[] | undefined,
    item: NumberedRow,
    field: string,
    rule: string,
    severity: 'reject' | 'warn',
    message: string,
    origin: 'contract' | 'rule',
  ): RuleFailure[] => {
    const list = failures ?? [];
    const recordKey = list[0]?.recordKey ?? recordKeyOf(keyColumns, item.row);
    list.push({
      dataset,
      table,
      batchId: ctx.batchId,
      row: item.n,
      recordKey,
      field,
      rule,
      severity,
      message,
      origin,
    });
    return list;
  };

  for await (const chunk of chunks) {
    const chunkRows = chunk.map((r) => r.row);
    for (const { run } of runs) await run.observe(chunkRows);
    const accepted: NumberedRow[] = [];
    const records: QuarantineRecord[] = [];

    for (const item of chunk) {
      const row = item.row;
      let failures: RuleFailure[] | undefined;
      const verdict = contract.check(row);
      if (!verdict.ok)
        for (const f of verdict.failures)
          failures = addFailure(
            failures,
            item,
            f.field,
            f.rule,
            overrides.get(f.rule)?.severity ?? 'reject',
            f.message,
            'contract',
          );
      for (const rule of rowRules) {
        const field = rule.check(row, ruleCtx);
        if (field !== undefined)
          failures = addFailure(
            failures,
            item,
            field,
            rule.id,
            rule.severity,
            failureMessage(dataset, table, field, rule.message),
            'rule',
          );
      }
      for (const { rule, run } of runs) {
        const field = run.judge(row);
        if (field !== undefined)
          failures = addFailure(
            failures,
            item,
            field,
            rule.id,
            rule.severity,
            failureMessage(dataset, table, field, rule.message),
            'rule',
          );
      }

      if (failures === undefined) {
        accepted.push(item);
        sink.row?.(row, NO_FAILURES);
        continue;
      }
      const seen = new Set<string>();
      let rejected = false;
      for (const f of failures) {
        if (f.severity === 'reject') rejected = true;
        if (!seen.has(f.rule)) {
          seen.add(f.rule);
          failuresByRule[f.rule] = (failuresByRule[f.rule] ?? 0) + 1;
        }
      }
      const outcome = rejected ? 'quarantined' : 'accepted';
      for (const f of failures) records.push({ ...f, outcome });
      if (!rejected) {
        accepted.push(item);
        warnedCount++;
      }
      sink.row?.(row, failures);
    }

    // Reconcile on what leaves the chunk (rows handed on, distinct quarantined row numbers), not on
    // counters kept alongside, so a row dropped or doubled anywhere above fails the batch.
    const quarantinedRows = new Set<number>();
    for (const r of records) if (r.outcome === 'quarantined') quarantinedRows.add(r.row);
    inCount += chunk.length;
    acceptedCount += accepted.length;
    quarantinedCount += quarantinedRows.size;
    reconcile({ in: inCount, accepted: acceptedCount, quarantined: quarantinedCount }, where);

    if (sink.accepted) await sink.accepted(accepted);
    else for (const row of accepted) keptAccepted.push(row);
    if (sink.failures) {
      if (records.length > 0) await sink.failures(records);
    } else for (const record of records) keptRecords.push(record);
  }

  return {
    dataset,
    table,
    batchId: ctx.batchId,
    counts: {
      in: inCount,
      accepted: acceptedCount,
      acceptedWithWarnings: warnedCount,
      quarantined: quarantinedCount,
      failuresByRule,
    },
    accepted: keptAccepted,
    records: keptRecords,
  };
}

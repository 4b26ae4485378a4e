// The in-process domain chain the throughput and initial-load benches measure: the product's
// validate → pseudonymise → SCD2 → link steps, chunk by chunk, over in-memory adapters (no Azurite,
// no Parquet, no durable replay). Each stage is timed on a StageClock under its name.
import { MemoryObjectStore } from '../../shared/adapters/memory/memory-object-store.js';
import { MemoryParquetLake } from '../../shared/adapters/memory/memory-parquet-lake.js';
import { systemClock } from '../../shared/application/ports/clock.port.js';
import { silentLogger } from '../../shared/application/ports/logger.port.js';
import type { ObjectStore } from '../../shared/application/ports/object-store.port.js';
import {
  PATIENT_ATTRIBUTES,
  feedsPatientDimension,
  patientDimension,
} from '../../shared/application/use-cases/pipeline/patient-dimension.js';
import type { ProjectKey } from '../../shared/domain/pseudonymise/project-key.js';
import { mergeDimensionChanges } from '../../shared/application/use-cases/scd2-merge.use-case.js';
import { validateBatchChunk } from '../../shared/application/use-cases/validate-batch.use-case.js';
import {
  SOURCE_TABLES,
  type SourceRow,
  type SourceTableName,
} from '../../shared/domain/datasets/source-tables.js';
import { PersonLinker } from '../../shared/domain/link/person-linker.js';
import { projectForTable, type ProjectId } from '../../shared/domain/pseudonymise/projects.js';
import { createRowPseudonymiser, type SilverRow } from '../../shared/domain/pseudonymise/silver-row.js';
import type { ReferenceData } from '../../shared/domain/reference/reference-data.js';
import type { DimensionChange, DimensionSpec } from '../../shared/domain/scd2/dimension.js';
import { MemoryReferralIndex, referralTableOf } from '../../shared/domain/validate/referral-index.js';
import type { NumberedRow } from '../../shared/domain/validate/validate-batch.js';
import type { StageClock } from './stage-clock.js';

/** The four stages, as named on the StageClock. */
export const CHAIN_STAGES = ['validate', 'pseudonymise', 'scd2', 'link'] as const;

export interface DomainChainOptions {
  readonly reference: ReferenceData;
  /** The project keys (the product's ProjectKeyRing, or one over a bench secret store). */
  readonly keys: { current(project: ProjectId): Promise<ProjectKey> };
  readonly clock: StageClock;
  /** The extract date the rules check "not in the future" against. */
  readonly extractDate: string;
  /** Where quarantine records go (default a MemoryObjectStore). */
  readonly lake?: ObjectStore;
}

/** What one chunk left behind, for callers that run side baselines on the same rows. */
export interface ChainChunk {
  readonly accepted: readonly NumberedRow[];
  readonly silver: readonly SilverRow[];
}

export interface ChainCounts {
  processed: number;
  accepted: number;
  quarantined: number;
  tokens: number;
  chunks: number;
  readonly merge: {
    received: number;
    members: number;
    inserted: number;
    updated: number;
    unchanged: number;
    lateStitched: number;
  };
}

/**
 * Runs chunks of source rows through the chain:
 * 1. **validate**: `validateBatchChunk` (row contract, the table's assurance rules, batch rules per
 *    chunk, DQ counts, quarantine NDJSON to the lake); contacts are checked against the referrals
 *    accepted earlier in the run (a MemoryReferralIndex, as the state referral index does it);
 * 2. **pseudonymise**: `createRowPseudonymiser` over the accepted rows, one pseudonymiser per chunk
 *    as the pseudonymiseChunk activity makes one per call;
 * 3. **SCD2**: the chunk's patient-dimension changes built as pseudonymiseChunk builds them (tables
 *    that feed the dimension only), merged with `mergeDimensionChanges` into keyed state on a fresh
 *    in-memory lake per chunk (MemoryObjectStore + MemoryParquetLake, the unit tests' twin: runs held
 *    as JSON, no Parquet); the work is first-version inserts, as in an initial load, and a lake kept
 *    for the whole run would measure V8's collector on hundreds of thousands of live histories;
 * 4. **link**: `PersonLinker` pass 1 (observe) per chunk, per project; pass 2 in {@link linkAll}.
 */
export class DomainChain {
  readonly counts: ChainCounts = {
    processed: 0,
    accepted: 0,
    quarantined: 0,
    tokens: 0,
    chunks: 0,
    merge: { received: 0, members: 0, inserted: 0, updated: 0, unchanged: 0, lateStitched: 0 },
  };
  private readonly lake: ObjectStore;
  private readonly referrals = new MemoryReferralIndex();
  private readonly projects = new Map<
    ProjectId,
    {
      key: ProjectKey;
      dimension: DimensionSpec;
      linker: PersonLinker;
      tokens: (string | null)[];
      fallback: (string | null)[];
    }
  >();

  constructor(private readonly options: DomainChainOptions) {
    this.lake = options.lake ?? new MemoryObjectStore();
  }

  private async project(project: ProjectId) {
    let p = this.projects.get(project);
    if (!p) {
      const key = await this.options.keys.current(project);
      p = {
        key,
        dimension: patientDimension(project),
        linker: new PersonLinker({ project, keyVersion: key.version }),
        tokens: [],
        fallback: [],
      };
      this.projects.set(project, p);
    }
    return p;
  }

  /** One chunk of one table's rows through the four stages; `index` numbers chunks across the run. */
  async processChunk(table: SourceTableName, rows: readonly SourceRow[], index: number): Promise<ChainChunk> {
    const { clock } = this.options;
    const spec = SOURCE_TABLES[table];
    const projectId = projectForTable(table);
    const project = await this.project(projectId);
    const base = this.counts.processed;
    this.counts.processed += rows.length;
    this.counts.chunks += 1;
    const batchId = `bench-${String(index).padStart(4, '0')}`;
    const capturedAt = new Date(Date.UTC(2026, 5, 30, 12, 0, index)).toISOString();
    const referralTable = referralTableOf(table);

    // 1. Contract + assurance rules + DQ counts; quarantine records to the lake.
    const outcome = await clock.time('validate', async () => {
      const result = await validateBatchChunk(
        {
          table,
          batchId,
          chunk: index,
          extractDate: this.options.extractDate,
          rows: rows.map((row, i) => ({ n: base + i + 1, row })),
        },
        {
          lake: this.lake,
          reference: this.options.reference,
          ...(referralTable ? { referralIndex: this.referrals } : {}),
        },
      );
      if (table === 'mhsds_referral' || table === 'csds_referral')
        this.referrals.addRows(
          table,
          result.accepted.map((r) => r.row),
        );
      return result;
    });
    this.counts.accepted += outcome.accepted.length;
    this.counts.quarantined += outcome.summary.counts.quarantined;

    // 2. Row pseudonymisation (token, key version, fallback link key, age band, LSOA; identifiers dropped).
    const silver = clock.timeSync('pseudonymise', () => {
      const pseudonymise = createRowPseudonymiser(table, {
        project: projectId,
        key: project.key,
        postcodeToLsoa: this.options.reference,
      });
      const out: SilverRow[] = new Array<SilverRow>(outcome.accepted.length);
      for (let i = 0; i < out.length; i++) out[i] = pseudonymise(outcome.accepted[i]!.row);
      return out;
    });
    for (const row of silver) if (typeof row.patient_token === 'string') this.counts.tokens += 1;

    // 3. SCD2: the chunk's patient-dimension changes, merged.
    if (feedsPatientDimension(table))
      await clock.time('scd2', async () => {
        const changes: DimensionChange[] = [];
        for (const row of silver) {
          const token = row.patient_token;
          if (typeof token !== 'string') continue;
          const attributes: Record<string, string | number | boolean | null> = {};
          for (const name of PATIENT_ATTRIBUTES) attributes[name] = row[name] ?? null;
          const activity = row[spec.activityDateColumn];
          changes.push({
            key: token,
            changeId: `${capturedAt}|${spec.key.map((k) => String(row[k])).join('|')}`,
            effectiveAt: typeof activity === 'string' ? activity.slice(0, 10) : capturedAt.slice(0, 10),
            recordedAt: capturedAt,
            kind: 'upsert',
            attributes,
          });
        }
        const state = new MemoryObjectStore();
        const r = await mergeDimensionChanges(project.dimension, changes, {
          lake: state,
          parquet: new MemoryParquetLake(state),
          clock: systemClock,
          logger: silentLogger,
        });
        const m = this.counts.merge;
        m.received += r.received;
        m.members += r.members;
        m.inserted += r.inserted;
        m.updated += r.updated;
        m.unchanged += r.unchanged;
        m.lateStitched += r.lateStitched;
      });

    // 4. Linkage pass 1 (observe); pass 2 runs once every record has been observed.
    clock.timeSync('link', () => {
      for (const row of silver) {
        project.linker.observe(row);
        project.tokens.push(typeof row.patient_token === 'string' ? row.patient_token : null);
        project.fallback.push(typeof row.fallback_link_key === 'string' ? row.fallback_link_key : null);
      }
    });
    return { accepted: outcome.accepted, silver };
  }

  /** Linkage pass 2 over every record observed, per project (timed under 'link'). */
  linkAll(): { linked: number; deterministic: number } {
    let linked = 0;
    let deterministic = 0;
    this.options.clock.timeSync('link', () => {
      for (const p of this.projects.values())
        for (let i = 0; i < p.tokens.length; i++) {
          const link = p.linker.link({
            patient_token: p.tokens[i] ?? null,
            token_key_version: p.key.version,
            fallback_link_key: p.fallback[i] ?? null,
          });
          if (link.person_id !== null) linked += 1;
          if (link.link_quality === 'deterministic') deterministic += 1;
        }
    });
    return { linked, deterministic };
  }
}

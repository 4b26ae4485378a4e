import { z } from 'zod';
import { hashHex } from '../pipeline/ids.js';

/**
 * OpenLineage run events (spec 2-0-2, openlineage.io): what every pipeline activity reports about
 * its run, the datasets it read and the datasets it wrote.
 *
 * Contract (the lake objects and the HTTP body are these events as JSON): dataset names are lake
 * paths or warehouse table names, facets carry column names, types and counts only, never a value
 * of a row (ADR 0002): a patient's key never appears in a lineage event.
 */
export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
/** The producer URI every event and facet names. */
export const LINEAGE_PRODUCER = 'urn:nhs-flows:pipeline';
/** The job namespace of the pipeline's activities. */
export const LINEAGE_JOB_NAMESPACE = 'nhs-flows';

const FACET_SCHEMAS = {
  schema: 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
  outputStatistics:
    'https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet',
  parent: 'https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet',
  errorMessage:
    'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
  // Custom facets (the spec's `<prefix>_<name>` convention): described in docs/lineage.md.
  custom: 'urn:nhs-flows:lineage-facets:1',
} as const;

const facetBase = z.object({ _producer: z.string().min(1), _schemaURL: z.string().min(1) });

/** A column in a schema facet: name and portable type (never a value). */
const schemaFieldSchema = z.object({ name: z.string().min(1), type: z.string().min(1) });

const datasetSchema = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  facets: z
    .object({
      schema: facetBase.extend({ fields: z.array(schemaFieldSchema) }).optional(),
      /** The exact lake objects behind a logical dataset (a silver table's files of this run). */
      nhsflows_files: facetBase.extend({ paths: z.array(z.string().min(1)) }).optional(),
    })
    .optional(),
  inputFacets: z
    .object({
      nhsflows_inputStatistics: facetBase.extend({ rowCount: z.number().int().nonnegative() }).optional(),
    })
    .optional(),
  outputFacets: z
    .object({ outputStatistics: facetBase.extend({ rowCount: z.number().int().nonnegative() }).optional() })
    .optional(),
});

/** The boundary schema of one run event (what is written to the lake and posted to an endpoint). */
export const runEventSchema = z.object({
  eventType: z.enum(['START', 'COMPLETE', 'FAIL']),
  eventTime: z.iso.datetime(),
  run: z.object({
    runId: z.uuid(),
    facets: z.object({
      parent: facetBase
        .extend({
          run: z.object({ runId: z.uuid() }),
          job: z.object({ namespace: z.string().min(1), name: z.string().min(1) }),
        })
        .optional(),
      nhsflows_batch: facetBase.extend({
        batchId: z.string().min(1),
        table: z.string().nullable(),
        part: z.string().nullable(),
      }),
      errorMessage: facetBase
        .extend({ message: z.string(), programmingLanguage: z.literal('TypeScript') })
        .optional(),
    }),
  }),
  job: z.object({ namespace: z.string().min(1), name: z.string().min(1) }),
  inputs: z.array(datasetSchema),
  outputs: z.array(datasetSchema),
  producer: z.string().min(1),
  schemaURL: z.string().min(1),
});

export type RunEvent = z.infer<typeof runEventSchema>;
export type LineageDataset = z.infer<typeof datasetSchema>;

/** A UUID (RFC 4122 layout, version 8: custom) derived from the parts: the same run, the same id. */
export function lineageUuid(parts: readonly string[]): string {
  const h = hashHex(['openlineage', ...parts].join('\u001f'));
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Where a dataset lives: a lake container path or a warehouse table, with what the run knows of it. */
export interface DatasetRef {
  readonly store: 'lake' | 'warehouse';
  /** Lake container (store 'lake'). */
  readonly container?: string;
  /** Lake path or warehouse table name. */
  readonly name: string;
  readonly fields?: readonly { readonly name: string; readonly type: string }[];
  readonly rowCount?: number;
  /** Exact lake objects behind a logical dataset name. */
  readonly files?: readonly string[];
}

/** How dataset namespaces are spelled for this deployment (built from the settings). */
export interface LineageNamespaces {
  /** e.g. `abfss://silver@account.dfs.core.windows.net`. */
  lake(container: string): string;
  readonly warehouse: string;
}

/** OpenLineage dataset naming for a lake container: ADLS Gen2 on Azure, the Azurite account locally. */
export function lakeNamespaces(
  accountUrl: string | undefined,
  warehouseKind: 'duckdb' | 'synapse',
): LineageNamespaces {
  const host = accountUrl
    ? new URL(accountUrl).hostname.replace('.blob.', '.dfs.')
    : 'devstoreaccount1.azurite.local';
  return {
    lake: (container) => `abfss://${container}@${host}`,
    warehouse: warehouseKind === 'duckdb' ? 'duckdb://nhs-flows-warehouse' : 'synapse://nhs-flows-warehouse',
  };
}

/** The identity of one activity run: the batch it works on and its part (a chunk), if any. */
export interface ActivityRun {
  readonly activity: string;
  readonly batchId: string;
  readonly table: string | null;
  readonly part: string | null;
  /** When the attempt started (ISO): a retried activity is a new run. */
  readonly startedAt: string;
}

/** The run id of an activity attempt, and of the batch's orchestration (its parent run). */
export function activityRunId(run: ActivityRun): string {
  return lineageUuid([run.batchId, run.activity, run.part ?? '', run.startedAt]);
}
export function batchRunId(batchId: string): string {
  return lineageUuid([batchId, 'pipelineOrchestrator']);
}

function toDataset(ref: DatasetRef, namespaces: LineageNamespaces, side: 'input' | 'output'): LineageDataset {
  const base = { _producer: LINEAGE_PRODUCER };
  const facets: NonNullable<LineageDataset['facets']> = {};
  if (ref.fields)
    facets.schema = {
      ...base,
      _schemaURL: FACET_SCHEMAS.schema,
      fields: ref.fields.map((f) => ({ name: f.name, type: f.type })),
    };
  if (ref.files && ref.files.length > 0)
    facets.nhsflows_files = { ...base, _schemaURL: FACET_SCHEMAS.custom, paths: [...ref.files] };
  return {
    namespace: ref.store === 'lake' ? namespaces.lake(ref.container ?? 'unknown') : namespaces.warehouse,
    name: ref.name,
    ...(Object.keys(facets).length > 0 ? { facets } : {}),
    ...(ref.rowCount !== undefined && side === 'input'
      ? {
          inputFacets: {
            nhsflows_inputStatistics: { ...base, _schemaURL: FACET_SCHEMAS.custom, rowCount: ref.rowCount },
          },
        }
      : {}),
    ...(ref.rowCount !== undefined && side === 'output'
      ? {
          outputFacets: {
            outputStatistics: { ...base, _schemaURL: FACET_SCHEMAS.outputStatistics, rowCount: ref.rowCount },
          },
        }
      : {}),
  };
}

/**
 * One run event of an activity attempt. `failureCode` (FAIL only) is the error's stable code: an
 * error message may name a file and row, so only the code is carried.
 */
export function activityRunEvent(input: {
  readonly eventType: RunEvent['eventType'];
  readonly eventTime: string;
  readonly run: ActivityRun;
  readonly inputs: readonly DatasetRef[];
  readonly outputs: readonly DatasetRef[];
  readonly namespaces: LineageNamespaces;
  readonly failureCode?: string;
}): RunEvent {
  const base = { _producer: LINEAGE_PRODUCER };
  const event: RunEvent = {
    eventType: input.eventType,
    eventTime: input.eventTime,
    run: {
      runId: activityRunId(input.run),
      facets: {
        parent: {
          ...base,
          _schemaURL: FACET_SCHEMAS.parent,
          run: { runId: batchRunId(input.run.batchId) },
          job: { namespace: LINEAGE_JOB_NAMESPACE, name: 'pipelineOrchestrator' },
        },
        nhsflows_batch: {
          ...base,
          _schemaURL: FACET_SCHEMAS.custom,
          batchId: input.run.batchId,
          table: input.run.table,
          part: input.run.part,
        },
        ...(input.eventType === 'FAIL'
          ? {
              errorMessage: {
                ...base,
                _schemaURL: FACET_SCHEMAS.errorMessage,
                message: `failed with code ${input.failureCode ?? 'UNEXPECTED'}`,
                programmingLanguage: 'TypeScript' as const,
              },
            }
          : {}),
      },
    },
    job: { namespace: LINEAGE_JOB_NAMESPACE, name: `pipeline.${input.run.activity}` },
    inputs: input.inputs.map((d) => toDataset(d, input.namespaces, 'input')),
    outputs: input.outputs.map((d) => toDataset(d, input.namespaces, 'output')),
    producer: LINEAGE_PRODUCER,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
  };
  return runEventSchema.parse(event);
}

/**
 * The row number of a landing-file record from its event id: a dropped file's records carry
 * `eventId = sha256("<batchId>|<n>")` (landing-file-reader.ts, `fileRecord`), so the row is found by
 * recomputing ids for rows 1..`rows` (the file is never read). Null when none matches.
 */
export function landingRowOf(batchId: string, eventId: string, rows: number): number | null {
  for (let n = 1; n <= rows; n++) if (hashHex(`${batchId}|${n}`) === eventId) return n;
  return null;
}

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { services, resetServices } from '../../functions/composition-root.js';
import { DuckDbParquetCodec } from '../adapters/parquet/duckdb-parquet.js';
import { recordAudit } from '../application/use-cases/audit/audit-trail.js';
import { exportOmop, omopPortableTables } from '../application/use-cases/omop/export-omop.use-case.js';
import { csvField, csvHeader } from '../domain/export/csv-cells.js';
import { omopPortableColumns } from '../domain/omop/omop-cdm-tables.js';
import { omopCheckLines, omopLeftOutLines } from '../domain/omop/omop-checks.js';
import { loadOptOutApplication } from '../application/use-cases/opt-out.use-case.js';
import { parseOmopVocabulary, type OmopVocabulary } from '../domain/omop/omop-vocabulary.js';
import type { CliCommand } from './cli-io.js';
import { runningHost } from './host-lock.js';
import { localActor, localSettings, openLocalEnvironment } from './local-environment.js';

/**
 * `nhs-flows omop --out <dir>`: the gold star schema as OMOP CDM v5.4 tables (docs/omop.md), one
 * file per table (`<table>.csv` or `<table>.parquet`), then the DQD-style checks printed; exit 1
 * when a check fails. With `--vocabulary <dir>` (Athena's CONCEPT.csv and CONCEPT_RELATIONSHIP.csv)
 * source codes are mapped to standard concepts. The output is row-level, so each export is recorded
 * in the audit trail (`restricted-export`). Reads the embedded warehouse file: a running local host
 * holds it, so stop the host first.
 */
export const omopCommand: CliCommand = {
  name: 'omop',
  summary: 'write gold as OMOP CDM v5.4 tables (CSV or Parquet) and run the DQD-style checks',
  usage: 'nhs-flows omop --out <dir> [--format csv|parquet] [--vocabulary <dir>]',
  options: {
    out: { type: 'string', description: 'directory to write one file per OMOP table into' },
    format: { type: 'string', description: 'csv (default) or parquet' },
    vocabulary: {
      type: 'string',
      description:
        "directory holding an OHDSI vocabulary export (Athena's CONCEPT.csv, CONCEPT_RELATIONSHIP.csv)",
    },
  },
  run: async (args, io) => {
    const parsed = omopArgsSchema.safeParse(args.values);
    if (!parsed.success) {
      io.err(`omop: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      return 2;
    }
    const { out, format, vocabulary: vocabularyDir } = parsed.data;
    let vocabulary: OmopVocabulary | undefined;
    if (vocabularyDir !== undefined) {
      try {
        vocabulary = parseOmopVocabulary(
          readFileSync(join(vocabularyDir, 'CONCEPT.csv'), 'utf8'),
          readFileSync(join(vocabularyDir, 'CONCEPT_RELATIONSHIP.csv'), 'utf8'),
        );
      } catch (error) {
        io.err(`omop: cannot read the vocabulary in ${vocabularyDir}: ${(error as Error).message}`);
        return 2;
      }
      io.err(`omop: vocabulary: ${vocabulary.concepts} concepts, ${vocabulary.mappings} 'Maps to' mappings`);
    }
    const { dataDir } = localSettings();
    const host = runningHost(dataDir);
    if (host) {
      io.err(
        `omop: a local host runs in ${dataDir} (pid ${host.pid}) and holds the warehouse open; stop it first`,
      );
      return 1;
    }
    const env = await openLocalEnvironment();
    try {
      const { pipeline } = await services();
      const result = await exportOmop(await pipeline.warehouse(), {
        ...(vocabulary ? { vocabulary } : {}),
        optOut: await loadOptOutApplication(pipeline),
      });
      const record = await recordAudit(
        {
          kind: 'restricted-export',
          actor: localActor(),
          outcome: 'done',
          reason: 'nhs-flows omop',
          details: { table: 'omop', format, vocabulary: vocabulary !== undefined },
        },
        pipeline,
      );
      io.err(`omop: the OMOP tables are row-level: exported under audit record ${record.id}`);
      mkdirSync(out, { recursive: true });
      const codec = format === 'parquet' ? new DuckDbParquetCodec() : undefined;
      for (const { table, rows } of omopPortableTables(result.build)) {
        const columns = table.columns.map((c) => c.name);
        const file = join(out, `${table.name}.${format}`);
        if (codec) await codec.write(file, omopPortableColumns(table), rows);
        else
          writeFileSync(
            file,
            [csvHeader(columns), ...rows.map((r) => columns.map((c) => csvField(r[c])).join(','))]
              .map((l) => `${l}\n`)
              .join(''),
          );
        io.out(`${table.name.padEnd(22)} ${String(rows.length).padStart(9)} rows  ${file}`);
      }
      for (const line of omopLeftOutLines(result.build.accounts)) io.out(line);
      for (const [vocabularyId, m] of Object.entries(result.build.mapped))
        if (m.seen > 0)
          io.out(`mapped: ${vocabularyId}: ${m.mapped} of ${m.seen} source codes to a standard concept`);
      for (const line of omopCheckLines(result.checks)) io.out(line);
      const failed = result.checks.filter((c) => !c.passed).length;
      io.err(failed === 0 ? 'omop: every check passed' : `omop: ${failed} checks failed`);
      return failed === 0 ? 0 : 1;
    } finally {
      try {
        await resetServices();
      } finally {
        await env.stop();
      }
    }
  },
};

/** The options of `nhs-flows omop`, checked at the boundary. */
const omopArgsSchema = z.object({
  out: z.string({ error: '--out <dir> is required' }).min(1, '--out <dir> is required'),
  format: z.enum(['csv', 'parquet'], { error: '--format expects csv or parquet' }).default('csv'),
  vocabulary: z.string().min(1).optional(),
});

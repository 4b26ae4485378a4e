import { z } from 'zod';
import { lakePaths } from '../domain/lake/lake-paths.js';
import { services, resetServices } from '../../functions/composition-root.js';
import { buildDqScorecard, renderDqScorecard } from '../application/use-cases/dq-scorecard.use-case.js';
import { DATASET_DECLARATIONS } from '../domain/datasets/dataset-declarations.js';
import { filterDqRows, renderDqSummary } from '../domain/dq/dq-render.js';
import type { CliCommand } from './cli-io.js';
import { openLocalEnvironment } from './local-environment.js';

/** How many provider (or month) lines `nhs-flows dq` shows without `--top`. */
export const DQ_DEFAULT_TOP = 20;

/**
 * `nhs-flows dq`: the DQMI-style scorecard merged from every batch. By default a summary, worst
 * first: per dataset, then per provider × dataset (the first `--top`); `--months` gives the monthly
 * lines instead; `--dataset`, `--provider` and `--period` narrow either; `--json` prints the
 * (filtered) scorecard rows for machines.
 */
export const dqCommand: CliCommand = {
  name: 'dq',
  summary:
    'data-quality summary per dataset and provider, worst first (DQMI style); --months for the monthly lines',
  usage: 'nhs-flows dq [--dataset D] [--provider ODS] [--period YYYY-MM] [--top N] [--months] [--json]',
  options: {
    dataset: { type: 'string', description: `one dataset: ${datasetIds().join(', ')}` },
    provider: { type: 'string', description: 'one provider (ODS code: trust, site or GP practice)' },
    period: { type: 'string', description: 'one month, YYYY-MM' },
    top: { type: 'string', description: `at most N provider (or month) lines (default ${DQ_DEFAULT_TOP})` },
    months: {
      type: 'boolean',
      description: 'one line per provider × dataset × month, worst first, with its worst fields and top rule',
    },
    json: { type: 'boolean', description: 'print the scorecard rows (filtered, all of them) as JSON' },
  },
  run: async (args, io) => {
    const parsed = dqArgsSchema.safeParse(args.values);
    if (!parsed.success) {
      io.err(`nhs-flows dq: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      return 2;
    }
    const options = parsed.data;
    const env = await openLocalEnvironment();
    try {
      const { lake } = (await services()).pipeline;
      const statePaths: { container: string; path: string }[] = [];
      for await (const object of lake.list('gold', lakePaths.dqStatePrefix()))
        statePaths.push({ container: 'gold', path: object.path });
      if (statePaths.length === 0) {
        io.out('no batches have been validated yet: run nhs-flows start first');
        return 0;
      }
      const scorecard = await buildDqScorecard({ statePaths }, { lake });
      const rows = filterDqRows(scorecard.rows, options);
      if (options.json) io.out(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) io.out(`no data-quality results for ${describeFilter(options)}`);
      else if (options.months)
        io.out(renderDqScorecard(rows, { order: 'worst', top: options.top }).trimEnd());
      else io.out(renderDqSummary(rows, { top: options.top }).trimEnd());
      return 0;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

function datasetIds(): string[] {
  return DATASET_DECLARATIONS.map((d) => d.dataset);
}

/** The options of `nhs-flows dq`, checked at the boundary. */
export const dqArgsSchema = z.object({
  dataset: z
    .string()
    .refine((d) => datasetIds().includes(d), {
      error: (issue) =>
        `--dataset: expected one of ${datasetIds().join(', ')}, received '${String(issue.input)}'`,
    })
    .optional(),
  provider: z
    .string()
    .transform((p) => p.trim().toUpperCase())
    .refine((p) => /^[A-Z0-9]{3,10}$/.test(p), {
      error: (issue) =>
        `--provider: expected an ODS code (3 to 10 letters or digits), received '${String(issue.input)}'`,
    })
    .optional(),
  period: z
    .string()
    .refine((p) => /^\d{4}-(0[1-9]|1[0-2])$/.test(p), {
      error: (issue) => `--period: expected a month YYYY-MM, received '${String(issue.input)}'`,
    })
    .optional(),
  top: z
    .string()
    .refine((t) => /^[1-9]\d*$/.test(t), {
      error: (issue) => `--top: expected a whole number of at least 1, received '${String(issue.input)}'`,
    })
    .transform(Number)
    .default(DQ_DEFAULT_TOP),
  months: z.boolean().optional(),
  json: z.boolean().optional(),
});

function describeFilter(o: { dataset?: string; provider?: string; period?: string }): string {
  const parts = [
    o.dataset && `dataset ${o.dataset}`,
    o.provider && `provider ${o.provider}`,
    o.period && `period ${o.period}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'any batch';
}

import { z } from 'zod';
import { services, resetServices } from '../../functions/composition-root.js';
import { readUsage, type UsageRecord } from '../application/use-cases/data-api/usage-log.js';
import type { CliCommand } from './cli-io.js';
import { openLocalEnvironment } from './local-environment.js';

/**
 * `nhs-flows api-usage`: the data API's usage log (docs/api.md, "Usage log"): one line per request
 * of the chosen days (today by default), or a summary per client with `--summary`.
 */
export const apiUsageCommand: CliCommand = {
  name: 'api-usage',
  summary: 'data API usage: who read which mart, when, with which filters, and how many rows',
  usage: 'nhs-flows api-usage [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--client C] [--summary] [--json]',
  options: {
    since: { type: 'string', description: 'first day (UTC, default today)' },
    until: { type: 'string', description: 'last day (UTC, default today)' },
    client: { type: 'string', description: 'only this client' },
    summary: { type: 'boolean', description: 'one line per client: requests, refusals, rows' },
    json: { type: 'boolean', description: 'print the records as JSON' },
  },
  run: async (args, io) => {
    const parsed = usageArgsSchema.safeParse(args.values);
    if (!parsed.success) {
      io.err(
        `api-usage: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
      return 2;
    }
    const today = new Date().toISOString().slice(0, 10);
    const since = new Date(`${parsed.data.since ?? today}T00:00:00Z`);
    const until = new Date(`${parsed.data.until ?? today}T00:00:00Z`);
    const env = await openLocalEnvironment();
    try {
      const { pipeline } = await services();
      const records = (await readUsage(pipeline.lake, { since, until })).filter(
        (r) => parsed.data.client === undefined || r.client === parsed.data.client,
      );
      if (parsed.data.json) io.out(JSON.stringify(records, null, 2));
      else if (parsed.data.summary) for (const line of usageSummary(records)) io.out(line);
      else for (const r of records) io.out(usageLine(r));
      return 0;
    } finally {
      try {
        await resetServices();
      } finally {
        await env.stop();
      }
    }
  },
};

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const usageArgsSchema = z.object({
  since: day.optional(),
  until: day.optional(),
  client: z.string().optional(),
  summary: z.boolean().optional(),
  json: z.boolean().optional(),
});

/** One request: when, who, status, what, filters, rows. */
export function usageLine(r: UsageRecord): string {
  const filters = [
    r.filters.trust ? `trust=${r.filters.trust.join(',')}` : '',
    r.filters.from ? `from=${r.filters.from}` : '',
    r.filters.to ? `to=${r.filters.to}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `${r.at}  ${r.client} (${r.method})  ${r.status}  ${r.project}/${r.mart}  ${r.format}  rows ${r.rows}${filters ? `  ${filters}` : ''}`;
}

/** Per client: requests, refused (4xx), rows returned. */
export function usageSummary(records: readonly UsageRecord[]): string[] {
  const by = new Map<string, { requests: number; refused: number; rows: number }>();
  for (const r of records) {
    const s = by.get(r.client) ?? { requests: 0, refused: 0, rows: 0 };
    s.requests += 1;
    if (r.status >= 400) s.refused += 1;
    s.rows += r.rows;
    by.set(r.client, s);
  }
  return [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([client, s]) => `${client}  requests ${s.requests}  refused ${s.refused}  rows ${s.rows}`);
}

import { z } from 'zod';
import { lakePaths } from '../../../domain/lake/lake-paths.js';
import type { ObjectStore } from '../../ports/object-store.port.js';

/**
 * The data API's usage log (docs/api.md, "Usage log"): one small JSON object per answered request
 * of an authenticated client, in the audit container under `data-api-usage/<yyyy>/<mm>/<dd>/`,
 * create-only. Who (client, how it authenticated, the calling app or user object id on Entra ID),
 * what (project, mart, filters, format, page), when, the status and how many rows were returned;
 * never a row's values. One object per request needs no coordination between Function instances;
 * a day is listed by its prefix.
 */
export const usageRecordSchema = z
  .object({
    at: z.iso.datetime(),
    requestId: z.string().regex(/^[A-Za-z0-9_.=-]{1,64}$/),
    client: z.string(),
    method: z.enum(['api-key', 'entra-id']),
    principal: z.string().max(128),
    project: z.string().max(64),
    mart: z.string().max(128),
    filters: z.object({
      trust: z.array(z.string()).optional(),
      from: z.string().optional(),
      to: z.string().optional(),
    }),
    format: z.enum(['json', 'csv']),
    offset: z.number().int().min(0),
    limit: z.number().int().min(0),
    status: z.number().int(),
    rows: z.number().int().min(0),
    durationMs: z.number().int().min(0),
  })
  .strict();
export type UsageRecord = z.infer<typeof usageRecordSchema>;

/** Writes one usage record (validated first: a record that does not fit is a bug, not written). */
export async function recordUsage(lake: ObjectStore, record: UsageRecord): Promise<void> {
  const parsed = usageRecordSchema.parse(record);
  await lake.put(
    'audit',
    lakePaths.dataApiUsage(new Date(parsed.at), parsed.requestId),
    JSON.stringify(parsed),
    {
      ifNoneMatch: '*',
      contentType: 'application/json',
    },
  );
}

/** Usage records of the days from `since` to `until` (inclusive, UTC), oldest first. */
export async function readUsage(
  lake: ObjectStore,
  range: { readonly since: Date; readonly until: Date },
): Promise<UsageRecord[]> {
  const records: UsageRecord[] = [];
  const day = new Date(
    Date.UTC(range.since.getUTCFullYear(), range.since.getUTCMonth(), range.since.getUTCDate()),
  );
  for (; day <= range.until; day.setUTCDate(day.getUTCDate() + 1)) {
    const names: string[] = [];
    for await (const object of lake.list('audit', lakePaths.dataApiUsageDayPrefix(day)))
      names.push(object.path);
    for (const name of names.sort()) {
      const body = await lake.get('audit', name);
      if (!body) continue;
      const parsed = usageRecordSchema.safeParse(JSON.parse(body.toString('utf8')));
      if (parsed.success) records.push(parsed.data);
    }
  }
  return records.sort((a, b) => a.at.localeCompare(b.at));
}

import type { SecretStore } from '../../../shared/application/ports/secret-store.port.js';
import type { Warehouse } from '../../../shared/application/ports/warehouse.port.js';
import { dataApiCatalogue, type DataApiCatalogue } from '../../../shared/domain/data-api/api-clients.js';
import { parsePublishedTable } from '../../../shared/domain/disclosure/published-table.js';
import type { GoldTable } from '../../../shared/domain/gold/gold-tables.js';
import type { ProjectId } from '../../../shared/domain/pseudonymise/projects.js';

/** Hand-built marts for the data API's unit tests: one published per project, one restricted. */
const col = (name: string, type: 'string' | 'int') => ({ name, type, nullable: false }) as const;

export const ADMISSIONS: GoldTable = {
  name: 'admissions_trust_month',
  kind: 'mart',
  key: [],
  access: 'published',
  description: 'admissions by trust and month',
  columns: [
    col('provider_code', 'string'),
    col('period', 'string'),
    col('elective', 'int'),
    col('emergency', 'int'),
    col('note', 'string'),
  ],
};
export const ADMISSIONS_PUBLISHED = parsePublishedTable({
  name: ADMISSIONS.name,
  columns: [
    { role: 'dimension', name: 'provider_code', type: 'code' },
    { role: 'dimension', name: 'period', type: 'month' },
    { role: 'count', name: 'elective' },
    { role: 'count', name: 'emergency' },
    { role: 'context', name: 'note', reason: 'free text label of the row, not about individuals' },
  ],
});
export const ATTENDANCES: GoldTable = { ...ADMISSIONS, name: 'attendances_trust_month' };
export const ATTENDANCES_PUBLISHED = parsePublishedTable({ ...ADMISSIONS_PUBLISHED, name: ATTENDANCES.name });
export const ROW_LEVEL: GoldTable = {
  ...ADMISSIONS,
  name: 'spells_row_level',
  access: 'restricted',
  columns: [col('person_id', 'string'), col('admission_date', 'string')],
};

export function testCatalogue(rateLimitPerMinute = 60): DataApiCatalogue {
  return dataApiCatalogue(
    [
      {
        id: 'careflow' as ProjectId,
        publishedMarts: [ADMISSIONS.name, ROW_LEVEL.name],
        apiClients: [{ name: 'careflow-analytics', rateLimitPerMinute }],
      },
      {
        id: 'community360' as ProjectId,
        publishedMarts: [ATTENDANCES.name],
        apiClients: [{ name: 'community360-analytics', rateLimitPerMinute }],
      },
    ],
    [ADMISSIONS, ATTENDANCES, ROW_LEVEL],
    { [ADMISSIONS.name]: ADMISSIONS_PUBLISHED, [ATTENDANCES.name]: ATTENDANCES_PUBLISHED },
  );
}

/**
 * Exact rows as the warehouse gives them (text): every count from 0 to 40 appears, so a response
 * that leaked an exact small count would show one. `note` carries formula-like text.
 */
export function exactRows(): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const trusts = ['RRK', 'RQ3', 'RM1'];
  const months = ['2025-01', '2025-02', '2025-03', '2025-04'];
  let n = 0;
  for (const provider_code of trusts)
    for (const period of months) {
      rows.push({
        provider_code,
        period,
        elective: String(n % 41),
        emergency: String((n * 7 + 3) % 41),
        note: n === 0 ? '=HYPERLINK("http://x")' : n === 1 ? '+1 more, "quoted"' : `row ${n}`,
      });
      n += 1;
    }
  return rows;
}

/** A warehouse that answers every query with `rows` and records the SQL. */
export function fakeWarehouse(
  rows: Record<string, unknown>[],
): Warehouse & { sql: string[]; rows: Record<string, unknown>[] } {
  const sql: string[] = [];
  return {
    sql,
    rows,
    ensureSchema: async () => undefined,
    load: async () => {
      throw new Error('not used');
    },
    resolveReferences: async () => [],
    query: async (text: string) => {
      sql.push(text);
      return rows.map((r) => ({ ...r }));
    },
    close: async () => undefined,
  };
}

/** An in-memory secret store that can be written. */
export function memorySecrets(): SecretStore & { setSecret(name: string, value: string): Promise<string> } {
  const values = new Map<string, string[]>();
  const notFound = (name: string) =>
    Object.assign(new Error(`secret ${name} not found`), { code: 'SECRET_NOT_FOUND' });
  return {
    getSecret: async (name) => {
      const v = values.get(name);
      if (!v) throw notFound(name);
      return v[v.length - 1]!;
    },
    getSecretVersion: async (name, version) => {
      const v = values.get(name)?.[Number(version.slice(1)) - 1];
      if (v === undefined) throw notFound(name);
      return v;
    },
    currentVersion: async (name) => `v${values.get(name)?.length ?? 0}`,
    setSecret: async (name, value) => {
      const v = values.get(name) ?? [];
      v.push(value);
      values.set(name, v);
      return `v${v.length}`;
    },
  };
}

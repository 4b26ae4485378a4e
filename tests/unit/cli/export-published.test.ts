import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Warehouse } from '../../../shared/application/ports/warehouse.port.js';
import { writeTableCsv } from '../../../shared/cli/export.command.js';
import { WAREHOUSE_TABLES } from '../../../shared/domain/gold/table-access.js';
import { PUBLISHED_MARTS } from '../../../shared/domain/disclosure/published-marts.js';

// A published table leaves `nhs-flows export` (and the running host's read endpoint, which calls
// the same writer) disclosure-controlled: the warehouse holds exact counts, the CSV does not.

/** A warehouse that answers every query with the given rows, as text (as the export's SELECT casts them). */
function warehouseOf(rows: Record<string, string>[]): Warehouse {
  return {
    ensureSchema: async () => undefined,
    query: async () => rows.map((r) => ({ ...r })),
  } as unknown as Warehouse;
}

const trustMonth = (provider: string, period: string, counts: number[]): Record<string, string> => {
  const [spells, emergency, episodes, mh, persons] = counts.map(String);
  return {
    provider_code: provider,
    period,
    spells_admitted: spells!,
    emergency_spells_admitted: emergency!,
    episodes_started: episodes!,
    mh_referrals_received: mh!,
    persons: persons!,
  };
};

async function exported(rows: Record<string, string>[], limit?: number): Promise<string[][]> {
  const lines: string[] = [];
  assert.equal(
    await writeTableCsv(warehouseOf(rows), 'fact_activity_trust_month', limit, (l) => lines.push(l)),
    true,
  );
  return lines.map((l) => l.split(','));
}

test('every published table has a disclosure-control declaration', () => {
  for (const table of WAREHOUSE_TABLES.filter((t) => t.access === 'published'))
    assert.ok(PUBLISHED_MARTS[table.name], `${table.name} is published without a declaration`);
});

test('a published mart is exported with 1-7 as *, 0 as 0 and the rest rounded to the nearest 5', async () => {
  const [header, ...rows] = await exported([
    trustMonth('RXT', '2026-04', [0, 3, 8, 12, 13]),
    trustMonth('RYW', '2026-04', [120, 7, 1, 64, 101]),
  ]);
  assert.deepEqual(header, [
    'provider_code',
    'period',
    'spells_admitted',
    'emergency_spells_admitted',
    'episodes_started',
    'mh_referrals_received',
    'persons',
  ]);
  assert.deepEqual(rows, [
    ['RXT', '2026-04', '0', '*', '10', '10', '15'],
    ['RYW', '2026-04', '120', '*', '*', '65', '100'],
  ]);
});

test('--limit cuts the disclosure-controlled rows, never the rows suppression looks across', async () => {
  const all = await exported([
    trustMonth('RXT', '2026-04', [2, 2, 2, 2, 2]),
    trustMonth('RYW', '2026-04', [9, 9, 9, 9, 9]),
  ]);
  const one = await exported(
    [trustMonth('RXT', '2026-04', [2, 2, 2, 2, 2]), trustMonth('RYW', '2026-04', [9, 9, 9, 9, 9])],
    1,
  );
  assert.deepEqual(one, all.slice(0, 2));
  assert.ok(
    one.flat().every((cell) => !/^[1-7]$/.test(cell)),
    'no count from 1 to 7 is shown',
  );
});

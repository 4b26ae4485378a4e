import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Warehouse } from '../../../shared/application/ports/warehouse.port.js';
import { writeTableCsv } from '../../../shared/cli/export.command.js';
import { WAREHOUSE_TABLES } from '../../../shared/domain/gold/table-access.js';
import {
  PUBLISHED_ACTIVITY_TRUST_MONTH,
  PUBLISHED_MARTS,
} from '../../../shared/domain/disclosure/published-marts.js';
import { materialisePublishedMart } from '../../../shared/domain/disclosure/published-storage.js';

// A published mart is stored disclosure-controlled by the marts refresh (materialisePublishedMart),
// every value as text; `nhs-flows export` (and the running host's read endpoint, which calls the
// same writer) prints it as stored: no count from 1 to 7 reaches the CSV, and reading it does not
// disclosure-control it a second time into something else.

/** A warehouse that answers every query with the given rows, as text (as the export's SELECT casts them). */
function warehouseOf(rows: Record<string, string | null>[]): Warehouse {
  return {
    ensureSchema: async () => undefined,
    query: async () => rows.map((r) => ({ ...r })),
  } as unknown as Warehouse;
}

const trustMonth = (provider: string, period: string, counts: number[]) => {
  const [spells, emergency, episodes, mh, persons, discharged] = counts;
  return {
    provider_code: provider,
    period,
    spells_admitted: spells!,
    emergency_spells_admitted: emergency!,
    episodes_started: episodes!,
    mh_referrals_received: mh!,
    persons: persons!,
    spells_discharged: discharged!,
    spell_cost_gbp: '12345.67',
  };
};

/** The mart as the refresh stores it, from exact rows. */
const stored = (rows: ReturnType<typeof trustMonth>[]) =>
  materialisePublishedMart(PUBLISHED_ACTIVITY_TRUST_MONTH, rows).rows;

async function exported(rows: Record<string, string | null>[], limit?: number): Promise<string[][]> {
  const lines: string[] = [];
  assert.equal(
    await writeTableCsv(warehouseOf(rows), 'pub_activity_trust_month', limit, (l) => lines.push(l)),
    true,
  );
  return lines.map((l) => l.split(','));
}

test('every published table has a disclosure-control declaration', () => {
  for (const table of WAREHOUSE_TABLES.filter((t) => t.access === 'published'))
    assert.ok(PUBLISHED_MARTS[table.name], `${table.name} is published without a declaration`);
});

test('a published mart is exported as stored: 1-7 as *, 0 as 0 and the rest rounded to the nearest 5', async () => {
  const [header, ...rows] = await exported(
    stored([
      trustMonth('RXT', '2026-04', [0, 3, 8, 12, 13, 9]),
      trustMonth('RYW', '2026-04', [120, 7, 1, 64, 101, 5]),
    ]),
  );
  assert.deepEqual(header, [
    'provider_code',
    'period',
    'spells_admitted',
    'emergency_spells_admitted',
    'episodes_started',
    'mh_referrals_received',
    'persons',
    'spells_discharged',
    'spell_cost_gbp',
  ]);
  assert.deepEqual(rows, [
    ['RXT', '2026-04', '0', '*', '10', '10', '15', '10', '12345.67'],
    // The cost over fewer than 8 discharged spells is suppressed with them.
    ['RYW', '2026-04', '120', '*', '*', '65', '100', '*', '*'],
  ]);
});

test('--limit cuts the stored rows, never the rows suppression looked across', async () => {
  const rows = stored([
    trustMonth('RXT', '2026-04', [2, 2, 2, 2, 2, 2]),
    trustMonth('RYW', '2026-04', [9, 9, 9, 9, 9, 9]),
  ]);
  const all = await exported(rows);
  const one = await exported(rows, 1);
  assert.deepEqual(one, all.slice(0, 2));
  assert.ok(
    all.flat().every((cell) => !/^[1-7]$/.test(cell)),
    'no count from 1 to 7 is shown',
  );
});

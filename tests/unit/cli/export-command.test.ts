import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Warehouse } from '../../../shared/application/ports/warehouse.port.js';
import type { CliIo } from '../../../shared/cli/cli-io.js';
import { writeTableCsv } from '../../../shared/cli/export.command.js';
import { main } from '../../../shared/cli/main.js';
import { WAREHOUSE_TABLES } from '../../../shared/domain/gold/table-access.js';
import { PUBLISHED_MARTS } from '../../../shared/domain/disclosure/published-marts.js';

// The checks `nhs-flows export` makes before it opens anything: none of these runs need a lake or
// a warehouse (a run that got past them would fail here for want of one).

function capture(): CliIo & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (l) => out_.push(l), err: (l) => err_.push(l) };
}

test('export --list prints one line per warehouse table: name, published or restricted, description', async () => {
  const io = capture();
  assert.equal(await main(['export', '--list'], io), 0);
  assert.deepEqual(io.err_, []);
  assert.equal(io.out_.length, WAREHOUSE_TABLES.length);
  WAREHOUSE_TABLES.forEach((table, i) => {
    const [name, access, ...description] = (io.out_[i] ?? '').split(/\s{2,}/);
    assert.equal(name, table.name);
    assert.equal(access, table.access);
    assert.equal(description.join('  '), table.description);
  });
  for (const name of ['dim_patient', 'fact_activity', 'pub_activity_trust_month', 'dq_scorecard'])
    assert.ok(
      io.out_.some((l) => l.startsWith(`${name} `)),
      name,
    );
});

test('every restricted table is refused without --restricted, naming the flag and why, exit 2', async () => {
  const restricted = WAREHOUSE_TABLES.filter((t) => t.access === 'restricted');
  assert.ok(restricted.length > 0);
  for (const table of restricted) {
    const io = capture();
    assert.equal(await main(['export', table.name], io), 2, table.name);
    assert.deepEqual(io.out_, [], 'nothing on stdout');
    assert.equal(io.err_.length, 1);
    assert.match(
      io.err_[0] ?? '',
      new RegExp(
        `^export: ${table.name} is restricted \\((row-level: .+|not yet disclosure-controlled)\\); pass --restricted to export it, which is recorded in the audit trail$`,
      ),
    );
  }
});

test('bad export arguments are refused with what was expected, exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['export'], /^export: name a table to export \(nhs-flows export --list names them\)$/],
    [['export', '--list', 'dq_scorecard'], /^export: --list takes no table name$/],
    [
      ['export', 'dq_scorecard', 'fact_activity'],
      /^export: one table at a time; received dq_scorecard, fact_activity$/,
    ],
    [
      ['export', 'dq_scorecard', '--limit', 'ten'],
      /^export: --limit expects a whole number, received 'ten'$/,
    ],
    [['export', 'dq_scorecard', '--limit=-1'], /^export: --limit expects a whole number, received '-1'$/],
    [
      ['export', 'fact_nonsense'],
      /^export: unknown table 'fact_nonsense'; expected one of dim_patient, fact_activity, .*dq_scorecard, pub_.* \(nhs-flows export --list\)$/,
    ],
  ];
  for (const [argv, message] of cases) {
    const io = capture();
    assert.equal(await main(argv, io), 2, argv.join(' '));
    assert.deepEqual(io.out_, []);
    assert.match(io.err_.join('\n'), message, argv.join(' '));
  }
});

test('every cell of every exportable table goes through the formula escaping, and a mart is ordered by all its columns', async () => {
  for (const table of WAREHOUSE_TABLES) {
    const queries: string[] = [];
    // A published table is stored disclosure-controlled: its measures are counts as stored (10),
    // shown as numbers; every other cell carries the payload.
    const published = table.access === 'published' ? PUBLISHED_MARTS[table.name] : undefined;
    const counted = new Set(
      (published?.columns ?? [])
        .filter((c) => c.role !== 'dimension' && c.role !== 'context')
        .map((c) => c.name),
    );
    const payload = Object.fromEntries(
      table.columns.map((c) => [c.name, counted.has(c.name) ? '10' : `=cmd|' /C calc'!${c.name}`]),
    );
    const warehouse = {
      ensureSchema: async () => undefined,
      query: async (sql: string) => {
        queries.push(sql);
        // Two rows (distinct in their first column: an aggregate has one row per dimension value).
        const first = table.columns[0]!.name;
        return [payload, { ...payload, [first]: `${String(payload[first])}x` }];
      },
    } as unknown as Warehouse;
    const lines: string[] = [];
    assert.equal(await writeTableCsv(warehouse, table.name, undefined, (l) => lines.push(l)), true);
    assert.equal(lines[0], table.columns.map((c) => c.name).join(','), table.name);
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      assert.equal(cells.length, table.columns.length, table.name);
      cells.forEach((cell, i) =>
        counted.has(table.columns[i]!.name)
          ? assert.match(cell, /^(10|100)$/, table.name)
          : assert.match(cell, /^"'=cmd\|' \/C calc'![a-z_0-9]+"$/, table.name),
      );
    }
    const order = (table.key.length > 0 ? table.key : table.columns.map((c) => c.name))
      .map((k) => `"${k}"`)
      .join(', ');
    assert.ok(queries[0]?.endsWith(`ORDER BY ${order}`), `${table.name}: ${queries[0] ?? ''}`);
  }
});

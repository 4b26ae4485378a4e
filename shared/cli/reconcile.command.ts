import { resetServices, services } from '../../functions/composition-root.js';
import {
  capturedSources,
  reconcileLayers,
  type ReconciliationReport,
} from '../application/use-cases/reconcile/reconcile-layers.use-case.js';
import { SOURCE_TABLE_NAMES, type SourceTableName } from '../domain/datasets/source-tables.js';
import type { CliCommand } from './cli-io.js';
import { runningHost } from './host-lock.js';
import { localSettings, openLocalEnvironment } from './local-environment.js';

/**
 * `nhs-flows reconcile`: source-to-gold reconciliation on demand (docs/reconciliation.md): exit 0
 * when every layer agrees, 1 when any table, period and key range differs.
 */
export const reconcileCommand: CliCommand = {
  name: 'reconcile',
  summary: 'compare source, silver, gold and the warehouse per table and period (exit 1 on any difference)',
  usage: 'nhs-flows reconcile [--table T] [--json]',
  options: {
    table: { type: 'string', description: 'only this source table (default: every captured table)' },
    json: { type: 'boolean', description: 'print the report as JSON' },
  },
  run: async (args, io) => {
    const table = args.values.table;
    if (table !== undefined && !(SOURCE_TABLE_NAMES as readonly unknown[]).includes(table)) {
      io.err(`nhs-flows reconcile: --table must be one of ${SOURCE_TABLE_NAMES.join(', ')}`);
      return 2;
    }
    const { dataDir } = localSettings();
    const host = runningHost(dataDir);
    if (host) {
      io.err(
        `nhs-flows reconcile: a local host runs in ${dataDir} (pid ${host.pid}) and holds the warehouse open; stop it first (the host runs the reconciliation on NHSFLOWS_RECONCILE_SCHEDULE)`,
      );
      return 1;
    }
    const env = await openLocalEnvironment();
    try {
      const s = await services();
      const capture = await s.capture();
      const captured = capturedSources(capture.tables);
      const tables: readonly SourceTableName[] =
        table !== undefined ? [table as SourceTableName] : captured.tables;
      const report = await reconcileLayers(
        { tables, captures: captured.captures },
        { ...s.pipeline, source: capture.deps.source },
      );
      io.out(args.values.json === true ? JSON.stringify(report, null, 2) : renderReconciliation(report));
      return report.differences.length > 0 ? 1 : 0;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

/** One line per table (counts per layer and how they add up), then every difference with its key ranges. */
export function renderReconciliation(report: ReconciliationReport): string {
  const lines: string[] = [];
  for (const t of report.tables) {
    const gold = Object.entries(t.counts.gold)
      .map(([g, n]) => `${g} ${n}`)
      .join(', ');
    const wh = Object.entries(t.counts.warehouse)
      .map(([g, n]) => `${g} ${n}`)
      .join(', ');
    lines.push(
      `${t.table}: source ${t.counts.source} = silver ${t.counts.silverFromSource} + quarantined ${t.counts.quarantined}` +
        `${t.counts.source === t.counts.silverFromSource + t.counts.quarantined ? '' : ' (does not add up)'}` +
        `; silver from files ${t.counts.silverFromFiles}; gold ${gold || '-'}; warehouse ${wh || '-'}; ${t.periods} periods`,
    );
  }
  if (report.differences.length === 0)
    lines.push('', 'every table reconciles: source, silver, gold and the warehouse agree');
  else {
    lines.push('', `${report.differences.length} difference(s):`);
    for (const d of report.differences) {
      const where = d.goldTable ? `${d.hop} (${d.goldTable})` : d.hop;
      lines.push(
        `  ${d.table} ${where} period ${d.period}: expected ${d.expected.count} records (checksum ${d.expected.checksum}), found ${d.actual.count} (checksum ${d.actual.checksum})`,
      );
      for (const r of d.ranges)
        lines.push(
          `    keys from ${r.from ?? '(start)'} to ${r.to ?? '(end)'} (exclusive): expected ${r.expected}, found ${r.actual}`,
        );
    }
  }
  if (report.unrunBronzeBatches.length > 0) {
    lines.push(
      '',
      `${report.unrunBronzeBatches.length} bronze batch(es) no batch finished or failed with (no manifest, no ledger row; a day old or more). Their rows are covered by source→silver above; the objects still hold identifiable rows in bronze:`,
    );
    for (const b of report.unrunBronzeBatches) lines.push(`  ${b.table} bronze/${b.path} (${b.bytes} bytes)`);
  }
  lines.push('', `report: gold/${report.reportPath}`);
  return lines.join('\n');
}

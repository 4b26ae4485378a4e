import { resetServices, services } from '../../functions/composition-root.js';
import {
  traceGoldRow,
  type GoldRowLineage,
} from '../application/use-cases/lineage/trace-gold-row.use-case.js';
import { InputError } from '../domain/errors.js';
import type { CliCommand } from './cli-io.js';
import { runningHost } from './host-lock.js';
import { localSettings, openLocalEnvironment } from './local-environment.js';

/**
 * `nhs-flows lineage <table> <key>`: where a gold row came from (docs/lineage.md): gold file and
 * batch → silver file → bronze object and line → source table and key, or landing file and row.
 */
export const lineageCommand: CliCommand = {
  name: 'lineage',
  summary: 'trace a gold row back through silver and bronze to its source key or landing file row',
  usage: 'nhs-flows lineage <table> <key> [--json]   (key: the gold table key, e.g. an activity_id)',
  options: { json: { type: 'boolean', description: 'print the chain as JSON' } },
  run: async (args, io) => {
    const [table, key] = args.positionals;
    if (!table || !key) {
      io.err(`nhs-flows lineage: expected <table> <key>\n\nusage: ${lineageCommand.usage}`);
      return 2;
    }
    const { dataDir } = localSettings();
    const host = runningHost(dataDir);
    if (host) {
      io.err(
        `nhs-flows lineage: a local host runs in ${dataDir} (pid ${host.pid}) and holds the warehouse open; stop it first`,
      );
      return 1;
    }
    const env = await openLocalEnvironment();
    try {
      const { pipeline } = await services();
      let traced;
      try {
        traced = await traceGoldRow(table, key, pipeline);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        io.err(`nhs-flows lineage: ${error.message}`);
        return 2;
      }
      if (!traced) {
        io.err(`nhs-flows lineage: ${table} holds no row with key ${key}`);
        return 3;
      }
      io.out(args.values.json === true ? JSON.stringify(traced, null, 2) : renderLineage(traced));
      return 0;
    } finally {
      await resetServices();
      await env.stop();
    }
  },
};

/** The chain, one hop a line, from gold back to where the record entered. */
export function renderLineage(l: GoldRowLineage): string {
  return [
    `gold       ${l.gold.table} ${l.gold.key}: batch ${l.gold.batchId}, ${l.gold.files.map((f) => `gold/${f}`).join(', ') || '(change-set file not found)'}`,
    `silver     ${l.silver.files.map((f) => `silver/${f}`).join(', ') || '(not found)'}${l.silver.batchId ? ` (batch ${l.silver.batchId})` : ''}`,
    `bronze     ${l.bronze.path ? `bronze/${l.bronze.path}` : '(no lineage recorded for the batch)'}${l.bronze.line ? ` line ${l.bronze.line}` : ''} (batch ${l.bronze.batchId})`,
    l.origin.kind === 'source'
      ? `source     ${l.origin.table} ${l.origin.keyColumns.join('|')} = ${l.origin.key}`
      : `landing    ${l.origin.file} (${l.origin.table})${l.origin.row ? ` row ${l.origin.row}` : ''}`,
  ].join('\n');
}

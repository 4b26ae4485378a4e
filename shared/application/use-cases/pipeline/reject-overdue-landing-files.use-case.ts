import { LandingFileRejectedError } from '../../../domain/errors.js';
import { LANDING_EVENTS } from '../../../domain/landing/landing-blob.js';
import { LANDING_MANIFEST_POLICY, type ManifestPolicy } from '../../../domain/landing/landing-policy.js';
import {
  sourceTable,
  SOURCE_TABLE_NAMES,
  type SourceTableName,
} from '../../../domain/datasets/source-tables.js';
import { reportRejectedFile } from './batch-ledger.use-case.js';
import {
  LANDING_REGISTER_TABLE,
  quarantineRejectedFile,
  recordLandingFile,
  type LandingRegisterEntry,
} from './landing-register.js';
import type { PipelineDeps } from './pipeline-deps.js';

/**
 * The manifest sweep (a timer): every landing file still `awaiting-manifest` past its deadline is
 * rejected whole with FILE.MANIFEST_MISSING (poison queue, ledger, a quarantine record, the
 * `nhsflows.landing.integrityFailed` alert). The file stays in landing: a manifest that comes later
 * still loads it (ADR 0015). Returns the batch ids rejected.
 */
export async function rejectOverdueLandingFiles(
  deps: PipelineDeps & { readonly manifestPolicy?: Readonly<Record<SourceTableName, ManifestPolicy>> },
): Promise<string[]> {
  const policy = deps.manifestPolicy ?? LANDING_MANIFEST_POLICY;
  const now = deps.clock.now().toISOString();
  const rejected: string[] = [];
  await deps.state.ensureTables([LANDING_REGISTER_TABLE]);
  for (const table of SOURCE_TABLE_NAMES) {
    if (policy[table] !== 'required') continue;
    const overdue: { batchId: string; entry: LandingRegisterEntry }[] = [];
    for await (const e of deps.state.list(LANDING_REGISTER_TABLE, table)) {
      const entry = e.value as unknown as LandingRegisterEntry;
      if (entry.status === 'awaiting-manifest' && (entry.manifestDeadline ?? '') <= now)
        overdue.push({ batchId: e.rowKey, entry });
    }
    for (const { batchId, entry } of overdue) {
      const spec = sourceTable(table);
      const error = new LandingFileRejectedError(
        'FILE.MANIFEST_MISSING',
        entry.origin,
        `${table} requires a supplier manifest (${entry.origin}.manifest.json) and none arrived within ${deps.settings.NHSFLOWS_LANDING_MANIFEST_WAIT_MINUTES} minutes; the file stays in landing and loads when its manifest comes`,
      );
      // The rejection id of a file is `landing-<content id>`, its batch id `<table>-file-<content id>`.
      const rejectionId = `landing-${batchId.slice(`${table}-file-`.length)}`;
      await reportRejectedFile(
        { rejectionId, file: entry.origin, table, code: error.code, reason: error.message },
        deps,
      );
      await quarantineRejectedFile(deps.lake, spec, rejectionId, entry.origin, error);
      deps.telemetry.event(LANDING_EVENTS.integrityFailed, { rejectionId, table, code: error.code });
      await recordLandingFile(deps.state, table, batchId, { ...entry, status: 'manifest-missing' });
      rejected.push(batchId);
    }
  }
  return rejected;
}

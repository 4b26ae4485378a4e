import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { embeddedMhsdsSubmissionSource } from '../adapters/local/embedded-source/embedded-mhsds-submission-source.js';
import { openEmbeddedSource } from '../adapters/local/embedded-source/embedded-source.js';
import { systemClock } from '../application/ports/clock.port.js';
import { silentLogger } from '../application/ports/logger.port.js';
import {
  applyMhsdsSubmission,
  isMhsdsSubmissionTable,
} from '../application/use-cases/mhsds/apply-mhsds-submission.use-case.js';
import { parseMhsdsSubmissionFile } from '../domain/datasets/mhsds/mhsds-submission-file.js';
import { SOURCE_TABLE_NAMES } from '../domain/datasets/source-tables.js';
import type { CliCommand } from './cli-io.js';
import { runningHost } from './host-lock.js';
import { localSettings } from './local-environment.js';
import { SOURCE_FILE } from './seed-source.js';

const SUBMISSION_TABLES = SOURCE_TABLE_NAMES.filter((t) => isMhsdsSubmissionTable(t));

/**
 * `nhs-flows mhsds submit <file.ndjson> --table T`: applies one provider's MHSDS submission of one
 * table for one month to the embedded source. A resubmission of a month replaces that
 * provider-month's records (ADR 0012); the next capture (`nhs-flows start`, or the running host's
 * poller) carries the inserts, updates and deletes through silver, gold and the warehouse, where
 * the replaced submission stays as history. Prints counts and ids, never a value.
 */
export const mhsdsCommand: CliCommand = {
  name: 'mhsds',
  summary:
    "apply a provider's MHSDS monthly submission or resubmission (one table, one month) to the embedded source",
  usage: `nhs-flows mhsds submit <file.ndjson> --table <${SUBMISSION_TABLES.join('|')}> [--json]`,
  options: {
    table: { type: 'string', description: 'the MHSDS table the file holds rows of' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  run: async (args, io) => {
    const [action, file] = args.positionals;
    if (action !== 'submit' || !file) {
      io.err(`nhs-flows mhsds: expected submit <file.ndjson>\n\nusage: ${mhsdsCommand.usage}`);
      return 2;
    }
    const table = args.values.table;
    if (typeof table !== 'string' || !isMhsdsSubmissionTable(table)) {
      io.err(`nhs-flows mhsds: --table must be one of ${SUBMISSION_TABLES.join(', ')}`);
      return 2;
    }
    const submission = parseMhsdsSubmissionFile(file, table, await readFile(file, 'utf8'));
    const { dataDir } = localSettings();
    const host = runningHost(dataDir);
    if (host) {
      io.err(
        `nhs-flows mhsds: a local host runs in ${dataDir} (pid ${host.pid}) and holds the source open; stop it, submit, then start it again`,
      );
      return 1;
    }
    const path = join(dataDir, SOURCE_FILE);
    if (!existsSync(path)) {
      io.err(`nhs-flows mhsds: no embedded source in ${dataDir} yet; run nhs-flows start once first`);
      return 1;
    }
    const source = await openEmbeddedSource({ path, clock: systemClock });
    try {
      const result = await applyMhsdsSubmission(
        { source: embeddedMhsdsSubmissionSource(source), logger: silentLogger },
        submission,
      );
      io.out(
        args.values.json === true
          ? JSON.stringify(result, null, 2)
          : [
              `${result.table}: submission ${result.uniqSubmissionId} of provider ${submission.providerCode}, UniqMonthID ${result.uniqMonthId}: ${result.outcome}`,
              `  ${result.inserted} inserted, ${result.updated} updated, ${result.deleted} deleted at the source`,
              result.outcome === 'applied'
                ? '  the next capture (nhs-flows start, or the running host on its schedule) carries them to the warehouse; the replaced submission stays in silver as history'
                : '  nothing changed: a later submission of this provider-month is already applied',
            ].join('\n'),
      );
      return 0;
    } finally {
      await source.close();
    }
  },
};

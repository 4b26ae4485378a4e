import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { MemoryObjectStore } from '../../shared/adapters/memory/memory-object-store.js';
import { fixedClock } from '../../shared/application/ports/clock.port.js';
import { recordAudit } from '../../shared/application/use-cases/audit/audit-trail.js';
import { captureTables } from '../../shared/application/use-cases/poll-sources.use-case.js';
import { readWorkRecords } from '../../shared/application/use-cases/pipeline/work-files.js';
import { NhsFlowsError } from '../../shared/domain/errors.js';

// Issue 10 item 8: failures thrown by use cases carry a stable code (to logs, the ledger and
// alerts): no plain `Error` is constructed under shared/application/use-cases.

const root = join(import.meta.dirname, '..', '..');
const useCases = join(root, 'shared', 'application', 'use-cases');
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') ? [full] : [];
  });
}

test('no use case constructs a plain Error: every failure it throws has a code', () => {
  const found = sources(useCases).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) =>
        /\bnew Error\(/.test(line) ? [`${relative(root, file)}:${i + 1}: ${line.trim()}`] : [],
      ),
  );
  assert.deepEqual(found, []);
});

test('an unknown table in NHSFLOWS_CDC_TABLES is a configuration error naming the setting and the table', () => {
  assert.throws(
    () => captureTables('sus_apc_episode, no_such_table', 100, 0.1),
    (error: unknown) =>
      error instanceof NhsFlowsError &&
      error.code === 'CONFIG_INVALID' &&
      error.message.includes('NHSFLOWS_CDC_TABLES: names unknown tables: no_such_table'),
  );
});

test('a missing work file fails with WORK_FILE_MISSING and its path, so the activity is retried', async () => {
  const lake = new MemoryObjectStore();
  await assert.rejects(
    readWorkRecords(lake, 'work/b-1/0.ndjson'),
    (error: unknown) =>
      error instanceof NhsFlowsError &&
      error.code === 'WORK_FILE_MISSING' &&
      error.message === 'work file bronze/work/b-1/0.ndjson does not exist',
  );
});

test('an audit record written twice is a concurrent update, not an unexplained failure', async () => {
  const deps = { lake: new MemoryObjectStore(), clock: fixedClock('2026-12-01T09:00:00.000Z') };
  const entry = { kind: 'replay', id: 'a-1', actor: 'local:ops', outcome: 'done', details: {} } as const;
  await recordAudit(entry, deps);
  await assert.rejects(
    recordAudit(entry, deps),
    (error: unknown) => error instanceof NhsFlowsError && error.code === 'CONCURRENT_UPDATE',
  );
});

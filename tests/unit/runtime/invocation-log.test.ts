import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import functions, { type InvocationContext } from '@azure/functions';
import {
  invocationLogSink,
  withInvocationLog,
  type InvocationLogLike,
} from '../../../shared/adapters/azure/invocation-log.azure.js';
import { createLogger, type LogRecord } from '../../../shared/application/ports/logger.port.js';
import { observed } from '../../../functions/observed.js';

// Issue 10 item 8: on Azure the app's one logger writes through the Functions InvocationContext
// of the invocation a record belongs to (so App Insights correlates it); outside an invocation
// it falls back to its JSON-lines sink.

function recorder(): InvocationLogLike & { lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (...args: unknown[]) =>
      lines.push(`${level} ${args.map(String).join(' ')}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

test('records written during an invocation go through that invocation’s context at their level', async () => {
  const outside: LogRecord[] = [];
  const logger = createLogger(
    invocationLogSink((r) => outside.push(r)),
    'debug',
    { app: 'nhs-flows' },
  );
  const a = recorder();
  const b = recorder();
  // Two invocations interleaved across awaits: each record lands on its own invocation.
  await Promise.all([
    withInvocationLog(a, async () => {
      logger.info('batch started', { batchId: 'b-1' });
      await delay(5);
      logger.child({ stage: 'gold' }).warn('slow load', { ms: 1200 });
    }),
    withInvocationLog(b, async () => {
      await delay(1);
      logger.error('lake unreachable', { code: 'LAKE_DOWN' });
      logger.debug('retrying');
    }),
  ]);
  logger.info('services built');
  assert.deepEqual(a.lines, [
    'info batch started {"app":"nhs-flows","batchId":"b-1"}',
    'warn slow load {"app":"nhs-flows","stage":"gold","ms":1200}',
  ]);
  assert.deepEqual(b.lines, [
    'error lake unreachable {"app":"nhs-flows","code":"LAKE_DOWN"}',
    'debug retrying {"app":"nhs-flows"}',
  ]);
  assert.deepEqual(
    outside.map((r) => r.message),
    ['services built'],
  );
});

test('every observed registration runs its handler with its InvocationContext as the log target', async () => {
  const logged: unknown[][] = [];
  const context = new functions.InvocationContext({
    functionName: 'status',
    invocationId: 'inv-1',
    logHandler: (level, ...args) => logged.push([level, ...args]),
  });
  const logger = createLogger(
    invocationLogSink(() => assert.fail('logged outside the invocation')),
    'info',
  );
  const handler = observed('status', 'http', async (_request: unknown, _context: InvocationContext) => {
    logger.info('ledger read', { batches: 3 });
    await delay(1);
    logger.warn('ledger partial');
    return { status: 200 };
  });
  await handler({}, context);
  assert.deepEqual(logged, [
    ['information', 'ledger read {"batches":3}'],
    ['warning', 'ledger partial'],
  ]);
});

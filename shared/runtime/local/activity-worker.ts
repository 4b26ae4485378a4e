// A worker thread of the local host: runs durable activities of the real functions/ registrations
// with its own services (see activity-workers.ts). Messages: { id, name, input } → done | failed.
import { getHeapStatistics } from 'node:v8';
import { parentPort, threadId } from 'node:worker_threads';
import { createLogger, type LogRecord } from '../../application/ports/logger.port.js';
import { toError } from '../../domain/errors.js';
import { invokeRegistration, jsonData } from './function-invoker.js';
import { captureRegistrations } from './registration-capture.js';
import { ThreadCpuShare } from './thread-cpu-share.js';

const port = parentPort;
if (!port) throw new Error('activity-worker runs only as a worker thread');
const forward = (record: LogRecord, at: Date) =>
  port.postMessage({
    kind: 'log',
    record: { ...record, fields: { ...record.fields, thread: threadId } },
    at: at.toISOString(),
  });

// The same relative paths from source (tsx) and from dist/.
const root = await import('../../../functions/composition-root.js');
root.routeLogs({ write: () => undefined, observe: forward });
const registry = await captureRegistrations(() => import('../../../functions/index.js'));
const logger = createLogger((record) => forward(record, new Date()), 'info', { app: 'nhs-flows' });
// This thread's CPU, shared among the invocations in flight on it (reported with each result).
const cpu = new ThreadCpuShare();

port.on('message', (message: { id: number; name: string; input: unknown } | { close: true }) => {
  if ('close' in message) {
    void root.resetServices().finally(() => port.close());
    return;
  }
  cpu.start(message.id);
  void (async () => {
    try {
      const reg = registry.get(message.name);
      if (!reg || String(reg.trigger.type).toLowerCase() !== 'activitytrigger')
        throw new Error(`no activity named ${message.name} is registered`);
      const result = await invokeRegistration(
        reg,
        { inputData: { [reg.triggerName]: jsonData(message.input) } },
        logger,
      );
      port.postMessage({
        kind: 'done',
        id: message.id,
        returnValue: result.returnValue ?? null,
        heapBytes: getHeapStatistics().total_heap_size,
        cpuMs: cpu.end(message.id),
      });
    } catch (thrown) {
      const error = toError(thrown);
      const code = (error as { code?: unknown }).code;
      port.postMessage({
        kind: 'failed',
        id: message.id,
        heapBytes: getHeapStatistics().total_heap_size,
        cpuMs: cpu.end(message.id),
        error: {
          name: error.name,
          message: error.message,
          ...(error.stack !== undefined && { stack: error.stack }),
          ...(typeof code === 'string' && { code }),
        },
      });
    }
  })();
});
port.postMessage({ kind: 'ready' });

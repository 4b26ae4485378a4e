// A process that the kill-and-restart tests SIGKILL at a chosen moment. Not a test file.
// Usage: node --import tsx local-event-log.child.ts write <dir>      (publishes until killed, prints "ack N")
//        node --import tsx local-event-log.child.ts consume <dir>    (checkpoints one batch, receives another, prints, waits)
import { LocalEventLog } from '../../../shared/adapters/local/event-log/local-event-log.js';
import { syntheticDelta } from '../../unit/events/synthetic-deltas.js';

const [mode, directory] = process.argv.slice(2);
if (!directory) throw new Error('usage: local-event-log.child.ts write|consume <dir>');
const log = await LocalEventLog.open({ directory });
if (mode === 'write') {
  for (let n = 1; ; n++) {
    await log.publish([syntheticDelta(`EP${String(n % 7).padStart(6, '0')}`, n)]);
    process.stdout.write(`ack ${n}\n`);
  }
} else {
  const consumer = log.consumer('$Default');
  const first = await consumer.receiveBatch('0', { maxEvents: 2, maxWaitMs: 1000 });
  await consumer.checkpoint('0', first.at(-1)!);
  const second = await consumer.receiveBatch('0', { maxEvents: 2, maxWaitMs: 1000 });
  process.stdout.write(
    `checkpointed ${first.at(-1)!.sequenceNumber} received ${second.map((e) => e.sequenceNumber).join(',')}\n`,
  );
  await new Promise(() => undefined);
}

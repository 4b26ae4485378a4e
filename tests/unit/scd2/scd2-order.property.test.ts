import { test } from 'node:test';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store.js';
import { checkDeliveryOrderIndependence } from './scd2-order-property.js';

test('any delivery order, batching and duplication of changes gives the in-order history, valid at every point in time', async () => {
  await checkDeliveryOrderIndependence(
    () => new MemoryStateStore(),
    (run) => `patient${run}`,
    300,
  );
});

import { test } from 'node:test';
import { memoryLakeState } from '../../support/lake-state.js';
import { checkDeliveryOrderIndependence } from './scd2-order-property.js';

test('any delivery order, batching and duplication of changes gives the in-order history, valid at every point in time', async () => {
  await checkDeliveryOrderIndependence(
    () => memoryLakeState(),
    (run) => `patient${run}`,
    300,
  );
});

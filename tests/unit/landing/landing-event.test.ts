import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LANDING_EVENT_SUBSCRIPTION, landingEventOf } from '../../../shared/domain/landing/landing-event.js';

const event = (over: { subject?: string; eventType?: string; api?: string } = {}) => ({
  id: 'e-1',
  topic: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/lake',
  subject: over.subject ?? '/blobServices/default/containers/landing/blobs/sus_apc_episode/2026 11 file.csv',
  eventType: over.eventType ?? 'Microsoft.Storage.BlobCreated',
  eventTime: '2026-12-06T10:00:00Z',
  dataVersion: '',
  metadataVersion: '1',
  data: {
    api: over.api ?? 'PutBlockList',
    url: 'https://lake/landing/x',
    contentLength: 10,
    blobType: 'BlockBlob',
  },
});

test('a BlobCreated event of a committed blob under landing/ names the blob, folders and spaces kept', () => {
  for (const api of LANDING_EVENT_SUBSCRIPTION.apis)
    assert.deepEqual(landingEventOf(event({ api })), {
      kind: 'blob',
      name: 'sus_apc_episode/2026 11 file.csv',
      eventId: 'e-1',
      api,
    });
});

test('events that do not announce a complete landing blob are ignored, each with its reason', () => {
  const cases = [
    [event({ eventType: 'Microsoft.Storage.BlobDeleted' }), /event type/],
    // A Data Lake CreateFile announces an empty file about to be written: its flush comes later.
    [event({ api: 'CreateFile' }), /operation CreateFile/],
    [event({ subject: '/blobServices/default/containers/bronze/blobs/x.csv' }), /not a blob of the landing/],
    [event({ subject: '/blobServices/default/containers/landing' }), /not a blob of the landing/],
  ] as const;
  for (const [input, reason] of cases) {
    const read = landingEventOf(input);
    assert.equal(read.kind, 'ignored');
    assert.match(read.kind === 'ignored' ? read.reason : '', reason);
  }
});

test('something that is not an Event Grid blob event at all is refused, not ignored', () => {
  assert.throws(() => landingEventOf({ subject: 'x' }));
  assert.throws(() => landingEventOf('landing/x.csv'));
  assert.throws(() => landingEventOf({ ...event(), data: {} }));
});

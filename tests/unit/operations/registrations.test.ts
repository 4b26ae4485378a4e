import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureRegistrations } from '../../../shared/runtime/local/registration-capture.js';
import { ACTIVITIES, FUNCTIONS, ORCHESTRATIONS } from '../../../functions/function-names.js';
import { GuardError, InfrastructureError, InputError } from '../../../shared/domain/errors.js';

// The registrations as the Functions host receives them: the local core module captures the metadata
// @azure/functions computes from each app.* call, the retry policy included.
const registry = await captureRegistrations(() => import('../../../functions/index.js'));
// Imported after the capture: a module that loads @azure/functions first would put it in test mode.
const { isDependencyFailure } = await import('../../../functions/observed.js');
const { KEY_FUNCTIONS } = await import('../../../functions/keys.function.js');

test('the timer and Event Hubs registrations declare their retry policies', () => {
  // As JSON (what the worker sends the host): the library's undefined `delayInterval` drops out.
  const retry = (name: string) =>
    JSON.parse(JSON.stringify(registry.get(name)?.metadata.retryOptions ?? null)) as unknown;
  for (const name of ['cdcPoller', 'martsRefresh']) {
    assert.equal(registry.get(name)?.trigger.type, 'timerTrigger');
    assert.deepEqual(retry(name), {
      strategy: 'exponentialBackoff',
      retryStrategy: 'exponentialBackoff',
      maxRetryCount: 3,
      minimumInterval: { seconds: 10 },
      maximumInterval: { seconds: 60 },
    });
  }
  assert.equal(registry.get('cdcConsumer')?.trigger.type, 'eventHubTrigger');
  assert.deepEqual(retry('cdcConsumer'), {
    strategy: 'exponentialBackoff',
    retryStrategy: 'exponentialBackoff',
    maxRetryCount: -1,
    minimumInterval: { seconds: 5 },
    maximumInterval: { seconds: 900 },
  });
});

test('host.json declares no app-wide retry: each policy is on its registration', () => {
  const host = JSON.parse(readFileSync('host.json', 'utf8')) as Record<string, unknown>;
  assert.equal(host.retry, undefined);
});

test('every registration is wrapped so a failed execution reports nhsflows.function.failed', () => {
  // Every module under functions/ (a new registration file is covered without editing this list).
  const text = readdirSync('functions')
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join('functions', f), 'utf8'))
    .join('\n');
  const keyOf = (names: Record<string, string>, name: string) =>
    Object.entries(names).find(([, v]) => v === name)?.[0];
  const kinds = new Set<string>();
  for (const registration of registry.functions.values()) {
    const name = registration.name;
    const k = keyOf(KEY_FUNCTIONS, name);
    const f = keyOf(FUNCTIONS, name);
    const a = keyOf(ACTIVITIES, name);
    const o = keyOf(ORCHESTRATIONS, name);
    const pattern = k
      ? new RegExp(`observed\\(\\s*KEY_FUNCTIONS\\.${k},`)
      : f
        ? new RegExp(`observed\\(\\s*FUNCTIONS\\.${f},`)
        : a
          ? new RegExp(`observed\\(\\s*ACTIVITIES\\.${a},`)
          : new RegExp(`observedOrchestrator\\(\\s*ORCHESTRATIONS\\.${o ?? '-'},`);
    assert.match(
      text,
      pattern,
      `${name} (${String(registration.trigger.type)}) is registered through observed()`,
    );
    kinds.add(String(registration.trigger.type));
  }
  assert.deepEqual([...kinds].sort(), [
    'activityTrigger',
    'eventGridTrigger',
    'eventHubTrigger',
    'httpTrigger',
    'orchestrationTrigger',
    'timerTrigger',
  ]);
});

test('only failures of the dependency itself count against its circuit breaker', () => {
  assert.equal(isDependencyFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), true);
  assert.equal(isDependencyFailure(new InfrastructureError('WAREHOUSE_UNREACHABLE', 'pool closed')), true);
  assert.equal(isDependencyFailure(new InputError('bronze object x does not exist')), false);
  assert.equal(isDependencyFailure(new GuardError('MASS_DELETE_GUARD', 'too many deletes')), false);
});

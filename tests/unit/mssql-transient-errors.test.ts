import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isTransientSqlError,
  sqlRetryDelayMs,
  withSqlRetry,
} from '../../shared/adapters/azure/sql-retry.azure.js';

/** Errors shaped as mssql throws them: RequestError carries `number` and `code`, ConnectionError wraps tedious and Node errors. */
const requestError = (number: number, code = 'EREQUEST') =>
  Object.assign(new Error(`request failed (${number})`), { name: 'RequestError', number, code });
const connectionError = (code: string, cause?: unknown) =>
  Object.assign(new Error(`connection failed (${code})`), {
    name: 'ConnectionError',
    code,
    originalError: cause,
  });

const cases: [string, unknown, boolean][] = [
  ['40501 service busy', requestError(40501), true],
  ['40613 database unavailable', requestError(40613), true],
  ['49918 not enough resources', requestError(49918), true],
  ['49919 too many create/update operations', requestError(49919), true],
  ['49920 too many operations', requestError(49920), true],
  ['4060 cannot open database (failover)', requestError(4060), true],
  ['10928 resource limit', requestError(10928), true],
  ['10929 resource limit (min guarantee)', requestError(10929), true],
  ['10053 transport abort', requestError(10053), true],
  ['10054 connection reset by peer', requestError(10054), true],
  ['10060 network timeout', requestError(10060), true],
  ['233 no process on the other end of the pipe', requestError(233), true],
  ['64 network name no longer available', requestError(64), true],
  ['1205 deadlock victim', requestError(1205), true],
  [
    'a request timeout (ETIMEOUT, no number)',
    Object.assign(new Error('Timeout: Request failed to complete in 15000ms'), { code: 'ETIMEOUT' }),
    true,
  ],
  [
    'a socket error wrapped by ConnectionError',
    connectionError('ESOCKET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })),
    true,
  ],
  ['a bare Node ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true],
  [
    'a transient number nested in originalError.info',
    Object.assign(new Error('x'), { code: 'EREQUEST', originalError: { info: { number: 40613 } } }),
    true,
  ],
  ['2627 duplicate key (constraint)', requestError(2627), false],
  ['547 foreign key / check constraint', requestError(547), false],
  ['515 NULL into NOT NULL column', requestError(515), false],
  ['102 syntax error', requestError(102), false],
  ['156 syntax error near keyword', requestError(156), false],
  ['208 invalid object name', requestError(208), false],
  ['229 permission denied', requestError(229), false],
  ['18456 login failed', connectionError('ELOGIN', { info: { number: 18456 } }), false],
  ['245 conversion failed', requestError(245), false],
  [
    'a constraint error that also carries a socket code is still permanent',
    Object.assign(requestError(2627), { originalError: { code: 'ESOCKET' } }),
    false,
  ],
  ['an error with neither number nor code', new Error('something'), false],
  ['not an error at all', 'boom', false],
];

for (const [name, error, transient] of cases)
  test(`transient SQL error classification: ${name} → ${transient ? 'retry' : 'no retry'}`, () =>
    assert.equal(isTransientSqlError(error), transient));

test('the back-off doubles per attempt up to the cap, with jitter between half and all of it', () => {
  assert.equal(sqlRetryDelayMs(1, { random: () => 1 }), 1_000);
  assert.equal(sqlRetryDelayMs(2, { random: () => 1 }), 2_000);
  assert.equal(sqlRetryDelayMs(3, { random: () => 0 }), 2_000);
  assert.equal(sqlRetryDelayMs(10, { random: () => 1 }), 30_000);
  assert.equal(sqlRetryDelayMs(10, { random: () => 0, maxDelayMs: 8_000 }), 4_000);
});

test('a unit is retried while it fails transiently, up to the attempts, and the last error is thrown as it came', async () => {
  const busy = requestError(40501);
  let calls = 0;
  const slept: number[] = [];
  const retried: number[] = [];
  await assert.rejects(
    withSqlRetry(
      async () => {
        calls += 1;
        throw busy;
      },
      {
        attempts: 3,
        sleep: async (ms) => void slept.push(ms),
        random: () => 1,
        onRetry: (n) => retried.push(n),
      },
    ),
    busy,
  );
  assert.equal(calls, 3);
  assert.deepEqual(slept, [1_000, 2_000]);
  assert.deepEqual(retried, [1, 2]);
  calls = 0;
  const value = await withSqlRetry(
    async () => {
      calls += 1;
      if (calls < 2) throw connectionError('ESOCKET');
      return 'loaded';
    },
    { attempts: 4, sleep: async () => undefined },
  );
  assert.equal(value, 'loaded');
  assert.equal(calls, 2);
});

test('a permanent error is thrown at once, without a wait', async () => {
  const syntax = requestError(102);
  let calls = 0;
  await assert.rejects(
    withSqlRetry(
      async () => {
        calls += 1;
        throw syntax;
      },
      { attempts: 5, sleep: async () => assert.fail('no wait before a permanent error') },
    ),
    syntax,
  );
  assert.equal(calls, 1);
});

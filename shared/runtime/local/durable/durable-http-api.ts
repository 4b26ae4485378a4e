import type { ReplayDriver } from './replay-driver.js';
import { InstanceAlreadyExistsError, UnknownFunctionError } from './durable-errors.js';

/**
 * The Durable Task extension's HTTP API, served by the local host on loopback so that
 * `df.getClient(context)` works for real: durable-functions v3's `DurableClient` reads the
 * `durableClient` input binding JSON ({@link durableClientInputData}) and calls `rpcBaseUrl`
 * (`orchestrators/{name}/{id?}`, `instances/{id}`, `instances/{id}/terminate`,
 * `instances/{id}/raiseEvent/{event}`, `DELETE instances/{id}`); the public webhook form under
 * `/runtime/webhooks/durabletask` (what `createCheckStatusResponse` links to) is answered the same.
 *
 * Status codes follow the extension's `HttpApiHandler`: 202 + management payload on start, 409 when
 * the instance id is Pending/Running, 400 for an unknown orchestrator; 200/202/404 on status; 202/410/404
 * on terminate and raise event; 200/404/412 on purge. Suspend, resume, rewind, restart and entities
 * answer 501 (not emulated).
 */
export interface DurableApiResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export const webhookBasePath = '/runtime/webhooks/durabletask';
export const rpcBasePath = '/durabletask';

/** The JSON the extension passes a function for its `durableClient` input binding. */
export function durableClientInputData(
  origin: string,
  taskHub: string,
  /** The local admin key: carried as `code=` by the management URLs and in the RPC base path. */
  adminKey?: string,
): Record<string, unknown> {
  const base = `${origin}${webhookBasePath}`;
  const code = encodeURIComponent(adminKey ?? 'local');
  const qs = `taskHub=${encodeURIComponent(taskHub)}&connection=Storage&code=${code}`;
  const instance = `${base}/instances/INSTANCEID`;
  return {
    taskHubName: taskHub,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?code=${code}`,
      waitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${code}`,
    },
    managementUrls: managementUrls(instance, qs, 'INSTANCEID'),
    baseUrl: base,
    requiredQueryStringParameters: qs,
    rpcBaseUrl: adminKey ? `${origin}${rpcBasePath}/${adminKey}/` : `${origin}${rpcBasePath}/`,
    httpBaseUrl: base,
  };
}

function managementUrls(instance: string, qs: string, id: string): Record<string, string> {
  return {
    id,
    statusQueryGetUri: `${instance}?${qs}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${qs}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${qs}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${qs}`,
    purgeHistoryDeleteUri: `${instance}?${qs}`,
    restartPostUri: `${instance}/restart?${qs}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${qs}`,
    resumePostUri: `${instance}/resume?reason={text}&${qs}`,
  };
}

function statusPayload(driver: ReplayDriver, instanceId: string, query: URLSearchParams) {
  const status = driver.status(instanceId, {
    showHistory: query.get('showHistory') === 'true',
    showInput: query.get('showInput') !== 'false',
  });
  if (!status) return undefined;
  const { history, ...rest } = status;
  return { ...rest, ...(history ? { historyEvents: history } : {}) };
}

/** Answers one request under the durable API base path (`path` is relative to the base, no leading '/'). */
export async function handleDurableApi(
  driver: ReplayDriver,
  request: {
    method: string;
    path: string;
    query: URLSearchParams;
    body: string;
    origin: string;
    taskHub: string;
  },
): Promise<DurableApiResponse> {
  const segments = request.path
    .split('/')
    .filter((s) => s.length > 0)
    .map(decodeURIComponent);
  const [controller, a, b, c] = segments;
  const method = request.method.toUpperCase();
  try {
    if (controller === 'orchestrators' && a && method === 'POST') {
      const input = request.body.length > 0 ? (JSON.parse(request.body) as unknown) : undefined;
      const id = await driver.startNew(a, input, b);
      const qs = `taskHub=${encodeURIComponent(request.taskHub)}&connection=Storage&code=local`;
      const payload = managementUrls(
        `${request.origin}${webhookBasePath}/instances/${encodeURIComponent(id)}`,
        qs,
        id,
      );
      return {
        status: 202,
        body: payload,
        headers: { Location: payload.statusQueryGetUri ?? '', 'Retry-After': '10' },
      };
    }
    if (controller === 'instances') {
      if (!a) {
        if (method === 'GET') {
          const wanted = request.query.get('runtimeStatus')?.split(',').filter(Boolean);
          const all = driver.list().filter((s) => !wanted || wanted.includes(s.runtimeStatus));
          return { status: 200, body: all };
        }
        return { status: 404 };
      }
      if (!b) {
        if (method === 'GET') {
          const payload = statusPayload(driver, a, request.query);
          if (!payload) return { status: 404 };
          const running = ['Pending', 'Running', 'ContinuedAsNew'].includes(payload.runtimeStatus);
          return {
            status: running ? 202 : 200,
            body: payload,
            ...(running ? { headers: { 'Retry-After': '5' } } : {}),
          };
        }
        if (method === 'DELETE') {
          const outcome = await driver.purge(a);
          if (outcome === 'not-found') return { status: 404 };
          if (outcome === 'not-terminal') {
            return {
              status: 412,
              body: `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${a} is not.`,
            };
          }
          return { status: 200, body: { instancesDeleted: 1 } };
        }
        return { status: 404 };
      }
      if (method === 'POST' && b === 'terminate') {
        return { status: statusCodeOf(await driver.terminate(a, request.query.get('reason') ?? '')) };
      }
      if (method === 'POST' && b === 'raiseEvent' && c) {
        const data = request.body.length > 0 ? (JSON.parse(request.body) as unknown) : null;
        return { status: statusCodeOf(await driver.raiseEvent(a, c, data)) };
      }
      if (method === 'POST' && ['suspend', 'resume', 'rewind', 'restart'].includes(b)) {
        return { status: 501, body: `The ${b} operation is not supported by the local runtime.` };
      }
      return { status: 404 };
    }
    if (controller === 'entities')
      return { status: 501, body: 'Durable entities are not supported by the local runtime.' };
    return { status: 404 };
  } catch (thrown) {
    if (thrown instanceof InstanceAlreadyExistsError)
      return { status: 409, body: { Message: thrown.message } };
    if (thrown instanceof UnknownFunctionError || thrown instanceof SyntaxError) {
      return { status: 400, body: { Message: thrown.message } };
    }
    throw thrown;
  }
}

function statusCodeOf(outcome: 'not-found' | 'gone' | 'accepted'): number {
  return outcome === 'not-found' ? 404 : outcome === 'gone' ? 410 : 202;
}

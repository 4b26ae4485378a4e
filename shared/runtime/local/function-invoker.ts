import { randomUUID } from 'node:crypto';
import type { Logger } from '../../application/ports/logger.port.js';
import { toError } from '../../domain/errors.js';
import {
  allRegistrations,
  programmingModel,
  type CoreInvocationResponse,
  type Registration,
  type RpcTypedData,
} from './registration-capture.js';

/**
 * Invokes a captured registration the way the Node.js worker does: it builds the worker's core
 * invocation context (invocation id, RPC input data per binding name, trigger metadata), asks the
 * programming model `@azure/functions` installed for an invocation model, and lets the library itself
 * convert the inputs (`getArguments`: `InvocationContext`, `HttpRequest`, camel-cased timer info,
 * `extraInputs`), run pre/post invocation hooks around the handler, and convert the results
 * (`getResponse`: return value and `extraOutputs` as RPC typed data).
 *
 * Guarantees: the handler sees exactly what the library would produce from the host's RPC payload; a
 * handler error is rethrown after post-invocation hooks ran (hooks may replace it, as in the worker).
 */
export interface InvokeRequest {
  /** RPC data per binding name: the trigger's and any extra inputs' (e.g. the durable client JSON). */
  readonly inputData: Readonly<Record<string, RpcTypedData>>;
  /** Trigger metadata as the host sends it (PascalCase keys are camel-cased by the library). */
  readonly triggerMetadata?: Readonly<Record<string, RpcTypedData>>;
  readonly retryContext?: { retryCount: number; maxRetryCount: number };
  readonly invocationId?: string;
}

export interface InvokeResult {
  readonly invocationId: string;
  /** The handler's result converted back from RPC typed data (what the host would receive). */
  readonly returnValue: unknown;
  /** The raw RPC return value (HTTP responses keep their `http` member here). */
  readonly rawReturnValue: RpcTypedData | null | undefined;
  /** Extra outputs by binding name, converted back from RPC typed data. */
  readonly outputs: ReadonlyMap<string, unknown>;
}

const appHookData: Record<string, unknown> = {};

/** Converts RPC typed data the way the extension reads a Node result (JSON parsed, strings kept). */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json) as unknown;
  if (data.string !== undefined && data.string !== null) return data.string;
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (data.int !== undefined && data.int !== null) return Number(data.int);
  if (data.double !== undefined && data.double !== null) return data.double;
  if (data.collectionString?.string) return data.collectionString.string;
  if (data.collectionBytes?.bytes) return data.collectionBytes.bytes.map((b) => Buffer.from(b));
  if (data.http) return data.http;
  return undefined;
}

/** JSON as the host sends it for a JSON-typed binding value. */
export function jsonData(value: unknown): RpcTypedData {
  return { json: JSON.stringify(value ?? null) };
}

async function runHooks(name: string, context: Record<string, unknown>): Promise<void> {
  const hooks = allRegistrations().hooks.get(name) ?? [];
  for (const hook of [...hooks]) await hook(context);
}

/** Runs the app-level hooks (`app.hook.appStart` / `appTerminate`) as the worker does at start and stop. */
export async function runAppHooks(
  name: 'appStart' | 'appTerminate',
  functionAppDirectory: string,
): Promise<void> {
  await runHooks(name, {
    hookData: {},
    appHookData,
    ...(name === 'appStart' ? { functionAppDirectory } : {}),
  });
}

const levelMap: Record<string, 'debug' | 'info' | 'warn' | 'error'> = {
  trace: 'debug',
  debug: 'debug',
  information: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'error',
};

export async function invokeRegistration(
  registration: Registration,
  request: InvokeRequest,
  logger: Logger,
): Promise<InvokeResult> {
  const invocationId = request.invocationId ?? randomUUID();
  const log = logger.child({ function: registration.name, invocationId });
  const coreContext: {
    invocationId: string;
    request: Record<string, unknown>;
    metadata: Record<string, unknown>;
    state?: string;
    log(level: string, category: string, message: string): void;
  } = {
    invocationId,
    request: {
      invocationId,
      functionId: registration.metadata.functionId ?? registration.name,
      inputData: Object.entries(request.inputData).map(([name, data]) => ({ name, data })),
      triggerMetadata: request.triggerMetadata ?? {},
      retryContext: request.retryContext,
    },
    metadata: { name: registration.name, bindings: registration.metadata.bindings },
    log(level, category, message) {
      const method = levelMap[level] ?? 'info';
      log[method](message, { category });
    },
  };
  const model = programmingModel().getInvocationModel(coreContext);
  const { context, inputs } = await model.getArguments();

  const hookData: Record<string, unknown> = {};
  const pre = {
    hookData,
    appHookData,
    invocationContext: context,
    inputs,
    functionCallback: registration.handler,
  };
  coreContext.state = 'preInvocationHooks';
  await runHooks('preInvocation', pre);

  coreContext.state = 'invocation';
  let result: unknown;
  let error: unknown;
  try {
    result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
  } catch (thrown) {
    error = thrown;
  }
  const post = { hookData, appHookData, invocationContext: context, inputs: pre.inputs, result, error };
  coreContext.state = 'postInvocationHooks';
  await runHooks('postInvocation', post);
  if (post.error !== undefined && post.error !== null) throw toError(post.error);

  const response: CoreInvocationResponse = await model.getResponse(context, post.result);
  const outputs = new Map<string, unknown>();
  for (const out of response.outputData ?? []) {
    if (out.name) outputs.set(out.name, fromTypedData(out.data));
  }
  return {
    invocationId,
    returnValue: fromTypedData(response.returnValue),
    rawReturnValue: response.returnValue,
    outputs,
  };
}

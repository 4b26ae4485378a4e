import { createRequire } from 'node:module';

/**
 * A local stand-in for `@azure/functions-core`, the module the Azure Functions Node.js worker injects.
 *
 * `@azure/functions` looks the core module up lazily with `require('@azure/functions-core')` (see its
 * `tryGetCoreApiLazy`), from inside its CommonJS bundle, the first time something registers. When that
 * require fails the library drops to "test mode" and silently skips every registration. Installing this
 * module into the CommonJS loader (a `Module._load` hook for exactly that one request name) before the
 * first registration makes every `app.*`, `df.app.*` call land here instead, with the binding metadata
 * the library computed (`toCoreFunctionMetadata`) and the user's handler. durable-functions registers
 * through `app.generic` of the same `@azure/functions`, so its orchestrators/activities are captured too.
 *
 * Guarantees: the hook is installed once per process and only answers `@azure/functions-core`; every
 * registration is kept process-wide (modules register once, on first import);
 * `captureRegistrations` returns the registrations made while its loader ran.
 */

/** The binding info the library hands to the core (`RpcBindingInfo` plus the trigger/binding options). */
export interface BindingInfo {
  readonly type?: string | null;
  readonly direction?: 'in' | 'out' | 'inout' | null;
  readonly name?: string;
  readonly [option: string]: unknown;
}

/** What `@azure/functions` passes to `registerFunction`. */
export interface FunctionMetadata {
  readonly name: string;
  readonly functionId?: string;
  readonly bindings: Readonly<Record<string, BindingInfo>>;
  readonly retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

/** One captured registration: a function with its bindings and the handler the library registered. */
export interface Registration {
  readonly name: string;
  readonly metadata: FunctionMetadata;
  readonly handler: FunctionCallback;
  /** The trigger binding's name (the key in `metadata.bindings`). */
  readonly triggerName: string;
  /** The trigger binding (its `type` ends with `Trigger`, e.g. `timerTrigger`, `orchestrationTrigger`). */
  readonly trigger: BindingInfo;
  readonly extraInputs: readonly (BindingInfo & { readonly name: string })[];
  readonly extraOutputs: readonly (BindingInfo & { readonly name: string })[];
}

/** Hook names the library registers: 'preInvocation', 'postInvocation', 'appStart', 'appTerminate', 'log'. */
export type HookName = string;
export type HookCallback = (context: Record<string, unknown>) => unknown;

/** The programming model `@azure/functions` sets (its `ProgrammingModel` class); typed to what we call. */
export interface CoreProgrammingModel {
  readonly name: string;
  readonly version: string;
  getInvocationModel(coreContext: unknown): CoreInvocationModel;
}

export interface CoreInvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<CoreInvocationResponse>;
}

export interface CoreInvocationResponse {
  readonly invocationId?: string | null;
  readonly outputData?: readonly { name?: string | null; data?: RpcTypedData | null }[] | null;
  readonly returnValue?: RpcTypedData | null;
}

/** The worker's typed-data union (only the members this runtime produces or reads). */
export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
  collectionString?: { string?: string[] | null } | null;
  collectionBytes?: { bytes?: Uint8Array[] | null } | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  query?: Record<string, string> | null;
  statusCode?: string | null;
  cookies?: readonly Record<string, unknown>[] | null;
}

/** The registrations a set of function modules made, by name. */
export interface Registry {
  readonly functions: ReadonlyMap<string, Registration>;
  get(name: string): Registration | undefined;
  /** Registrations whose trigger type is `type` (case-insensitive), e.g. `timerTrigger`. */
  byTrigger(type: string): Registration[];
  readonly hooks: ReadonlyMap<HookName, readonly HookCallback[]>;
}

/** A string option of a binding (`schedule`, `queueName`, `path`, `route`, …), or `fallback`. */
export function bindingText(binding: BindingInfo, key: string, fallback = ''): string {
  const value = binding[key];
  return typeof value === 'string' ? value : fallback;
}

class Disposable {
  static from(...items: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  #callOnDispose: () => unknown;
  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }
  dispose(): unknown {
    return this.#callOnDispose();
  }
}

type LogSink = (level: string, category: string, message: string) => void;

interface CoreState {
  programmingModel: CoreProgrammingModel | undefined;
  readonly registrations: Registration[];
  readonly hooks: Map<string, HookCallback[]>;
  logSink: LogSink;
}

const stateKey = Symbol.for('nhs-flows.local-functions-core');
const globalSlot = globalThis as unknown as Record<symbol, CoreState | undefined>;
const state: CoreState = (globalSlot[stateKey] ??= {
  programmingModel: undefined,
  registrations: [],
  hooks: new Map(),
  logSink: () => undefined,
});

function toRegistration(metadata: FunctionMetadata, handler: FunctionCallback): Registration {
  const entries = Object.entries(metadata.bindings);
  const triggerEntry = entries.find(([, b]) => typeof b.type === 'string' && /trigger$/i.test(b.type));
  if (!triggerEntry) throw new Error(`function "${metadata.name}" was registered without a trigger binding`);
  const named = (dir: 'in' | 'out') =>
    entries
      .filter(([key, b]) => key !== triggerEntry[0] && b.direction === dir)
      .map(([key, b]) => ({ ...b, name: key }));
  return {
    name: metadata.name,
    metadata,
    handler,
    triggerName: triggerEntry[0],
    trigger: triggerEntry[1],
    extraInputs: named('in'),
    extraOutputs: named('out').filter((b) => b.name !== '$return'),
  };
}

/** The `@azure/functions-core` module object this runtime provides. */
export const localFunctionsCore = {
  version: '4.0.0-nhs-flows-local',
  hostVersion: '4.0.0-nhs-flows-local',
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    if (state.registrations.some((r) => r.name === metadata.name)) {
      // The real worker rejects duplicate names the same way.
      throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
    }
    const registration = toRegistration(metadata, callback);
    state.registrations.push(registration);
    return new Disposable(() => {
      const at = state.registrations.indexOf(registration);
      if (at >= 0) state.registrations.splice(at, 1);
    });
  },
  registerHook(hookName: string, callback: HookCallback): Disposable {
    const list = state.hooks.get(hookName) ?? [];
    list.push(callback);
    state.hooks.set(hookName, list);
    return new Disposable(() => {
      const at = list.indexOf(callback);
      if (at >= 0) list.splice(at, 1);
    });
  },
  setProgrammingModel(model: CoreProgrammingModel): void {
    state.programmingModel = model;
  },
  getProgrammingModel(): CoreProgrammingModel {
    if (!state.programmingModel) throw new Error('no programming model was set by @azure/functions');
    return state.programmingModel;
  },
  log(level: string, category: string, message: string): void {
    state.logSink(level, category, message);
  },
  Disposable,
};

const coreModuleName = '@azure/functions-core';
let installed = false;

/**
 * Makes `require('@azure/functions-core')` answer with {@link localFunctionsCore}, process-wide.
 * Idempotent. Must run before `@azure/functions` registers anything (it caches the lookup result).
 */
export function installFunctionsCore(): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  const Module = require('node:module') as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = Module._load;
  Module._load = function load(this: unknown, request: string, ...rest: unknown[]): unknown {
    if (request === coreModuleName) return localFunctionsCore;
    return original.call(this, request, ...rest);
  };
  installed = true;
}

/** Where the worker-level log lines (`coreApi.log`) go: system warnings of the library. */
export function setCoreLogSink(sink: LogSink): void {
  state.logSink = sink;
}

/** The programming model `@azure/functions` installed when it first registered. */
export function programmingModel(): CoreProgrammingModel {
  return localFunctionsCore.getProgrammingModel();
}

function registryOf(registrations: readonly Registration[]): Registry {
  const functions = new Map(registrations.map((r) => [r.name, r]));
  return {
    functions,
    get: (name) => functions.get(name),
    byTrigger: (type) =>
      registrations.filter((r) => String(r.trigger.type).toLowerCase() === type.toLowerCase()),
    hooks: state.hooks,
  };
}

/**
 * Installs the core module, runs `loadFunctions` (which imports the modules that call `app.*` /
 * `df.app.*`), and returns what they registered. Modules already imported earlier in the process do
 * not register again; pass a loader that imports them for the first time, or use {@link allRegistrations}.
 */
export async function captureRegistrations(loadFunctions: () => Promise<unknown>): Promise<Registry> {
  installFunctionsCore();
  const before = state.registrations.length;
  await loadFunctions();
  return registryOf(state.registrations.slice(before));
}

/** Every registration made in this process so far. */
export function allRegistrations(): Registry {
  return registryOf(state.registrations);
}

/** Merges registries (e.g. the app's functions plus test fixtures); later names win. */
export function mergeRegistries(...registries: readonly Registry[]): Registry {
  const merged = new Map<string, Registration>();
  for (const r of registries) for (const [name, reg] of r.functions) merged.set(name, reg);
  return registryOf([...merged.values()]);
}

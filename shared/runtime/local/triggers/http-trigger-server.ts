import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toError } from '../../../domain/errors.js';
import { handleDurableApi, rpcBasePath, webhookBasePath } from '../durable/durable-http-api.js';
import type { ReplayDriver } from '../durable/replay-driver.js';
import type { Registration, RpcHttpData } from '../registration-capture.js';
import type { TriggerHost } from './trigger-source.js';

/**
 * A node:http server on 127.0.0.1 that routes `/<routePrefix>/<route>` to `app.http` registrations
 * (route templates with `{param}`, `{param?}`, `{param:constraint}`, `{*rest}`; `methods`), handing the
 * function the real `HttpRequest` the library builds from the host's RPC HTTP data and writing back the
 * `HttpResponse` it converted (status, headers, cookies, body). The same server answers the Durable
 * Task HTTP API under `/runtime/webhooks/durabletask/` and the client RPC base `/durabletask/`.
 *
 * Local security (docs/keys.md, "Local admin key"), checked before anything runs:
 * - a request with an `Origin` header other than this server's own loopback origin is refused (403):
 *   a web page can never drive the host;
 * - a POST/PUT/PATCH/DELETE with a body under `/api/` or the webhook base must be `application/json`
 *   (415 otherwise): no form or text/plain "simple request" reaches a function;
 * - with `adminKey` set, every route that is not `authLevel: 'anonymous'` (so not `/api/health`)
 *   and the whole durable API need the key (401 without it): header `x-functions-key`, or
 *   `code=<key>` in the query (the management URLs the durable client hands out carry it), or, for
 *   the client RPC base, `/durabletask/<key>/…` (the path the in-process durable client is given);
 * - `x-ms-client-principal` headers from the client are dropped; an authenticated request gets the
 *   configured local principal instead (who, and the roles the local secrets file names), as App
 *   Service authentication does on Azure.
 */
interface Route {
  readonly registration: Registration;
  readonly methods: readonly string[] | undefined;
  readonly match: (path: string) => Record<string, string> | undefined;
}

/** Compiles a Functions route template into a matcher over a path below the route prefix. */
export function compileRoute(template: string): (path: string) => Record<string, string> | undefined {
  const parts = template.split('/').filter((p) => p.length > 0);
  return (path) => {
    const segments = path.split('/').filter((p) => p.length > 0);
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const segment = segments[i];
      const param = /^\{(\*)?([^}:?]+)(?::[^}?]+)?(\?)?\}$/.exec(part);
      if (!param) {
        if (segment === undefined || segment.toLowerCase() !== part.toLowerCase()) return undefined;
        continue;
      }
      const [, catchAll, name = '', optional] = param;
      if (catchAll) {
        params[name] = segments.slice(i).map(decodeURIComponent).join('/');
        return params;
      }
      if (segment === undefined) {
        if (optional) continue;
        return undefined;
      }
      params[name] = decodeURIComponent(segment);
    }
    return segments.length <= parts.length ? params : undefined;
  };
}

export interface HttpTriggerServerOptions {
  readonly port?: number;
  readonly routePrefix?: string;
  readonly taskHub: string;
  /** The local admin key (from the local secrets file); unset = no key check (runtime tests only). */
  readonly adminKey?: string;
  /** The principal an authenticated request acts as (`x-ms-client-principal`). */
  readonly principal?: { readonly actor: string; readonly roles: readonly string[] };
}

/** The `x-ms-client-principal` header value (base64 JSON, App Service authentication's form). */
export function clientPrincipalHeader(principal: { actor: string; roles: readonly string[] }): string {
  return Buffer.from(
    JSON.stringify({
      auth_typ: 'local-admin-key',
      name_typ: 'name',
      role_typ: 'roles',
      claims: [
        { typ: 'name', val: principal.actor },
        ...principal.roles.map((val) => ({ typ: 'roles', val })),
      ],
    }),
  ).toString('base64');
}

function sameSecret(sent: string | null | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieHeader(cookie: Record<string, unknown>): string {
  const v = (key: string) => (cookie[key] as { value?: unknown } | undefined)?.value;
  const parts = [`${String(cookie.name)}=${typeof cookie.value === 'string' ? cookie.value : ''}`];
  if (v('domain')) parts.push(`Domain=${String(v('domain'))}`);
  if (v('path')) parts.push(`Path=${String(v('path'))}`);
  const expires = v('expires') as { seconds?: number } | undefined;
  if (expires?.seconds !== undefined)
    parts.push(`Expires=${new Date(Number(expires.seconds) * 1000).toUTCString()}`);
  if (v('maxAge') !== undefined) parts.push(`Max-Age=${String(v('maxAge'))}`);
  if (v('secure')) parts.push('Secure');
  if (v('httpOnly')) parts.push('HttpOnly');
  const sameSite = cookie.sameSite;
  if (sameSite === 'lax' || sameSite === 'strict')
    parts.push(`SameSite=${sameSite === 'lax' ? 'Lax' : 'Strict'}`);
  if (sameSite === 'explicitNone') parts.push('SameSite=None');
  return parts.join('; ');
}

export class HttpTriggerServer {
  readonly #host: TriggerHost;
  readonly #driver: ReplayDriver;
  readonly #routes: Route[];
  readonly #options: HttpTriggerServerOptions;
  readonly #prefix: string;
  #server: Server | undefined;
  #origin = '';
  #inFlight = 0;

  constructor(
    registrations: readonly Registration[],
    host: TriggerHost,
    driver: ReplayDriver,
    options: HttpTriggerServerOptions,
  ) {
    this.#host = host;
    this.#driver = driver;
    this.#options = options;
    this.#prefix = (options.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '');
    this.#routes = registrations.map((registration) => {
      const route =
        typeof registration.trigger.route === 'string' ? registration.trigger.route : registration.name;
      const methods = Array.isArray(registration.trigger.methods)
        ? (registration.trigger.methods as unknown[]).map((m) => String(m).toUpperCase())
        : undefined;
      return { registration, methods, match: compileRoute(route) };
    });
  }

  /** `http://127.0.0.1:<port>` once started. */
  get origin(): string {
    return this.#origin;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.#inFlight += 1;
      void this.#handle(req, res)
        .catch((thrown) => {
          this.#host.logger.error('http request failed', { error: toError(thrown).message });
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('Internal Server Error');
        })
        .finally(() => (this.#inFlight -= 1));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.#origin;
  }

  #refuse(res: ServerResponse, status: number, message: string): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
  }

  #sameOrigin(origin: string): boolean {
    const port = new URL(this.#origin).port;
    return origin === this.#origin || origin === `http://localhost:${port}`;
  }

  #hasKey(req: IncomingMessage, url: URL): boolean {
    const key = this.#options.adminKey;
    if (!key) return true;
    const header = req.headers['x-functions-key'];
    return (
      sameSecret(Array.isArray(header) ? header[0] : header, key) ||
      sameSecret(url.searchParams.get('code'), key)
    );
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#origin);
    const method = (req.method ?? 'GET').toUpperCase();
    const origin = req.headers.origin;
    if (origin !== undefined && !this.#sameOrigin(origin)) {
      req.resume();
      this.#refuse(res, 403, 'cross-origin request refused');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    // Never trust a principal the client sends; an authenticated request gets the local one below.
    for (const name of Object.keys(req.headers))
      if (name.startsWith('x-ms-client-principal')) delete req.headers[name];

    let rpcPath: string | undefined;
    if (url.pathname === rpcBasePath || url.pathname.startsWith(`${rpcBasePath}/`)) {
      const key = this.#options.adminKey;
      const rest = url.pathname.slice(rpcBasePath.length);
      if (key && rest.startsWith(`/${key}/`)) rpcPath = rest.slice(key.length + 1);
      else if (this.#hasKey(req, url)) rpcPath = rest;
      else {
        this.#refuse(res, 401, 'unauthorised: the local admin key is required');
        return;
      }
    } else {
      const writes = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
      const type = String(req.headers['content-type'] ?? '').toLowerCase();
      if (writes && body.length > 0 && !/^application\/json\s*(;|$)/.test(type)) {
        this.#refuse(res, 415, 'unsupported media type: state-changing requests take application/json');
        return;
      }
    }

    for (const base of [webhookBasePath, rpcBasePath]) {
      const inBase = url.pathname === base || url.pathname.startsWith(`${base}/`);
      if (inBase) {
        if (base === webhookBasePath && !this.#hasKey(req, url)) {
          this.#refuse(res, 401, 'unauthorised: the local admin key is required');
          return;
        }
        const answer = await handleDurableApi(this.#driver, {
          method,
          path: base === rpcBasePath ? (rpcPath ?? '') : url.pathname.slice(base.length),
          query: url.searchParams,
          body: body.toString('utf8'),
          origin: this.#origin,
          taskHub: this.#options.taskHub,
        });
        const text =
          answer.body === undefined
            ? ''
            : typeof answer.body === 'string'
              ? answer.body
              : JSON.stringify(answer.body);
        res.writeHead(answer.status, {
          ...(answer.body !== undefined
            ? {
                'content-type':
                  typeof answer.body === 'string'
                    ? 'text/plain; charset=utf-8'
                    : 'application/json; charset=utf-8',
              }
            : {}),
          ...answer.headers,
        });
        res.end(text);
        return;
      }
    }

    const prefix = this.#prefix ? `/${this.#prefix}` : '';
    if (prefix && !(url.pathname === prefix || url.pathname.startsWith(`${prefix}/`))) {
      res.writeHead(404).end();
      return;
    }
    const below = url.pathname.slice(prefix.length);
    let found: { route: Route; params: Record<string, string> } | undefined;
    let wrongMethod = false;
    for (const route of this.#routes) {
      const params = route.match(below);
      if (!params) continue;
      if (route.methods && !route.methods.includes(method)) {
        wrongMethod = true;
        continue;
      }
      found = { route, params };
      break;
    }
    if (!found) {
      res.writeHead(wrongMethod ? 405 : 404).end();
      return;
    }
    const authLevel = found.route.registration.trigger.authLevel;
    const anonymous = typeof authLevel === 'string' && authLevel.toLowerCase() === 'anonymous';
    if (!anonymous && !this.#hasKey(req, url)) {
      this.#refuse(res, 401, 'unauthorised: the local admin key is required');
      return;
    }
    if (!anonymous && this.#options.adminKey && this.#options.principal)
      req.headers['x-ms-client-principal'] = clientPrincipalHeader(this.#options.principal);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    const http: RpcHttpData = {
      method,
      url: url.href,
      headers,
      query: Object.fromEntries(url.searchParams.entries()),
      params: found.params,
      body: body.length > 0 ? { bytes: body } : null,
    };
    const { registration } = found.route;
    const result = await this.#host.invoke(registration, {
      inputData: { [registration.triggerName]: { http } },
      triggerMetadata: {
        Query: { json: JSON.stringify(http.query) },
        Headers: { json: JSON.stringify(headers) },
        ...Object.fromEntries(Object.entries(found.params).map(([k, v]) => [k, { string: v }])),
      },
    });
    const out = result.rawReturnValue?.http;
    if (!out) {
      res.writeHead(204).end();
      return;
    }
    const responseHeaders: Record<string, string | string[]> = { ...(out.headers ?? {}) };
    const cookies = (out.cookies ?? []).map(cookieHeader);
    if (cookies.length > 0) responseHeaders['set-cookie'] = cookies;
    res.writeHead(Number(out.statusCode ?? 200), responseHeaders);
    const bytes = out.body?.bytes ?? (out.body?.string ? Buffer.from(out.body.string) : undefined);
    res.end(bytes ? Buffer.from(bytes) : undefined);
  }

  get busy(): boolean {
    return this.#inFlight > 0;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }
}

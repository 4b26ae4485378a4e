import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { services } from './composition-root.js';
import { recordAudit } from '../shared/application/use-cases/audit/audit-trail.js';
import { IdentityRegister } from '../shared/application/use-cases/pseudonymise-identity-register.js';
import {
  keyLifecycleDeps,
  keyStatus,
  rekeyKeys,
  rotateKeys,
} from '../shared/application/use-cases/rekey-project.use-case.js';
import { MAX_TOKENS_PER_REQUEST, reidentify } from '../shared/application/use-cases/reidentify.use-case.js';
import { importOptOutList } from '../shared/application/use-cases/opt-out.use-case.js';
import { isProjectId, type ProjectId } from '../shared/domain/pseudonymise/projects.js';
import { observed } from './observed.js';
import { FUNCTIONS } from './function-names.js';
import { jsonBody, principalOf } from './http-request.js';

export { principalOf } from './http-request.js';
import { GuardError, InputError } from '../shared/domain/errors.js';

/**
 * The custodian's admin endpoints (authLevel `admin`: the host's master key; on Azure, Entra ID in
 * front as well). The caller and their roles come from the platform's authenticated principal
 * (`x-ms-client-principal`, set by App Service authentication on Azure and by the local host after
 * it checked the local admin key; a client cannot set it). Bodies are zod-validated; every action
 * writes an audit record; re-identification answers go to the caller only.
 */
export const KEY_FUNCTIONS = {
  rotate: FUNCTIONS.keysRotate,
  rekey: FUNCTIONS.keysRekey,
  status: FUNCTIONS.keysStatus,
  reidentify: FUNCTIONS.reidentify,
  optOutImport: FUNCTIONS.optOutImport,
} as const;

const version = z.string().regex(/^[A-Za-z0-9_.=-]{1,64}$/);
export const rekeyBodySchema = z
  .object({
    fromVersion: version.optional(),
    toVersion: version.optional(),
    project: z
      .string()
      .refine((p): p is ProjectId => isProjectId(p), {
        message: 'expected a project declared in the projects file',
      })
      .optional(),
  })
  .strict();
export const reidentifyBodySchema = z
  .object({
    project: z.string().max(32),
    purpose: z.string().max(1000),
    tokens: z
      .array(z.object({ token: z.string().max(128), keyVersion: z.string().max(64) }).strict())
      .max(MAX_TOKENS_PER_REQUEST * 5),
  })
  .strict();

/** A caller without the custodian role gets 403 with the reason (the refusal is already audited). */
function refusedOrThrow(error: unknown): HttpResponseInit {
  if (error instanceof GuardError && error.code === 'ROLE_REQUIRED')
    return { status: 403, jsonBody: { error: error.message, code: error.code } };
  throw error;
}

export async function keysRotate(
  request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  const s = await services();
  try {
    return { status: 200, jsonBody: await rotateKeys(keyLifecycleDeps(s.pipeline), principalOf(request)) };
  } catch (error) {
    return refusedOrThrow(error);
  }
}

export async function keysRekey(
  request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  const s = await services();
  const body = rekeyBodySchema.safeParse(await jsonBody(request));
  if (!body.success)
    return { status: 400, jsonBody: { error: 'expected { fromVersion?, toVersion?, project? }' } };
  try {
    const rekey = await rekeyKeys(keyLifecycleDeps(s.pipeline), { ...principalOf(request), ...body.data });
    return { status: 200, jsonBody: rekey };
  } catch (error) {
    return refusedOrThrow(error);
  }
}

export async function keysStatus(
  _request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  const s = await services();
  return { status: 200, jsonBody: await keyStatus(keyLifecycleDeps(s.pipeline)) };
}

export async function reidentifyHttp(
  request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  const s = await services();
  const p = s.pipeline;
  const principal = principalOf(request);
  const audit = { lake: p.lake, clock: p.clock };
  const body = reidentifyBodySchema.safeParse(await jsonBody(request));
  if (!body.success) {
    // A malformed request is still an attempt: audited as refused (no body content is kept).
    const record = await recordAudit(
      {
        kind: 'reidentify',
        actor: principal.actor,
        outcome: 'refused',
        reason: 'invalid-request',
        details: {},
      },
      audit,
    );
    return {
      status: 400,
      jsonBody: {
        error: 'expected { project, purpose, tokens: [{ token, keyVersion }] }',
        auditId: record.id,
      },
    };
  }
  const configured = p.settings.NHSFLOWS_REIDENTIFICATION_ROLE;
  const result = await reidentify(
    { configuredRole: configured, audit, register: new IdentityRegister(p.lake), keys: p.keys },
    {
      caller: principal.actor,
      // The caller presents the configured role only when their principal holds it.
      role:
        configured !== '' && principal.roles.includes(configured) ? configured : (principal.roles[0] ?? ''),
      purpose: body.data.purpose,
      project: body.data.project as ProjectId,
      tokens: body.data.tokens,
    },
  );
  if (result.outcome === 'refused')
    return {
      status: result.reason === 'invalid-request' || result.reason === 'too-many-tokens' ? 400 : 403,
      jsonBody: {
        outcome: result.outcome,
        reason: result.reason,
        message: result.message,
        auditId: result.auditId,
      },
    };
  return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: result };
}

/** `{ csv }`: the opt-out list's CSV text (docs/opt-out.md); up to 64 MiB of text. */
export const optOutImportBodySchema = z.object({ csv: z.string().max(64 * 1024 * 1024) }).strict();

/**
 * `POST /api/opt-out/import`: the National Data Opt-out list, stored as tokens (the CSV is never
 * written anywhere); the custodian role is needed when one is configured; every attempt audited.
 * 400 names the bad lines and fields (never values), 403 without the role.
 */
export async function optOutImportHttp(
  request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  const p = (await services()).pipeline;
  const principal = principalOf(request);
  const body = optOutImportBodySchema.safeParse(await jsonBody(request));
  if (!body.success) {
    const record = await recordAudit(
      {
        kind: 'opt-out-import',
        actor: principal.actor,
        outcome: 'refused',
        reason: 'invalid-request',
        details: {},
      },
      p,
    );
    return { status: 400, jsonBody: { error: 'expected { csv }', auditId: record.id } };
  }
  try {
    const result = await importOptOutList(
      { ...p, custodianRole: p.settings.NHSFLOWS_KEY_CUSTODIAN_ROLE },
      { csvText: body.data.csv, actor: principal.actor, roles: principal.roles },
    );
    return { status: 200, jsonBody: result };
  } catch (error) {
    if (error instanceof InputError)
      return { status: 400, jsonBody: { error: error.message, code: error.code } };
    return refusedOrThrow(error);
  }
}

app.http(KEY_FUNCTIONS.rotate, {
  route: 'keys/rotate',
  methods: ['POST'],
  authLevel: 'admin',
  handler: observed(KEY_FUNCTIONS.rotate, 'http', keysRotate),
});
app.http(KEY_FUNCTIONS.rekey, {
  route: 'keys/rekey',
  methods: ['POST'],
  authLevel: 'admin',
  handler: observed(KEY_FUNCTIONS.rekey, 'http', keysRekey),
});
app.http(KEY_FUNCTIONS.status, {
  route: 'keys/status',
  methods: ['GET'],
  authLevel: 'admin',
  handler: observed(KEY_FUNCTIONS.status, 'http', keysStatus),
});
app.http(KEY_FUNCTIONS.reidentify, {
  route: 'reidentify',
  methods: ['POST'],
  authLevel: 'admin',
  handler: observed(KEY_FUNCTIONS.reidentify, 'http', reidentifyHttp),
});
app.http(KEY_FUNCTIONS.optOutImport, {
  route: 'opt-out/import',
  methods: ['POST'],
  authLevel: 'admin',
  handler: observed(KEY_FUNCTIONS.optOutImport, 'http', optOutImportHttp),
});

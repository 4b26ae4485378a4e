import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { FUNCTIONS, ORCHESTRATIONS } from './function-names.js';
import { services } from './composition-root.js';
import { starterFrom } from './orchestration-starter.js';
import { observed } from './observed.js';
import { jsonBody, principalOf } from './http-request.js';
import { replaySelectionSchema } from '../shared/application/use-cases/pipeline/replay-poison.use-case.js';
import { pipelineStatus } from '../shared/application/use-cases/pipeline/pipeline-status.use-case.js';
import { replayAudited } from '../shared/application/use-cases/operations/replay.use-case.js';
import { readBreakers } from '../shared/application/use-cases/operations/circuit-breakers.js';
import {
  massDeleteReleaseRequestSchema,
  releaseMassDelete as releaseMassDeleteUseCase,
} from '../shared/application/use-cases/operations/mass-delete-release.use-case.js';
import { sourceFeeds } from './mssql-source.js';
import { capturedTableNames } from '../shared/application/use-cases/poll-sources.use-case.js';
import { InputError } from '../shared/domain/errors.js';

/** Liveness and dependency check: lake and state reachable. Anonymous; says nothing about data. */
export async function health(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const s = await services();
  const checks: Record<string, string> = {};
  try {
    await s.pipeline.lake.exists('gold', 'manifests/.health');
    checks.lake = 'ok';
  } catch {
    checks.lake = 'unreachable';
  }
  try {
    await s.pipeline.state.get('nhsflowsbatches', 'health', 'health');
    checks.state = 'ok';
  } catch {
    checks.state = 'unreachable';
  }
  const ok = Object.values(checks).every((v) => v === 'ok');
  return {
    status: ok ? 200 : 503,
    jsonBody: { status: ok ? 'ok' : 'degraded', checks, mode: s.settings.NHSFLOWS_MODE },
  };
}

/** Batch ledger summary (counts per table, the latest batches: ids and counts only) and circuit breakers. */
export async function status(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const s = await services();
  return {
    status: 200,
    jsonBody: { ...(await pipelineStatus(s.pipeline)), breakers: await readBreakers(s.pipeline) },
  };
}

function badRequest(problems: readonly string[]): HttpResponseInit {
  return { status: 400, jsonBody: { error: 'INPUT_INVALID', problems } };
}

/**
 * Replays failed batches (function key; on Azure also Entra ID): a JSON body with any of `batchId`,
 * `table`, `since`, `until`, `key`, `dryRun`, `max` (the `batchId` query parameter still works).
 * Answers 202 with what was replayed, 200 for a dry run, 404 for an unknown batch id, 400 for a bad
 * body. Every call writes an audit record (kind `replay`), whose id is in the answer.
 */
export async function replay(
  request: HttpRequest,
  client: df.DurableClient,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  const body = await jsonBody(request);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return badRequest(['the body must be a JSON object']);
  const queryBatch = request.query.get('batchId');
  const parsed = replaySelectionSchema.safeParse({ ...(queryBatch ? { batchId: queryBatch } : {}), ...body });
  if (!parsed.success)
    return badRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`));
  const s = await services();
  const { result, audit } = await replayAudited(parsed.data, principalOf(request).actor, {
    ...s.pipeline,
    seenEvents: s.seenEvents,
    starter: starterFrom(client),
    orchestration: ORCHESTRATIONS.pipeline,
  });
  const answer = { ...result, auditId: audit.id, outcome: audit.outcome };
  if (result.unknownBatch) return { status: 404, jsonBody: answer };
  return { status: result.dryRun ? 200 : 202, jsonBody: answer };
}

/**
 * Releases a tripped mass-delete guard for one table and its next poll (function key; on Azure also
 * Entra ID): body `{ "table": "...", "reason": "..." }`. Audited (kind `mass-delete-release`).
 */
export async function releaseMassDelete(
  request: HttpRequest,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  const body = await jsonBody(request);
  const parsed = massDeleteReleaseRequestSchema.safeParse(body);
  if (!parsed.success)
    return badRequest(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`));
  const s = await services();
  const tables = capturedTableNames(s.settings, sourceFeeds(s.settings));
  try {
    const released = await releaseMassDeleteUseCase(
      parsed.data,
      principalOf(request).actor,
      s.pipeline,
      tables,
    );
    return {
      status: 200,
      jsonBody: {
        table: released.table,
        replacedPending: released.replacedPending,
        auditId: released.audit.id,
      },
    };
  } catch (error) {
    if (error instanceof InputError) return badRequest([error.message]);
    throw error;
  }
}

app.http(FUNCTIONS.health, {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: observed(FUNCTIONS.health, 'http', health),
});
app.http(FUNCTIONS.status, {
  route: 'status',
  methods: ['GET'],
  authLevel: 'function',
  handler: observed(FUNCTIONS.status, 'http', status),
});
df.app.client.http(FUNCTIONS.replay, {
  route: 'replay',
  methods: ['POST'],
  authLevel: 'function',
  handler: observed(FUNCTIONS.replay, 'http', replay),
});
app.http(FUNCTIONS.releaseMassDelete, {
  route: 'capture/release-mass-delete',
  methods: ['POST'],
  authLevel: 'function',
  handler: observed(FUNCTIONS.releaseMassDelete, 'http', releaseMassDelete),
});

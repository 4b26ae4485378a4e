import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { FUNCTIONS, ORCHESTRATIONS } from './function-names.js';
import { services } from './composition-root.js';
import { starterFrom } from './orchestration-starter.js';
import { observed } from './observed.js';
import { replayPoison } from '../shared/application/use-cases/pipeline/replay-poison.use-case.js';
import { pipelineStatus } from '../shared/application/use-cases/pipeline/pipeline-status.use-case.js';

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

/** Batch ledger summary: counts per table and the latest batches (ids and counts only). */
export async function status(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const s = await services();
  return { status: 200, jsonBody: await pipelineStatus(s.pipeline) };
}

/** Replays failed batches from the poison queue (function key required). */
export async function replay(
  request: HttpRequest,
  client: df.DurableClient,
  _context: InvocationContext,
): Promise<HttpResponseInit> {
  const s = await services();
  const batchId = request.query.get('batchId') ?? undefined;
  const result = await replayPoison(
    {
      ...s.pipeline,
      seenEvents: s.seenEvents,
      starter: starterFrom(client),
      orchestration: ORCHESTRATIONS.pipeline,
    },
    { batchId },
  );
  return { status: 202, jsonBody: result };
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

// Child process of the chaos suite (run with `node --import tsx`, NHSFLOWS_DATA_DIR set to a finished
// run's data dir): prints the quarantine records of the given batches' table as one JSON line,
// `{ failures: [{ table, field, rule, severity, outcome }] }`: names only, never row values.
import { resetServices, services } from '../../../functions/composition-root.js';
import { openLocalEnvironment } from '../../../shared/cli/local-environment.js';

const table = process.argv[2] ?? '';
const env = await openLocalEnvironment();
try {
  const lake = (await services()).pipeline.lake;
  const failures: Record<string, unknown>[] = [];
  for await (const o of lake.list('quarantine', '')) {
    if (!o.path.includes(`/${table}/`)) continue;
    const body = (await lake.get('quarantine', o.path))?.toString('utf8') ?? '';
    for (const line of body.split('\n').filter((l) => l !== '')) {
      const r = JSON.parse(line) as Record<string, unknown>;
      failures.push({
        // <dataset>/<table>/<batchId>.ndjson
        batchId: o.path
          .split('/')
          .pop()
          ?.replace(/\.ndjson$/, ''),
        table: r.table,
        field: r.field,
        rule: r.rule,
        severity: r.severity,
        outcome: r.outcome,
      });
    }
  }
  process.stdout.write(`${JSON.stringify({ failures })}\n`);
} finally {
  await resetServices();
  await env.stop();
}

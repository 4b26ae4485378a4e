import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OPERATIONS_METRICS } from '../../../shared/domain/operations/operations-metrics.js';
import { STALE_RULE } from '../../../shared/domain/operations/staleness.js';
import { DQMI_ALERT_THRESHOLD } from '../../../shared/application/use-cases/operations/dqmi-metrics.use-case.js';

// Bicep cannot be compiled here: the alert rules are checked as text, rule by rule.
const bicep = readFileSync('infra/app/alerts.bicep', 'utf8');

interface Rule {
  name: string;
  query: string;
  measure: string;
  operator: string;
  threshold: string;
  window: string;
  dimensions: string[];
}

function rules(): Rule[] {
  const body = bicep.slice(bicep.indexOf('var rules = ['), bicep.indexOf('resource queryRules'));
  return body
    .split(/\n {2}\{\n/)
    .slice(1)
    .map((block) => {
      const field = (key: string) => new RegExp(`\\n    ${key}: (.*)`).exec(`\n${block}`)?.[1]?.trim() ?? '';
      const text = (key: string) => field(key).replace(/^'(.*)'$/, '$1');
      return {
        name: text('name'),
        query: text('query'),
        measure: text('measure'),
        operator: text('operator'),
        threshold: field('threshold'),
        window: text('window'),
        dimensions: [...block.matchAll(/\{ name: '(\w+)', operator: 'Include'/g)].map((m) => m[1]!),
      };
    });
}

const byName = new Map(rules().map((r) => [r.name, r]));
function rule(name: string): Rule {
  const r = byName.get(name);
  assert.ok(r, `alerts.bicep has the rule ${name}`);
  return r;
}

test('every rule goes to the on-call action group, with its own window and measured column', () => {
  assert.match(bicep, /actions: \{ actionGroups: \[actionGroup\.id\] \}/);
  assert.match(bicep, /windowSize: rule\.window/);
  assert.match(bicep, /metricMeasureColumn: rule\.measure/);
  assert.match(bicep, /threshold: rule\.threshold/);
  assert.match(bicep, /operator: rule\.operator/);
  for (const r of byName.values()) {
    assert.match(
      r.query,
      new RegExp(`summarize ${r.measure} =|${r.measure} = 1\\.0e9`),
      `${r.name} measures ${r.measure}`,
    );
    assert.match(r.window, /^PT\d+[MH]$/, r.name);
    assert.ok(['GreaterThan', 'LessThan'].includes(r.operator), r.name);
    for (const d of r.dimensions)
      assert.match(r.query, new RegExp(`by (.*, )?${d} =`), `${r.name} splits by ${d}`);
  }
});

test('stale capture: freshness per table past 30 min, or no tick at all in the window (absent data breaches)', () => {
  const r = rule('cdc-stale');
  assert.ok(r.query.includes(`name == "${OPERATIONS_METRICS.captureFreshness}"`));
  assert.match(
    r.query,
    /summarize staleness = max\(valueMax\) by table = tostring\(customDimensions\.table\)/,
  );
  // The absence arm: zero samples in the window yields a row far above the threshold.
  assert.match(
    r.query,
    /union \(samples \| summarize ticks = count\(\) \| where ticks == 0 \| project table = "\(no poller tick\)", staleness = 1\.0e9\)/,
  );
  assert.equal(r.operator, 'GreaterThan');
  assert.equal(Number(r.threshold), STALE_RULE.thresholdSeconds);
  assert.equal(r.window, `PT${STALE_RULE.windowMinutes}M`);
  assert.deepEqual(r.dimensions, ['table']);
});

test('failed executions of every trigger kind, poison depth, dead letters, breakers and DQMI drops alert', () => {
  const failed = rule('function-failed');
  assert.ok(failed.query.includes(`name == "${OPERATIONS_METRICS.functionFailed}"`));
  assert.match(failed.query, /sum\(valueSum\)/);
  assert.deepEqual(failed.dimensions, ['fn', 'trigger']);
  assert.equal(Number(failed.threshold), 0);

  const depth = rule('poison-queue-depth');
  assert.ok(depth.query.includes(`name == "${OPERATIONS_METRICS.poisonQueueDepth}"`));
  assert.deepEqual([depth.operator, Number(depth.threshold)], ['GreaterThan', 0]);

  const dead = rule('events-dead-lettered');
  assert.ok(dead.query.includes(`name == "${OPERATIONS_METRICS.deadLettered}"`));
  assert.deepEqual([dead.operator, Number(dead.threshold)], ['GreaterThan', 0]);

  const breaker = rule('circuit-open');
  assert.ok(breaker.query.includes(`name == "${OPERATIONS_METRICS.breakerOpen}"`));
  assert.deepEqual(breaker.dimensions, ['dependency']);

  const dq = rule('dq-score-drop');
  assert.ok(dq.query.includes(`name == "${OPERATIONS_METRICS.dqmiScore}"`));
  assert.match(dq.query, /min\(valueMin\) by dataset/);
  assert.deepEqual([dq.operator, Number(dq.threshold)], ['LessThan', DQMI_ALERT_THRESHOLD]);
  assert.match(bicep, /timeAggregation: rule\.operator == 'LessThan' \? 'Minimum' : 'Maximum'/);
});

test('no fractional literal in the Bicep (Bicep has none: json() carries it)', () => {
  assert.doesNotMatch(bicep.replace(/'[^'\n]*'/g, "''"), /:\s*\d+\.\d+\s*$/m);
});

// Azure Monitor alerts to on-call: failed batches, mass-delete guard trips, schema drift, stale CDC
// (freshness, absent ticks included), failed function executions of every trigger kind, poison-queue
// depth, dead letters, open circuit breakers, DQMI drops, quarantine spikes, malformed events, HTTP
// 5xx. Every rule is explained in docs/operations.md (what fires it, what it means, what to do).
param location string
param tags object
param appInsightsId string
param functionAppId string
param onCallEmail string
param onCallWebhookUrl string
param actionGroupName string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'nhsflows'
    enabled: true
    emailReceivers: [{ name: 'on-call', emailAddress: onCallEmail, useCommonAlertSchema: true }]
    webhookReceivers: empty(onCallWebhookUrl) ? [] : [{ name: 'on-call-webhook', serviceUri: onCallWebhookUrl, useCommonAlertSchema: true }]
  }
}

// Each rule: a log query over the custom events and metrics of the app (names in shared/domain/operations/
// operations-metrics.ts and docs/operations.md), the column it measures, the operator and threshold,
// and its window. Metrics are read as valueMax / valueMin / valueSum so pre-aggregated samples
// (several per export interval) are measured right. Every rule goes to the on-call action group.
var rules = [
  {
    name: 'batch-failed'
    severity: 1
    description: 'A pipeline batch failed or partly failed; it is on the poison queue for replay.'
    query: 'customEvents | where name == "nhsflows.batch.failed" | summarize failures = count()'
    measure: 'failures'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT5M'
  }
  {
    name: 'cdc-mass-delete-guard'
    severity: 1
    description: 'The CDC poller refused a poll that would delete more than the configured share of a table.'
    query: 'customEvents | where name == "CaptureMassDeleteGuard" | summarize trips = count() by table = tostring(customDimensions.table)'
    measure: 'trips'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT5M'
    dimensions: [{ name: 'table', operator: 'Include', values: ['*'] }]
  }
  {
    name: 'cdc-schema-drift'
    severity: 2
    description: 'A source table changed shape (columns added, dropped or retyped).'
    query: 'customEvents | where name == "CaptureSchemaDrift" | summarize drifts = count()'
    measure: 'drifts'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT5M'
  }
  {
    // Freshness = now − last successful poll, emitted per table on every poller tick (failed ticks
    // too). A stopped poller emits nothing: the second arm turns "no sample in the window" into a
    // breach, so absent data alerts instead of going quiet.
    name: 'cdc-stale'
    severity: 2
    description: 'A captured table has not been polled successfully for 30 minutes, or the poller emitted no tick for 10 minutes (stopped).'
    query: 'let samples = customMetrics | where name == "nhsflows.capture.freshnessSeconds"; samples | summarize staleness = max(valueMax) by table = tostring(customDimensions.table) | union (samples | summarize ticks = count() | where ticks == 0 | project table = "(no poller tick)", staleness = 1.0e9)'
    measure: 'staleness'
    operator: 'GreaterThan'
    threshold: 1800
    window: 'PT10M'
    dimensions: [{ name: 'table', operator: 'Include', values: ['*'] }]
  }
  {
    name: 'function-failed'
    severity: 2
    description: 'A function execution failed (any trigger: timer, eventHub, blob, queue, http, activity, orchestrator).'
    query: 'customMetrics | where name == "nhsflows.function.failed" | summarize failures = sum(valueSum) by fn = tostring(customDimensions.function), trigger = tostring(customDimensions.trigger)'
    measure: 'failures'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT5M'
    dimensions: [
      { name: 'fn', operator: 'Include', values: ['*'] }
      { name: 'trigger', operator: 'Include', values: ['*'] }
    ]
  }
  {
    name: 'poison-queue-depth'
    severity: 2
    description: 'Failed batches or dead-lettered receipts wait on the poison queue for replay.'
    query: 'customMetrics | where name == "nhsflows.poison.depth" | summarize depth = max(valueMax)'
    measure: 'depth'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT10M'
  }
  {
    name: 'events-dead-lettered'
    severity: 1
    description: 'The Event Hubs consumer dead-lettered a receipt it could not ingest (bronze _failed/ + poison queue).'
    query: 'customMetrics | where name == "nhsflows.events.deadLettered" | summarize deadLettered = sum(valueSum)'
    measure: 'deadLettered'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT5M'
  }
  {
    name: 'circuit-open'
    severity: 1
    description: 'A circuit breaker is open or half-open: the warehouse or the lake keeps failing and no new batches start.'
    query: 'customMetrics | where name == "nhsflows.breaker.open" | summarize open = max(valueMax) by dependency = tostring(customDimensions.dependency)'
    measure: 'open'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT10M'
    dimensions: [{ name: 'dependency', operator: 'Include', values: ['*'] }]
  }
  {
    name: 'dq-score-drop'
    severity: 3
    description: 'A validated batch scored below 80 on the DQMI for a dataset (provider × dataset × month).'
    query: 'customMetrics | where name == "nhsflows.dq.dqmiScore" | summarize worst = min(valueMin) by dataset = tostring(customDimensions.dataset)'
    measure: 'worst'
    operator: 'LessThan'
    threshold: 80
    window: 'PT15M'
    dimensions: [{ name: 'dataset', operator: 'Include', values: ['*'] }]
  }
  {
    name: 'reconcile-differences'
    severity: 2
    description: 'Source-to-gold reconciliation found a table whose source, silver, gold or warehouse disagree for a period (a missed delete, a lost batch, a row changed behind the pipeline): run nhs-flows reconcile or read the report in gold/reconciliation/ (docs/reconciliation.md).'
    query: 'customMetrics | where name == "nhsflows.reconcile.differences" | summarize differences = max(valueMax) by table = tostring(customDimensions.table)'
    measure: 'differences'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT1H'
    dimensions: [{ name: 'table', operator: 'Include', values: ['*'] }]
  }
  {
    name: 'quarantine-spike'
    severity: 3
    description: 'More than 20% of a batch was quarantined.'
    query: 'customMetrics | where name == "nhsflows.batch.quarantineRate" | summarize worst = max(valueMax)'
    measure: 'worst'
    operator: 'GreaterThan'
    threshold: json('0.2')
    window: 'PT5M'
  }
  {
    name: 'landing-file-integrity'
    severity: 2
    description: 'A supplier landing file did not match its manifest (row count, SHA-256, table), its manifest or column map was invalid, or a required manifest never came; the file was rejected whole (docs/landing.md).'
    query: 'customEvents | where name == "nhsflows.landing.integrityFailed" | summarize rejected = count() by table = tostring(customDimensions.table), code = tostring(customDimensions.code)'
    measure: 'rejected'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT5M'
  }
  {
    name: 'landing-delivery-failed'
    severity: 2
    description: 'A supplier file was not loaded: every delivery of its landing event failed, Event Grid dead-lettered it, and the landing sweep replay failed again (docs/landing.md, "Delivery failures"); the file waits in landing/.'
    query: 'customMetrics | where name == "nhsflows.landing.deliveryFailed" | summarize failing = max(valueMax)'
    measure: 'failing'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT15M'
  }
  {
    name: 'malformed-events'
    severity: 2
    description: 'Event Hubs delivered events that are not valid delta envelopes.'
    query: 'customEvents | where name == "nhsflows.events.malformed" | summarize malformed = count()'
    measure: 'malformed'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT5M'
  }
]

resource queryRules 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [
  for rule in rules: {
    name: 'nhsflows-${rule.name}'
    location: location
    tags: tags
    properties: {
      displayName: 'nhs-flows: ${rule.name}'
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [appInsightsId]
      evaluationFrequency: 'PT5M'
      windowSize: rule.window
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: rule.operator == 'LessThan' ? 'Minimum' : 'Maximum'
            metricMeasureColumn: rule.measure
            operator: rule.operator
            threshold: rule.threshold
            dimensions: contains(rule, 'dimensions') ? rule.dimensions : []
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      actions: { actionGroups: [actionGroup.id] }
    }
  }
]

resource functionErrors 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'nhsflows-function-errors'
  location: 'global'
  tags: tags
  properties: {
    description: 'Function executions are failing (host level).'
    severity: 2
    enabled: true
    scopes: [functionAppId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          name: 'http5xx'
          metricName: 'Http5xx'
          operator: 'GreaterThan'
          threshold: 5
          timeAggregation: 'Total'
          criterionType: 'StaticThresholdCriterion'
        }
      ]
    }
    actions: [{ actionGroupId: actionGroup.id }]
  }
}

output actionGroupId string = actionGroup.id

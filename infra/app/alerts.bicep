// Azure Monitor alerts to on-call: failed batches, mass-delete guard trips, stale CDC (freshness),
// quarantine spikes, function failures. Each rule queries the custom events/metrics the app emits
// (names in README "Operate"), evaluated every 5 minutes.
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

var rules = [
  {
    name: 'batch-failed'
    severity: 1
    description: 'A pipeline batch failed or partly failed; it is on the poison queue for replay.'
    query: 'customEvents | where name == "nhsflows.batch.failed" | summarize failures = count()'
    threshold: 0
  }
  {
    name: 'cdc-mass-delete-guard'
    severity: 1
    description: 'The CDC poller refused a poll that would delete more than the configured share of a table.'
    query: 'customEvents | where name == "CaptureMassDeleteGuard" | summarize trips = count()'
    threshold: 0
  }
  {
    name: 'cdc-schema-drift'
    severity: 2
    description: 'A source table changed shape (columns added, dropped or retyped).'
    query: 'customEvents | where name == "CaptureSchemaDrift" | summarize drifts = count()'
    threshold: 0
  }
  {
    name: 'cdc-stale'
    severity: 2
    description: 'A captured table has not been polled successfully for 30 minutes.'
    query: 'customMetrics | where name == "capture.freshnessSeconds" | summarize worst = max(value)'
    threshold: 1800
  }
  {
    name: 'quarantine-spike'
    severity: 3
    description: 'More than 20% of a batch was quarantined.'
    query: 'customMetrics | where name == "nhsflows.batch.quarantineRate" | summarize worst = max(value)'
    threshold: 0.2
  }
  {
    name: 'malformed-events'
    severity: 2
    description: 'Event Hubs delivered events that are not valid delta envelopes.'
    query: 'customEvents | where name == "nhsflows.events.malformed" | summarize malformed = count()'
    threshold: 0
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
      windowSize: 'PT5M'
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Maximum'
            metricMeasureColumn: split(split(rule.query, 'summarize ')[1], ' =')[0]
            operator: 'GreaterThan'
            threshold: rule.threshold
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

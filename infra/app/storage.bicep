// Two accounts. The Functions host account (durable task hub, leases, Event Hubs checkpoints, the
// Flex Consumption deployment container): no patient data. The ADLS Gen2 lake (hierarchical
// namespace): one container per lake layer, the capture hash state, the identity register and the
// audit trail, the state tables and the poison queues.
//
// Shared keys are disabled; the app's identity holds data-plane roles only, each at the narrowest
// scope the operation allows: Blob Data Contributor per lake container, Queue Data Contributor per
// queue, Table Data Contributor per table. No Owner, no *Data Owner, no Storage Account Contributor.
// The names below are the code's (tests/unit/deploy-readiness checks them against the sources).
param hostAccountName string
param lakeAccountName string
param location string
param tags object
param principalId string
param bronzeRetentionDays int
param landingRetentionDays int
@description('Days each audit record is kept immutable (time-based WORM on the audit container; the policy is left unlocked for an operator to lock).')
param auditImmutabilityDays int
param enablePrivateNetworking bool
@description('Resource id of the Synapse workspace allowed through the lake firewall when private networking is on; empty for none.')
param synapseWorkspaceId string

var roles = {
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

// shared/domain/lake/lake-paths.ts LAKE_CONTAINERS, plus the capture hash state
// (capture-hash-state.ts CAPTURE_STATE_CONTAINER) and the identity register / re-key tables.
var lakeContainers = [
  'landing'
  'bronze'
  'silver'
  'gold'
  'quarantine'
  'state'
  'audit'
  'cdc-state'
  'identity'
  'landing-deadletter'
]

// NHSFLOWS_POISON_QUEUE's default. (A landing event that fails every delivery is dead-lettered by
// Event Grid to the landing-deadletter container instead.)
var lakeQueues = [
  'nhs-flows-batches-poison'
]

// Control state (small): the batch ledger, capture manifests and heartbeats, operations state
// (circuit breakers, mass-delete releases), the landing register and its content index (files
// awaiting a manifest, duplicates by SHA-256: landing-register.ts).
var lakeTables = [
  'nhsflowsbatches'
  'cdcstate'
  'nhsflowsoperations'
  'nhsflowslanding'
  'nhsflowslandingcontent'
]

// Flex Consumption pulls the app package from this container (function-app.bicep functionAppConfig).
var deploymentContainer = 'deployments'

var networkAcls = enablePrivateNetworking
  ? {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
      resourceAccessRules: empty(synapseWorkspaceId)
        ? []
        : [{ tenantId: subscription().tenantId, resourceId: synapseWorkspaceId }]
    }
  : { defaultAction: 'Allow', bypass: 'AzureServices' }

resource host 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: hostAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: enablePrivateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: enablePrivateNetworking ? { defaultAction: 'Deny', bypass: 'AzureServices' } : { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource hostBlob 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: host
  name: 'default'
}

resource deployments 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: hostBlob
  name: deploymentContainer
  properties: { publicAccess: 'None' }
}

resource lake 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: lakeAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    isHnsEnabled: true
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: enablePrivateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: networkAcls
  }
}

resource lakeBlob 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: lake
  name: 'default'
  properties: { deleteRetentionPolicy: { enabled: true, days: 7 } }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for name in lakeContainers: {
    parent: lakeBlob
    name: name
    properties: { publicAccess: 'None' }
  }
]

// Audit records (operator actions: replay, mass-delete release, key rotation, re-identification) are
// create-only in the code; a time-based immutability policy makes them write-once for the app's
// identity too, which holds Blob Data Contributor on the container. Left unlocked: locking is an
// irreversible operator decision (docs/deploy.md).
resource auditImmutability 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: containers[indexOf(lakeContainers, 'audit')]
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: auditImmutabilityDays
    allowProtectedAppendWrites: false
  }
}

// Bronze holds identifiable data: deleted after the retention period. Landing is a drop zone: a file
// whose name is accepted is copied byte for byte to bronze when it is ingested; one rejected by its
// name (wrong folder, unknown table, format) is reported and left in landing/. Either way drops are
// deleted after landingRetentionDays. The identity register lives in its own container, outside both rules.
resource retention 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: lake
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'bronze-retention'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['bronze/'] }
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: bronzeRetentionDays } } }
          }
        }
        {
          name: 'landing-retention'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['landing/'] }
            actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: landingRetentionDays } } }
          }
        }
      ]
    }
  }
}

resource lakeQueue 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: lake
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for name in lakeQueues: {
    parent: lakeQueue
    name: name
  }
]

resource lakeTable 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: lake
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for name in lakeTables: {
    parent: lakeTable
    name: name
  }
]

// The host account holds no patient data. The durable task hub creates its own queues, tables and
// lease containers (named after NHSFLOWS_TASK_HUB), so these three are account-scoped here: the
// minimum the Durable Functions Azure Storage provider and the host need. No Storage Account
// Contributor: that is for a polling blob trigger, and landingFile is an Event Grid trigger.
resource hostRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [roles.blobDataContributor, roles.queueDataContributor, roles.tableDataContributor]: {
    name: guid(host.id, principalId, role)
    scope: host
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

resource containerRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (container, i) in lakeContainers: {
    name: guid(containers[i].id, principalId, roles.blobDataContributor)
    scope: containers[i]
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
    }
  }
]

resource queueRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (queue, i) in lakeQueues: {
    name: guid(queues[i].id, principalId, roles.queueDataContributor)
    scope: queues[i]
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.queueDataContributor)
    }
  }
]

resource tableRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (table, i) in lakeTables: {
    name: guid(tables[i].id, principalId, roles.tableDataContributor)
    scope: tables[i]
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.tableDataContributor)
    }
  }
]

// BlobCreated events of the lake; the subscription to the Function App's landingFile (an Event Grid
// trigger) is made after code deploy (infra/hooks/subscribe-landing-events.mjs), when the function
// exists. The topic's own identity writes events it could not deliver to landing-deadletter, which
// the landing sweep replays (docs/landing.md).
resource lakeEvents 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: '${lakeAccountName}-events'
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: lake.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

var deadLetterIndex = indexOf(lakeContainers, 'landing-deadletter')

resource deadLetterRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(containers[deadLetterIndex].id, lakeEvents.id, roles.blobDataContributor)
  scope: containers[deadLetterIndex]
  properties: {
    principalId: lakeEvents.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
  }
}

output hostAccountName string = host.name
output hostAccountId string = host.id
output hostBlobUrl string = host.properties.primaryEndpoints.blob
output deploymentContainerUrl string = '${host.properties.primaryEndpoints.blob}${deploymentContainer}'
output lakeAccountId string = lake.id
output lakeAccountName string = lake.name
output lakeBlobUrl string = lake.properties.primaryEndpoints.blob
output lakeTableUrl string = lake.properties.primaryEndpoints.table
output lakeQueueUrl string = lake.properties.primaryEndpoints.queue
output lakeDfsUrl string = lake.properties.primaryEndpoints.dfs
output lakeDfsGoldUrl string = '${lake.properties.primaryEndpoints.dfs}gold'
output lakeEventsTopicName string = lakeEvents.name

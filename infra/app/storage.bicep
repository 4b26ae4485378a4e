// Two accounts: the Functions host account (durable task hub, leases) and the ADLS Gen2 lake
// (hierarchical namespace) with the five layer containers and the keyed-state container, state tables and the poison queue.
// Shared keys are disabled: the managed identity has data-plane roles.
param hostAccountName string
param lakeAccountName string
param location string
param tags object
param principalId string
param bronzeRetentionDays int

var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  accountContributor: '17d1049b-9a84-46fb-8f53-869881c3d3ab'
}

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
  }
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
  }
}

resource lakeBlob 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: lake
  name: 'default'
  properties: { deleteRetentionPolicy: { enabled: true, days: 7 } }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for name in ['landing', 'bronze', 'silver', 'gold', 'quarantine', 'state']: {
    parent: lakeBlob
    name: name
    properties: { publicAccess: 'None' }
  }
]

// Bronze holds identifiable data: it is deleted after the retention period.
resource bronzeRetention 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
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
      ]
    }
  }
}

resource lakeQueue 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: lake
  name: 'default'
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: lakeQueue
  name: 'nhs-flows-batches-poison'
}

resource lakeTable 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: lake
  name: 'default'
}

resource hostRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [roles.blobDataOwner, roles.queueDataContributor, roles.tableDataContributor, roles.accountContributor]: {
    name: guid(host.id, principalId, role)
    scope: host
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

resource lakeRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [roles.blobDataOwner, roles.queueDataContributor, roles.tableDataContributor]: {
    name: guid(lake.id, principalId, role)
    scope: lake
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

output hostAccountName string = host.name
output lakeAccountId string = lake.id
output lakeBlobUrl string = lake.properties.primaryEndpoints.blob
output lakeTableUrl string = lake.properties.primaryEndpoints.table
output lakeQueueUrl string = lake.properties.primaryEndpoints.queue
output lakeDfsUrl string = lake.properties.primaryEndpoints.dfs
output lakeDfsGoldUrl string = '${lake.properties.primaryEndpoints.dfs}gold'

// Event Hubs for CDC deltas: partition key = table + business key keeps per-key order.
// The app's identity sends (cdcPoller) and receives (cdcConsumer) on the one hub, scoped to that hub:
// Data Sender and Data Receiver, never namespace Owner.
param namespaceName string
param hubName string
param location string
param tags object
param principalId string
param enablePrivateNetworking bool

var roles = {
  dataSender: '2b629674-e913-4c01-ae53-ef4638d8f975'
  dataReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'
}

// cdcConsumer reads through the built-in `$Default` group (functions/cdc-consumer.function.ts), which
// every hub has; a consumer group added to the code is declared here.
var consumerGroups = []

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: { name: 'Standard', tier: 'Standard', capacity: 1 }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    isAutoInflateEnabled: true
    maximumThroughputUnits: 4
    publicNetworkAccess: enablePrivateNetworking ? 'Disabled' : 'Enabled'
  }
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: hubName
  properties: {
    partitionCount: 8
    messageRetentionInDays: 7
  }
}

resource groups 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = [
  for name in consumerGroups: {
    parent: hub
    name: name
  }
]

resource hubRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [roles.dataSender, roles.dataReceiver]: {
    name: guid(hub.id, principalId, role)
    scope: hub
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

output namespaceId string = namespace.id
output namespaceHost string = '${namespace.name}.servicebus.windows.net'
output hubName string = hub.name

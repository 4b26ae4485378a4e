// nhs-flows: the Function App and everything it needs, identity-based (no keys in app settings).
// Compose: identity → monitoring → storage (host + lake) → event hubs → key vault → function app
// → alerts → (optional) Synapse. Outputs are the app settings' values (see README configuration table).
targetScope = 'resourceGroup'

@minLength(3)
@maxLength(12)
@description('Short environment name used in resource names, e.g. "nhsflowsdev".')
param environmentName string

@description('Azure region.')
param location string = resourceGroup().location

@description('E-mail address of the on-call rota (Azure Monitor action group).')
param onCallEmail string

@description('Optional webhook (e.g. PagerDuty/Teams) for on-call alerts; empty to skip.')
param onCallWebhookUrl string = ''

@description('Deploy a Synapse workspace with a dedicated SQL pool for the warehouse.')
param deploySynapse bool = false

@description('Entra ID object id of the Synapse SQL administrator group (required when deploySynapse).')
param synapseAdminGroupObjectId string = ''

@description('Days bronze (identifiable, restricted) data is kept before deletion.')
@minValue(7)
param bronzeRetentionDays int = 90

var abbrs = loadJsonContent('abbreviations.json')
var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'azd-env-name': environmentName, product: 'nhs-flows' }

module identity 'app/identity.bicep' = {
  name: 'identity'
  params: { name: '${abbrs.managedIdentity}${environmentName}-${token}', location: location, tags: tags }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: '${abbrs.logAnalytics}${environmentName}-${token}'
    appInsightsName: '${abbrs.appInsights}${environmentName}-${token}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  params: {
    hostAccountName: take('${abbrs.storageAccount}fn${token}', 24)
    lakeAccountName: take('${abbrs.storageAccount}lake${token}', 24)
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    bronzeRetentionDays: bronzeRetentionDays
  }
}

module eventHubs 'app/event-hubs.bicep' = {
  name: 'event-hubs'
  params: {
    namespaceName: '${abbrs.eventHubNamespace}${environmentName}-${token}'
    hubName: 'nhs-flows-cdc'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module keyVault 'app/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    name: take('${abbrs.keyVault}${environmentName}${token}', 24)
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  params: {
    name: '${abbrs.functionApp}${environmentName}-${token}'
    planName: '${abbrs.appServicePlan}${environmentName}-${token}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    hostStorageAccountName: storage.outputs.hostAccountName
    lakeBlobUrl: storage.outputs.lakeBlobUrl
    lakeTableUrl: storage.outputs.lakeTableUrl
    lakeQueueUrl: storage.outputs.lakeQueueUrl
    eventHubNamespaceHost: eventHubs.outputs.namespaceHost
    eventHubName: eventHubs.outputs.hubName
    keyVaultUrl: keyVault.outputs.url
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    synapseGoldUrl: deploySynapse ? storage.outputs.lakeDfsGoldUrl : ''
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    functionAppId: functionApp.outputs.id
    onCallEmail: onCallEmail
    onCallWebhookUrl: onCallWebhookUrl
    actionGroupName: '${abbrs.actionGroup}${environmentName}-oncall'
  }
}

module synapse 'app/synapse.bicep' = if (deploySynapse) {
  name: 'synapse'
  params: {
    workspaceName: '${abbrs.synapseWorkspace}${environmentName}-${token}'
    location: location
    tags: tags
    lakeAccountId: storage.outputs.lakeAccountId
    lakeDfsUrl: storage.outputs.lakeDfsUrl
    adminGroupObjectId: synapseAdminGroupObjectId
  }
}

output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output NHSFLOWS_LAKE_ACCOUNT_URL string = storage.outputs.lakeBlobUrl
output NHSFLOWS_STATE_TABLE_URL string = storage.outputs.lakeTableUrl
output NHSFLOWS_EVENTHUB_NAMESPACE string = eventHubs.outputs.namespaceHost
output NHSFLOWS_KEYVAULT_URL string = keyVault.outputs.url
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.appInsightsConnectionString

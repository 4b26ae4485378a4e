// nhs-flows: the Function App and everything it needs, identity-based (no keys in app settings).
// Compose: identity → (optional) network → monitoring → storage (host + lake) → event hubs → key vault
// → Synapse → function app → alerts → (optional) private endpoints. Outputs are the app settings'
// values and what the post-deploy hook needs (docs/deploy.md).
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

@description('Deploy the Synapse workspace and dedicated SQL pool azure mode requires. false = bring your own pool: set externalSynapseGoldUrl and the synapse-sql-connection secret (docs/deploy.md); without them the app refuses to start.')
param deploySynapse bool = true

@description('With deploySynapse=false: the URL the existing pool reads gold from (https://<account>.dfs.core.windows.net/gold).')
param externalSynapseGoldUrl string = ''

@description('Entra ID object id of the group that administers Synapse SQL and may call the admin endpoints.')
param adminGroupObjectId string

@description('Display name of that group (the Synapse Entra admin login).')
param adminGroupName string = 'nhs-flows-admins'

@description('Client IP ranges allowed through the Synapse firewall when private networking is off: [{ name, startIpAddress, endIpAddress }].')
param synapseFirewallRules array = []

@description('Client id of the Entra app registration in front of the admin endpoints (App Service Authentication); empty = function keys only.')
param adminApiClientId string = ''

@description('Audience (app ID URI or client id) of the Entra app registration of the data API (/api/v1): its access tokens are accepted; empty = named API keys only.')
param dataApiAudience string = ''

@description('Private networking: VNet integration, private endpoints and DNS zones for storage, Event Hubs, Key Vault and Synapse; public network access off.')
param enablePrivateNetworking bool = false

@description('Address space of the VNet (private networking).')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Days a supplier drop stays in landing/ (it is copied to bronze on ingest) before deletion.')
@minValue(1)
param landingRetentionDays int = 30

@description('Days each audit record stays immutable (WORM) in the audit container.')
param auditImmutabilityDays int = 2555

@description('Days bronze (identifiable, restricted) data is kept before deletion.')
@minValue(7)
param bronzeRetentionDays int = 90

var abbrs = loadJsonContent('abbreviations.json')
var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'azd-env-name': environmentName, product: 'nhs-flows' }
var synapseName = '${abbrs.synapseWorkspace}${environmentName}-${token}'
var synapseSecretName = 'synapse-sql-connection'

module identity 'app/identity.bicep' = {
  name: 'identity'
  params: { name: '${abbrs.managedIdentity}${environmentName}-${token}', location: location, tags: tags }
}

module network 'app/network.bicep' = if (enablePrivateNetworking) {
  name: 'network'
  params: {
    name: '${abbrs.virtualNetwork}${environmentName}-${token}'
    location: location
    tags: tags
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: cidrSubnet(vnetAddressPrefix, 24, 0)
    endpointSubnetPrefix: cidrSubnet(vnetAddressPrefix, 24, 1)
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: '${abbrs.logAnalytics}${environmentName}-${token}'
    appInsightsName: '${abbrs.appInsights}${environmentName}-${token}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
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
    landingRetentionDays: landingRetentionDays
    auditImmutabilityDays: auditImmutabilityDays
    enablePrivateNetworking: enablePrivateNetworking
    synapseWorkspaceId: deploySynapse ? resourceId('Microsoft.Synapse/workspaces', synapseName) : ''
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
    enablePrivateNetworking: enablePrivateNetworking
  }
}

module keyVault 'app/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    name: take('${abbrs.keyVault}${environmentName}${token}', 24)
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    enablePrivateNetworking: enablePrivateNetworking
    // The documented mssql form for the user-assigned identity (docs/deploy.md): no password in it.
    synapseConnectionString: deploySynapse
      ? 'Server=tcp:${synapseName}.sql.azuresynapse.net,1433;Database=nhsflows;Authentication=Active Directory Default;User Id=${identity.outputs.clientId};Encrypt=True'
      : ''
    synapseSecretName: synapseSecretName
  }
}

module synapse 'app/synapse.bicep' = if (deploySynapse) {
  name: 'synapse'
  params: {
    workspaceName: synapseName
    location: location
    tags: tags
    lakeAccountName: storage.outputs.lakeAccountName
    lakeDfsUrl: storage.outputs.lakeDfsUrl
    adminGroupObjectId: adminGroupObjectId
    adminGroupName: adminGroupName
    firewallRules: synapseFirewallRules
    enablePrivateNetworking: enablePrivateNetworking
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  // With private networking, the host reaches its storage only through the private endpoints.
  dependsOn: [endpoints]
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
    synapseGoldUrl: deploySynapse ? storage.outputs.lakeDfsGoldUrl : externalSynapseGoldUrl
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appSubnetId: enablePrivateNetworking ? network.outputs.appSubnetId : ''
    adminApiClientId: adminApiClientId
    adminGroupObjectId: adminGroupObjectId
    dataApiAudience: dataApiAudience
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

// Private endpoints (enablePrivateNetworking): every data-plane endpoint the app, the host and Synapse
// use. Public network access is off on each of these resources when the option is on. The list is
// known at the start of the deployment (a loop's array must be); the targets are looked up in the body.
var privateEndpoints = enablePrivateNetworking
  ? concat(
      [
        { name: 'host-blob', target: 'host', group: 'blob' }
        { name: 'host-queue', target: 'host', group: 'queue' }
        { name: 'host-table', target: 'host', group: 'table' }
        { name: 'lake-blob', target: 'lake', group: 'blob' }
        { name: 'lake-dfs', target: 'lake', group: 'dfs' }
        { name: 'lake-queue', target: 'lake', group: 'queue' }
        { name: 'lake-table', target: 'lake', group: 'table' }
        { name: 'eventhubs', target: 'eventHubs', group: 'namespace' }
        { name: 'keyvault', target: 'keyVault', group: 'vault' }
      ],
      deploySynapse ? [{ name: 'synapse-sql', target: 'synapse', group: 'Sql' }] : []
    )
  : []

var endpointTargets = {
  host: storage.outputs.hostAccountId
  lake: storage.outputs.lakeAccountId
  eventHubs: eventHubs.outputs.namespaceId
  keyVault: keyVault.outputs.id
  synapse: deploySynapse ? synapse.outputs.id : ''
}

module endpoints 'app/private-endpoint.bicep' = [
  for pe in privateEndpoints: {
    name: 'pe-${pe.name}'
    params: {
      name: '${abbrs.privateEndpoint}${environmentName}-${pe.name}'
      location: location
      tags: tags
      subnetId: network.outputs.endpointSubnetId
      targetId: endpointTargets[pe.target]
      groupId: pe.group
      dnsZoneId: network.outputs.zoneIds[pe.group]
    }
  }
]

output AZURE_RESOURCE_GROUP string = resourceGroup().name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_HOSTNAME string = functionApp.outputs.defaultHostName
output NHSFLOWS_LAKE_EVENTS_TOPIC string = storage.outputs.lakeEventsTopicName
output NHSFLOWS_LAKE_ACCOUNT_ID string = storage.outputs.lakeAccountId
output NHSFLOWS_KEYVAULT_NAME string = keyVault.outputs.name
output NHSFLOWS_SYNAPSE_SQL_ENDPOINT string = deploySynapse ? synapse.outputs.sqlEndpoint : ''
output NHSFLOWS_IDENTITY_NAME string = identity.outputs.name
output NHSFLOWS_LAKE_ACCOUNT_URL string = storage.outputs.lakeBlobUrl
output NHSFLOWS_STATE_TABLE_URL string = storage.outputs.lakeTableUrl
output NHSFLOWS_EVENTHUB_NAMESPACE string = eventHubs.outputs.namespaceHost
output NHSFLOWS_KEYVAULT_URL string = keyVault.outputs.url
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.appInsightsConnectionString

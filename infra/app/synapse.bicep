// Synapse workspace + dedicated SQL pool: the shared warehouse azure mode requires
// (NHSFLOWS_WAREHOUSE_KIND=synapse). Entra-only authentication with an Entra admin group; the
// workspace identity reads the `gold` container only (COPY INTO), never landing, bronze or the
// identity register. The app identity's database user is created after deploy by infra/sql/.
param workspaceName string
param location string
param tags object
param lakeAccountName string
param lakeDfsUrl string
param adminGroupObjectId string
@description('Display name of the Entra admin group (shown as the SQL admin login).')
param adminGroupName string
@description('Client IP ranges allowed through the workspace firewall: [{ name, startIpAddress, endIpAddress }].')
param firewallRules array
param enablePrivateNetworking bool

var blobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'

resource workspace 'Microsoft.Synapse/workspaces@2021-06-01' = {
  name: workspaceName
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    defaultDataLakeStorage: {
      accountUrl: lakeDfsUrl
      filesystem: 'gold'
    }
    azureADOnlyAuthentication: true
    // Public access can be turned off only on a workspace with a managed virtual network, which is
    // fixed when the workspace is created (turning private networking on later recreates it).
    managedVirtualNetwork: enablePrivateNetworking ? 'default' : null
    publicNetworkAccess: enablePrivateNetworking ? 'Disabled' : 'Enabled'
    cspWorkspaceAdminProperties: { initialWorkspaceAdminObjectId: adminGroupObjectId }
  }
}

resource entraAdmin 'Microsoft.Synapse/workspaces/administrators@2021-06-01' = {
  parent: workspace
  name: 'activeDirectory'
  properties: {
    administratorType: 'ActiveDirectory'
    login: adminGroupName
    sid: adminGroupObjectId
    tenantId: subscription().tenantId
  }
}

// With public access on, the Function App (Flex Consumption has no fixed outbound address) reaches
// the pool as an Azure service; operators' addresses are listed in firewallRules. With private
// networking, public access is off and the pool is reached through its private endpoint only.
resource allowAzure 'Microsoft.Synapse/workspaces/firewallRules@2021-06-01' = if (!enablePrivateNetworking) {
  parent: workspace
  name: 'AllowAllWindowsAzureIps'
  properties: { startIpAddress: '0.0.0.0', endIpAddress: '0.0.0.0' }
}

resource clientRules 'Microsoft.Synapse/workspaces/firewallRules@2021-06-01' = [
  for rule in (enablePrivateNetworking ? [] : firewallRules): {
    parent: workspace
    name: rule.name
    properties: { startIpAddress: rule.startIpAddress, endIpAddress: rule.endIpAddress }
  }
]

resource pool 'Microsoft.Synapse/workspaces/sqlPools@2021-06-01' = {
  parent: workspace
  name: 'nhsflows'
  location: location
  tags: tags
  sku: { name: 'DW100c' }
  properties: { createMode: 'Default', collation: 'SQL_Latin1_General_CP1_CI_AS' }
}

resource lake 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: lakeAccountName
}

resource lakeBlob 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: lake
  name: 'default'
}

resource gold 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: lakeBlob
  name: 'gold'
}

resource readGold 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(gold.id, workspace.id, blobDataReader)
  scope: gold
  properties: {
    principalId: workspace.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataReader)
  }
}

output id string = workspace.id
output sqlEndpoint string = '${workspace.name}.sql.azuresynapse.net'
output databaseName string = pool.name

// Optional Synapse workspace + dedicated SQL pool; its managed identity reads gold for COPY INTO.
param workspaceName string
param location string
param tags object
param lakeAccountId string
param lakeDfsUrl string
param adminGroupObjectId string

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
    cspWorkspaceAdminProperties: { initialWorkspaceAdminObjectId: adminGroupObjectId }
  }
}

resource pool 'Microsoft.Synapse/workspaces/sqlPools@2021-06-01' = {
  parent: workspace
  name: 'nhsflows'
  location: location
  tags: tags
  sku: { name: 'DW100c' }
  properties: { createMode: 'Default', collation: 'SQL_Latin1_General_CP1_CI_AS' }
}

resource lake 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: last(split(lakeAccountId, '/'))
}

resource readGold 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(lakeAccountId, workspace.id, blobDataReader)
  scope: lake
  properties: {
    principalId: workspace.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataReader)
  }
}

output sqlEndpoint string = '${workspace.name}.sql.azuresynapse.net'

// Key Vault (RBAC) holding the pseudonymisation master key and the source / Synapse connection strings.
// The app's identity may only read secrets (Key Vault Secrets User); key custodians are granted separately.
param name string
param location string
param tags object
param principalId string
param enablePrivateNetworking bool
@description('The Synapse connection string (managed identity: it carries no credential); empty to leave the secret to the operator.')
param synapseConnectionString string
@description('Name of the secret holding it (NHSFLOWS_SYNAPSE_SECRET).')
param synapseSecretName string

var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: 90
    publicNetworkAccess: enablePrivateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: { defaultAction: enablePrivateNetworking ? 'Deny' : 'Allow', bypass: 'AzureServices' }
  }
}

resource synapseSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(synapseConnectionString)) {
  parent: vault
  name: synapseSecretName
  properties: { value: synapseConnectionString, contentType: 'mssql connection string (managed identity)' }
}

resource role 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, secretsUser)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser)
  }
}

output id string = vault.id
output name string = vault.name
output url string = vault.properties.vaultUri

// The Function App (Node 20, v4 programming model) on Flex Consumption, running as the
// user-assigned identity. Every app setting the code reads is set here; connections are
// identity-based (`<name>__…` settings), never keys.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param hostStorageAccountName string
param lakeBlobUrl string
param lakeTableUrl string
param lakeQueueUrl string
param eventHubNamespaceHost string
param eventHubName string
param keyVaultUrl string
@secure()
param appInsightsConnectionString string
param synapseGoldUrl string

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'pipeline' })
  kind: 'functionapp,linux'
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identityId}': {} } }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: 'https://${hostStorageAccountName}.blob.${environment().suffixes.storage}/deployments'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      runtime: { name: 'node', version: '20' }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 4096 }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [
        // Host storage (durable task hub), identity-based.
        { name: 'AzureWebJobsStorage__accountName', value: hostStorageAccountName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        { name: 'NHSFLOWS_TASK_HUB', value: 'nhsflows' }
        // libuv's pool carries DuckDB statements and file I/O; the default 4 threads starve them.
        { name: 'UV_THREADPOOL_SIZE', value: '16' }
        // Trigger connections (identity-based).
        { name: 'NHSFLOWS_EVENTHUB__fullyQualifiedNamespace', value: eventHubNamespaceHost }
        { name: 'NHSFLOWS_EVENTHUB__credential', value: 'managedidentity' }
        { name: 'NHSFLOWS_EVENTHUB__clientId', value: identityClientId }
        { name: 'NHSFLOWS_LAKE__blobServiceUri', value: lakeBlobUrl }
        { name: 'NHSFLOWS_LAKE__queueServiceUri', value: lakeQueueUrl }
        { name: 'NHSFLOWS_LAKE__credential', value: 'managedidentity' }
        { name: 'NHSFLOWS_LAKE__clientId', value: identityClientId }
        // The app's own settings (shared/config/settings.schema.ts).
        { name: 'NHSFLOWS_MODE', value: 'azure' }
        { name: 'NHSFLOWS_DATA_DIR', value: '/tmp/nhs-flows' }
        { name: 'NHSFLOWS_LAKE_ACCOUNT_URL', value: lakeBlobUrl }
        { name: 'NHSFLOWS_STATE_TABLE_URL', value: lakeTableUrl }
        { name: 'NHSFLOWS_SOURCE_KIND', value: 'mssql' }
        { name: 'NHSFLOWS_SOURCE_MSSQL_SECRET', value: 'source-sql-connection' }
        { name: 'NHSFLOWS_CDC_SCHEDULE', value: '0 */5 * * * *' }
        { name: 'NHSFLOWS_MARTS_SCHEDULE', value: '0 30 * * * *' }
        { name: 'NHSFLOWS_CDC_BATCH_SIZE', value: '5000' }
        { name: 'NHSFLOWS_CDC_MAX_DELETE_SHARE', value: '0.1' }
        { name: 'NHSFLOWS_EVENTS_KIND', value: 'eventhubs' }
        { name: 'NHSFLOWS_EVENTHUB_NAMESPACE', value: eventHubNamespaceHost }
        { name: 'NHSFLOWS_EVENTHUB_NAME', value: eventHubName }
        { name: 'NHSFLOWS_KEYVAULT_URL', value: keyVaultUrl }
        { name: 'NHSFLOWS_PSEUDO_KEY_SECRET', value: 'pseudonymisation-master-key' }
        { name: 'NHSFLOWS_REIDENTIFICATION_ROLE', value: '' }
        { name: 'NHSFLOWS_WAREHOUSE_KIND', value: empty(synapseGoldUrl) ? 'duckdb' : 'synapse' }
        { name: 'NHSFLOWS_SYNAPSE_SECRET', value: 'synapse-sql-connection' }
        { name: 'NHSFLOWS_SYNAPSE_GOLD_URL', value: synapseGoldUrl }
        { name: 'NHSFLOWS_CHUNK_SIZE', value: '50000' }
        { name: 'NHSFLOWS_MAX_FANOUT', value: '500' }
        { name: 'NHSFLOWS_POISON_QUEUE', value: 'nhs-flows-batches-poison' }
        { name: 'NHSFLOWS_LOG_LEVEL', value: 'info' }
      ]
    }
  }
}

output id string = app.id
output name string = app.name

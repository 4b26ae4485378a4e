// The Function App (Node 22, v4 programming model) on Flex Consumption, running as the
// user-assigned identity. Every app setting the code reads is set here; connections are
// identity-based (`<name>__…` settings), never keys (tests/unit/deploy-readiness checks both ways).
// Admin endpoints (status, replay) take a function key and, when adminApiClientId is given, an Entra
// ID token of a member of adminGroupObjectId (App Service Authentication).
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
param deploymentContainerUrl string
@description('Subnet for VNet integration (private networking); empty for none.')
param appSubnetId string
@description('Client id of the Entra app registration fronting the admin endpoints; empty = function keys only.')
param adminApiClientId string
@description('Object id of the Entra group whose members may call the admin endpoints.')
param adminGroupObjectId string
@description('Audience (app ID URI or client id) of the Entra app registration of the data API; empty = named API keys only.')
param dataApiAudience string = ''

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
    virtualNetworkSubnetId: empty(appSubnetId) ? null : appSubnetId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      runtime: { name: 'node', version: '22' }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 4096 }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      vnetRouteAllEnabled: !empty(appSubnetId)
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
        // The app's own settings (shared/config/settings.schema.ts).
        { name: 'NHSFLOWS_MODE', value: 'azure' }
        { name: 'NHSFLOWS_DATA_DIR', value: '/tmp/nhs-flows' }
        { name: 'NHSFLOWS_LAKE_ACCOUNT_URL', value: lakeBlobUrl }
        { name: 'NHSFLOWS_STATE_TABLE_URL', value: lakeTableUrl }
        { name: 'NHSFLOWS_SOURCE_KIND', value: 'mssql' }
        { name: 'NHSFLOWS_SOURCE_MSSQL_SECRET', value: 'source-sql-connection' }
        { name: 'NHSFLOWS_CDC_SCHEDULE', value: '0 */5 * * * *' }
        { name: 'NHSFLOWS_MARTS_SCHEDULE', value: '0 30 * * * *' }
        { name: 'NHSFLOWS_RECONCILE_SCHEDULE', value: '0 0 3 * * *' }
        { name: 'NHSFLOWS_OMOP_SCHEDULE', value: '0 0 4 * * 0' }
        // Marts (docs/marts.md): the high-cost spell threshold and the frequent-attender count.
        { name: 'NHSFLOWS_HIGH_COST_SPELL_GBP', value: '5000' }
        { name: 'NHSFLOWS_FREQUENT_ATTENDER_MIN', value: '5' }
        { name: 'NHSFLOWS_CDC_BATCH_SIZE', value: '5000' }
        { name: 'NHSFLOWS_CDC_FILE_MIN_DELTAS', value: '1000' }
        { name: 'NHSFLOWS_CDC_MAX_DELETE_SHARE', value: '0.1' }
        { name: 'NHSFLOWS_EVENTS_KIND', value: 'eventhubs' }
        { name: 'NHSFLOWS_EVENTHUB_NAMESPACE', value: eventHubNamespaceHost }
        { name: 'NHSFLOWS_EVENTHUB_NAME', value: eventHubName }
        { name: 'NHSFLOWS_KEYVAULT_URL', value: keyVaultUrl }
        { name: 'NHSFLOWS_PSEUDO_KEY_SECRET', value: 'pseudonymisation-master-key' }
        { name: 'NHSFLOWS_REIDENTIFICATION_ROLE', value: '' }
        // Rotate and rekey need this Entra app role in the caller's token (docs/keys.md).
        { name: 'NHSFLOWS_KEY_CUSTODIAN_ROLE', value: 'KeyCustodian' }
        { name: 'NHSFLOWS_OPT_OUT_EXEMPTIONS', value: '' }
        // Azure mode requires the shared warehouse (the embedded one is refused at startup).
        { name: 'NHSFLOWS_DATA_API_TENANT_ID', value: empty(dataApiAudience) ? '' : tenant().tenantId }
        { name: 'NHSFLOWS_DATA_API_AUDIENCE', value: dataApiAudience }
        { name: 'NHSFLOWS_WAREHOUSE_KIND', value: 'synapse' }
        { name: 'NHSFLOWS_SYNAPSE_SECRET', value: 'synapse-sql-connection' }
        { name: 'NHSFLOWS_SYNAPSE_GOLD_URL', value: synapseGoldUrl }
        // SQL pools (source and Synapse): connect and request timeouts, transient-error retries.
        { name: 'NHSFLOWS_SQL_CONNECTION_TIMEOUT_MS', value: '30000' }
        { name: 'NHSFLOWS_SQL_REQUEST_TIMEOUT_MS', value: '1200000' }
        { name: 'NHSFLOWS_SQL_RETRY_ATTEMPTS', value: '4' }
        { name: 'NHSFLOWS_SYNAPSE_COPY_MAX_ERRORS', value: '0' }
        // Source prerequisites (docs/deploy.md): snapshot reads and Change Tracking tables are opt-in.
        { name: 'NHSFLOWS_SOURCE_MSSQL_SNAPSHOT', value: 'false' }
        { name: 'NHSFLOWS_SOURCE_MSSQL_CHANGE_TRACKING_TABLES', value: '' }
        { name: 'NHSFLOWS_CHUNK_SIZE', value: '50000' }
        { name: 'NHSFLOWS_MAX_FANOUT', value: '500' }
        { name: 'NHSFLOWS_LANDING_MANIFEST_WAIT_MINUTES', value: '60' }
        { name: 'NHSFLOWS_POISON_QUEUE', value: 'nhs-flows-batches-poison' }
        { name: 'NHSFLOWS_LOG_LEVEL', value: 'info' }
      ]
    }
  }
}

// Entra ID in front of the app: every path needs a token of the admin group except the health probe
// and the Event Grid trigger's webhook that landingFile's subscription delivers to (Event Grid cannot
// present a token; it carries the eventgrid_extension system key instead). Function keys still apply
// behind it.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(adminApiClientId)) {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      // The data API (/api/v1/…) authenticates each request itself (API keys, its own Entra audience).
      excludedPaths: ['/api/health', '/runtime/webhooks/eventgrid', '/api/v1/*']
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: adminApiClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${subscription().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: ['api://${adminApiClientId}']
          defaultAuthorizationPolicy: { allowedPrincipals: { groups: [adminGroupObjectId] } }
        }
      }
    }
  }
}

output id string = app.id
output name string = app.name
output defaultHostName string = app.properties.defaultHostName

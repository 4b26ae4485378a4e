// Private networking (enablePrivateNetworking): a VNet with a subnet for the Function App's VNet
// integration (delegated to Microsoft.App/environments, as Flex Consumption requires) and one for
// private endpoints, plus the private DNS zones the endpoints register in, linked to the VNet.
// An on-premises SQL Server source is reached through this VNet (peering, VPN or ExpressRoute).
param name string
param location string
param tags object
param addressPrefix string
param appSubnetPrefix string
param endpointSubnetPrefix string

// One zone per private endpoint group the deployment uses (storage blob/dfs/queue/table, Event Hubs,
// Key Vault, Synapse SQL).
var zoneNames = {
  blob: 'privatelink.blob.${environment().suffixes.storage}'
  dfs: 'privatelink.dfs.${environment().suffixes.storage}'
  queue: 'privatelink.queue.${environment().suffixes.storage}'
  table: 'privatelink.table.${environment().suffixes.storage}'
  namespace: 'privatelink.servicebus.windows.net'
  vault: 'privatelink.vaultcore.azure.net'
  Sql: 'privatelink.sql.azuresynapse.net'
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-01-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [addressPrefix] }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [{ name: 'flex-consumption', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: endpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [
  for zone in items(zoneNames): {
    name: zone.value
    location: 'global'
    tags: tags
  }
]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [
  for (zone, i) in items(zoneNames): {
    parent: zones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: { id: vnet.id }
    }
  }
]

output appSubnetId string = vnet.properties.subnets[0].id
output endpointSubnetId string = vnet.properties.subnets[1].id
output zoneIds object = {
  blob: resourceId('Microsoft.Network/privateDnsZones', zoneNames.blob)
  dfs: resourceId('Microsoft.Network/privateDnsZones', zoneNames.dfs)
  queue: resourceId('Microsoft.Network/privateDnsZones', zoneNames.queue)
  table: resourceId('Microsoft.Network/privateDnsZones', zoneNames.table)
  namespace: resourceId('Microsoft.Network/privateDnsZones', zoneNames.namespace)
  vault: resourceId('Microsoft.Network/privateDnsZones', zoneNames.vault)
  Sql: resourceId('Microsoft.Network/privateDnsZones', zoneNames.Sql)
}

/** Orchestration and activity names: the wire contract with the Durable task hub. */
export const ORCHESTRATIONS = {
  pipeline: 'pipelineOrchestrator',
  chunk: 'chunkOrchestrator',
} as const;

export const ACTIVITIES = {
  planChunks: 'planChunks',
  validateChunk: 'validateChunk',
  pseudonymiseChunk: 'pseudonymiseChunk',
  /** Pipeline version 2: validate and pseudonymise one chunk (version-1 instances call the two above). */
  validatePseudonymiseChunk: 'validatePseudonymiseChunk',
  mergePatientDimension: 'mergePatientDimension',
  buildGold: 'buildGold',
  loadWarehouse: 'loadWarehouse',
  writeManifest: 'writeManifest',
  reportFailure: 'reportFailure',
} as const;

export const FUNCTIONS = {
  cdcPoller: 'cdcPoller',
  martsRefresh: 'martsRefresh',
  reconcile: 'reconcileLayers',
  omopExport: 'omopExport',
  cdcConsumer: 'cdcConsumer',
  landingFile: 'landingFile',
  landingManifestSweep: 'landingManifestSweep',
  health: 'health',
  status: 'status',
  replay: 'replayPoison',
  releaseMassDelete: 'releaseMassDelete',
  keysRotate: 'keysRotate',
  keysRekey: 'keysRekey',
  keysStatus: 'keysStatus',
  reidentify: 'reidentify',
  optOutImport: 'optOutImport',
  dataApiMart: 'dataApiMart',
  dataApiOpenApi: 'dataApiOpenApi',
} as const;

/** App-setting names of binding connections (identity-based on Azure: `<name>__fullyQualifiedNamespace`, `<name>__blobServiceUri`). */
export const CONNECTIONS = {
  eventHub: 'NHSFLOWS_EVENTHUB',
  /** The lake account whose BlobCreated events feed landingFile (the local runtime's subscription). */
  lake: 'NHSFLOWS_LAKE',
} as const;

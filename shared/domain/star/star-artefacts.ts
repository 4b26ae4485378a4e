import { WAREHOUSE_TABLES } from '../gold/table-access.js';
import { renderSynapseDdl } from '../warehouse/synapse-ddl.js';
import { renderOutputsDoc } from './outputs-doc.js';
import { renderPowerBiModel } from './powerbi-model.js';

/** Where the generated Synapse DDL lives. */
export const SYNAPSE_DDL_PATH = 'infra/synapse/gold-tables.sql';
/** Where the generated outputs doc lives. */
export const OUTPUTS_DOC_PATH = 'docs/outputs.md';

/**
 * Every file generated from the gold and mart declarations (`npm run star:generate`, checked by
 * `npm run star:generate -- --check` and tests/unit/star/star-artefacts.test.ts): the Synapse DDL,
 * the Power BI project and docs/outputs.md. Paths are relative to the repository root.
 */
export function renderStarArtefacts(): { path: string; text: string }[] {
  return [
    { path: SYNAPSE_DDL_PATH, text: renderSynapseDdl(WAREHOUSE_TABLES) },
    ...renderPowerBiModel(),
    { path: OUTPUTS_DOC_PATH, text: renderOutputsDoc() },
  ];
}

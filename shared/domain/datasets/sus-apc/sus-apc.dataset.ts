import type { DatasetDeclaration } from '../declaration.js';
import { susApcEpisode } from './sus-apc-episode.table.js';
import { susApcSpell } from './sus-apc-spell.table.js';

/** SUS+ Admitted Patient Care: the declaration every derived form of its tables is built from. */
export const susApc: DatasetDeclaration = {
  dataset: 'sus_apc',
  title: 'SUS+ APC (admitted patient care)',
  name: 'SUS+ APC',
  rulePrefix: 'SUS',
  slug: 'sus-apc',
  tables: [susApcSpell, susApcEpisode],
};

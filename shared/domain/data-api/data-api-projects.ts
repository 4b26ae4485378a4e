import { PUBLISHED_MARTS } from '../disclosure/published-marts.js';
import { MART_TABLES } from '../gold/mart-tables.js';
import { projectsInForce } from '../pseudonymise/projects.js';
import { dataApiCatalogue, type DataApiCatalogue } from './api-clients.js';

/**
 * The data API's catalogue from the projects in force (projects/projects.json: each project's
 * `publishedMarts` and `apiClients`, docs/projects.md) and the mart declarations. Read at each
 * request, so it follows the file the process put in force.
 */
export function defaultDataApiCatalogue(): DataApiCatalogue {
  return dataApiCatalogue(projectsInForce().projects, MART_TABLES, PUBLISHED_MARTS);
}

import type { GoldTable } from '../gold/gold-tables.js';
import type { PublishedTable } from '../disclosure/published-table.js';
import type { ProjectId } from '../pseudonymise/projects.js';

/**
 * Who may read what through the data API (docs/api.md). A client is declared by one project and
 * reads that project's published marts only: a CareFlow client cannot read Community 360. The
 * catalogue is derived from the project declarations (`DataApiProject` is the part of a project
 * the API reads) and the mart declarations: a mart is reachable only when its project lists it as
 * published, its table's `access` is `published` and it has a disclosure-control declaration.
 */

/** Client names: they name the client's API key in the secret store and its usage records. */
export const API_CLIENT_NAME = /^[a-z][a-z0-9-]{2,62}$/;

/** The part of a project declaration the data API reads. */
export interface DataApiProject {
  readonly id: ProjectId;
  readonly publishedMarts: readonly string[];
  readonly apiClients: readonly { readonly name: string; readonly rateLimitPerMinute: number }[];
}

/** A declared client: its project and its rate limit. */
export interface ApiClientGrant {
  readonly name: string;
  readonly project: ProjectId;
  readonly rateLimitPerMinute: number;
}

/** A mart the API serves: its project, its table declaration and its disclosure-control declaration. */
export interface DataApiMart {
  readonly project: ProjectId;
  readonly table: GoldTable;
  readonly published: PublishedTable;
}

export interface DataApiCatalogue {
  readonly projects: readonly ProjectId[];
  readonly clients: ReadonlyMap<string, ApiClientGrant>;
  /** Keyed `<project>/<mart>`. */
  readonly marts: ReadonlyMap<string, DataApiMart>;
}

/**
 * The catalogue from the project declarations, the mart tables and the published declarations.
 * A project's published mart that is restricted or has no disclosure-control declaration is left
 * out (never served), whatever the project file says.
 */
export function dataApiCatalogue(
  projects: readonly DataApiProject[],
  tables: readonly GoldTable[],
  published: Readonly<Record<string, PublishedTable>>,
): DataApiCatalogue {
  const clients = new Map<string, ApiClientGrant>();
  const marts = new Map<string, DataApiMart>();
  for (const project of projects) {
    for (const c of project.apiClients)
      clients.set(c.name, { name: c.name, project: project.id, rateLimitPerMinute: c.rateLimitPerMinute });
    for (const name of project.publishedMarts) {
      const table = tables.find((t) => t.name === name);
      const declaration = published[name];
      if (table?.access === 'published' && declaration)
        marts.set(`${project.id}/${name}`, { project: project.id, table, published: declaration });
    }
  }
  return { projects: projects.map((p) => p.id), clients, marts };
}

/** Why a client may not read a project, or undefined when it may. */
export function refusalFor(client: ApiClientGrant, project: ProjectId): string | undefined {
  return client.project === project
    ? undefined
    : `client '${client.name}' is granted project '${client.project}' only`;
}

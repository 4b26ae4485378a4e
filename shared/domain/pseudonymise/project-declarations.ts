import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { DatasetId, SourceTableName } from '../datasets/source-tables.js';
import type { OptOutExemptionBasis } from '../opt-out/opt-out-list.js';

/**
 * The client projects as data: the projects file (`projects/projects.json` by default,
 * `NHSFLOWS_PROJECTS_FILE` elsewhere; docs/projects.md). Adding a project touches this file only.
 *
 * Contract: a project's `pseudonymDomain` is the label its pseudonym key is derived with
 * (`nhs-flows/pseudonym/v1/<pseudonymDomain>`, project-key.ts). Changing it changes every token the
 * project has: never edit it for a project that has data; the shipped projects use their id.
 */

/** A project id: validated at load (lower-case letters and digits, starting with a letter). */
export type ProjectId = string & { readonly __brand: 'ProjectId' };

/**
 * Lower-case letters and digits, starting with a letter, 3 to 40 characters: the id names the
 * project's patient dimension state table (`dimpatient<id>`, an Azure Table name: alphanumeric,
 * 3-63 characters) and its folders in the identity container.
 */
export const PROJECT_ID_PATTERN = /^[a-z][a-z0-9]{2,39}$/;

/** Dataset ids a project may take (the declared datasets; checked against the source tables). */
const DATASET_IDS = [
  'sus_apc',
  'prescribing',
  'mhsds',
  'ecds',
  'csds',
  'dids',
] as const satisfies readonly DatasetId[];
const OPT_OUT_BASES = ['direct-care', 'legal-exemption'] as const satisfies readonly OptOutExemptionBasis[];

const name = (pattern: RegExp, what: string) => z.string().regex(pattern, `expected ${what}`);

/** One API client of a project's data API (docs/projects.md): its name and its request budget. */
export const apiClientDeclarationSchema = z
  .object({
    /** Unique across the file: names the client's API key in the secret store and the usage log. */
    name: name(
      /^[a-z][a-z0-9-]{2,62}$/,
      'lower-case letters, digits and -, starting with a letter, 3-63 characters',
    ),
    /** Requests the client may make per minute; past it the API answers 429. */
    rateLimitPerMinute: z.number().int().min(1).max(100_000),
  })
  .strict();

/** One project, as declared in the projects file. */
export const projectDeclarationSchema = z
  .object({
    id: name(PROJECT_ID_PATTERN, 'lower-case letters and digits, starting with a letter, 3-40 characters'),
    title: z.string().trim().min(1).max(120),
    /** The datasets whose records the project receives; each dataset belongs to one project. */
    datasets: z.array(z.enum(DATASET_IDS)).min(1),
    /** The pseudonym key derivation label (module contract); unique across the file. */
    pseudonymDomain: name(
      /^[a-z0-9][a-z0-9._-]{0,63}$/,
      'lower-case letters, digits, ., _ and -, 1-64 characters',
    ),
    /** Marts built for the project (restricted ones included), by warehouse table name. */
    marts: z.array(z.string().min(1)),
    /** The marts the project publishes (disclosure-controlled): a subset of `marts`, each published. */
    publishedMarts: z.array(z.string().min(1)),
    /** National Data Opt-out: `exemption` null = filtered (the default); else the basis (docs/opt-out.md). */
    optOut: z.object({ exemption: z.enum(OPT_OUT_BASES).nullable() }).strict(),
    /** Who may call the project's data API. */
    apiClients: z.array(apiClientDeclarationSchema),
  })
  .strict();

/** The projects file. */
export const projectsFileSchema = z.object({ projects: z.array(projectDeclarationSchema).min(1) }).strict();

export interface ApiClientDeclaration {
  readonly name: string;
  readonly rateLimitPerMinute: number;
}

/** One project, validated. */
export interface ProjectDeclaration {
  readonly id: ProjectId;
  readonly title: string;
  readonly datasets: readonly DatasetId[];
  readonly pseudonymDomain: string;
  readonly marts: readonly string[];
  readonly publishedMarts: readonly string[];
  readonly optOut: { readonly exemption: OptOutExemptionBasis | null };
  readonly apiClients: readonly ApiClientDeclaration[];
}

/** What the file's marts are checked against: every declared mart, its access and its source tables. */
export interface MartDeclarationRef {
  readonly name: string;
  readonly access: 'published' | 'restricted';
  readonly sourceTables: readonly SourceTableName[];
  /** The dataset of each source table. */
  readonly datasetOf: (table: SourceTableName) => DatasetId;
  /** The pathway module that builds the mart (its facts are built for one project only). */
  readonly family?: string;
}

/**
 * Parses and checks a projects file (its JSON text, or the parsed value). Throws one `ConfigError`
 * naming the file and every problem: schema errors by path, a duplicate id, pseudonym domain or
 * API client name, a dataset two projects take (naming both and the dataset), a mart that is not
 * declared, whose source tables are not the project's, that two projects claim, a pathway module
 * whose marts two projects split, or a published mart that is not in `marts` or not published.
 */
export function parseProjectsFile(
  content: unknown,
  source: string,
  marts: readonly MartDeclarationRef[],
): readonly ProjectDeclaration[] {
  let value = content;
  if (typeof content === 'string') {
    try {
      value = JSON.parse(content) as unknown;
    } catch (cause) {
      throw new ConfigError([`projects file ${source}: not JSON (${(cause as Error).message})`]);
    }
  }
  const parsed = projectsFileSchema.safeParse(value);
  if (!parsed.success)
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `projects file ${source}: ${i.path.length > 0 ? i.path.join('.') : '(file)'}: ${i.message}`,
      ),
    );
  const problems: string[] = [];
  const projects = parsed.data.projects;
  const firstOwner = <K>(seen: Map<K, string>, key: K, owner: string, what: (first: string) => string) => {
    const first = seen.get(key);
    if (first !== undefined) problems.push(what(first));
    else seen.set(key, owner);
  };
  const ids = new Map<string, string>();
  const domains = new Map<string, string>();
  const datasets = new Map<string, string>();
  const clients = new Map<string, string>();
  const martOwners = new Map<string, string>();
  const martByName = new Map(marts.map((m) => [m.name, m]));
  for (const p of projects) {
    firstOwner(ids, p.id, p.id, () => `project id '${p.id}' is declared twice`);
    firstOwner(
      domains,
      p.pseudonymDomain,
      p.id,
      (first) =>
        `projects '${first}' and '${p.id}' share the pseudonym domain '${p.pseudonymDomain}' (their tokens would be joinable)`,
    );
    for (const d of new Set(p.datasets))
      firstOwner(
        datasets,
        d,
        p.id,
        (first) =>
          `dataset '${d}' is taken by projects '${first}' and '${p.id}' (each dataset belongs to exactly one project)`,
      );
    if (new Set(p.datasets).size !== p.datasets.length) problems.push(`${p.id}: a dataset is listed twice`);
    for (const c of p.apiClients)
      firstOwner(
        clients,
        c.name,
        p.id,
        (first) => `API client '${c.name}' is declared by '${first}' and '${p.id}'`,
      );
    for (const m of p.marts) {
      const declared = martByName.get(m);
      if (!declared) {
        problems.push(
          `${p.id}: mart '${m}' is not a declared mart (expected one of ${marts.map((x) => x.name).join(', ')})`,
        );
        continue;
      }
      firstOwner(
        martOwners,
        m,
        p.id,
        (first) => `mart '${m}' is claimed by projects '${first}' and '${p.id}'`,
      );
      const foreign = declared.sourceTables.filter((t) => !p.datasets.includes(declared.datasetOf(t)));
      if (foreign.length > 0)
        problems.push(
          `${p.id}: mart '${m}' is built from ${foreign.join(', ')}, whose datasets the project does not take`,
        );
    }
    for (const m of p.publishedMarts) {
      if (!p.marts.includes(m)) problems.push(`${p.id}: published mart '${m}' is not in its marts`);
      else if (martByName.get(m)?.access === 'restricted')
        problems.push(`${p.id}: mart '${m}' is restricted (row-level) and cannot be published`);
    }
  }
  const familyOwners = new Map<string, string>();
  for (const p of projects)
    for (const m of p.marts) {
      const family = martByName.get(m)?.family;
      if (family === undefined) continue;
      const first = familyOwners.get(family);
      if (first === undefined) familyOwners.set(family, p.id);
      else if (first !== p.id)
        problems.push(
          `mart '${m}' of '${p.id}' is built by the ${family} pathway module, whose marts '${first}' also declares (one project per module)`,
        );
    }
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `projects file ${source}: ${p}`));
  return Object.freeze(
    projects.map((p) =>
      Object.freeze({
        ...p,
        id: p.id as ProjectId,
        datasets: Object.freeze([...p.datasets]),
        marts: Object.freeze([...p.marts]),
        publishedMarts: Object.freeze([...p.publishedMarts]),
        optOut: Object.freeze({ ...p.optOut }),
        apiClients: Object.freeze(p.apiClients.map((c) => Object.freeze({ ...c }))),
      }),
    ),
  );
}

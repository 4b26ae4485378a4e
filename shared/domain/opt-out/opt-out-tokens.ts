import { z } from 'zod';
import { PersonLinker } from '../link/person-linker.js';
import { PROJECT_ID_PATTERN, type ProjectId } from '../pseudonymise/project-declarations.js';
import { isWithheldByOptOut, type OptOutPeriod } from './opt-out-list.js';

/**
 * The opt-out list as stored: per project, each entry's tokens (one per key version, in
 * `keyVersions` order) and its period. Never an NHS number.
 *
 * Contract (`opt-out/<listId>.json` in the identity container, JSON, create-only; version 1):
 * `{ version: 1, listId, importedAt, entries, projects: { <project>: { keyVersions: [v…],
 * entries: [{ tokens: [hex64…], from: 'YYYY-MM-DD', until: 'YYYY-MM-DD' | null }] } } }`. Tokens are
 * `patient_token`s of that project at that key version (docs/pseudonymisation.md), so they match
 * silver and gold without the list ever holding a number. The newest `listId` (ISO instant order)
 * is the list in force: an import replaces the previous list whole.
 */
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const projectList = z.object({
  keyVersions: z.array(z.string().min(1)).min(1),
  entries: z.array(
    z.object({
      tokens: z.array(z.string().regex(/^[0-9a-f]{64}$/)).min(1),
      from: day,
      until: day.nullable(),
    }),
  ),
});
export const storedOptOutListSchema = z.object({
  version: z.literal(1),
  listId: z.string().regex(/^[A-Za-z0-9_.=-]+$/),
  importedAt: z.string(),
  entries: z.number().int().min(0),
  // Keyed by project id: a list may hold projects no longer declared (ignored when applied).
  projects: z.record(z.string().regex(PROJECT_ID_PATTERN), projectList),
});
export type StoredOptOutList = z.infer<typeof storedOptOutListSchema>;
export type StoredProjectOptOut = z.infer<typeof projectList>;

/** The id of a list imported at `at`: sortable, so the newest id is the list in force. */
export function optOutListId(at: Date): string {
  return `optout-${at.toISOString().replace(/[:.]/g, '')}`;
}

/** A row as the filter judges it: its project pseudonym and, once linked, its person. */
export interface OptOutJudgedRow {
  readonly patient_token?: unknown;
  readonly person_id?: unknown;
}

/**
 * One project's opt-outs, indexed by token (at any stored key version) and by person id (the
 * linker's id of each token, so records linked to an opted-out person by the fallback key are
 * withheld too). Pure; built once per refresh or export.
 */
export class OptOutFilter {
  private readonly byToken = new Map<string, OptOutPeriod[]>();
  private readonly byPerson = new Map<string, OptOutPeriod[]>();

  constructor(
    readonly project: ProjectId,
    readonly keyVersions: readonly string[],
    entries: StoredProjectOptOut['entries'],
  ) {
    const linker = new PersonLinker({ project, keyVersion: keyVersions[0] ?? '' });
    const add = (map: Map<string, OptOutPeriod[]>, key: string, period: OptOutPeriod) => {
      const periods = map.get(key);
      if (periods) periods.push(period);
      else map.set(key, [period]);
    };
    for (const entry of entries) {
      const period = { from: entry.from, until: entry.until };
      for (const token of entry.tokens) {
        add(this.byToken, token, period);
        add(this.byPerson, linker.personIdOfToken(token), period);
      }
    }
  }

  /** Patients (tokens across versions count once per version) the filter knows. */
  get tokens(): number {
    return this.byToken.size;
  }

  /** Whether the record is withheld: its token or its person has an opt-out in force on the date. */
  withholds(row: OptOutJudgedRow, activityDate: unknown): boolean {
    const token = typeof row.patient_token === 'string' ? this.byToken.get(row.patient_token) : undefined;
    if (token && isWithheldByOptOut(token, activityDate)) return true;
    const person = typeof row.person_id === 'string' ? this.byPerson.get(row.person_id) : undefined;
    return person !== undefined && isWithheldByOptOut(person, activityDate);
  }
}

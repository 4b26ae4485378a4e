import type { ObjectStore } from '../ports/object-store.port.js';
import { lakePaths } from '../../domain/lake/lake-paths.js';
import type { SourceRow } from '../../domain/datasets/source-tables.js';
import { normaliseNhsNumber, validateNhsNumber } from '../../domain/nhs/nhs-number.js';
import type { ProjectId } from '../../domain/pseudonymise/projects.js';
import type { RegisteredIdentities } from '../../domain/pseudonymise/rekey.js';

/**
 * The custodian's identity register: which identities each project has seen, kept in the
 * restricted `identity` container (never silver or gold; outside bronze's retention), so that
 * - re-identification can map a token back to an NHS number (HMAC is one-way: the custodian
 *   recomputes tokens of registered numbers and looks the requested ones up), and
 * - re-keying after a rotation can map old tokens to new ones without re-reading raw bronze.
 *
 * Contract (restricted layout, identity container):
 * `identity/<project>/<batchId>-<chunk 5 digits>.ndjson`, one JSON object per line, either
 * `{"n":"<10-digit NHS number>"}` or `{"f":["<DOB>","<sex>","<LSOA>"]}` (the parts of a fallback
 * link key), distinct within the file. Files are written create-only, so a retried chunk changes
 * nothing. The container has no lifecycle deletion: the register must outlive bronze (90 days),
 * or tokens of older records could no longer be re-keyed or re-identified.
 */
export const IDENTITY_CONTAINER = 'identity';

export function identityRegisterPath(project: ProjectId, batchId: string, chunk: number): string {
  return lakePaths.identityRegister(project, batchId, chunk);
}

/** Collects the identities of one chunk while it is pseudonymised (valid NHS numbers; DOB + sex + LSOA). */
export class IdentityCollector {
  private readonly nhs = new Set<string>();
  private readonly fallback = new Set<string>();

  /** `bronzeRow` gives the NHS number and DOB; `lsoa` is the LSOA the silver row got (or null). */
  add(bronzeRow: SourceRow, lsoa: string | null | undefined): void {
    const raw = bronzeRow.nhs_number;
    if (typeof raw === 'string' && raw.length > 0) {
      const digits = validateNhsNumber(raw).ok ? raw : normaliseNhsNumber(raw);
      if (validateNhsNumber(digits).ok) this.nhs.add(digits);
    }
    const dob = bronzeRow.date_of_birth;
    const sex = bronzeRow.sex;
    if (typeof dob === 'string' && typeof sex === 'string' && lsoa)
      this.fallback.add(JSON.stringify([dob.slice(0, 10), sex.trim(), lsoa]));
  }

  get size(): number {
    return this.nhs.size + this.fallback.size;
  }

  toNdjson(): string {
    const lines: string[] = [];
    for (const n of this.nhs) lines.push(JSON.stringify({ n }));
    for (const f of this.fallback) lines.push(`{"f":${f}}`);
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}

/** Reads and writes the identity register through the object store (restricted identity container). */
export class IdentityRegister {
  constructor(
    private readonly store: ObjectStore,
    /** Restricted container (default `identity`). */
    private readonly container: string = IDENTITY_CONTAINER,
  ) {}

  /** Records a chunk's identities (create-only: a retried chunk writes nothing new). */
  async record(
    project: ProjectId,
    batchId: string,
    chunk: number,
    collected: IdentityCollector,
  ): Promise<void> {
    if (collected.size === 0) return;
    await this.store.put(
      this.container,
      identityRegisterPath(project, batchId, chunk),
      collected.toNdjson(),
      {
        ifNoneMatch: '*',
        contentType: 'application/x-ndjson',
      },
    );
  }

  /** Every registered identity of a project, de-duplicated (held in memory: a few bytes per person). */
  async load(project: ProjectId): Promise<RegisteredIdentities> {
    const nhs = new Set<string>();
    const fallback = new Map<string, readonly [string, string, string]>();
    for await (const info of this.store.list(this.container, lakePaths.identityPrefix(project))) {
      const body = await this.store.get(this.container, info.path);
      if (!body) continue;
      for (const line of body.toString('utf8').split('\n')) {
        if (line.length === 0) continue;
        const entry = JSON.parse(line) as { n?: string; f?: [string, string, string] };
        if (typeof entry.n === 'string') nhs.add(entry.n);
        else if (Array.isArray(entry.f) && entry.f.length === 3) fallback.set(entry.f.join('|'), entry.f);
      }
    }
    return { nhsNumbers: nhs, fallbackParts: [...fallback.values()] };
  }
}

import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports/clock.port.js';
import type { StateStore } from '../ports/state-store.port.js';
import { createPseudonymiser } from '../../domain/pseudonymise/pseudonym.js';
import { isProjectId, type ProjectId } from '../../domain/pseudonymise/projects.js';
import type { IdentityRegister } from './pseudonymise-identity-register.js';
import type { ProjectKeyRing } from './pseudonymise-keys.js';

/**
 * Authorised re-identification: token → NHS number, for a named purpose, by a named caller in the
 * one configured role. Separate from the pipeline and OFF by default.
 *
 * Guarantees:
 * - it works only when the setting `NHSFLOWS_REIDENTIFICATION_ROLE` is non-empty AND the request
 *   presents exactly that role; every other call is refused;
 * - every call, granted or refused, writes an audit record (who, role, when, purpose, project,
 *   which tokens, outcome and reason, how many matched; never an NHS number) to the state store
 *   table {@link REIDENTIFICATION_AUDIT_TABLE} BEFORE anything is returned; if the audit cannot be
 *   written, the call throws and returns nothing;
 * - a granted call writes its audit record before it looks anything up, then updates it with the
 *   number matched;
 * - HMAC is one-way, so the lookup recomputes the tokens of the numbers in the custodian's identity
 *   register (restricted bronze) under the requested key version and matches them. The resulting
 *   token → NHS number map exists only in this process's memory; it is never written anywhere.
 */
export const REIDENTIFICATION_AUDIT_TABLE = 'reidentificationaudit';
export const MAX_TOKENS_PER_REQUEST = 200;

export interface ReidentifyRequest {
  /** Who is asking (user principal or service name). */
  readonly caller: string;
  /** The role the caller presents (from its authenticated claims). */
  readonly role: string;
  /** Why: the approved purpose (e.g. a safeguarding case or a data-subject request reference). */
  readonly purpose: string;
  readonly project: ProjectId;
  readonly tokens: readonly { readonly token: string; readonly keyVersion: string }[];
}

export type ReidentifyRefusal = 'disabled' | 'role-not-authorised' | 'invalid-request' | 'too-many-tokens';

export type ReidentifyResult =
  | {
      readonly outcome: 'granted';
      readonly auditId: string;
      readonly identities: readonly {
        readonly token: string;
        readonly keyVersion: string;
        readonly nhsNumber: string | null;
      }[];
    }
  | {
      readonly outcome: 'refused';
      readonly auditId: string;
      readonly reason: ReidentifyRefusal;
      readonly message: string;
    };

export interface ReidentifyDeps {
  /** The setting NHSFLOWS_REIDENTIFICATION_ROLE ('' = re-identification is off). */
  readonly configuredRole: string;
  readonly audit: StateStore;
  readonly register: IdentityRegister;
  readonly keys: ProjectKeyRing;
  readonly clock: Clock;
  readonly newId?: () => string;
  /** Audit table name (default {@link REIDENTIFICATION_AUDIT_TABLE}). */
  readonly auditTable?: string;
}

/** The audit entity (Table storage properties). `tokens` is `<keyVersion>:<token>` joined by commas. */
export type ReidentificationAuditRecord = {
  auditId: string;
  at: string;
  caller: string;
  role: string;
  purpose: string;
  project: string;
  tokenCount: number;
  tokens: string;
  outcome: 'granted' | 'refused' | 'failed';
  reason: string;
  matched: number | null;
};

const TOKEN = /^[0-9a-f]{64}$/;
const VERSION = /^[A-Za-z0-9_.=-]{1,64}$/;

/** Free text is kept short, and any run of 10+ digits (a typed NHS number) is masked before it is stored. */
function clean(text: string, max: number): string {
  return text.replace(/\d[\d\s-]{8,}\d/g, '[digits removed]').slice(0, max);
}

function sameRole(configured: string, presented: string): boolean {
  const a = Buffer.from(configured);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function reidentify(
  deps: ReidentifyDeps,
  request: ReidentifyRequest,
): Promise<ReidentifyResult> {
  const at = deps.clock.now();
  const auditId = (deps.newId ?? randomUUID)();
  const auditTable = deps.auditTable ?? REIDENTIFICATION_AUDIT_TABLE;
  const partition = at.toISOString().slice(0, 7);
  const rowKey = `${at.toISOString()}_${auditId}`;
  const tokens: ReidentifyRequest['tokens'] = Array.isArray(request.tokens) ? request.tokens : [];
  const record: ReidentificationAuditRecord = {
    auditId,
    at: at.toISOString(),
    caller: clean(String(request.caller ?? ''), 256),
    role: clean(String(request.role ?? ''), 128),
    purpose: clean(String(request.purpose ?? ''), 1000),
    project: clean(String(request.project ?? ''), 32),
    tokenCount: tokens.length,
    // Only well-formed tokens are stored verbatim; anything else could be an identifier pasted in error.
    tokens: tokens
      .slice(0, MAX_TOKENS_PER_REQUEST)
      .map(
        (t) =>
          `${VERSION.test(String(t.keyVersion)) ? t.keyVersion : '?'}:${TOKEN.test(String(t.token)) ? t.token : '(malformed)'}`,
      )
      .join(','),
    outcome: 'refused',
    reason: '',
    matched: null,
  };

  await deps.audit.ensureTables([auditTable]);
  const refuse = async (reason: ReidentifyRefusal, message: string): Promise<ReidentifyResult> => {
    await deps.audit.insert(auditTable, partition, rowKey, {
      ...record,
      outcome: 'refused',
      reason,
    });
    return { outcome: 'refused', auditId, reason, message };
  };

  if (deps.configuredRole.trim() === '')
    return refuse('disabled', 're-identification is off: NHSFLOWS_REIDENTIFICATION_ROLE is not set');
  if (!sameRole(deps.configuredRole, String(request.role ?? '')))
    return refuse(
      'role-not-authorised',
      're-identification refused: the caller does not hold the configured role',
    );
  if (!request.caller?.trim() || !request.purpose?.trim())
    return refuse('invalid-request', 're-identification refused: caller and purpose are required');
  if (!isProjectId(String(request.project)))
    return refuse('invalid-request', 're-identification refused: unknown project');
  if (
    tokens.length === 0 ||
    tokens.some((t) => !TOKEN.test(String(t.token)) || !VERSION.test(String(t.keyVersion)))
  )
    return refuse(
      'invalid-request',
      're-identification refused: tokens must be 64 lower-case hex characters with a key version',
    );
  if (tokens.length > MAX_TOKENS_PER_REQUEST)
    return refuse(
      'too-many-tokens',
      `re-identification refused: at most ${MAX_TOKENS_PER_REQUEST} tokens per request; received ${tokens.length}`,
    );

  // Audit first, then look anything up.
  const etag = await deps.audit.insert(auditTable, partition, rowKey, {
    ...record,
    outcome: 'granted',
    reason: 'authorised',
  });
  try {
    const wanted = new Map<string, Set<string>>();
    for (const t of tokens) {
      let set = wanted.get(t.keyVersion);
      if (!set) wanted.set(t.keyVersion, (set = new Set()));
      set.add(t.token);
    }
    const identities = await deps.register.load(request.project);
    const found = new Map<string, string>();
    for (const [version, set] of wanted) {
      const pseudo = createPseudonymiser(await deps.keys.version(request.project, version), {
        cacheLimit: 1,
      });
      for (const nhs of identities.nhsNumbers) {
        const token = pseudo.tokenOfValid(nhs);
        if (set.has(token)) found.set(`${version}:${token}`, nhs);
      }
    }
    const result = tokens.map((t) => ({
      token: t.token,
      keyVersion: t.keyVersion,
      nhsNumber: found.get(`${t.keyVersion}:${t.token}`) ?? null,
    }));
    const matched = result.filter((r) => r.nhsNumber !== null).length;
    await deps.audit.upsert(
      auditTable,
      partition,
      rowKey,
      { ...record, outcome: 'granted', reason: 'authorised', matched },
      etag,
    );
    return { outcome: 'granted', auditId, identities: result };
  } catch (error) {
    await deps.audit
      .upsert(auditTable, partition, rowKey, {
        ...record,
        outcome: 'failed',
        reason: 'lookup failed',
      })
      .catch(() => undefined);
    throw error;
  }
}

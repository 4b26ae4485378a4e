import { hash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AuditRecord } from '../../domain/audit/audit-record.js';
import { createPseudonymiser } from '../../domain/pseudonymise/pseudonym.js';
import { isProjectId, type ProjectId } from '../../domain/pseudonymise/projects.js';
import { recordAudit, type AuditTrailDeps } from './audit/audit-trail.js';
import type { IdentityRegister } from './pseudonymise-identity-register.js';
import type { ProjectKeyRing } from './pseudonymise-keys.js';

/**
 * Authorised re-identification: token → NHS number, for a named purpose, by a named caller in the
 * one configured role. Separate from the pipeline and OFF by default.
 *
 * Guarantees:
 * - it works only when the setting `NHSFLOWS_REIDENTIFICATION_ROLE` is non-empty AND the request
 *   presents exactly that role; every other call is refused;
 * - every call, granted, refused or failed, writes one `reidentify` record to the lake's audit
 *   trail (`recordAudit`: actor, outcome, refusal code, purpose with digit runs masked, project,
 *   token count, the key versions asked for, a SHA-256 digest of the requested tokens, how many
 *   matched; never an NHS number and never a token) BEFORE anything is returned; if the audit
 *   cannot be written, the call throws and returns nothing;
 * - HMAC is one-way, so the lookup recomputes the tokens of the numbers in the custodian's identity
 *   register (restricted `identity` container) under the requested key version and matches them.
 *   The resulting token → NHS number map exists only in this process's memory and in the answer to
 *   the requester; it is never written or logged.
 */
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
  /** The lake audit trail (audit container) and its clock. */
  readonly audit: AuditTrailDeps;
  readonly register: IdentityRegister;
  readonly keys: ProjectKeyRing;
  readonly newId?: () => string;
}

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

/** SHA-256 of the requested `<version>:<token>` pairs, sorted: matches a request without keeping its tokens. */
export function tokensDigest(tokens: ReidentifyRequest['tokens']): string {
  const pairs = tokens.map((t) => `${String(t.keyVersion)}:${String(t.token)}`).sort();
  return hash('sha256', pairs.join('\n'), 'hex');
}

export async function reidentify(
  deps: ReidentifyDeps,
  request: ReidentifyRequest,
): Promise<ReidentifyResult> {
  const auditId = (deps.newId ?? randomUUID)();
  const tokens: ReidentifyRequest['tokens'] = Array.isArray(request.tokens) ? request.tokens : [];
  const versions = [
    ...new Set(tokens.map((t) => (VERSION.test(String(t.keyVersion)) ? String(t.keyVersion) : '?'))),
  ].sort();
  const base = {
    kind: 'reidentify' as const,
    id: auditId,
    actor: clean(String(request.caller ?? ''), 256).trim() || '(unknown)',
    details: {
      role: clean(String(request.role ?? ''), 128),
      purpose: clean(String(request.purpose ?? ''), 512),
      project: clean(String(request.project ?? ''), 32),
      tokenCount: tokens.length,
      keyVersions: versions.join(',').slice(0, 512),
      tokensDigest: tokensDigest(tokens),
    } as AuditRecord['details'],
  };
  const refuse = async (reason: ReidentifyRefusal, message: string): Promise<ReidentifyResult> => {
    await recordAudit({ ...base, outcome: 'refused', reason }, deps.audit);
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

  let result: { token: string; keyVersion: string; nhsNumber: string | null }[];
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
    result = tokens.map((t) => ({
      token: t.token,
      keyVersion: t.keyVersion,
      nhsNumber: found.get(`${t.keyVersion}:${t.token}`) ?? null,
    }));
  } catch (error) {
    await recordAudit({ ...base, outcome: 'failed', reason: 'lookup-failed' }, deps.audit);
    throw error;
  }
  const matched = result.filter((r) => r.nhsNumber !== null).length;
  // Audited before anything is returned: no audit record, no answer.
  await recordAudit(
    { ...base, outcome: 'done', reason: 'authorised', details: { ...base.details, matched } },
    deps.audit,
  );
  return { outcome: 'granted', auditId, identities: result };
}

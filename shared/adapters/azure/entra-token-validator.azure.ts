import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { InfrastructureError } from '../../domain/errors.js';
import type {
  BearerTokenResult,
  BearerTokenValidator,
} from '../../application/use-cases/data-api/bearer-token.port.js';

export interface EntraTokenValidatorOptions {
  /** The Entra ID tenant (directory) id whose tokens are accepted. */
  readonly tenantId: string;
  /** The data API's audience: its app ID URI (`api://…`) or application (client) id. */
  readonly audience: string;
  /**
   * The signing keys: default the tenant's JWKS
   * (`https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`, fetched and cached by
   * jose, refetched when a token names an unknown key id). Tests pass a local key set.
   */
  readonly keys?: JWTVerifyGetKey;
  /** Seconds of clock skew allowed on `exp` and `nbf` (default 60). */
  readonly clockToleranceSeconds?: number;
  /** The time tokens are judged at (tests inject it). */
  readonly now?: () => Date;
}

/**
 * Validates Entra ID access tokens with `jose`: RS256 signature against the tenant's JWKS, issuer
 * (the tenant's v2.0 or v1 issuer), audience, expiry and not-before. Answers `valid: false` with
 * the check that failed; never logs or returns the token or a claim value. Throws
 * `InfrastructureError('ENTRA_KEYS_UNAVAILABLE')` when the signing keys cannot be fetched.
 */
export class EntraTokenValidator implements BearerTokenValidator {
  readonly #keys: JWTVerifyGetKey;
  readonly #issuers: string[];

  constructor(private readonly options: EntraTokenValidatorOptions) {
    this.#keys =
      options.keys ??
      createRemoteJWKSet(
        new URL(
          `https://login.microsoftonline.com/${encodeURIComponent(options.tenantId)}/discovery/v2.0/keys`,
        ),
      );
    this.#issuers = [
      `https://login.microsoftonline.com/${options.tenantId}/v2.0`,
      `https://sts.windows.net/${options.tenantId}/`,
    ];
  }

  async validate(token: string): Promise<BearerTokenResult> {
    try {
      const { payload } = await jwtVerify(token, this.#keys, {
        issuer: this.#issuers,
        audience: this.options.audience,
        algorithms: ['RS256'],
        clockTolerance: this.options.clockToleranceSeconds ?? 60,
        requiredClaims: ['exp'],
        ...(this.options.now ? { currentDate: this.options.now() } : {}),
      });
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r) => typeof r === 'string') : [];
      const principal = [payload.azp, payload.appid, payload.oid].find((v) => typeof v === 'string');
      return { valid: true, roles, principal: typeof principal === 'string' ? principal : 'unknown' };
    } catch (error) {
      // The tenant's keys out of reach is an outage (the request fails, the host reports it), not a
      // bad token: every caller would otherwise be told their token is invalid.
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError))
        throw new InfrastructureError(
          'ENTRA_KEYS_UNAVAILABLE',
          'the Entra ID signing keys (JWKS) could not be read',
          {
            cause: error,
          },
        );
      return { valid: false, reason: reasonOf(error) };
    }
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `the token's ${error.claim} claim is not accepted`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey)
    return 'the token is signed with a key the tenant does not publish';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm not accepted';
  if (error instanceof errors.JWKSInvalid) return 'the tenant signing keys are not a valid key set';
  return 'the token is not a valid access token';
}

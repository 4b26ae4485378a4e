/**
 * Validates an Entra ID access token for the data API (the consumer owns the port; the adapter is
 * shared/adapters/azure/entra-token-validator.azure.ts). Guarantees: `valid` only when the
 * signature checks against the tenant's signing keys (JWKS), and issuer, audience, expiry and
 * not-before all hold; otherwise a reason that names the check, never the token or a claim value.
 */
export interface BearerTokenValidator {
  validate(token: string): Promise<BearerTokenResult>;
}

export type BearerTokenResult =
  | {
      readonly valid: true;
      /** App roles in the token (`roles`): the data API's client name is one of them. */
      readonly roles: readonly string[];
      /** Who called: the calling application's id (`azp`/`appid`) or the object id (`oid`). */
      readonly principal: string;
    }
  | { readonly valid: false; readonly reason: string };

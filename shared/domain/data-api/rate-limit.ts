/**
 * Per-client rate limit of the data API: a token bucket per client, holding at most a minute's
 * allowance (`perMinute` requests) and refilled continuously at `perMinute / 60` per second. A
 * client may burst its whole minute at once, then one request every `60 / perMinute` seconds.
 * Pure: the caller passes the time. State is in memory, one set of buckets per Function instance
 * (docs/api.md, "Limits": with N instances a client can get up to N × its limit).
 */
export type RateDecision =
  | { readonly allowed: true; readonly remaining: number }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();

  /** Takes one request from `client`'s bucket at `nowMs`, or says how long until one is free. */
  take(client: string, perMinute: number, nowMs: number): RateDecision {
    const capacity = Math.max(1, perMinute);
    const perMs = capacity / 60_000;
    const bucket = this.#buckets.get(client) ?? { tokens: capacity, at: nowMs };
    bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, nowMs - bucket.at) * perMs);
    bucket.at = nowMs;
    this.#buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }
}

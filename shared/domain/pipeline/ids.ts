import { hash } from 'node:crypto';

/** SHA-256 hex of a string (one-shot form: the fast one on hot paths). Deterministic ids are built on it. */
export function hashHex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** A short deterministic id: the first `length` hex characters of the SHA-256 of the parts. */
export function shortId(parts: readonly string[], length = 24): string {
  return hashHex(parts.join('\u001f')).slice(0, length);
}

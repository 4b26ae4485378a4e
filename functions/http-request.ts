import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';

/** What the admin endpoints read from a request: its JSON body and the authenticated principal. */

/** A JSON body (empty = {}); undefined when it is not JSON. */
export async function jsonBody(request: HttpRequest): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The authenticated principal: who (object id or name) and which roles, from `x-ms-client-principal`. */
export function principalOf(request: HttpRequest): { actor: string; roles: string[] } {
  const header = request.headers.get('x-ms-client-principal');
  if (!header) return { actor: 'admin-key', roles: [] };
  try {
    const parsed = z
      .object({
        claims: z.array(z.object({ typ: z.string(), val: z.string() })).default([]),
        role_typ: z.string().optional(),
      })
      .parse(JSON.parse(Buffer.from(header, 'base64').toString('utf8')));
    const claim = (...types: string[]) => parsed.claims.find((c) => types.includes(c.typ))?.val;
    const roleTypes = ['roles', 'role', parsed.role_typ ?? 'roles'];
    return {
      actor:
        claim('http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid', 'name') ?? 'principal',
      roles: parsed.claims.filter((c) => roleTypes.includes(c.typ)).map((c) => c.val),
    };
  } catch {
    return { actor: 'admin-key', roles: [] };
  }
}

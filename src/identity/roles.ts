/**
 * Effective roles: the roles granted on a project plus those they imply (admin ⇒
 * member ⇒ reader after bootstrap), in keystone's order — implied before implying, as
 * the reference demo token lists [reader, member].
 */
import type { RoleRow } from './db/schema.js';
import type { IdentityStore } from './db/store.js';

/** The effective roles of a user on a project; empty when it has no grant there. */
export async function effectiveRoles(store: IdentityStore, userId: string, projectId: string): Promise<RoleRow[]> {
  const grants = await store.listAssignments({ userId, projectId });
  if (grants.length === 0) return [];
  const roles = new Map((await store.listRoles()).map((r) => [r.id, r]));
  const implies = new Map<string, string[]>();
  for (const i of await store.listImpliedRoles()) {
    implies.set(i.prior_role_id, [...(implies.get(i.prior_role_id) ?? []), i.implied_role_id]);
  }
  const out: RoleRow[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const next of implies.get(id) ?? []) visit(next);
    const r = roles.get(id);
    if (r) out.push(r);
  };
  for (const g of grants) visit(g.role_id);
  return out;
}

/**
 * Row shapes of the identity tables (keystone's projects, users, roles, grants and
 * revocation events), as Kysely sees them; wire shapes live in api/views.ts.
 */
/** A project; keystone's `project` table without the domain-as-project rows. */
export interface ProjectRow {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  /** 0/1 */
  enabled: number;
  created_at: string;
}

/** A local user with its PBKDF2-SHA512 password hash (keystone's user + local_user + password). */
export interface UserRow {
  id: string;
  name: string;
  domain_id: string;
  password_hash: string | null;
  /** 0/1 */
  enabled: number;
  default_project_id: string | null;
  description: string | null;
  email: string | null;
  created_at: string;
}

/** A global role; `immutable` is keystone's resource option set by bootstrap. */
export interface RoleRow {
  id: string;
  name: string;
  description: string | null;
  /** 0/1 */
  immutable: number;
}

/** prior implies implied (keystone's implied_role table). */
export interface ImpliedRoleRow {
  prior_role_id: string;
  implied_role_id: string;
}

/** A direct user-on-project grant (keystone's assignment table, type UserProject). */
export interface AssignmentRow {
  user_id: string;
  project_id: string;
  role_id: string;
}

/** A revocation event: tokens matching every non-null field and issued no later than issued_before are revoked. */
export interface RevocationRow {
  id: string;
  audit_id: string | null;
  user_id: string | null;
  project_id: string | null;
  issued_before: string;
  revoked_at: string;
}

/** The identity service's database. */
export interface IdentityDB {
  identity_projects: ProjectRow;
  identity_users: UserRow;
  identity_roles: RoleRow;
  identity_implied_roles: ImpliedRoleRow;
  identity_assignments: AssignmentRow;
  identity_revocations: RevocationRow;
}

/**
 * Every SQL statement of the identity service. Callers get rows; a unique violation
 * surfaces as KeystoneConflict with keystone's wording. Not transactional across
 * calls: each method is one statement or one transaction of its own.
 */
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../../db/database.js';
import { KeystoneConflict } from '../errors.js';
import type { AssignmentRow, IdentityDB, ProjectRow, RevocationRow, RoleRow, UserRow } from './schema.js';

/** Filters for listing projects or users. */
export interface NameFilter {
  name?: string;
  domainId?: string;
}

/** Typed access to the identity tables. */
export class IdentityStore {
  constructor(private readonly db: Kysely<IdentityDB>) {}

  // ---- projects
  async createProject(row: ProjectRow): Promise<void> {
    try {
      await this.db.insertInto('identity_projects').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw new KeystoneConflict(
          'project',
          `it is not permitted to have two projects with either the same name or same id in the same domain: name is ${row.name}, project id ${row.id}`,
        );
      }
      throw e;
    }
  }
  getProject(id: string): Promise<ProjectRow | undefined> {
    return this.db.selectFrom('identity_projects').selectAll().where('id', '=', id).executeTakeFirst();
  }
  getProjectByName(name: string, domainId: string): Promise<ProjectRow | undefined> {
    return this.db
      .selectFrom('identity_projects')
      .selectAll()
      .where('name', '=', name)
      .where('domain_id', '=', domainId)
      .executeTakeFirst();
  }
  listProjects(f: NameFilter = {}): Promise<ProjectRow[]> {
    let q = this.db.selectFrom('identity_projects').selectAll();
    if (f.name !== undefined) q = q.where('name', '=', f.name);
    if (f.domainId !== undefined) q = q.where('domain_id', '=', f.domainId);
    return q.orderBy('id').execute();
  }
  async updateProject(id: string, patch: Partial<Pick<ProjectRow, 'name' | 'description' | 'enabled'>>): Promise<void> {
    if (Object.keys(patch).length === 0) return;
    try {
      await this.db.updateTable('identity_projects').set(patch).where('id', '=', id).execute();
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw new KeystoneConflict(
          'project',
          `it is not permitted to have two projects with either the same name or same id in the same domain: name is ${patch.name}, project id ${id}`,
        );
      }
      throw e;
    }
  }
  /** Deletes the project and every grant on it. */
  async deleteProject(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('identity_assignments').where('project_id', '=', id).execute();
      await tx.deleteFrom('identity_projects').where('id', '=', id).execute();
    });
  }

  // ---- users
  async createUser(row: UserRow): Promise<void> {
    try {
      await this.db.insertInto('identity_users').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw new KeystoneConflict('user', `Duplicate entry found with name ${row.name} at domain ID ${row.domain_id}`);
      }
      throw e;
    }
  }
  getUser(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('identity_users').selectAll().where('id', '=', id).executeTakeFirst();
  }
  getUserByName(name: string, domainId: string): Promise<UserRow | undefined> {
    return this.db
      .selectFrom('identity_users')
      .selectAll()
      .where('name', '=', name)
      .where('domain_id', '=', domainId)
      .executeTakeFirst();
  }
  listUsers(f: NameFilter = {}): Promise<UserRow[]> {
    let q = this.db.selectFrom('identity_users').selectAll();
    if (f.name !== undefined) q = q.where('name', '=', f.name);
    if (f.domainId !== undefined) q = q.where('domain_id', '=', f.domainId);
    return q.orderBy('id').execute();
  }
  async updateUser(
    id: string,
    patch: Partial<Pick<UserRow, 'name' | 'password_hash' | 'enabled' | 'default_project_id' | 'description' | 'email'>>,
  ): Promise<void> {
    if (Object.keys(patch).length === 0) return;
    try {
      await this.db.updateTable('identity_users').set(patch).where('id', '=', id).execute();
    } catch (e) {
      if (isUniqueViolation(e)) {
        const u = await this.getUser(id);
        throw new KeystoneConflict('user', `Duplicate entry found with name ${patch.name} at domain ID ${u?.domain_id}`);
      }
      throw e;
    }
  }
  /** Deletes the user and every grant it holds. */
  async deleteUser(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('identity_assignments').where('user_id', '=', id).execute();
      await tx.deleteFrom('identity_users').where('id', '=', id).execute();
    });
  }

  // ---- roles
  async createRole(row: RoleRow): Promise<void> {
    try {
      await this.db.insertInto('identity_roles').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw new KeystoneConflict('role', `Duplicate entry found with name ${row.name}`);
      throw e;
    }
  }
  getRole(id: string): Promise<RoleRow | undefined> {
    return this.db.selectFrom('identity_roles').selectAll().where('id', '=', id).executeTakeFirst();
  }
  getRoleByName(name: string): Promise<RoleRow | undefined> {
    return this.db.selectFrom('identity_roles').selectAll().where('name', '=', name).executeTakeFirst();
  }
  listRoles(f: { name?: string } = {}): Promise<RoleRow[]> {
    let q = this.db.selectFrom('identity_roles').selectAll();
    if (f.name !== undefined) q = q.where('name', '=', f.name);
    return q.orderBy('id').execute();
  }
  /** Deletes the role, its implications and every grant of it; returns the grants removed. */
  async deleteRole(id: string): Promise<AssignmentRow[]> {
    return this.db.transaction().execute(async (tx) => {
      const grants = await tx.selectFrom('identity_assignments').selectAll().where('role_id', '=', id).execute();
      await tx.deleteFrom('identity_assignments').where('role_id', '=', id).execute();
      await tx
        .deleteFrom('identity_implied_roles')
        .where((eb) => eb.or([eb('prior_role_id', '=', id), eb('implied_role_id', '=', id)]))
        .execute();
      await tx.deleteFrom('identity_roles').where('id', '=', id).execute();
      return grants;
    });
  }
  /** Records prior ⇒ implied; true if new, false if it already existed. */
  async addImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<boolean> {
    try {
      await this.db.insertInto('identity_implied_roles').values({ prior_role_id: priorRoleId, implied_role_id: impliedRoleId }).execute();
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }
  listImpliedRoles(): Promise<{ prior_role_id: string; implied_role_id: string }[]> {
    return this.db.selectFrom('identity_implied_roles').selectAll().execute();
  }

  // ---- grants
  /** Grants a role; true if new, false if the grant already existed (PUT is idempotent in keystone). */
  async addAssignment(a: AssignmentRow): Promise<boolean> {
    try {
      await this.db.insertInto('identity_assignments').values(a).execute();
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }
  async hasAssignment(a: AssignmentRow): Promise<boolean> {
    const r = await this.db
      .selectFrom('identity_assignments')
      .select('role_id')
      .where('user_id', '=', a.user_id)
      .where('project_id', '=', a.project_id)
      .where('role_id', '=', a.role_id)
      .executeTakeFirst();
    return r !== undefined;
  }
  /** Removes a grant; false if there was none. */
  async removeAssignment(a: AssignmentRow): Promise<boolean> {
    const r = await this.db
      .deleteFrom('identity_assignments')
      .where('user_id', '=', a.user_id)
      .where('project_id', '=', a.project_id)
      .where('role_id', '=', a.role_id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  listAssignments(f: { userId?: string; projectId?: string; roleId?: string } = {}): Promise<AssignmentRow[]> {
    let q = this.db.selectFrom('identity_assignments').selectAll();
    if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
    if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId);
    if (f.roleId !== undefined) q = q.where('role_id', '=', f.roleId);
    return q.orderBy('user_id').orderBy('project_id').orderBy('role_id').execute();
  }

  // ---- revocation events
  async addRevocation(row: RevocationRow): Promise<void> {
    await this.db.insertInto('identity_revocations').values(row).execute();
  }
  listRevocations(): Promise<RevocationRow[]> {
    return this.db.selectFrom('identity_revocations').selectAll().execute();
  }
  /** Forgets events older than any token still alive. */
  async pruneRevocations(revokedBefore: string): Promise<void> {
    await this.db.deleteFrom('identity_revocations').where('revoked_at', '<', revokedBefore).execute();
  }
}

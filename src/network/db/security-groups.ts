/**
 * The security group tables: securitygroups, securitygrouprules, default_security_group
 * (one default group per project, its primary key keeping it single under races) and
 * the port bindings that keep a group in use. Every function takes the connection or
 * transaction to run in; the caller owns atomicity.
 */
import type { Kysely } from 'kysely';
import { guardUnique } from '../../db/database.js';
import type { NeutronDB, SecurityGroupRow, SecurityGroupRuleRow } from './schema.js';

type Db = Kysely<NeutronDB>;

/** One group by id, or undefined. */
export function getSecurityGroup(db: Db, id: string): Promise<SecurityGroupRow | undefined> {
  return db.selectFrom('securitygroups').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Groups in creation order, narrowed to the ids and project given. */
export function listSecurityGroups(db: Db, where: { ids?: readonly string[]; projectId?: string }): Promise<SecurityGroupRow[]> {
  let q = db.selectFrom('securitygroups').selectAll();
  if (where.ids) q = q.where('id', 'in', where.ids);
  if (where.projectId !== undefined) q = q.where('project_id', '=', where.projectId);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** Inserts a group row. */
export async function insertSecurityGroup(db: Db, row: SecurityGroupRow): Promise<void> {
  await db.insertInto('securitygroups').values(row).execute();
}

/** Updates a group's columns. */
export async function updateSecurityGroup(db: Db, id: string, set: Partial<SecurityGroupRow>): Promise<void> {
  await db.updateTable('securitygroups').set(set).where('id', '=', id).execute();
}

/** Deletes a group row; its rules go by the foreign key's cascade (default marker and tags are the caller's). */
export async function deleteSecurityGroup(db: Db, id: string): Promise<void> {
  await db.deleteFrom('securitygroups').where('id', '=', id).execute();
}

/** The id of a project's default group, or undefined. */
export async function getDefaultSecurityGroupId(db: Db, projectId: string): Promise<string | undefined> {
  return (await db.selectFrom('default_security_group').select('security_group_id').where('project_id', '=', projectId).executeTakeFirst())?.security_group_id;
}

/** Like getDefaultSecurityGroupId, for a project known to have one; throws otherwise. */
export async function requireDefaultSecurityGroupId(db: Db, projectId: string): Promise<string> {
  return (await db.selectFrom('default_security_group').select('security_group_id').where('project_id', '=', projectId).executeTakeFirstOrThrow()).security_group_id;
}

/**
 * Marks a group as its project's default. Throws the unique violation (guardUnique
 * keeps the transaction usable on PostgreSQL) when another request marked one first.
 */
export async function insertDefaultSecurityGroup(db: Db, projectId: string, securityGroupId: string): Promise<void> {
  await guardUnique(db, () => db.insertInto('default_security_group').values({ project_id: projectId, security_group_id: securityGroupId }).execute());
}

/** Removes the default marker pointing at a group. */
export async function deleteDefaultSecurityGroup(db: Db, securityGroupId: string): Promise<void> {
  await db.deleteFrom('default_security_group').where('security_group_id', '=', securityGroupId).execute();
}

/** Whether any port is bound to the group. */
export async function securityGroupInUse(db: Db, id: string): Promise<boolean> {
  return !!(await db.selectFrom('securitygroupportbindings').select('port_id').where('security_group_id', '=', id).executeTakeFirst());
}

/** The rules of the given groups in creation order. */
export function selectRulesOfGroups(db: Db, groupIds: readonly string[]): Promise<SecurityGroupRuleRow[]> {
  return db.selectFrom('securitygrouprules').selectAll().where('security_group_id', 'in', groupIds).orderBy('created_at').execute();
}

/** Every rule of one group, unordered. */
export function selectRulesOfGroup(db: Db, groupId: string): Promise<SecurityGroupRuleRow[]> {
  return db.selectFrom('securitygrouprules').selectAll().where('security_group_id', '=', groupId).execute();
}

/** One rule by id, or undefined. */
export function getSecurityGroupRule(db: Db, id: string): Promise<SecurityGroupRuleRow | undefined> {
  return db.selectFrom('securitygrouprules').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Rules in creation order, narrowed to the groups and project given. */
export function listSecurityGroupRules(db: Db, where: { groupIds?: readonly string[]; projectId?: string }): Promise<SecurityGroupRuleRow[]> {
  let q = db.selectFrom('securitygrouprules').selectAll();
  if (where.groupIds) q = q.where('security_group_id', 'in', where.groupIds);
  if (where.projectId !== undefined) q = q.where('project_id', '=', where.projectId);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** Inserts rules, all in one statement. */
export async function insertSecurityGroupRules(db: Db, rows: SecurityGroupRuleRow | readonly SecurityGroupRuleRow[]): Promise<void> {
  await db.insertInto('securitygrouprules').values(rows as SecurityGroupRuleRow | SecurityGroupRuleRow[]).execute();
}

/** Deletes one rule. */
export async function deleteSecurityGroupRule(db: Db, id: string): Promise<void> {
  await db.deleteFrom('securitygrouprules').where('id', '=', id).execute();
}

/** Deletes the rules (of any group) whose remote group is `remoteGroupId`. */
export async function deleteRulesByRemoteGroup(db: Db, remoteGroupId: string): Promise<void> {
  await db.deleteFrom('securitygrouprules').where('remote_group_id', '=', remoteGroupId).execute();
}

/**
 * The addresses of the members of remote groups (_select_ips_for_remote_group): each
 * port's fixed IPs, and its allowed address pairs with their MAC, per group it is in.
 */
export async function selectRemoteGroupMemberIps(db: Db, groupIds: readonly string[]): Promise<{ security_group_id: string; ip_address: string; mac_address: string | null }[]> {
  if (!groupIds.length) return [];
  const fixed = await db
    .selectFrom('securitygroupportbindings as b')
    .innerJoin('ipallocations as a', 'a.port_id', 'b.port_id')
    .select(['b.security_group_id', 'a.ip_address'])
    .where('b.security_group_id', 'in', groupIds)
    .orderBy('b.port_id')
    .orderBy('a.ip_address')
    .execute();
  const pairs = await db
    .selectFrom('securitygroupportbindings as b')
    .innerJoin('allowedaddresspairs as p', 'p.port_id', 'b.port_id')
    .select(['b.security_group_id', 'p.ip_address', 'p.mac_address'])
    .where('b.security_group_id', 'in', groupIds)
    .orderBy('b.port_id')
    .orderBy('p.ip_address')
    .execute();
  return [...fixed.map((r) => ({ ...r, mac_address: null })), ...pairs];
}

/**
 * The server group statements (nova/db/api's instance_group_* over nova_api's
 * instance_groups and instance_group_member). ServerGroupStore maps the rows to
 * ServerGroup objects and raises InstanceGroupNotFound.
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { InstanceGroupsTable, NovaDB } from './schema.js';

type Db = Kysely<NovaDB>;

/** An instance_groups row. */
export type InstanceGroupRow = Selectable<InstanceGroupsTable>;

/** The memberships of these groups, in the order members joined. */
export function selectGroupMembers(db: Db, groupIds: number[]): Promise<{ group_id: number; instance_uuid: string }[]> {
  return db.selectFrom('instance_group_member').select(['group_id', 'instance_uuid']).where('group_id', 'in', groupIds).orderBy('id').execute();
}

/** Inserts a group. */
export async function insertInstanceGroup(db: Db, row: Insertable<InstanceGroupsTable>): Promise<void> {
  await db.insertInto('instance_groups').values(row).execute();
}

/** The group with this uuid, or undefined. */
export function selectInstanceGroupByUuid(db: Db, uuid: string): Promise<InstanceGroupRow | undefined> {
  return db.selectFrom('instance_groups').selectAll().where('uuid', '=', uuid).executeTakeFirst();
}

/** Every group, or a project's, in id order. */
export function selectInstanceGroups(db: Db, projectId?: string): Promise<InstanceGroupRow[]> {
  let q = db.selectFrom('instance_groups').selectAll();
  if (projectId !== undefined) q = q.where('project_id', '=', projectId);
  return q.orderBy('id').execute();
}

/** How many groups a project has. */
export async function countInstanceGroupsByProject(db: Db, projectId: string): Promise<number> {
  const r = await db.selectFrom('instance_groups').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Deletes a group and its memberships. */
export async function deleteInstanceGroup(db: Db, groupId: number): Promise<void> {
  await db.deleteFrom('instance_group_member').where('group_id', '=', groupId).execute();
  await db.deleteFrom('instance_groups').where('id', '=', groupId).execute();
}

/** Adds an instance to a group. */
export async function insertGroupMember(db: Db, groupId: number, instanceUuid: string, createdAt: string): Promise<void> {
  await db.insertInto('instance_group_member').values({ group_id: groupId, instance_uuid: instanceUuid, created_at: createdAt }).execute();
}

/** How many of a group's members are a user's live instances. */
export async function countGroupMembersOfUser(db: Db, groupId: number, userId: string): Promise<number> {
  const r = await db
    .selectFrom('instance_group_member as m')
    .innerJoin('instances as i', 'i.uuid', 'm.instance_uuid')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('m.group_id', '=', groupId)
    .where('i.user_id', '=', userId)
    .where('i.deleted', '=', 0)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Which of `uuids` (non-empty) are live instances. */
export async function selectLiveInstanceUuids(db: Db, uuids: string[]): Promise<string[]> {
  const rows = await db.selectFrom('instances').select('uuid').where('uuid', 'in', uuids).where('deleted', '=', 0).execute();
  return rows.map((r) => r.uuid);
}

/** The internal id of the group with this uuid, or undefined. */
export function selectInstanceGroupId(db: Db, uuid: string): Promise<{ id: number } | undefined> {
  return db.selectFrom('instance_groups').select('id').where('uuid', '=', uuid).executeTakeFirst();
}

/** A group's member instance uuids, in the order they joined. */
export async function selectGroupMemberUuids(db: Db, groupId: number): Promise<string[]> {
  return (await db.selectFrom('instance_group_member').select('instance_uuid').where('group_id', '=', groupId).orderBy('id').execute()).map((m) => m.instance_uuid);
}

/** The hosts of these consumers' (non-empty) allocations, one per allocation row. */
export async function selectAllocationHosts(db: Db, consumerUuids: string[]): Promise<string[]> {
  return (await db.selectFrom('allocations').select('host').where('consumer_uuid', 'in', consumerUuids).execute()).map((a) => a.host);
}

/** The uuids of the groups an instance belongs to. */
export async function selectGroupUuidsOfInstance(db: Db, instanceUuid: string): Promise<string[]> {
  const rows = await db
    .selectFrom('instance_group_member as m')
    .innerJoin('instance_groups as g', 'g.id', 'm.group_id')
    .select('g.uuid')
    .where('m.instance_uuid', '=', instanceUuid)
    .execute();
  return rows.map((r) => r.uuid);
}

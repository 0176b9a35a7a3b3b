/**
 * nova's InstanceGroup and InstanceGroupList objects (nova/objects/instance_group.py)
 * over nova_api's instance_groups and instance_group_member: a server group's policy,
 * rules and members. Members are the instances a boot added with the `group` hint; a
 * deleted instance leaves its group (InstanceStore.destroy).
 */
import type { Kysely } from 'kysely';
import type { NovaDB } from '../db/schema.js';
import { InstanceGroupNotFound } from '../errors.js';

/** The policies nova knows (2.15 added the soft ones). */
export const GROUP_POLICIES = ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'] as const;
/** One of GROUP_POLICIES. */
export type GroupPolicy = (typeof GROUP_POLICIES)[number];

/** A server group with its members (instance uuids, in the order they joined). */
export interface ServerGroup {
  id: number;
  uuid: string;
  name: string | null;
  projectId: string;
  userId: string;
  policy: GroupPolicy;
  rules: { max_server_per_host?: number };
  members: string[];
}

type GroupRow = { id: number; uuid: string; name: string | null; project_id: string; user_id: string; policy: string; rules: string };

export class ServerGroupStore {
  constructor(private readonly db: Kysely<NovaDB>) {}

  async #withMembers(rows: GroupRow[]): Promise<ServerGroup[]> {
    if (rows.length === 0) return [];
    const members = await this.db
      .selectFrom('instance_group_member')
      .select(['group_id', 'instance_uuid'])
      .where(
        'group_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      uuid: r.uuid,
      name: r.name,
      projectId: r.project_id,
      userId: r.user_id,
      policy: r.policy as GroupPolicy,
      rules: JSON.parse(r.rules) as ServerGroup['rules'],
      members: members.filter((m) => m.group_id === r.id).map((m) => m.instance_uuid),
    }));
  }

  /** InstanceGroup.create. */
  async create(g: { uuid: string; name: string | null; projectId: string; userId: string; policy: GroupPolicy; rules: ServerGroup['rules'] }, createdAt: string): Promise<ServerGroup> {
    await this.db
      .insertInto('instance_groups')
      .values({ uuid: g.uuid, name: g.name, project_id: g.projectId, user_id: g.userId, policy: g.policy, rules: JSON.stringify(g.rules), created_at: createdAt, updated_at: null })
      .execute();
    return this.getByUuid(g.uuid);
  }

  /** InstanceGroup.get_by_uuid; throws InstanceGroupNotFound. */
  async getByUuid(uuid: string): Promise<ServerGroup> {
    const row = await this.db.selectFrom('instance_groups').selectAll().where('uuid', '=', uuid).executeTakeFirst();
    if (!row) throw new InstanceGroupNotFound(uuid);
    return (await this.#withMembers([row]))[0]!;
  }

  /** InstanceGroupList.get_by_project_id (or get_all without a project), oldest first as nova's id order. */
  async list(projectId?: string): Promise<ServerGroup[]> {
    let q = this.db.selectFrom('instance_groups').selectAll();
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    return this.#withMembers(await q.orderBy('id').execute());
  }

  /** How many groups a project has (the server_groups quota's count). */
  async countByProject(projectId: string): Promise<number> {
    const r = await this.db.selectFrom('instance_groups').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** InstanceGroup.destroy: the group and its memberships; throws InstanceGroupNotFound. */
  async destroy(uuid: string): Promise<void> {
    const g = await this.getByUuid(uuid);
    await this.db.deleteFrom('instance_group_member').where('group_id', '=', g.id).execute();
    await this.db.deleteFrom('instance_groups').where('id', '=', g.id).execute();
  }

  /** InstanceGroup.add_members. */
  async addMember(groupId: number, instanceUuid: string, createdAt: string): Promise<void> {
    await this.db.insertInto('instance_group_member').values({ group_id: groupId, instance_uuid: instanceUuid, created_at: createdAt }).execute();
  }

  /** The members of a group that belong to a user (server_group_members counts those). */
  async countMembersOfUser(groupId: number, userId: string): Promise<number> {
    const r = await this.db
      .selectFrom('instance_group_member as m')
      .innerJoin('instances as i', 'i.uuid', 'm.instance_uuid')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('m.group_id', '=', groupId)
      .where('i.user_id', '=', userId)
      .where('i.deleted', '=', 0)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Which of `uuids` are live instances (the group view lists only those, as _get_not_deleted). */
  async liveInstances(uuids: string[]): Promise<Set<string>> {
    if (uuids.length === 0) return new Set();
    const rows = await this.db.selectFrom('instances').select('uuid').where('uuid', 'in', uuids).where('deleted', '=', 0).execute();
    return new Set(rows.map((r) => r.uuid));
  }

  /** The group's members but `except`, and the hosts their allocations are on (none if the group is gone). */
  async placement(uuid: string, except: string): Promise<{ members: string[]; hosts: string[] }> {
    const row = await this.db.selectFrom('instance_groups').select('id').where('uuid', '=', uuid).executeTakeFirst();
    if (!row) return { members: [], hosts: [] };
    const members = (await this.db.selectFrom('instance_group_member').select('instance_uuid').where('group_id', '=', row.id).orderBy('id').execute())
      .map((m) => m.instance_uuid)
      .filter((u) => u !== except);
    if (members.length === 0) return { members, hosts: [] };
    const hosts = await this.db.selectFrom('allocations').select('host').where('consumer_uuid', 'in', members).execute();
    return { members, hosts: [...new Set(hosts.map((a) => a.host))] };
  }

  /** InstanceGroup.get_by_instance_uuid as the server view uses it: the group's uuid, or none. */
  async groupsOf(instanceUuid: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('instance_group_member as m')
      .innerJoin('instance_groups as g', 'g.id', 'm.group_id')
      .select('g.uuid')
      .where('m.instance_uuid', '=', instanceUuid)
      .execute();
    return rows.map((r) => r.uuid);
  }
}

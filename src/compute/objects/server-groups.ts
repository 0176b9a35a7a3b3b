/**
 * nova's InstanceGroup and InstanceGroupList objects (nova/objects/instance_group.py)
 * over nova_api's instance_groups and instance_group_member: a server group's policy,
 * rules and members. Members are the instances a boot added with the `group` hint; a
 * deleted instance leaves its group (InstanceStore.destroy).
 */
import type { Kysely } from 'kysely';
import type { NovaDB } from '../db/schema.js';
import {
  countGroupMembersOfUser,
  countInstanceGroupsByProject,
  deleteInstanceGroup,
  type InstanceGroupRow,
  insertGroupMember,
  insertInstanceGroup,
  selectAllocationHosts,
  selectGroupMembers,
  selectGroupMemberUuids,
  selectGroupUuidsOfInstance,
  selectInstanceGroupByUuid,
  selectInstanceGroupId,
  selectInstanceGroups,
  selectLiveInstanceUuids,
} from '../db/server-groups.js';
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

/** Server groups as objects: db/server-groups.ts's rows with their members; InstanceGroupNotFound when absent. */
export class ServerGroupStore {
  constructor(private readonly db: Kysely<NovaDB>) {}

  async #withMembers(rows: InstanceGroupRow[]): Promise<ServerGroup[]> {
    if (rows.length === 0) return [];
    const members = await selectGroupMembers(this.db, rows.map((r) => r.id));
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
    await insertInstanceGroup(this.db, { uuid: g.uuid, name: g.name, project_id: g.projectId, user_id: g.userId, policy: g.policy, rules: JSON.stringify(g.rules), created_at: createdAt, updated_at: null });
    return this.getByUuid(g.uuid);
  }

  /** InstanceGroup.get_by_uuid; throws InstanceGroupNotFound. */
  async getByUuid(uuid: string): Promise<ServerGroup> {
    const row = await selectInstanceGroupByUuid(this.db, uuid);
    if (!row) throw new InstanceGroupNotFound(uuid);
    return (await this.#withMembers([row]))[0]!;
  }

  /** InstanceGroupList.get_by_project_id (or get_all without a project), oldest first as nova's id order. */
  async list(projectId?: string): Promise<ServerGroup[]> {
    return this.#withMembers(await selectInstanceGroups(this.db, projectId));
  }

  /** How many groups a project has (the server_groups quota's count). */
  async countByProject(projectId: string): Promise<number> {
    return countInstanceGroupsByProject(this.db, projectId);
  }

  /** InstanceGroup.destroy: the group and its memberships; throws InstanceGroupNotFound. */
  async destroy(uuid: string): Promise<void> {
    const g = await this.getByUuid(uuid);
    await deleteInstanceGroup(this.db, g.id);
  }

  /** InstanceGroup.add_members. */
  async addMember(groupId: number, instanceUuid: string, createdAt: string): Promise<void> {
    await insertGroupMember(this.db, groupId, instanceUuid, createdAt);
  }

  /** The members of a group that belong to a user (server_group_members counts those). */
  async countMembersOfUser(groupId: number, userId: string): Promise<number> {
    return countGroupMembersOfUser(this.db, groupId, userId);
  }

  /** Which of `uuids` are live instances (the group view lists only those, as _get_not_deleted). */
  async liveInstances(uuids: string[]): Promise<Set<string>> {
    if (uuids.length === 0) return new Set();
    return new Set(await selectLiveInstanceUuids(this.db, uuids));
  }

  /** The group's members but `except`, and the hosts their allocations are on (none if the group is gone). */
  async placement(uuid: string, except: string): Promise<{ members: string[]; hosts: string[] }> {
    const row = await selectInstanceGroupId(this.db, uuid);
    if (!row) return { members: [], hosts: [] };
    const members = (await selectGroupMemberUuids(this.db, row.id)).filter((u) => u !== except);
    if (members.length === 0) return { members, hosts: [] };
    const hosts = await selectAllocationHosts(this.db, members);
    return { members, hosts: [...new Set(hosts)] };
  }

  /** InstanceGroup.get_by_instance_uuid as the server view uses it: the group's uuid, or none. */
  async groupsOf(instanceUuid: string): Promise<string[]> {
    return selectGroupUuidsOfInstance(this.db, instanceUuid);
  }
}

/**
 * Placement by relation to other servers (nova/scheduler/filters/affinity_filter.py,
 * weights/affinity.py): the server group filters and soft weighers, and the
 * same_host / different_host hints. A host's instances are its allocations' consumers,
 * which the scheduler writes as it selects, so builds of one group scheduled one after
 * the other see each other before any host has started them.
 */
import type { ServerGroupStore } from '../objects/server-groups.js';
import type { RequestSpec } from '../rpc.js';
import type { HostFilter } from './filters.js';
import type { HostState } from './host-state.js';
import type { Weigher } from './weighers.js';

/** A hint's value as a list (nova stores every hint as a list). */
function hintList(spec: RequestSpec, name: string): string[] {
  const v = spec.schedulerHints?.[name];
  if (v === undefined || v === null || v === '') return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

const onHost = (h: HostState, uuids: string[]) => (h.instances ?? []).filter((u) => uuids.includes(u));

/** DifferentHostFilter: none of the `different_host` servers may be on the host. */
export const DifferentHostFilter: HostFilter = {
  name: 'DifferentHostFilter',
  reject: (h, spec) => {
    const uuids = hintList(spec, 'different_host');
    return uuids.length && onHost(h, uuids).length ? `(${h.host}, ${h.node}) hosts a server of different_host` : null;
  },
};

/** SameHostFilter: one of the `same_host` servers must be on the host. */
export const SameHostFilter: HostFilter = {
  name: 'SameHostFilter',
  reject: (h, spec) => {
    const uuids = hintList(spec, 'same_host');
    return uuids.length && !onHost(h, uuids).length ? `(${h.host}, ${h.node}) hosts no server of same_host` : null;
  },
};

/** ServerGroupAntiAffinityFilter: fewer than max_server_per_host (default 1) members on the host. */
export const ServerGroupAntiAffinityFilter: HostFilter = {
  name: 'ServerGroupAntiAffinityFilter',
  reject: (h, spec) => {
    const g = spec.instanceGroup;
    if (!g || g.policy !== 'anti-affinity') return null;
    // A server already on the host (a rebuild) passes.
    if ((h.instances ?? []).includes(spec.instanceUuid)) return null;
    const max = g.rules.max_server_per_host ?? 1;
    const n = onHost(h, g.members).length;
    return n < max ? null : `(${h.host}, ${h.node}) has ${n} server(s) of group ${g.uuid}, max_server_per_host is ${max}`;
  },
};

/** ServerGroupAffinityFilter: once the group has hosts, only those. */
export const ServerGroupAffinityFilter: HostFilter = {
  name: 'ServerGroupAffinityFilter',
  reject: (h, spec) => {
    const g = spec.instanceGroup;
    if (!g || g.policy !== 'affinity' || g.hosts.length === 0) return null;
    return g.hosts.includes(h.host) ? null : `(${h.host}, ${h.node}) is not in the group's hosts ${g.hosts.join(', ')}`;
  },
};

/** The number of the group's members on the host when the group has that policy. */
function membersOnHost(policy: string): (h: HostState, spec?: RequestSpec) => number {
  return (h, spec) => (spec?.instanceGroup?.policy === policy ? onHost(h, spec.instanceGroup.members).length : 0);
}

/** ServerGroupSoftAffinityWeigher (soft_affinity_weight_multiplier 1.0): more members is better. */
export const ServerGroupSoftAffinityWeigher: Weigher = { name: 'ServerGroupSoftAffinityWeigher', multiplier: 1, weigh: membersOnHost('soft-affinity') };

/** ServerGroupSoftAntiAffinityWeigher (soft_anti_affinity_weight_multiplier 1.0): fewer members is better. */
export const ServerGroupSoftAntiAffinityWeigher: Weigher = {
  name: 'ServerGroupSoftAntiAffinityWeigher',
  multiplier: 1,
  weigh: (h, spec) => -membersOnHost('soft-anti-affinity')(h, spec),
};

/**
 * scheduler_utils.setup_instance_group: the group's members now (other than this
 * instance) and the hosts they are on, read when the scheduler selects.
 */
export async function setupInstanceGroup(groups: ServerGroupStore, spec: RequestSpec): Promise<RequestSpec> {
  const g = spec.instanceGroup;
  if (!g) return spec;
  const { members, hosts } = await groups.placement(g.uuid, spec.instanceUuid);
  return { ...spec, instanceGroup: { ...g, members, hosts } };
}

/**
 * The affinity filters and soft weighers (nova/scheduler/filters/affinity_filter.py,
 * weights/affinity.py) on hand-made host states: which hosts each keeps and how the
 * soft weighers rank hosts by the group's members on them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DifferentHostFilter,
  SameHostFilter,
  ServerGroupAffinityFilter,
  ServerGroupAntiAffinityFilter,
  ServerGroupSoftAffinityWeigher,
  ServerGroupSoftAntiAffinityWeigher,
} from '../../src/compute/scheduler/affinity.js';
import { runFilters } from '../../src/compute/scheduler/filters.js';
import type { HostState } from '../../src/compute/scheduler/host-state.js';
import { weighHosts } from '../../src/compute/scheduler/weighers.js';
import type { RequestSpec } from '../../src/compute/rpc.js';

function host(name: string, instances: string[] = []): HostState {
  return { host: name, node: name, availabilityZone: 'nova', serviceDisabled: false, disabledReason: null, serviceUp: true, totalVcpus: 4, totalRamMb: 1024, totalDiskGb: 10, usedVcpus: 0, usedRamMb: 0, usedDiskGb: 0, cpuAllocationRatio: 1, ramAllocationRatio: 1, diskAllocationRatio: 1, instances };
}
const base: RequestSpec = { instanceUuid: 'new', projectId: 'p', flavor: { vcpus: 1, memory_mb: 1, root_gb: 0, ephemeral_gb: 0, swap: 0 }, availabilityZone: null, ignoreHosts: [], numInstances: 1 };
const withGroup = (policy: string, members: string[], hosts: string[], rules = {}): RequestSpec => ({ ...base, instanceGroup: { uuid: 'g', policy, rules, members, hosts } });
const kept = (hosts: HostState[], spec: RequestSpec, f = [ServerGroupAntiAffinityFilter, ServerGroupAffinityFilter, SameHostFilter, DifferentHostFilter]) => runFilters(hosts, spec, f).hosts.map((h) => h.host);

describe('scheduler: affinity filters and soft weighers', () => {
  const hosts = [host('a', ['m1', 'x']), host('b', ['m2', 'm3']), host('c')];

  it('anti-affinity keeps hosts with fewer than max_server_per_host members', () => {
    assert.deepEqual(kept(hosts, withGroup('anti-affinity', ['m1', 'm2', 'm3'], ['a', 'b'])), ['c']);
    assert.deepEqual(kept(hosts, withGroup('anti-affinity', ['m1', 'm2', 'm3'], ['a', 'b'], { max_server_per_host: 2 })), ['a', 'c']);
    // A server already on a host (rebuild) passes there.
    assert.deepEqual(kept(hosts, { ...withGroup('anti-affinity', ['m1'], ['a']), instanceUuid: 'x' }), ['a', 'b', 'c']);
  });

  it('affinity keeps the group\'s hosts once it has any', () => {
    assert.deepEqual(kept(hosts, withGroup('affinity', ['m2'], ['b'])), ['b']);
    assert.deepEqual(kept(hosts, withGroup('affinity', [], [])), ['a', 'b', 'c']);
    assert.deepEqual(kept(hosts, withGroup('soft-affinity', ['m2'], ['b'])), ['a', 'b', 'c']);
  });

  it('same_host and different_host look at the named servers', () => {
    assert.deepEqual(kept(hosts, { ...base, schedulerHints: { same_host: ['m2', 'zz'] } }), ['b']);
    assert.deepEqual(kept(hosts, { ...base, schedulerHints: { different_host: 'x' } }), ['b', 'c']);
    assert.deepEqual(kept(hosts, { ...base, schedulerHints: { unknown: 'x' } }), ['a', 'b', 'c']);
  });

  it('soft weighers prefer the hosts with more (affinity) or fewer (anti-affinity) members', () => {
    const members = ['m1', 'm2', 'm3'];
    assert.equal(weighHosts(hosts, [ServerGroupSoftAffinityWeigher], withGroup('soft-affinity', members, ['a', 'b']))[0]!.host.host, 'b');
    assert.equal(weighHosts(hosts, [ServerGroupSoftAntiAffinityWeigher], withGroup('soft-anti-affinity', members, ['a', 'b']))[0]!.host.host, 'c');
    // A group of another policy weighs nothing: the input order stands.
    assert.equal(weighHosts(hosts, [ServerGroupSoftAntiAffinityWeigher], withGroup('affinity', members, ['a', 'b']))[0]!.host.host, 'a');
  });
});

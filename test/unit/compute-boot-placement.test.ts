/**
 * Where a boot may go (issue 8, defect 3): nova's parse_availability_zone for the
 * admin's `zone:host:node` forms, and the scheduler's candidate hosts for forced hosts,
 * forced nodes and 2.74's requested destination.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/common/log.js';
import { parseAvailabilityZone } from '../../src/compute/api/servers.js';
import { NoValidHost } from '../../src/compute/errors.js';
import type { RequestSpec } from '../../src/compute/rpc.js';
import type { HostState } from '../../src/compute/scheduler/host-state.js';
import { candidateHosts } from '../../src/compute/scheduler/manager.js';

function host(name: string, over: Partial<HostState> = {}): HostState {
  return { host: name, node: name, availabilityZone: 'nova', serviceDisabled: false, disabledReason: null, serviceUp: true, totalVcpus: 4, totalRamMb: 1024, totalDiskGb: 10, usedVcpus: 0, usedRamMb: 0, usedDiskGb: 0, cpuAllocationRatio: 1, ramAllocationRatio: 1, diskAllocationRatio: 1, ...over };
}
const spec: RequestSpec = { instanceUuid: 'u', projectId: 'p', flavor: { vcpus: 1, memory_mb: 64, root_gb: 1, ephemeral_gb: 0, swap: 0 }, availabilityZone: null, ignoreHosts: [], numInstances: 1 };
const hosts = [host('compute1'), host('compute2', { node: 'node2' })];
const names = (s: Partial<RequestSpec>) => candidateHosts(hosts, { ...spec, ...s }, silentLogger()).map((h) => h.host);

describe('parse_availability_zone', () => {
  it('splits zone, host and node as nova does', () => {
    assert.deepEqual(parseAvailabilityZone(undefined), { zone: null, host: null, node: null });
    assert.deepEqual(parseAvailabilityZone('nova'), { zone: 'nova', host: null, node: null });
    assert.deepEqual(parseAvailabilityZone('nova:compute1'), { zone: 'nova', host: 'compute1', node: null });
    assert.deepEqual(parseAvailabilityZone('nova::node1'), { zone: 'nova', host: null, node: 'node1' });
    assert.deepEqual(parseAvailabilityZone('nova:compute1:node1'), { zone: 'nova', host: 'compute1', node: 'node1' });
    // An empty zone is default_schedule_zone (unset); an empty host is kept (nova's `is None` checks).
    assert.deepEqual(parseAvailabilityZone(':compute1'), { zone: null, host: 'compute1', node: null });
    assert.deepEqual(parseAvailabilityZone('nova:'), { zone: 'nova', host: '', node: null });
  });
  it('more than two colons is 400 "Unable to parse availability_zone"', () => {
    assert.throws(() => parseAvailabilityZone('a:b:c:d'), (e: { status: number; message: string }) => e.status === 400 && e.message === 'Invalid input received: Unable to parse availability_zone');
  });
});

describe('scheduler candidates', () => {
  it('every host when nothing is forced or requested', () => {
    assert.deepEqual(names({}), ['compute1', 'compute2']);
  });
  it('force_hosts matches case-insensitively, force_nodes exactly, after ignore_hosts', () => {
    assert.deepEqual(names({ forceHosts: ['COMPUTE2'] }), ['compute2']);
    assert.deepEqual(names({ forceNodes: ['node2'] }), ['compute2']);
    assert.deepEqual(names({ forceHosts: ['compute2'], ignoreHosts: ['compute2'] }), []);
  });
  it('a requested destination is the only candidate', () => {
    assert.deepEqual(names({ requestedDestination: { host: 'compute1', node: null } }), ['compute1']);
    assert.deepEqual(names({ requestedDestination: { host: null, node: 'node2' } }), ['compute2']);
  });
  it('a target that does not exist is NoValidHost "No such host"', () => {
    assert.throws(() => names({ forceHosts: ['compute9'] }), (e) => e instanceof NoValidHost && e.message === 'No valid host was found. No such host - host: compute9 node: None ');
    assert.throws(() => names({ forceHosts: ['compute1'], forceNodes: ['node2'] }), (e) => e instanceof NoValidHost && e.message === 'No valid host was found. No such host - host: compute1 node: node2 ');
    assert.throws(() => names({ requestedDestination: { host: null, node: 'node9' } }), (e) => e instanceof NoValidHost && e.message === 'No valid host was found. No such host - host: None node: node9 ');
  });
});

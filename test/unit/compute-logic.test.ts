/** Unit tests of nova's decision logic: --nic parsing, states, retries, exception mappings, scheduling, event waits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RemoteError } from '../../src/bus/bus.js';
import { FakeClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/log.js';
import { attachFault } from '../../src/compute/api/interfaces.js';
import { createFault, parseRequestedNetworks } from '../../src/compute/api/servers.js';
import { hostId } from '../../src/compute/api/views.js';
import { requestedVersion } from '../../src/compute/api/microversion.js';
import { sanitizeHostname } from '../../src/compute/compute-api.js';
import * as E from '../../src/compute/errors.js';
import { classifyBuildFailure } from '../../src/compute/manager/build.js';
import { EventWaitTimeout, InstanceEvents } from '../../src/compute/manager/events.js';
import { allocationRetryDelays } from '../../src/compute/manager/retry.js';
import { serverStatus, vmStatesForStatus } from '../../src/compute/objects/states.js';
import { runFilters } from '../../src/compute/scheduler/filters.js';
import type { HostState } from '../../src/compute/scheduler/host-state.js';
import { serviceIsUp } from '../../src/compute/objects/services.js';
import { weighHosts } from '../../src/compute/scheduler/weighers.js';
import type { Instance } from '../../src/compute/objects/instance.js';

const U = '11111111-2222-3333-4444-555555555555';
const fault = (e: unknown) => e as { status: number; message: string };

describe('--nic parsing (servers.py _get_requested_networks)', () => {
  it('port, net-id with fixed ip, auto', () => {
    assert.deepEqual(parseRequestedNetworks([{ port: U }]), [{ networkId: null, portId: U, address: null, tag: null }]);
    assert.deepEqual(parseRequestedNetworks([{ uuid: U, fixed_ip: '1.2.3.10' }]), [{ networkId: U, portId: null, address: '1.2.3.10', tag: null }]);
    assert.deepEqual(parseRequestedNetworks('auto'), [{ networkId: 'auto' }]);
  });
  it('the port wins over uuid in one entry (real Zed accepts it)', () => {
    assert.equal(parseRequestedNetworks([{ uuid: U, port: U }])[0]!.portId, U);
  });
  it("fixed_ip without uuid: Bad network format: missing 'uuid'", () => {
    assert.throws(() => parseRequestedNetworks([{ fixed_ip: '1.2.3.40' }]), (e) => fault(e).status === 400 && fault(e).message === "Bad network format: missing 'uuid'");
  });
  it('port given twice, and port with fixed ip', () => {
    assert.throws(() => parseRequestedNetworks([{ port: U }, { port: U }]), /was specified twice/);
    assert.throws(() => parseRequestedNetworks([{ port: U, fixed_ip: '1.2.3.4' }]), /cannot be specified together/);
  });
  it('bad uuid format', () => {
    assert.throws(() => parseRequestedNetworks([{ uuid: 'nope' }]), /network uuid is not in proper format \(nope\)/);
  });
});

describe('states', () => {
  it('maps vm_state/task_state to the API status', () => {
    assert.equal(serverStatus('building', 'scheduling'), 'BUILD');
    assert.equal(serverStatus('building', 'spawning'), 'BUILD');
    assert.equal(serverStatus('active', null), 'ACTIVE');
    assert.equal(serverStatus('active', 'deleting'), 'ACTIVE');
    assert.equal(serverStatus('error', null), 'ERROR');
    assert.equal(serverStatus('weird', null), 'UNKNOWN');
    assert.deepEqual(vmStatesForStatus('build'), ['building']);
  });
});

describe('network allocation retry schedule', () => {
  it('waits 1, 2, 4, 8, 16, 30, 30... seconds', () => {
    assert.deepEqual(allocationRetryDelays(0), []);
    assert.deepEqual(allocationRetryDelays(8), [1, 2, 4, 8, 16, 30, 30, 30]);
  });
});

describe('exception mappings', () => {
  it('boot: nova exceptions to servers.py statuses', () => {
    assert.equal(fault(createFault(new E.PortInUse(U))).status, 409);
    assert.equal(fault(createFault(new E.PortNotFound(U))).status, 400);
    assert.equal(fault(createFault(new E.NetworkNotFound(U))).status, 400);
    assert.equal(fault(createFault(new E.FixedIpAlreadyInUse('1.2.3.10', U))).status, 400);
    assert.equal(fault(createFault(new E.FlavorNotFound('9'))).message, 'Invalid flavorRef provided.');
    assert.equal(fault(createFault(new E.ImageNotFound('x'))).message, 'Can not find requested image');
    assert.equal(fault(createFault(new E.TooManyInstances('Quota exceeded'))).status, 403);
  });
  it('attach: RemoteErrors by class, unknown classes are the API 500', () => {
    assert.equal(fault(attachFault(new RemoteError('PortInUse', 'x'), U)).status, 409);
    assert.equal(fault(attachFault(new RemoteError('FixedIpAlreadyInUse', 'x'), U)).status, 409);
    assert.equal(fault(attachFault(new RemoteError('PortNotFound', 'x'), U)).status, 404);
    assert.equal(fault(attachFault(new RemoteError('PortNotUsable', 'x'), U)).status, 400);
    const other = fault(attachFault(new RemoteError('NetworkNotFoundClient', 'x'), U));
    assert.equal(other.status, 500);
    assert.match(other.message, /oslo_messaging\.rpc\.client\.RemoteError/);
  });
  it('build: what aborts and what reschedules', () => {
    assert.ok(classifyBuildFailure(U, new E.PortBindingFailed(U)) instanceof E.RescheduledException);
    assert.ok(classifyBuildFailure(U, new E.FixedIpAlreadyInUse('1.2.3.4', U)) instanceof E.RescheduledException);
    assert.ok(classifyBuildFailure(U, new Error('boom')) instanceof E.RescheduledException);
    const vif = classifyBuildFailure(U, new E.VirtualInterfaceCreateException()) as Error;
    assert.ok(vif instanceof E.BuildAbortException);
    assert.equal(vif.message, `Build of instance ${U} aborted: Failed to allocate the network(s), not rescheduling.`);
    const ips = classifyBuildFailure(U, new E.NoMoreFixedIps('n')) as Error;
    assert.match(ips.message, /Failed to allocate the network\(s\) with error No fixed IP addresses available for network: n, not rescheduling\./);
    assert.ok(classifyBuildFailure(U, new E.FlavorDiskTooSmall()) instanceof E.BuildAbortException);
  });
});

describe('microversions', () => {
  it('negotiates like nova', () => {
    assert.deepEqual(requestedVersion({}), { major: 2, minor: 1 });
    assert.deepEqual(requestedVersion({ 'openstack-api-version': 'compute 2.92' }), { major: 2, minor: 92 });
    assert.deepEqual(requestedVersion({ 'x-openstack-nova-api-version': 'latest' }), { major: 2, minor: 93 });
    assert.throws(() => requestedVersion({ 'openstack-api-version': 'compute 2.94' }), (e) => fault(e).status === 406);
    assert.throws(() => requestedVersion({ 'openstack-api-version': 'compute 2.x' }), (e) => fault(e).status === 400);
  });
  it('hostId and hostname', () => {
    assert.equal(hostId(null, 'p'), '');
    assert.equal(hostId('h', 'p').length, 56);
    assert.equal(sanitizeHostname('Test VM_1'), 'test-vm-1');
  });
});

function host(name: string, over: Partial<HostState> = {}): HostState {
  return { host: name, node: name, availabilityZone: 'nova', serviceDisabled: false, disabledReason: null, serviceUp: true, totalVcpus: 4, totalRamMb: 1024, totalDiskGb: 10, usedVcpus: 0, usedRamMb: 0, usedDiskGb: 0, cpuAllocationRatio: 1, ramAllocationRatio: 1, diskAllocationRatio: 1, ...over };
}
const spec = { instanceUuid: U, projectId: 'p', flavor: { vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0, swap: 0 }, availabilityZone: null, ignoreHosts: [] as string[], numInstances: 1 };

describe('scheduler', () => {
  it('filters say which host each removed and why', () => {
    const r = runFilters([host('a', { serviceUp: false }), host('b', { usedRamMb: 900 }), host('c')], spec);
    assert.deepEqual(r.hosts.map((h) => h.host), ['c']);
    assert.deepEqual(r.removed.map((x) => [x.host, x.filter]), [['b', 'MEMORY_MB'], ['a', 'ComputeFilter']]);
    assert.match(r.removed[1]!.reason, /has not been heard from in a while/);
  });
  it('all hosts down leaves none', () => {
    assert.equal(runFilters([host('a', { serviceUp: false }), host('b', { serviceDisabled: true })], spec).hosts.length, 0);
  });
  it('retry filter skips hosts already tried', () => {
    assert.deepEqual(runFilters([host('a'), host('b')], { ...spec, ignoreHosts: ['a'] }).hosts.map((h) => h.host), ['b']);
  });
  it('weighers prefer the emptier host', () => {
    assert.equal(weighHosts([host('a', { usedRamMb: 500, usedVcpus: 2 }), host('b')])[0]!.host.host, 'b');
  });
  it('service up within service_down_time', () => {
    const now = Date.parse('2026-01-01T00:01:00Z');
    assert.equal(serviceIsUp({ forced_down: 0, last_seen_up: '2026-01-01T00:00:30Z', created_at: '2026-01-01T00:00:00Z' }, now, 60), true);
    assert.equal(serviceIsUp({ forced_down: 0, last_seen_up: '2025-12-31T23:59:00Z', created_at: '2025-12-31T23:59:00Z' }, now, 60), false);
    assert.equal(serviceIsUp({ forced_down: 1, last_seen_up: '2026-01-01T00:00:59Z', created_at: '2026-01-01T00:00:00Z' }, now, 60), false);
  });
});

describe('waiting for network-vif-plugged', () => {
  const instance = { uuid: U, vmState: 'building', taskState: 'spawning' } as Instance;
  it('resolves when the event arrives', async () => {
    const clock = new FakeClock();
    const ev = new InstanceEvents(clock, silentLogger());
    const p = ev.waitFor(instance, [['network-vif-plugged', 'p1']], 300, async () => undefined, () => assert.fail());
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ev.pending(U), ['network-vif-plugged-p1']);
    assert.equal(ev.pop(U, { name: 'network-vif-plugged', tag: 'p1', status: 'completed', serverUuid: U }), true);
    await p;
    assert.deepEqual(ev.pending(U), []);
  });
  it('times out after vif_plugging_timeout', async () => {
    const clock = new FakeClock();
    const ev = new InstanceEvents(clock, silentLogger());
    const p = ev.waitFor(instance, [['network-vif-plugged', 'p1']], 300, async () => undefined, () => undefined);
    await new Promise((r) => setImmediate(r));
    clock.advance(300_000);
    await assert.rejects(p, EventWaitTimeout);
    assert.deepEqual(ev.pending(U), []);
  });
  it('a failed event calls the error callback', async () => {
    const clock = new FakeClock();
    const ev = new InstanceEvents(clock, silentLogger());
    const p = ev.waitFor(instance, [['network-vif-plugged', 'p1']], 300, async () => undefined, () => {
      throw new E.VirtualInterfaceCreateException();
    });
    await new Promise((r) => setImmediate(r));
    ev.pop(U, { name: 'network-vif-plugged', tag: 'p1', status: 'failed', serverUuid: U });
    await assert.rejects(p, E.VirtualInterfaceCreateException);
  });
  it('an unexpected event finds no waiter', () => {
    const ev = new InstanceEvents(new FakeClock(), silentLogger());
    assert.equal(ev.pop(U, { name: 'network-vif-plugged', tag: 'x', status: 'completed', serverUuid: U }), false);
  });
});

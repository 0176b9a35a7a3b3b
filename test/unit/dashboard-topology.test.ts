/**
 * The dashboard's topology model (dashboard/src/topology.ts) from API rows and host
 * devices: expected names from the port id, a qvo missing from br-int flagged, the
 * guest's tap optional, stale devices, and a member (no devices, no agents) unflagged.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type HostDevicesRow, type TopologyInput, buildTopology, expectedDevices } from '../../dashboard/src/topology.js';

const PORT = '4c2d3411-5b6e-4f00-8a2b-0123456789ab';
const n = expectedDevices(PORT);

function devices(opts: { qvoOnBrInt?: boolean; extra?: string[] } = {}): HostDevicesRow {
  return {
    host: 'compute1',
    links: [n.qbr, n.qvb, n.qvo, ...(opts.extra ?? [])].map((name) => ({ name, up: true, master: null, peer: null })),
    linuxBridges: [{ name: n.qbr, ports: [n.qvb] }],
    ovsBridges: [{ name: 'br-int', ports: [{ name: 'br-int', externalIds: {} }, ...(opts.qvoOnBrInt === false ? [] : [{ name: n.qvo, externalIds: { 'iface-id': PORT } }])] }],
  };
}

function input(dev?: HostDevicesRow, admin = true): TopologyInput {
  return {
    // nova and neutron show a server's host and a port's binding to admins only.
    servers: [{ id: 'srv-1', name: 'web1', status: 'ACTIVE', ...(admin ? { 'OS-EXT-SRV-ATTR:host': 'compute1' } : {}) }],
    ports: [{ id: PORT, network_id: 'net-1', device_owner: 'compute:nova', device_id: 'srv-1', status: 'ACTIVE', admin_state_up: true, ...(admin ? { 'binding:host_id': 'compute1', 'binding:vif_type': 'ovs', 'binding:vif_details': { ovs_hybrid_plug: true } } : {}), fixed_ips: [{ subnet_id: 'sub-1', ip_address: '10.0.0.5' }], mac_address: 'fa:16:3e:00:00:01' }],
    networks: [{ id: 'net-1', name: 'demo-net', status: 'ACTIVE' }],
    subnets: [{ id: 'sub-1', network_id: 'net-1', name: 'demo-sub', cidr: '10.0.0.0/24' }],
    hypervisors: admin ? ['compute1', 'compute2'] : [],
    agents: admin ? [{ host: 'compute1', agent_type: 'Open vSwitch agent', alive: true, admin_state_up: true }] : [],
    devices: dev ? { compute1: dev } : {},
  };
}

describe('buildTopology', () => {
  test('expected names: prefix + the first 11 characters of the port id', () => {
    assert.deepEqual(expectedDevices(PORT), { tap: 'tap4c2d3411-5b', qbr: 'qbr4c2d3411-5b', qvb: 'qvb4c2d3411-5b', qvo: 'qvo4c2d3411-5b' });
  });

  test('a plugged VIF: every device present, nothing flagged, the guest\'s missing tap not a fault', () => {
    const t = buildTopology(input(devices()));
    const vif = t.hosts.find((h) => h.name === 'compute1')!.vifs[0]!;
    assert.deepEqual(vif.devices.map((d) => [d.kind, d.present]), [['tap', false], ['qbr', true], ['qvb', true], ['qvo', true]]);
    assert.deepEqual(vif.problems, []);
    assert.equal(t.hosts[0]!.problems, 0);
    assert.equal(vif.server?.name, 'web1');
    assert.deepEqual(vif.subnets, [{ id: 'sub-1', name: 'demo-sub', cidr: '10.0.0.0/24' }]);
    // compute2 has no OVS agent: a problem of that host (a port bound there would fail).
    assert.deepEqual(t.hosts.map((h) => [h.name, h.agent, h.problems]), [['compute1', { alive: true, adminUp: true }, 0], ['compute2', null, 1]]);
  });

  test('a qvo missing from br-int is flagged with the host', () => {
    const t = buildTopology(input(devices({ qvoOnBrInt: false })));
    const vif = t.hosts[0]!.vifs[0]!;
    assert.equal(vif.devices.find((d) => d.kind === 'qvo')!.present, false);
    assert.deepEqual(vif.problems, ['qvo4c2d3411-5b is missing from br-int on compute1']);
    assert.equal(t.hosts[0]!.problems, 1);
  });

  test('devices of no port are stale', () => {
    const t = buildTopology(input(devices({ extra: ['qvo99999999-aa', 'eth0'] })));
    assert.deepEqual(t.hosts[0]!.stale, ['qvo99999999-aa']);
  });

  test('a member: no hosts, devices unknown, nothing flagged', () => {
    const t = buildTopology(input(undefined, false));
    assert.equal(t.hosts.length, 0);
    assert.equal(t.unbound.length, 1);
    assert.equal(t.unbound[0]!.bindingVisible, false);
    assert.deepEqual(t.unbound[0]!.devices, []);
    assert.equal(t.problems, 0);
  });
});

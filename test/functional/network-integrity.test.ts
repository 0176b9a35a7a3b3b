/**
 * Nothing half-done and one winner: failed creates leave no port row and no address,
 * bulk creates are all or nothing, concurrent requests for one address or one MAC
 * have exactly one winner, in-use networks and subnets refuse deletion; plus project
 * isolation (demo never sees nor changes admin's private resources).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUNDLE_TARGET, type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
let net: any;
let subnet: any;

before(async () => {
  cloud = await startTestCloud();
  n = neutron(cloud);
  net = await n.network('demo', { name: 'integrity' });
  subnet = await n.subnet('demo', net.id, '10.70.0.0/24');
});
after(() => cloud.stop());

/**
 * Ports and allocations of the network, as admin over HTTP and straight from the
 * database. The bundle's database is locked by its process, so there the allocations
 * are the ports' fixed IPs as admin sees them (a leaked allocation with no port would
 * go unseen; the in-process pass catches that).
 */
async function counts(networkId: string) {
  const listed: { fixed_ips: unknown[] }[] = assertStatus(await n.get('admin', `ports?network_id=${networkId}`), 200).ports;
  const ports = listed.length;
  if (BUNDLE_TARGET) return { ports, ips: listed.reduce((sum, p) => sum + p.fixed_ips.length, 0) };
  const db = cloud.network.plugin.deps.db;
  const rows = await db.selectFrom('ports').select('id').where('network_id', '=', networkId).execute();
  const ips = await db.selectFrom('ipallocations').select('ip_address').where('network_id', '=', networkId).execute();
  assert.equal(rows.length, ports);
  return { ports, ips: ips.length };
}

describe('failed creates leave nothing behind', () => {
  test('the second requested address is taken: no port, no allocation of the first', async () => {
    await n.port('demo', net.id, { fixed_ips: [{ ip_address: '10.70.0.20' }] });
    const before = await counts(net.id);
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.70.0.21' }, { ip_address: '10.70.0.20' }] } });
    assertNeutronError(res, 409, 'IpAddressAlreadyAllocated', `IP address 10.70.0.20 already allocated in subnet ${subnet.id}`);
    assert.deepEqual(await counts(net.id), before);
    await n.port('demo', net.id, { fixed_ips: [{ ip_address: '10.70.0.21' }] });
  });

  test('an unknown security group: no port, no allocation', async () => {
    const before = await counts(net.id);
    const sg = '0b1e7a43-0000-4000-8000-00000000beef';
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.70.0.22' }], security_groups: [sg] } });
    assertNeutronError(res, 404, 'SecurityGroupNotFound', `Security group ${sg} does not exist`);
    assert.deepEqual(await counts(net.id), before);
  });

  test('a bulk create whose last item fails creates none', async () => {
    const before = await counts(net.id);
    const res = await n.post('demo', 'ports', {
      ports: [
        { network_id: net.id, fixed_ips: [{ ip_address: '10.70.0.30' }] },
        { network_id: net.id, fixed_ips: [{ ip_address: '10.70.0.31' }] },
        { network_id: net.id, fixed_ips: [{ ip_address: '10.70.0.20' }] },
      ],
    });
    assertNeutronError(res, 409, 'IpAddressAlreadyAllocated', `IP address 10.70.0.20 already allocated in subnet ${subnet.id}`);
    assert.deepEqual(await counts(net.id), before);
    const ok = assertStatus(await n.post('demo', 'ports', { ports: [{ network_id: net.id, name: 'b1' }, { network_id: net.id, name: 'b2' }] }), 201);
    assert.deepEqual(ok.ports.map((p: any) => p.name), ['b1', 'b2']);
  });

  test('a bulk create with an invalid last item is refused before anything is created', async () => {
    const before = await counts(net.id);
    const res = await n.post('demo', 'ports', { ports: [{ network_id: net.id }, { network_id: net.id, bogus: 1 }] });
    assertNeutronError(res, 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'bogus'");
    assert.deepEqual(await counts(net.id), before);
  });
});

describe('concurrency', () => {
  test('20 concurrent POSTs for one fixed IP: one 201, nineteen 409', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => n.post('demo', 'ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.70.0.99' }] } })),
    );
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    const losers = results.filter((r) => r.status !== 201);
    assert.equal(losers.length, 19);
    for (const r of losers) assertNeutronError(r, 409, 'IpAddressAlreadyAllocated', `IP address 10.70.0.99 already allocated in subnet ${subnet.id}`);
    const holders = assertStatus(await n.get('admin', 'ports?fixed_ips=ip_address%3D10.70.0.99'), 200).ports;
    assert.equal(holders.length, 1);
  });

  test('20 concurrent POSTs with one MAC: one winner', async () => {
    const mac = 'fa:16:3e:12:34:56';
    const results = await Promise.all(Array.from({ length: 20 }, () => n.post('demo', 'ports', { port: { network_id: net.id, mac_address: mac } })));
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    for (const r of results.filter((x) => x.status !== 201)) {
      assertNeutronError(r, 409, 'MacAddressInUse', `Unable to complete operation for network ${net.id}. The mac address ${mac} is in use.`);
    }
    assert.equal(assertStatus(await n.get('admin', `ports?mac_address=${mac}`), 200).ports.length, 1);
  });
});

describe('in-use networks and subnets', () => {
  test('a network with a compute port: 409 NetworkInUse; a DHCP port alone does not hold it', async () => {
    const other = await n.network('demo');
    await n.subnet('demo', other.id, '10.71.0.0/24');
    const vm = await n.port('demo', other.id, { device_owner: 'compute:nova', device_id: 'vm' });
    await n.port('admin', other.id, { device_owner: 'network:dhcp', device_id: 'dhcp', project_id: other.project_id });
    assertNeutronError(
      await n.del('demo', `networks/${other.id}`),
      409,
      'NetworkInUse',
      `Unable to complete operation on network ${other.id}. There are one or more ports still in use on the network, id for these ports is: ${vm.id}.`,
    );
    assert.equal((await n.del('demo', `ports/${vm.id}`)).status, 204);
    assert.equal((await n.del('demo', `networks/${other.id}`)).status, 204);
    assert.deepEqual(await counts(other.id), { ports: 0, ips: 0 });
  });

  test('a subnet with allocations: 409 SubnetInUse', async () => {
    const other = await n.network('demo');
    const s = await n.subnet('demo', other.id, '10.72.0.0/24');
    const p = await n.port('demo', other.id);
    assertNeutronError(
      await n.del('demo', `subnets/${s.id}`),
      409,
      'SubnetInUse',
      `Unable to complete operation on subnet ${s.id}: One or more ports have an IP allocation from this subnet.`,
    );
    await n.del('demo', `ports/${p.id}`);
    assert.equal((await n.del('demo', `subnets/${s.id}`)).status, 204);
  });
});

describe('isolation', () => {
  let adminNet: any;
  let adminSubnet: any;
  let adminPort: any;
  let adminSg: any;
  let shared: any;
  before(async () => {
    adminNet = await n.network('admin', { name: 'private-admin' });
    adminSubnet = await n.subnet('admin', adminNet.id, '10.80.0.0/24');
    adminPort = await n.port('admin', adminNet.id);
    adminSg = assertStatus(await n.post('admin', 'security-groups', { security_group: { name: 'admin-sg' } }), 201).security_group;
    shared = await n.network('admin', { name: 'shared', shared: true });
    await n.subnet('admin', shared.id, '10.81.0.0/24');
  });

  test("demo cannot see admin's private network, subnet, port or group", async () => {
    assertNeutronError(await n.get('demo', `networks/${adminNet.id}`), 404, 'NetworkNotFound', `Network ${adminNet.id} could not be found.`);
    assertNeutronError(await n.get('demo', `subnets/${adminSubnet.id}`), 404, 'SubnetNotFound', `Subnet ${adminSubnet.id} could not be found.`);
    assertNeutronError(await n.get('demo', `ports/${adminPort.id}`), 404, 'PortNotFound', `Port ${adminPort.id} could not be found.`);
    assertNeutronError(await n.get('demo', `security-groups/${adminSg.id}`), 404, 'SecurityGroupNotFound', `Security group ${adminSg.id} does not exist`);
    const nets = assertStatus(await n.get('demo', 'networks'), 200).networks.map((x: any) => x.id);
    assert.ok(!nets.includes(adminNet.id));
    assert.ok(nets.includes(shared.id));
    const ports = assertStatus(await n.get('demo', 'ports'), 200).ports.map((x: any) => x.id);
    assert.ok(!ports.includes(adminPort.id));
    const subnets = assertStatus(await n.get('demo', 'subnets'), 200).subnets.map((x: any) => x.id);
    assert.ok(!subnets.includes(adminSubnet.id));
    const groups = assertStatus(await n.get('demo', 'security-groups'), 200).security_groups.map((x: any) => x.id);
    assert.ok(!groups.includes(adminSg.id));
  });

  test("demo cannot change or delete admin's private resources", async () => {
    assertNeutronError(await n.put('demo', `networks/${adminNet.id}`, { network: { name: 'x' } }), 404, 'NetworkNotFound', `Network ${adminNet.id} could not be found.`);
    assertNeutronError(await n.del('demo', `networks/${adminNet.id}`), 404, 'NetworkNotFound', `Network ${adminNet.id} could not be found.`);
    assertNeutronError(await n.put('demo', `subnets/${adminSubnet.id}`, { subnet: { name: 'x' } }), 404, 'SubnetNotFound', `Subnet ${adminSubnet.id} could not be found.`);
    assertNeutronError(await n.del('demo', `subnets/${adminSubnet.id}`), 404, 'SubnetNotFound', `Subnet ${adminSubnet.id} could not be found.`);
    assertNeutronError(await n.put('demo', `ports/${adminPort.id}`, { port: { name: 'x' } }), 404, 'PortNotFound', `Port ${adminPort.id} could not be found.`);
    assertNeutronError(await n.del('demo', `ports/${adminPort.id}`), 404, 'PortNotFound', `Port ${adminPort.id} could not be found.`);
    assertNeutronError(await n.put('demo', `security-groups/${adminSg.id}`, { security_group: { name: 'x' } }), 404, 'SecurityGroupNotFound', `Security group ${adminSg.id} does not exist`);
    assertNeutronError(await n.del('demo', `security-groups/${adminSg.id}`), 404, 'SecurityGroupNotFound', `Security group ${adminSg.id} does not exist`);
    assertNeutronError(await n.post('demo', 'ports', { port: { network_id: adminNet.id } }), 404, 'NetworkNotFound', `Network ${adminNet.id} could not be found.`);
    assertNeutronError(
      await n.post('demo', 'subnets', { subnet: { network_id: adminNet.id, cidr: '10.82.0.0/24', ip_version: 4 } }),
      404,
      'NetworkNotFound',
      `Network ${adminNet.id} could not be found.`,
    );
    assert.equal(assertStatus(await n.get('admin', `networks/${adminNet.id}`), 200).network.name, 'private-admin');
  });

  test('demo creates a port on a shared network; admin sees everything', async () => {
    const p = await n.port('demo', shared.id);
    assert.equal(p.network_id, shared.id);
    const sharedSeen = assertStatus(await n.get('demo', `networks/${shared.id}`), 200).network;
    assert.equal(sharedSeen.shared, true);
    const adminPorts = assertStatus(await n.get('admin', 'ports'), 200).ports.map((x: any) => x.id);
    assert.ok(adminPorts.includes(p.id) && adminPorts.includes(adminPort.id));
    const adminNets = assertStatus(await n.get('admin', 'networks'), 200).networks.map((x: any) => x.id);
    assert.ok(adminNets.includes(net.id) && adminNets.includes(adminNet.id));
    const adminGroups = assertStatus(await n.get('admin', 'security-groups'), 200).security_groups;
    assert.ok(adminGroups.some((g: any) => g.project_id === net.project_id));
  });

  test("demo cannot change a shared network it does not own", async () => {
    const res = await n.put('demo', `networks/${shared.id}`, { network: { name: 'mine' } });
    assertNeutronError(res, 403, 'PolicyNotAuthorized', 'rule:update_network is disallowed by policy');
    const del = await n.del('demo', `networks/${shared.id}`);
    assertNeutronError(del, 403, 'PolicyNotAuthorized', 'rule:delete_network is disallowed by policy');
  });
});

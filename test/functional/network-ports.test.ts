/**
 * Neutron ports over HTTP: fixed IPs (given, by subnet, automatic), every port rule of
 * DESIGN §5 with neutron's status, NeutronError type and message, and the request-body
 * validation neutron-lib does before any plugin code runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
let net: any;
let subnet: any;
let subnet2: any;
const UNKNOWN = '0b1e7a43-0000-4000-8000-00000000dead';

before(async () => {
  cloud = await startTestCloud();
  n = neutron(cloud);
  net = await n.network('demo', { name: 'ports-net' });
  subnet = await n.subnet('demo', net.id, '1.2.3.0/24');
  subnet2 = await n.subnet('demo', net.id, '10.9.0.0/24');
});
after(() => cloud.stop());

describe('fixed IPs', () => {
  test('a given address is allocated on its subnet', async () => {
    const p = await n.port('demo', net.id, { fixed_ips: [{ ip_address: '1.2.3.10' }] });
    assert.deepEqual(p.fixed_ips, [{ subnet_id: subnet.id, ip_address: '1.2.3.10' }]);
    assert.match(p.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.equal(p.status, 'DOWN');
    assert.equal(p.device_owner, '');
    assert.equal(p['binding:vnic_type'], 'normal');
    assert.equal(p['binding:host_id'], undefined);
  });

  test('a subnet_id alone gets any address of that subnet', async () => {
    const p = await n.port('demo', net.id, { fixed_ips: [{ subnet_id: subnet2.id }] });
    assert.equal(p.fixed_ips.length, 1);
    assert.equal(p.fixed_ips[0].subnet_id, subnet2.id);
    assert.match(p.fixed_ips[0].ip_address, /^10\.9\.0\.\d+$/);
  });

  test('no fixed_ips: one address from one of the IPv4 subnets', async () => {
    const p = await n.port('demo', net.id);
    assert.equal(p.fixed_ips.length, 1);
    assert.ok([subnet.id, subnet2.id].includes(p.fixed_ips[0].subnet_id));
  });

  test('an address already held: 409 IpAddressAlreadyAllocated', async () => {
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '1.2.3.10' }] } });
    assertNeutronError(res, 409, 'IpAddressAlreadyAllocated', `IP address 1.2.3.10 already allocated in subnet ${subnet.id}`);
  });

  test('an address outside every subnet of the network: 400 InvalidIpForNetwork', async () => {
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '172.16.0.5' }] } });
    assertNeutronError(res, 400, 'InvalidIpForNetwork', 'IP address 172.16.0.5 is not a valid IP for any of the subnets on the specified network.');
  });

  test('an address outside the given subnet: 400 InvalidIpForSubnet', async () => {
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.9.0.77' }] } });
    assertNeutronError(res, 400, 'InvalidIpForSubnet', 'IP address 10.9.0.77 is not a valid IP for the specified subnet.');
  });

  test('an exhausted /29: 409 IpAddressGenerationFailure', async () => {
    const small = await n.network('demo', { name: 'small' });
    const s = await n.subnet('demo', small.id, '192.168.7.0/29');
    assert.deepEqual(s.allocation_pools, [{ start: '192.168.7.2', end: '192.168.7.6' }]);
    for (let i = 0; i < 5; i++) await n.port('demo', small.id);
    const byNet = await n.post('demo', 'ports', { port: { network_id: small.id } });
    assertNeutronError(byNet, 409, 'IpAddressGenerationFailure', `No more IP addresses available on network ${small.id}.`);
    const bySubnet = await n.post('demo', 'ports', { port: { network_id: small.id, fixed_ips: [{ subnet_id: s.id }] } });
    assertNeutronError(bySubnet, 409, 'IpAddressGenerationFailure', `No more IP addresses available for subnet ${s.id}.`);
  });

  test('more than max_fixed_ips_per_port (5) addresses: 400 InvalidInput (Nimbus keeps this pre-Zed limit)', async () => {
    const ips = [11, 12, 13, 14, 15, 16].map((i) => ({ ip_address: `1.2.3.${i}` }));
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, fixed_ips: ips } });
    assertNeutronError(res, 400, 'InvalidInput', 'Invalid input for operation: Exceeded maximum amount of fixed ips per port.');
  });

  test('updating fixed_ips swaps the address and frees the old one', async () => {
    const p = await n.port('demo', net.id, { fixed_ips: [{ ip_address: '1.2.3.40' }] });
    const upd = assertStatus(await n.put('demo', `ports/${p.id}`, { port: { fixed_ips: [{ ip_address: '1.2.3.41' }] } }), 200).port;
    assert.deepEqual(upd.fixed_ips, [{ subnet_id: subnet.id, ip_address: '1.2.3.41' }]);
    await n.port('demo', net.id, { fixed_ips: [{ ip_address: '1.2.3.40' }] });
  });
});

describe('MAC addresses', () => {
  test('a MAC already on the network: 409 MacAddressInUse', async () => {
    const p = await n.port('demo', net.id, { mac_address: 'fa:16:3e:aa:bb:cc' });
    assert.equal(p.mac_address, 'fa:16:3e:aa:bb:cc');
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, mac_address: 'fa:16:3e:aa:bb:cc' } });
    assertNeutronError(res, 409, 'MacAddressInUse', `Unable to complete operation for network ${net.id}. The mac address fa:16:3e:aa:bb:cc is in use.`);
  });

  test('an invalid MAC: 400 with the validator reason', async () => {
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, mac_address: 'zz:16:3e:aa:bb:cc' } });
    assertNeutronError(res, 400, 'HTTPBadRequest', "Invalid input for mac_address. Reason: 'zz:16:3e:aa:bb:cc' is not a valid MAC address.");
  });

  test('changing the MAC of a network:dhcp port: 409 UnsupportedPortDeviceOwner', async () => {
    const p = await n.port('admin', net.id, { device_owner: 'network:dhcp', device_id: 'dhcp-1' });
    const res = await n.put('admin', `ports/${p.id}`, { port: { mac_address: 'fa:16:3e:00:11:22' } });
    assertNeutronError(res, 409, 'UnsupportedPortDeviceOwner', `Operation mac_address update is not supported for device_owner network:dhcp on port ${p.id}.`);
  });

  test('changing the MAC of an ordinary unbound port works', async () => {
    const p = await n.port('demo', net.id);
    const upd = assertStatus(await n.put('demo', `ports/${p.id}`, { port: { mac_address: 'fa:16:3e:00:11:23' } }), 200).port;
    assert.equal(upd.mac_address, 'fa:16:3e:00:11:23');
  });
});

describe('ownership rules', () => {
  test("another project's project_id in the body as non-admin: 400", async () => {
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, project_id: 'someone-else' } });
    assertNeutronError(res, 400, 'HTTPBadRequest', "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges");
    const viaTenant = await n.post('demo', 'networks', { network: { tenant_id: 'someone-else' } });
    assertNeutronError(viaTenant, 400, 'HTTPBadRequest', "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges");
  });

  test('tenant_id and project_id that disagree: 400', async () => {
    const res = await n.post('admin', 'ports', { port: { network_id: net.id, project_id: 'a', tenant_id: 'b' } });
    assertNeutronError(res, 400, 'HTTPBadRequest', "'project_id' and 'tenant_id' do not match");
  });

  test('admin may create a port for another project', async () => {
    const p = await n.port('admin', net.id, { project_id: 'other-project' });
    assert.equal(p.project_id, 'other-project');
    assert.equal(p.tenant_id, 'other-project');
  });

  test("a router_interface port for another project's router: 409 DeviceIDNotOwnedByTenant", async () => {
    // With the L3 plugin loaded, Zed refuses only a router that exists and is someone else's.
    const router = assertStatus(await n.post('admin', 'routers', { router: { name: 'admins' } }), 201).router;
    const msg = `The following device_id ${router.id} is not owned by your tenant or matches another tenants router.`;
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, device_owner: 'network:router_interface', device_id: router.id } });
    assertNeutronError(res, 409, 'DeviceIDNotOwnedByTenant', msg);
    const p = await n.port('demo', net.id);
    const upd = await n.put('demo', `ports/${p.id}`, { port: { device_owner: 'network:router_interface', device_id: router.id } });
    assertNeutronError(upd, 409, 'DeviceIDNotOwnedByTenant', msg);
  });

  test('a port on a network that does not exist: 404 NetworkNotFound', async () => {
    const res = await n.post('demo', 'ports', { port: { network_id: UNKNOWN } });
    assertNeutronError(res, 404, 'NetworkNotFound', `Network ${UNKNOWN} could not be found.`);
  });

  test('an unknown port: 404 PortNotFound on show, update and delete', async () => {
    const msg = `Port ${UNKNOWN} could not be found.`;
    assertNeutronError(await n.get('demo', `ports/${UNKNOWN}`), 404, 'PortNotFound', msg);
    assertNeutronError(await n.put('demo', `ports/${UNKNOWN}`, { port: { name: 'x' } }), 404, 'PortNotFound', msg);
    assertNeutronError(await n.del('demo', `ports/${UNKNOWN}`), 404, 'PortNotFound', msg);
  });

  test('an unknown security group: 404 SecurityGroupNotFound', async () => {
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, security_groups: [UNKNOWN] } });
    assertNeutronError(res, 404, 'SecurityGroupNotFound', `Security group ${UNKNOWN} does not exist`);
  });
});

describe('request validation', () => {
  test('malformed JSON: 400', async () => {
    const res = await cloud.api('demo', 'POST', n.url('ports'), '{"port": {');
    assertNeutronError(res, 400, 'HTTPBadRequest', 'Body contains invalid data');
  });

  test('an unknown attribute: 400 Unrecognized attribute(s)', async () => {
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, foo: 1 } });
    assertNeutronError(res, 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'foo'");
  });

  test('a value that cannot be a boolean: 400 InvalidInput from the converter', async () => {
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, admin_state_up: 'abc' } });
    assertNeutronError(res, 400, 'InvalidInput', "Invalid input for operation: 'abc' cannot be converted to boolean.");
  });

  test('a wrong type for a string attribute: 400 with the validator reason', async () => {
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, name: 42 } });
    assertNeutronError(res, 400, 'HTTPBadRequest', "Invalid input for name. Reason: '42' is not a valid string.");
  });

  test('network_id that is not a UUID: 400', async () => {
    const res = await n.post('demo', 'ports', { port: { network_id: 'nope' } });
    assertNeutronError(res, 400, 'HTTPBadRequest', "Invalid input for network_id. Reason: 'nope' is not a valid UUID.");
  });

  test('a read-only attribute on PUT: 400', async () => {
    const p = await n.port('demo', net.id);
    const res = await n.put('demo', `ports/${p.id}`, { port: { id: UNKNOWN } });
    assertNeutronError(res, 400, 'HTTPBadRequest', 'Cannot update read-only attribute id');
    const res2 = await n.put('demo', `ports/${p.id}`, { port: { network_id: net.id } });
    assertNeutronError(res2, 400, 'HTTPBadRequest', 'Cannot update read-only attribute network_id');
  });

  test('a POST-forbidden attribute: 400', async () => {
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, status: 'ACTIVE' } });
    assertNeutronError(res, 400, 'HTTPBadRequest', "Attribute 'status' not allowed in POST");
  });

  test('missing network_id: 400 Failed to parse request', async () => {
    const res = await n.post('demo', 'ports', { port: { name: 'x' } });
    assertNeutronError(res, 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'network_id' not specified");
  });

  test('no resource key: 400', async () => {
    assertNeutronError(await n.post('demo', 'ports', { prot: {} }), 400, 'HTTPBadRequest', "Unable to find 'port' in request body");
    assertNeutronError(await n.post('demo', 'ports', { port: 'x' }), 400, 'HTTPBadRequest', "Object 'port' contains invalid data");
  });
});

describe('port update and delete', () => {
  test('name, admin_state_up and revision_number move together', async () => {
    const p = await n.port('demo', net.id, { name: 'before' });
    const upd = assertStatus(await n.put('demo', `ports/${p.id}`, { port: { name: 'after', admin_state_up: false } }), 200).port;
    assert.equal(upd.name, 'after');
    assert.equal(upd.admin_state_up, false);
    assert.ok(upd.revision_number > p.revision_number);
    const shown = assertStatus(await n.get('demo', `ports/${p.id}`), 200).port;
    assert.deepEqual(shown, upd);
  });

  test('delete answers 204 and the port is gone', async () => {
    const p = await n.port('demo', net.id);
    const res = await n.del('demo', `ports/${p.id}`);
    assert.equal(res.status, 204);
    assertNeutronError(await n.get('demo', `ports/${p.id}`), 404, 'PortNotFound', `Port ${p.id} could not be found.`);
  });
});

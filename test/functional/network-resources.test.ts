/**
 * Neutron's resources other than ports over HTTP: networks (provider attributes and
 * their policy, segment reuse), subnets (v4/v6, pools, gateway, DNS, routes, overlap),
 * security groups and rules, floating IPs, quotas, network IP availability, agents
 * and extensions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
const UNKNOWN = '0b1e7a43-0000-4000-8000-00000000dead';

before(async () => {
  cloud = await startTestCloud();
  n = neutron(cloud);
});
after(() => cloud.stop());

describe('networks', () => {
  test('admin creates a vlan network on physnet1 with a segmentation id', async () => {
    const net = await n.network('admin', { name: 'vlan1', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 1500 });
    assert.equal(net['provider:network_type'], 'vlan');
    assert.equal(net['provider:physical_network'], 'physnet1');
    assert.equal(net['provider:segmentation_id'], 1500);
    assert.equal(net.mtu, 1500);
    assert.equal(net.status, 'ACTIVE');
    assert.deepEqual(net.subnets, []);
    const dup = await n.post('admin', 'networks', { network: { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 1500 } });
    assertNeutronError(dup, 409, 'VlanIdInUse', 'Unable to create the network. The VLAN 1500 on physical network physnet1 is in use.');
    assert.equal((await n.del('admin', `networks/${net.id}`)).status, 204);
    const again = await n.network('admin', { name: 'vlan1-again', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 1500 });
    assert.equal(again['provider:segmentation_id'], 1500);
  });

  test('admin creates a flat and a vxlan network', async () => {
    const flat = await n.network('admin', { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet2' });
    assert.equal(flat['provider:network_type'], 'flat');
    assert.equal(flat['provider:physical_network'], 'physnet2');
    assert.equal(flat['provider:segmentation_id'], null);
    const vx = await n.network('admin', { 'provider:network_type': 'vxlan', 'provider:segmentation_id': 777 });
    assert.equal(vx['provider:network_type'], 'vxlan');
    assert.equal(vx['provider:physical_network'], null);
    assert.equal(vx['provider:segmentation_id'], 777);
    assert.equal(vx.mtu, 1450);
  });

  test('a project network gets a vxlan segment, and demo does not see provider attributes', async () => {
    const net = await n.network('demo', { name: 'mine' });
    assert.equal(net.mtu, 1450);
    assert.equal(net['provider:network_type'], undefined);
    assert.equal(net.shared, false);
    const asAdmin = assertStatus(await n.get('admin', `networks/${net.id}`), 200).network;
    assert.equal(asAdmin['provider:network_type'], 'vxlan');
    assert.equal(typeof asAdmin['provider:segmentation_id'], 'number');
  });

  test('provider attributes are refused to demo: 403 PolicyNotAuthorized', async () => {
    const one = await n.post('demo', 'networks', { network: { 'provider:network_type': 'vxlan' } });
    assertNeutronError(one, 403, 'PolicyNotAuthorized', '(rule:create_network and rule:create_network:provider:network_type) is disallowed by policy');
    const three = await n.post('demo', 'networks', { network: { 'provider:segmentation_id': 1501, 'provider:physical_network': 'physnet1', 'provider:network_type': 'vlan' } });
    assertNeutronError(
      three,
      403,
      'PolicyNotAuthorized',
      '(((rule:create_network and rule:create_network:provider:network_type) and rule:create_network:provider:physical_network) and rule:create_network:provider:segmentation_id) is disallowed by policy',
    );
    const shared = await n.post('demo', 'networks', { network: { shared: true } });
    assertNeutronError(shared, 403, 'PolicyNotAuthorized', '(rule:create_network and rule:create_network:shared) is disallowed by policy');
  });

  test('demo may state a default value of an admin-only attribute', async () => {
    const net = await n.network('demo', { shared: false, 'router:external': false });
    assert.equal(net.shared, false);
  });

  test('update and show', async () => {
    const net = await n.network('demo', { name: 'a' });
    const upd = assertStatus(await n.put('demo', `networks/${net.id}`, { network: { name: 'b', admin_state_up: false } }), 200).network;
    assert.equal(upd.name, 'b');
    assert.equal(upd.admin_state_up, false);
    const prov = await n.put('admin', `networks/${net.id}`, { network: { 'provider:segmentation_id': 5 } });
    assertNeutronError(prov, 400, 'InvalidInput', 'Invalid input for operation: Plugin does not support updating the following provider network attributes: provider:network_type, provider:physical_network, provider:segmentation_id.');
  });

  test('an unknown network: 404 NetworkNotFound', async () => {
    const msg = `Network ${UNKNOWN} could not be found.`;
    assertNeutronError(await n.get('demo', `networks/${UNKNOWN}`), 404, 'NetworkNotFound', msg);
    assertNeutronError(await n.put('demo', `networks/${UNKNOWN}`, { network: { name: 'x' } }), 404, 'NetworkNotFound', msg);
    assertNeutronError(await n.del('demo', `networks/${UNKNOWN}`), 404, 'NetworkNotFound', msg);
  });
});

describe('subnets', () => {
  let net: any;
  before(async () => {
    net = await n.network('demo', { name: 'subnets' });
  });

  test('an IPv4 subnet with pools, DNS servers and host routes', async () => {
    const s = await n.subnet('demo', net.id, '10.1.0.0/24', {
      allocation_pools: [{ start: '10.1.0.100', end: '10.1.0.200' }],
      dns_nameservers: ['8.8.8.8', '1.1.1.1'],
      host_routes: [{ destination: '192.168.0.0/16', nexthop: '10.1.0.254' }],
    });
    assert.equal(s.ip_version, 4);
    assert.equal(s.cidr, '10.1.0.0/24');
    assert.equal(s.gateway_ip, '10.1.0.1');
    assert.equal(s.enable_dhcp, true);
    assert.deepEqual(s.allocation_pools, [{ start: '10.1.0.100', end: '10.1.0.200' }]);
    assert.deepEqual(s.dns_nameservers, ['8.8.8.8', '1.1.1.1']);
    assert.deepEqual(s.host_routes, [{ destination: '192.168.0.0/16', nexthop: '10.1.0.254' }]);
    const shown = assertStatus(await n.get('demo', `networks/${net.id}`), 200).network;
    assert.deepEqual(shown.subnets, [s.id]);
  });

  test('gateway_ip null: the pool covers the whole range', async () => {
    const other = await n.network('demo');
    const s = await n.subnet('demo', other.id, '10.2.0.0/24', { gateway_ip: null });
    assert.equal(s.gateway_ip, null);
    assert.deepEqual(s.allocation_pools, [{ start: '10.2.0.1', end: '10.2.0.254' }]);
  });

  test('an IPv6 subnet', async () => {
    const s = await n.subnet('demo', net.id, 'fd00:1::/64', { ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' });
    assert.equal(s.ip_version, 6);
    // ipam_backend_mixin: an IPv6 subnet's default gateway is the network address itself.
    assert.equal(s.gateway_ip, 'fd00:1::');
    assert.deepEqual(s.allocation_pools, [{ start: 'fd00:1::1', end: 'fd00:1::ffff:ffff:ffff:ffff' }]);
    assert.equal(s.ipv6_address_mode, 'slaac');
  });

  test('an overlapping CIDR on the same network: 400 InvalidInput', async () => {
    const res = await n.post('demo', 'subnets', { subnet: { network_id: net.id, cidr: '10.1.0.128/25', ip_version: 4 } });
    assertNeutronError(res, 400, 'InvalidInput', `Invalid input for operation: Requested subnet with cidr: 10.1.0.128/25 for network: ${net.id} overlaps with another subnet.`);
  });

  test('a bad CIDR: 400', async () => {
    const bad = await n.post('demo', 'subnets', { subnet: { network_id: net.id, cidr: '10.3.0.0/33', ip_version: 4 } });
    assertNeutronError(bad, 400, 'HTTPBadRequest', "Invalid input for cidr. Reason: '10.3.0.0/33' is not a valid IP subnet.");
    const short = await n.post('demo', 'subnets', { subnet: { network_id: net.id, cidr: '10.3.0/24', ip_version: 4 } });
    assertNeutronError(short, 400, 'HTTPBadRequest', "Invalid input for cidr. Reason: '10.3.0/24' isn't a recognized IP subnet cidr, '10.3.0.0/24' is recommended.");
    // validate_subnet accepts host bits for IPv4 (str(IPNetwork) keeps them); the subnet gets the network address.
    const hostBits = assertStatus(await n.post('demo', 'subnets', { subnet: { network_id: net.id, cidr: '10.3.0.5/24', ip_version: 4 } }), 201).subnet;
    assert.equal(hostBits.cidr, '10.3.0.0/24');
  });

  test('missing ip_version: 400', async () => {
    const res = await n.post('demo', 'subnets', { subnet: { network_id: net.id, cidr: '10.4.0.0/24' } });
    assertNeutronError(res, 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'ip_version' not specified");
  });

  test('a pool outside the CIDR: 400 OutOfBoundsAllocationPool', async () => {
    const res = await n.post('demo', 'subnets', { subnet: { network_id: net.id, cidr: '10.5.0.0/24', ip_version: 4, allocation_pools: [{ start: '10.5.0.10', end: '10.5.1.10' }] } });
    assertNeutronError(res, 400, 'OutOfBoundsAllocationPool', "The allocation pool 10.5.0.10-10.5.1.10 spans beyond the subnet cidr 10.5.0.0/24.");
  });

  test('update dns_nameservers and name; unknown subnet 404', async () => {
    const other = await n.network('demo');
    const s = await n.subnet('demo', other.id, '10.6.0.0/24');
    const upd = assertStatus(await n.put('demo', `subnets/${s.id}`, { subnet: { name: 'renamed', dns_nameservers: ['9.9.9.9'] } }), 200).subnet;
    assert.equal(upd.name, 'renamed');
    assert.deepEqual(upd.dns_nameservers, ['9.9.9.9']);
    assertNeutronError(await n.get('demo', `subnets/${UNKNOWN}`), 404, 'SubnetNotFound', `Subnet ${UNKNOWN} could not be found.`);
    assertNeutronError(await n.put('demo', `subnets/${s.id}`, { subnet: { cidr: '10.7.0.0/24' } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute cidr');
    assert.equal((await n.del('demo', `subnets/${s.id}`)).status, 204);
  });
});

describe('security groups', () => {
  test('the default group appears on first use with four rules', async () => {
    const list = assertStatus(await n.get('demo', 'security-groups'), 200).security_groups;
    const def = list.filter((g: any) => g.name === 'default');
    assert.equal(def.length, 1);
    const rules = def[0].security_group_rules;
    assert.equal(rules.length, 4);
    const summary = rules.map((r: any) => `${r.direction}/${r.ethertype}/${r.remote_group_id === def[0].id ? 'self' : r.remote_group_id}`).sort();
    assert.deepEqual(summary, ['egress/IPv4/null', 'egress/IPv6/null', 'ingress/IPv4/self', 'ingress/IPv6/self']);
    const again = assertStatus(await n.get('demo', 'security-groups'), 200).security_groups;
    assert.equal(again.filter((g: any) => g.name === 'default').length, 1);
  });

  test('a new group has two egress rules; a duplicate rule is 409 SecurityGroupRuleExists', async () => {
    const sg = assertStatus(await n.post('demo', 'security-groups', { security_group: { name: 'web', description: 'w' } }), 201).security_group;
    assert.equal(sg.security_group_rules.length, 2);
    const body = { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_ip_prefix: '0.0.0.0/0' } };
    const rule = assertStatus(await n.post('demo', 'security-group-rules', body), 201).security_group_rule;
    assert.equal(rule.protocol, 'tcp');
    assert.equal(rule.port_range_min, 80);
    const dup = await n.post('demo', 'security-group-rules', body);
    assertNeutronError(dup, 409, 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${rule.id}.`);
    assert.equal((await n.del('demo', `security-group-rules/${rule.id}`)).status, 204);
    assertNeutronError(await n.get('demo', `security-group-rules/${rule.id}`), 404, 'SecurityGroupRuleNotFound', `Security group rule ${rule.id} does not exist`);
  });

  test('a group in use cannot go; an unknown one is 404', async () => {
    const net = await n.network('demo');
    await n.subnet('demo', net.id, '10.10.0.0/24');
    const sg = assertStatus(await n.post('demo', 'security-groups', { security_group: { name: 'used' } }), 201).security_group;
    const p = await n.port('demo', net.id, { security_groups: [sg.id] });
    assert.deepEqual(p.security_groups, [sg.id]);
    assertNeutronError(await n.del('demo', `security-groups/${sg.id}`), 409, 'SecurityGroupInUse', `Security Group ${sg.id} in use.`);
    assertNeutronError(await n.get('demo', `security-groups/${UNKNOWN}`), 404, 'SecurityGroupNotFound', `Security group ${UNKNOWN} does not exist`);
  });
});

describe('floating IPs', () => {
  let ext: any;
  let port: any;
  let router: any;
  before(async () => {
    ext = await n.network('admin', { name: 'public', 'router:external': true });
    await n.subnet('admin', ext.id, '203.0.113.0/24');
    const net = await n.network('demo');
    const sub = await n.subnet('demo', net.id, '10.20.0.0/24');
    port = await n.port('demo', net.id, { fixed_ips: [{ ip_address: '10.20.0.5' }] });
    // Association needs a router from the port's subnet to the external network (Zed's rule).
    router = assertStatus(await n.post('demo', 'routers', { router: { external_gateway_info: { network_id: ext.id } } }), 201).router;
    assertStatus(await n.put('demo', `routers/${router.id}/add_router_interface`, { subnet_id: sub.id }), 200);
  });

  test('create on the external network, associate, filter, disassociate', async () => {
    const fip = assertStatus(await n.post('demo', 'floatingips', { floatingip: { floating_network_id: ext.id } }), 201).floatingip;
    assert.match(fip.floating_ip_address, /^203\.0\.113\.\d+$/);
    assert.equal(fip.port_id, null);
    assert.equal(fip.fixed_ip_address, null);
    assert.equal(fip.status, 'DOWN');
    const assoc = assertStatus(await n.put('demo', `floatingips/${fip.id}`, { floatingip: { port_id: port.id } }), 200).floatingip;
    assert.equal(assoc.port_id, port.id);
    assert.equal(assoc.fixed_ip_address, '10.20.0.5');
    assert.equal(assoc.router_id, router.id);
    const found = assertStatus(await n.get('demo', `floatingips?fixed_ip_address=10.20.0.5&port_id=${port.id}`), 200).floatingips;
    assert.deepEqual(found.map((f: any) => f.id), [fip.id]);
    const none = assertStatus(await n.get('demo', `floatingips?fixed_ip_address=10.20.0.6&port_id=${port.id}`), 200).floatingips;
    assert.deepEqual(none, []);
    const dis = assertStatus(await n.put('demo', `floatingips/${fip.id}`, { floatingip: { port_id: null } }), 200).floatingip;
    assert.equal(dis.port_id, null);
    assert.equal(dis.fixed_ip_address, null);
    assert.deepEqual(assertStatus(await n.get('demo', `floatingips?port_id=${port.id}`), 200).floatingips, []);
    assert.equal((await n.del('demo', `floatingips/${fip.id}`)).status, 204);
    assertNeutronError(await n.get('demo', `floatingips/${fip.id}`), 404, 'FloatingIPNotFound', `Floating IP ${fip.id} could not be found`);
  });

  test('create with port_id associates at once', async () => {
    const fip = assertStatus(await n.post('demo', 'floatingips', { floatingip: { floating_network_id: ext.id, port_id: port.id } }), 201).floatingip;
    assert.equal(fip.port_id, port.id);
    assert.equal(fip.fixed_ip_address, '10.20.0.5');
  });

  test('a network that is not external: 400', async () => {
    const net = await n.network('demo');
    const res = await n.post('demo', 'floatingips', { floatingip: { floating_network_id: net.id } });
    assertNeutronError(res, 400, 'BadRequest', `Bad floatingip request: Network ${net.id} is not a valid external network.`);
  });
});

describe('quotas', () => {
  test('show, update, and OverQuota on the port past the limit', async () => {
    const projectId = (await n.network('demo')).project_id as string;
    const shown = assertStatus(await n.get('demo', `quotas/${projectId}`), 200).quota;
    assert.equal(shown.port, 500);
    assert.equal(shown.network, 100);
    const ports = assertStatus(await n.get('demo', `ports?tenant_id=${projectId}`), 200).ports.length;
    const upd = assertStatus(await n.put('admin', `quotas/${projectId}`, { quota: { port: ports + 1 } }), 200).quota;
    assert.equal(upd.port, ports + 1);
    const net = await n.network('demo');
    await n.subnet('demo', net.id, '10.30.0.0/24');
    await n.port('demo', net.id);
    const over = await n.post('demo', 'ports', { port: { network_id: net.id } });
    assertNeutronError(over, 409, 'OverQuota', "Quota exceeded for resources: ['port'].");
    const refused = await n.put('demo', `quotas/${projectId}`, { quota: { port: 1000 } });
    assertNeutronError(refused, 403, 'AdminRequired', 'User does not have admin privileges: Only admin can view or configure quota.');
    assertStatus(await n.put('admin', `quotas/${projectId}`, { quota: { port: -1 } }), 200);
    await n.port('demo', net.id);
  });
});

describe('network IP availability, agents, extensions', () => {
  test('network-ip-availabilities counts used and total addresses', async () => {
    const net = await n.network('admin', { name: 'avail' });
    const s = await n.subnet('admin', net.id, '10.40.0.0/28');
    await n.port('admin', net.id);
    await n.port('admin', net.id);
    const one = assertStatus(await n.get('admin', `network-ip-availabilities/${net.id}`), 200).network_ip_availability;
    assert.equal(one.network_id, net.id);
    assert.equal(one.network_name, 'avail');
    assert.equal(one.total_ips, 13);
    assert.equal(one.used_ips, 2);
    assert.deepEqual(one.subnet_ip_availability, [{ used_ips: 2, subnet_id: s.id, subnet_name: '', ip_version: 4, cidr: '10.40.0.0/28', total_ips: 13 }]);
    const all = assertStatus(await n.get('admin', 'network-ip-availabilities'), 200).network_ip_availabilities;
    assert.ok(all.some((a: any) => a.network_id === net.id));
  });

  test('agents: list, show, update', async () => {
    const agents = assertStatus(await n.get('admin', 'agents'), 200).agents;
    assert.deepEqual(agents.map((a: any) => a.host).sort(), ['compute1', 'compute2']);
    const a = agents.find((x: any) => x.host === 'compute1');
    assert.equal(a.agent_type, 'Open vSwitch agent');
    assert.equal(a.binary, 'neutron-openvswitch-agent');
    assert.equal(a.alive, true);
    assert.deepEqual(a.configurations.tunnel_types, ['vxlan']);
    assert.deepEqual(a.configurations.bridge_mappings, { physnet1: 'br-phys' });
    const shown = assertStatus(await n.get('admin', `agents/${a.id}`), 200).agent;
    assert.equal(shown.id, a.id);
    const upd = assertStatus(await n.put('admin', `agents/${a.id}`, { agent: { admin_state_up: false, description: 'maintenance' } }), 200).agent;
    assert.equal(upd.admin_state_up, false);
    assert.equal(upd.description, 'maintenance');
    assertStatus(await n.put('admin', `agents/${a.id}`, { agent: { admin_state_up: true, description: null } }), 200);
    const filtered = assertStatus(await n.get('admin', 'agents?host=compute2'), 200).agents;
    assert.deepEqual(filtered.map((x: any) => x.host), ['compute2']);
    assertNeutronError(await n.get('admin', `agents/${UNKNOWN}`), 404, 'AgentNotFound', `Agent ${UNKNOWN} could not be found.`);
  });

  test('extensions list and show', async () => {
    const exts = assertStatus(await n.get('demo', 'extensions'), 200).extensions;
    const aliases = exts.map((e: any) => e.alias);
    for (const a of ['binding', 'security-group', 'quotas', 'provider', 'external-net', 'agent', 'port-security', 'filter-validation', 'network-ip-availability']) {
      assert.ok(aliases.includes(a), `missing extension ${a}`);
    }
    const one = assertStatus(await n.get('demo', 'extensions/binding'), 200).extension;
    assert.equal(one.alias, 'binding');
    assertNeutronError(await n.get('demo', 'extensions/nope'), 404, 'HTTPNotFound', 'Extension with alias nope does not exist');
  });
});

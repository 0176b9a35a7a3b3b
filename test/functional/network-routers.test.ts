/**
 * Neutron's routers over HTTP (l3, ext-gw-mode, extraroute): the resource and its
 * policy, the gateway port, router interfaces by subnet and by port, extra routes,
 * floating IPs reaching their external network through a router, and every refusal
 * with Zed's type and text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
let ext: any;
let extSub: any;
const UNKNOWN = '0b1e7a43-0000-4000-8000-00000000dead';

before(async () => {
  cloud = await startTestCloud();
  n = neutron(cloud);
  ext = await n.network('admin', { name: 'public', 'router:external': true });
  extSub = await n.subnet('admin', ext.id, '172.24.4.0/24');
});
after(() => cloud.stop());

const router = async (user: 'admin' | 'demo', attrs: Record<string, unknown> = {}) => assertStatus(await n.post(user, 'routers', { router: { name: 'r', ...attrs } }), 201).router;
const addIf = (user: 'admin' | 'demo', id: string, body: unknown) => n.put(user, `routers/${id}/add_router_interface`, body);
const removeIf = (user: 'admin' | 'demo', id: string, body: unknown) => n.put(user, `routers/${id}/remove_router_interface`, body);

describe('router resource', () => {
  test('create, show, list, update, delete', async () => {
    const r = await router('demo', { name: 'r1' });
    assert.deepEqual(Object.keys(r).sort(), [
      'admin_state_up', 'created_at', 'description', 'external_gateway_info', 'id', 'name', 'project_id', 'revision_number', 'routes', 'status', 'tags', 'tenant_id', 'updated_at',
    ]);
    assert.equal(r.status, 'ACTIVE');
    assert.equal(r.admin_state_up, true);
    assert.equal(r.external_gateway_info, null);
    assert.deepEqual(r.routes, []);
    assert.equal(r.revision_number, 1);
    assert.equal(assertStatus(await n.get('demo', `routers/${r.id}`), 200).router.name, 'r1');
    assert.ok(assertStatus(await n.get('demo', 'routers?name=r1'), 200).routers.some((x: any) => x.id === r.id));
    assert.deepEqual(Object.keys(assertStatus(await n.get('demo', `routers/${r.id}?fields=id&fields=name`), 200).router), ['id', 'name']);
    const up = assertStatus(await n.put('demo', `routers/${r.id}`, { router: { name: 'r1b', admin_state_up: false, description: 'd' } }), 200).router;
    assert.equal(up.name, 'r1b');
    assert.equal(up.admin_state_up, false);
    assert.equal(up.revision_number, 2);
    assert.equal((await n.del('demo', `routers/${r.id}`)).status, 204);
    assertNeutronError(await n.get('demo', `routers/${r.id}`), 404, 'RouterNotFound', `Router ${r.id} could not be found`);
  });

  test('another project cannot see or touch a router: 404', async () => {
    const r = await router('admin', { name: 'admins' });
    assertNeutronError(await n.get('demo', `routers/${r.id}`), 404, 'RouterNotFound', `Router ${r.id} could not be found`);
    assertNeutronError(await n.put('demo', `routers/${r.id}`, { router: { name: 'x' } }), 404, 'RouterNotFound', `Router ${r.id} could not be found`);
    assertNeutronError(await n.del('demo', `routers/${r.id}`), 404, 'RouterNotFound', `Router ${r.id} could not be found`);
    assertNeutronError(await addIf('demo', r.id, { subnet_id: UNKNOWN }), 404, 'RouterNotFound', `Router ${r.id} could not be found`);
    assert.ok(!assertStatus(await n.get('demo', 'routers'), 200).routers.some((x: any) => x.id === r.id));
  });

  test('read-only and unknown attributes are refused', async () => {
    assertNeutronError(await n.post('demo', 'routers', { router: { status: 'DOWN' } }), 400, 'HTTPBadRequest', "Attribute 'status' not allowed in POST");
    assertNeutronError(await n.post('demo', 'routers', { router: { routes: [] } }), 400, 'HTTPBadRequest', "Attribute 'routes' not allowed in POST");
    assertNeutronError(await n.post('demo', 'routers', { router: { distributed: true } }), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'distributed'");
  });

  test('router quota: OverQuota past quota_router', async () => {
    const projectId = (await router('demo')).project_id;
    const have = assertStatus(await n.get('demo', `quotas/${projectId}/details`), 200).quota.router;
    assert.equal(have.limit, 10);
    assert.ok(have.used >= 1);
    assertStatus(await n.put('admin', `quotas/${projectId}`, { quota: { router: have.used } }), 200);
    assertNeutronError(await n.post('demo', 'routers', { router: {} }), 409, 'OverQuota', "Quota exceeded for resources: ['router'].");
    // The other tests make more routers than the default 10.
    assertStatus(await n.put('admin', `quotas/${projectId}`, { quota: { router: 100 } }), 200);
  });

  test('router tags', async () => {
    const r = await router('demo');
    assert.equal((await n.put('demo', `routers/${r.id}/tags/blue`, undefined)).status, 201);
    assert.deepEqual(assertStatus(await n.get('demo', `routers/${r.id}`), 200).router.tags, ['blue']);
    assert.deepEqual(assertStatus(await n.get('demo', 'routers?tags=blue'), 200).routers.map((x: any) => x.id), [r.id]);
  });
});

describe('external gateway', () => {
  test('set on create: a network:router_gateway port with project "" and an address from the external subnet', async () => {
    const r = await router('demo', { external_gateway_info: { network_id: ext.id } });
    const gw = r.external_gateway_info;
    assert.deepEqual(Object.keys(gw), ['network_id', 'external_fixed_ips', 'enable_snat']);
    assert.equal(gw.network_id, ext.id);
    assert.equal(gw.enable_snat, true);
    assert.equal(gw.external_fixed_ips.length, 1);
    assert.equal(gw.external_fixed_ips[0].subnet_id, extSub.id);
    assert.match(gw.external_fixed_ips[0].ip_address, /^172\.24\.4\.\d+$/);
    const ports = assertStatus(await n.get('admin', `ports?device_id=${r.id}`), 200).ports;
    assert.equal(ports.length, 1);
    assert.equal(ports[0].device_owner, 'network:router_gateway');
    assert.equal(ports[0].project_id, '');
    assert.equal(ports[0].network_id, ext.id);
    assert.deepEqual(ports[0].fixed_ips, gw.external_fixed_ips);
    // The gateway port is neutron's own: the project does not see it, and nobody deletes it directly.
    assert.deepEqual(assertStatus(await n.get('demo', `ports?device_id=${r.id}`), 200).ports, []);
    assertNeutronError(await n.del('admin', `ports/${ports[0].id}`), 409, 'ServicePortInUse', `Port ${ports[0].id} cannot be deleted directly via the port API: has device owner network:router_gateway.`);
  });

  test('set, change the address (admin), clear: the port follows', async () => {
    const r = await router('demo');
    const set = assertStatus(await n.put('demo', `routers/${r.id}`, { router: { external_gateway_info: { network_id: ext.id } } }), 200).router;
    assert.equal(set.external_gateway_info.network_id, ext.id);
    const moved = assertStatus(
      await n.put('admin', `routers/${r.id}`, { router: { external_gateway_info: { network_id: ext.id, external_fixed_ips: [{ subnet_id: extSub.id, ip_address: '172.24.4.200' }] } } }),
      200,
    ).router;
    assert.deepEqual(moved.external_gateway_info.external_fixed_ips, [{ subnet_id: extSub.id, ip_address: '172.24.4.200' }]);
    const cleared = assertStatus(await n.put('demo', `routers/${r.id}`, { router: { external_gateway_info: {} } }), 200).router;
    assert.equal(cleared.external_gateway_info, null);
    assert.deepEqual(assertStatus(await n.get('admin', `ports?device_id=${r.id}`), 200).ports, []);
  });

  test('a network with router gateways stays external: 409 ExternalNetworkInUse', async () => {
    const pub = await n.network('admin', { name: 'public2', 'router:external': true });
    await n.subnet('admin', pub.id, '198.51.100.0/24');
    const r = await router('demo', { external_gateway_info: { network_id: pub.id } });
    assertNeutronError(
      await n.put('admin', `networks/${pub.id}`, { network: { 'router:external': false } }),
      409,
      'ExternalNetworkInUse',
      `External network ${pub.id} cannot be updated to be made non-external, since it has existing gateway ports.`,
    );
    assert.equal((await n.del('demo', `routers/${r.id}`)).status, 204);
    assert.equal(assertStatus(await n.put('admin', `networks/${pub.id}`, { network: { 'router:external': false } }), 200).network['router:external'], false);
  });

  test('admin sets enable_snat false', async () => {
    const r = await router('admin', { external_gateway_info: { network_id: ext.id, enable_snat: false } });
    assert.equal(r.external_gateway_info.enable_snat, false);
  });

  test('enable_snat and external_fixed_ips are admin-only: 403 PolicyNotAuthorized with the sub-attribute rules', async () => {
    assertNeutronError(
      await n.post('demo', 'routers', { router: { external_gateway_info: { network_id: ext.id, enable_snat: false } } }),
      403,
      'PolicyNotAuthorized',
      '(rule:create_router and (rule:create_router:external_gateway_info and (rule:create_router:external_gateway_info:network_id and rule:create_router:external_gateway_info:enable_snat))) is disallowed by policy',
    );
    const r = await router('demo');
    assertNeutronError(
      await n.put('demo', `routers/${r.id}`, { router: { external_gateway_info: { network_id: ext.id, external_fixed_ips: [{ ip_address: '172.24.4.9' }] } } }),
      403,
      'PolicyNotAuthorized',
      '(rule:update_router and (rule:update_router:external_gateway_info and (rule:update_router:external_gateway_info:network_id and rule:update_router:external_gateway_info:external_fixed_ips))) is disallowed by policy',
    );
  });

  test('a network that is not external: 400', async () => {
    const net = await n.network('demo');
    assertNeutronError(await n.post('demo', 'routers', { router: { external_gateway_info: { network_id: net.id } } }), 400, 'BadRequest', `Bad router request: Network ${net.id} is not an external network.`);
    assertNeutronError(await n.post('demo', 'routers', { router: { external_gateway_info: { network_id: UNKNOWN } } }), 404, 'NetworkNotFound', `Network ${UNKNOWN} could not be found.`);
  });

  test('malformed external_gateway_info: 400', async () => {
    assertNeutronError(
      await n.post('demo', 'routers', { router: { external_gateway_info: { enable_snat: true } } }),
      400,
      'HTTPBadRequest',
      "Invalid input for external_gateway_info. Reason: Validation of dictionary's keys failed. Expected keys: {'network_id'} Provided keys: {'enable_snat'}.",
    );
    assertNeutronError(
      await n.post('demo', 'routers', { router: { external_gateway_info: { network_id: ext.id, foo: 1 } } }),
      400,
      'HTTPBadRequest',
      'Invalid input for external_gateway_info. Reason: Unexpected keys supplied: foo.',
    );
    assertNeutronError(
      await n.post('demo', 'routers', { router: { external_gateway_info: { network_id: 'nope' } } }),
      400,
      'HTTPBadRequest',
      "Invalid input for external_gateway_info. Reason: 'nope' is not a valid UUID.",
    );
  });

  test('an external IP equal to the subnet gateway: 400', async () => {
    assertNeutronError(
      await n.post('admin', 'routers', { router: { external_gateway_info: { network_id: ext.id, external_fixed_ips: [{ ip_address: '172.24.4.1' }] } } }),
      400,
      'BadRequest',
      'Bad router request: External IP 172.24.4.1 is the same as the gateway IP.',
    );
  });

  test('nothing is left behind when the gateway step fails', async () => {
    const before = assertStatus(await n.get('admin', 'routers'), 200).routers.length;
    await n.post('admin', 'routers', { router: { external_gateway_info: { network_id: ext.id, external_fixed_ips: [{ ip_address: '10.9.9.9' }] } } });
    assert.equal(assertStatus(await n.get('admin', 'routers'), 200).routers.length, before);
  });
});

describe('router interfaces', () => {
  test('add by subnet: a port on the gateway IP; show, remove by subnet', async () => {
    const r = await router('demo');
    const net = await n.network('demo');
    const sub = await n.subnet('demo', net.id, '10.1.0.0/24');
    const info = assertStatus(await addIf('demo', r.id, { subnet_id: sub.id }), 200);
    assert.deepEqual(Object.keys(info).sort(), ['id', 'network_id', 'port_id', 'project_id', 'subnet_id', 'subnet_ids', 'tenant_id']);
    assert.equal(info.id, r.id);
    assert.equal(info.subnet_id, sub.id);
    assert.deepEqual(info.subnet_ids, [sub.id]);
    assert.equal(info.network_id, net.id);
    assert.equal(info.tenant_id, r.project_id);
    const port = assertStatus(await n.get('demo', `ports/${info.port_id}`), 200).port;
    assert.equal(port.device_owner, 'network:router_interface');
    assert.equal(port.device_id, r.id);
    assert.deepEqual(port.fixed_ips, [{ subnet_id: sub.id, ip_address: '10.1.0.1' }]);
    assert.deepEqual(port.security_groups, []);
    assertNeutronError(await addIf('demo', r.id, { subnet_id: sub.id }), 400, 'BadRequest', `Bad router request: Router already has a port on subnet ${sub.id}.`);
    // Deleting the port, the subnet or the router while the interface is there is refused.
    assertNeutronError(await n.del('demo', `ports/${info.port_id}`), 409, 'ServicePortInUse', `Port ${info.port_id} cannot be deleted directly via the port API: has device owner network:router_interface.`);
    assertNeutronError(await n.del('demo', `subnets/${sub.id}`), 409, 'SubnetInUse', `Unable to complete operation on subnet ${sub.id}: One or more ports have an IP allocation from this subnet.`);
    assertNeutronError(await n.del('demo', `networks/${net.id}`), 409, 'NetworkInUse', `Unable to complete operation on network ${net.id}. There are one or more ports still in use on the network, id for these ports is: ${info.port_id}.`);
    assertNeutronError(await n.del('demo', `routers/${r.id}`), 409, 'RouterInUse', `Router ${r.id} has ports still attached: ${info.port_id}`);
    const removed = assertStatus(await removeIf('demo', r.id, { subnet_id: sub.id }), 200);
    assert.equal(removed.port_id, info.port_id);
    assertNeutronError(await n.get('demo', `ports/${info.port_id}`), 404, 'PortNotFound', `Port ${info.port_id} could not be found.`);
    assertNeutronError(await removeIf('demo', r.id, { subnet_id: sub.id }), 404, 'RouterInterfaceNotFoundForSubnet', `Router ${r.id} has no interface on subnet ${sub.id}`);
    assert.equal((await n.del('demo', `routers/${r.id}`)).status, 204);
    assert.equal((await n.del('demo', `networks/${net.id}`)).status, 204);
  });

  test('add by port: an unowned port becomes the interface; remove by port', async () => {
    const r = await router('demo');
    const net = await n.network('demo');
    await n.subnet('demo', net.id, '10.2.0.0/24');
    const p = await n.port('demo', net.id, { fixed_ips: [{ ip_address: '10.2.0.50' }] });
    const info = assertStatus(await addIf('demo', r.id, { port_id: p.id }), 200);
    assert.equal(info.port_id, p.id);
    const port = assertStatus(await n.get('demo', `ports/${p.id}`), 200).port;
    assert.equal(port.device_owner, 'network:router_interface');
    assert.equal(port.device_id, r.id);
    const other = await router('demo');
    assertNeutronError(await addIf('demo', other.id, { port_id: p.id }), 409, 'PortInUse', `Unable to complete operation on port ${p.id} for network ${net.id}. Port already has an attached device ${r.id}.`);
    assertNeutronError(await removeIf('demo', other.id, { port_id: p.id }), 404, 'RouterInterfaceNotFound', `Router ${other.id} does not have an interface with id ${p.id}`);
    assertNeutronError(await removeIf('demo', r.id, { port_id: p.id, subnet_id: UNKNOWN }), 400, 'SubnetMismatchForPort', `Subnet on port ${p.id} does not match the requested subnet ${UNKNOWN}.`);
    assert.equal(assertStatus(await removeIf('demo', r.id, { port_id: p.id }), 200).port_id, p.id);
    assertNeutronError(await n.get('demo', `ports/${p.id}`), 404, 'PortNotFound', `Port ${p.id} could not be found.`);
  });

  test('refusals: no gateway IP, overlapping subnets, bad bodies, a port without addresses', async () => {
    const r = await router('demo');
    const net = await n.network('demo');
    const noGw = await n.subnet('demo', net.id, '10.3.0.0/24', { gateway_ip: null });
    assertNeutronError(await addIf('demo', r.id, { subnet_id: noGw.id }), 400, 'BadRequest', 'Bad router request: Subnet for router interface must have a gateway IP.');
    const a = await n.subnet('demo', (await n.network('demo')).id, '10.4.0.0/24');
    const b = await n.subnet('demo', (await n.network('demo')).id, '10.4.0.0/25');
    assertStatus(await addIf('demo', r.id, { subnet_id: a.id }), 200);
    assertNeutronError(await addIf('demo', r.id, { subnet_id: b.id }), 400, 'BadRequest', `Bad router request: Cidr 10.4.0.0/25 of subnet ${b.id} overlaps with cidr 10.4.0.0/24 of subnet ${a.id}.`);
    assertNeutronError(await addIf('demo', r.id, {}), 400, 'BadRequest', 'Bad router request: Either subnet_id or port_id must be specified.');
    assertNeutronError(await addIf('demo', r.id, { subnet_id: a.id, port_id: a.id }), 400, 'BadRequest', 'Bad router request: Cannot specify both subnet-id and port-id.');
    assertNeutronError(await addIf('demo', r.id, { subnet_id: 'x' }), 400, 'BadRequest', "Bad router request: 'x' is not a valid UUID.");
    assertNeutronError(await addIf('demo', r.id, { subnet_id: UNKNOWN }), 404, 'SubnetNotFound', `Subnet ${UNKNOWN} could not be found.`);
    const bare = await n.network('demo');
    const p = await n.port('demo', bare.id);
    assertNeutronError(await addIf('demo', r.id, { port_id: p.id }), 400, 'BadRequest', 'Bad router request: Router port must have at least one fixed IP.');
  });

  test('IPv6: a second subnet of the network joins the same router port; removing it keeps the port', async () => {
    const r = await router('demo');
    const net = await n.network('demo');
    const a = await n.subnet('demo', net.id, '2001:db8:1::/64');
    const b = await n.subnet('demo', net.id, '2001:db8:2::/64');
    const first = assertStatus(await addIf('demo', r.id, { subnet_id: a.id }), 200);
    const second = assertStatus(await addIf('demo', r.id, { subnet_id: b.id }), 200);
    assert.equal(second.port_id, first.port_id);
    const port = assertStatus(await n.get('demo', `ports/${first.port_id}`), 200).port;
    assert.deepEqual(port.fixed_ips.map((f: any) => f.subnet_id).sort(), [a.id, b.id].sort());
    assert.ok(port.fixed_ips.some((f: any) => f.ip_address === a.gateway_ip));
    assert.equal(assertStatus(await removeIf('demo', r.id, { subnet_id: a.id }), 200).port_id, first.port_id);
    assert.deepEqual(assertStatus(await n.get('demo', `ports/${first.port_id}`), 200).port.fixed_ips.map((f: any) => f.subnet_id), [b.id]);
  });

  test('a port with two IPv4 subnets cannot be a router port', async () => {
    const r = await router('demo');
    const net = await n.network('demo');
    const a = await n.subnet('demo', net.id, '10.10.0.0/24');
    const b = await n.subnet('demo', net.id, '10.11.0.0/24');
    const p = await n.port('demo', net.id, { fixed_ips: [{ subnet_id: a.id }, { subnet_id: b.id }] });
    assertNeutronError(await addIf('demo', r.id, { port_id: p.id }), 400, 'BadRequest', 'Bad router request: Cannot have multiple IPv4 subnets on router port.');
    // Nothing changed on the port.
    assert.equal(assertStatus(await n.get('demo', `ports/${p.id}`), 200).port.device_owner, '');
  });

  test("another project's subnet: 404 when hidden, 400 when shared, allowed to admin", async () => {
    const adminNet = await n.network('admin');
    const adminSub = await n.subnet('admin', adminNet.id, '10.5.0.0/24');
    const r = await router('demo');
    assertNeutronError(await addIf('demo', r.id, { subnet_id: adminSub.id }), 404, 'SubnetNotFound', `Subnet ${adminSub.id} could not be found.`);
    // A globally shared network's subnet is still not the project's (LP-1757482).
    const shared = await n.network('admin', { shared: true });
    const sharedSub = await n.subnet('admin', shared.id, '10.15.0.0/24');
    assertNeutronError(
      await addIf('demo', r.id, { subnet_id: sharedSub.id }),
      400,
      'BadRequest',
      `Bad router request: Cannot add interface to router because subnet ${sharedSub.id} is not owned by project making the request.`,
    );
    assertStatus(await addIf('admin', r.id, { subnet_id: adminSub.id }), 200);
  });

  test("a router_interface port naming another project's router: 409; its own or an unknown id: allowed", async () => {
    const net = await n.network('demo');
    await n.subnet('demo', net.id, '10.6.0.0/24');
    const foreign = await router('admin');
    const res = await n.post('demo', 'ports', { port: { network_id: net.id, device_owner: 'network:router_interface', device_id: foreign.id } });
    assertNeutronError(res, 409, 'DeviceIDNotOwnedByTenant', `The following device_id ${foreign.id} is not owned by your tenant or matches another tenants router.`);
    const own = await router('demo');
    assertStatus(await n.post('demo', 'ports', { port: { network_id: net.id, device_owner: 'network:router_interface', device_id: own.id } }), 201);
    assertStatus(await n.post('demo', 'ports', { port: { network_id: net.id, device_owner: 'network:router_interface', device_id: 'a-router' } }), 201);
  });
});

describe('extra routes', () => {
  test('routes through an attached subnet; refusals with InvalidRoutes; the interface is then in use', async () => {
    const r = await router('demo');
    const net = await n.network('demo');
    const sub = await n.subnet('demo', net.id, '10.7.0.0/24');
    assertStatus(await addIf('demo', r.id, { subnet_id: sub.id }), 200);
    const routes = [{ destination: '192.168.0.0/24', nexthop: '10.7.0.10' }];
    const up = assertStatus(await n.put('demo', `routers/${r.id}`, { router: { routes } }), 200).router;
    assert.deepEqual(up.routes, routes);
    assertNeutronError(
      await n.put('demo', `routers/${r.id}`, { router: { routes: [{ destination: '192.168.1.0/24', nexthop: '10.99.0.1' }] } }),
      400,
      'InvalidRoutes',
      "Invalid format for routes: [{'destination': '192.168.1.0/24', 'nexthop': '10.99.0.1'}], the nexthop is not connected with router",
    );
    assertNeutronError(
      await n.put('demo', `routers/${r.id}`, { router: { routes: [{ destination: '192.168.1.0/24', nexthop: '10.7.0.1' }] } }),
      400,
      'InvalidRoutes',
      "Invalid format for routes: [{'destination': '192.168.1.0/24', 'nexthop': '10.7.0.1'}], the nexthop is used by router",
    );
    assertNeutronError(
      await n.put('demo', `routers/${r.id}`, { router: { routes: [{ destination: '192.168.1.1/24', nexthop: '10.7.0.5' }] } }),
      400,
      'HTTPBadRequest',
      "Invalid input for routes. Reason: '192.168.1.1/24' is not a recognized CIDR, '192.168.1.0/24' is recommended.",
    );
    assertNeutronError(
      await removeIf('demo', r.id, { subnet_id: sub.id }),
      409,
      'RouterInterfaceInUseByRoute',
      `Router interface for subnet ${sub.id} on router ${r.id} cannot be deleted, as it is required by one or more routes.`,
    );
    const many = Array.from({ length: 31 }, (_, i) => ({ destination: `192.168.${i}.0/24`, nexthop: '10.7.0.10' }));
    assertNeutronError(await n.put('demo', `routers/${r.id}`, { router: { routes: many } }), 400, 'RoutesExhausted', `Unable to complete operation for ${r.id}. The number of routes exceeds the maximum 30.`);
    assert.deepEqual(assertStatus(await n.put('demo', `routers/${r.id}`, { router: { routes: null } }), 200).router.routes, []);
    assertStatus(await removeIf('demo', r.id, { subnet_id: sub.id }), 200);
  });
});

describe('floating IPs through routers', () => {
  test('association needs a router from the port subnet to the external network; router_id is set', async () => {
    const net = await n.network('demo');
    const sub = await n.subnet('demo', net.id, '10.8.0.0/24');
    const port = await n.port('demo', net.id, { fixed_ips: [{ ip_address: '10.8.0.5' }] });
    const fip = assertStatus(await n.post('demo', 'floatingips', { floatingip: { floating_network_id: ext.id } }), 201).floatingip;
    const unreachable = `External network ${ext.id} is not reachable from subnet ${sub.id}.  Therefore, cannot associate Port ${port.id} with a Floating IP.`;
    assertNeutronError(await n.put('demo', `floatingips/${fip.id}`, { floatingip: { port_id: port.id } }), 404, 'ExternalGatewayForFloatingIPNotFound', unreachable);
    assertNeutronError(await n.post('demo', 'floatingips', { floatingip: { floating_network_id: ext.id, port_id: port.id } }), 404, 'ExternalGatewayForFloatingIPNotFound', unreachable);

    const r = await router('demo');
    assertStatus(await addIf('demo', r.id, { subnet_id: sub.id }), 200);
    // An interface alone is not enough: the router needs its gateway on the external network.
    assertNeutronError(await n.put('demo', `floatingips/${fip.id}`, { floatingip: { port_id: port.id } }), 404, 'ExternalGatewayForFloatingIPNotFound', unreachable);
    assertStatus(await n.put('demo', `routers/${r.id}`, { router: { external_gateway_info: { network_id: ext.id } } }), 200);
    const assoc = assertStatus(await n.put('demo', `floatingips/${fip.id}`, { floatingip: { port_id: port.id } }), 200).floatingip;
    assert.equal(assoc.router_id, r.id);
    assert.equal(assoc.fixed_ip_address, '10.8.0.5');
    assert.deepEqual(assertStatus(await n.get('demo', `floatingips?router_id=${r.id}`), 200).floatingips.map((f: any) => f.id), [fip.id]);

    assertNeutronError(
      await n.put('demo', `routers/${r.id}`, { router: { external_gateway_info: null } }),
      409,
      'RouterExternalGatewayInUseByFloatingIp',
      `Gateway cannot be updated for router ${r.id}, since a gateway to external network ${ext.id} is required by one or more floating IPs.`,
    );
    assertNeutronError(
      await removeIf('demo', r.id, { subnet_id: sub.id }),
      409,
      'RouterInterfaceInUseByFloatingIP',
      `Router interface for subnet ${sub.id} on router ${r.id} cannot be deleted, as it is required by one or more floating IPs.`,
    );
    const fipPort = assertStatus(await n.get('admin', `ports?device_id=${fip.id}`), 200).ports[0];
    assertNeutronError(await n.del('admin', `ports/${fipPort.id}`), 409, 'ServicePortInUse', `Port ${fipPort.id} cannot be deleted directly via the port API: has device owner network:floatingip.`);

    const dis = assertStatus(await n.put('demo', `floatingips/${fip.id}`, { floatingip: { port_id: null } }), 200).floatingip;
    assert.equal(dis.router_id, null);
    assertStatus(await removeIf('demo', r.id, { subnet_id: sub.id }), 200);
    assert.equal(assertStatus(await n.put('demo', `routers/${r.id}`, { router: { external_gateway_info: null } }), 200).router.external_gateway_info, null);
    assert.equal((await n.del('demo', `routers/${r.id}`)).status, 204);
  });

  test('association refusals: fixed_ip_address without port, an IPv6 or absent fixed IP', async () => {
    const fip = assertStatus(await n.post('demo', 'floatingips', { floatingip: { floating_network_id: ext.id } }), 201).floatingip;
    assertNeutronError(
      await n.put('demo', `floatingips/${fip.id}`, { floatingip: { fixed_ip_address: '10.0.0.1' } }),
      400,
      'BadRequest',
      'Bad floatingip request: fixed_ip_address cannot be specified without a port_id.',
    );
    const net = await n.network('demo');
    await n.subnet('demo', net.id, '10.9.0.0/24');
    const port = await n.port('demo', net.id);
    assertNeutronError(
      await n.put('demo', `floatingips/${fip.id}`, { floatingip: { port_id: port.id, fixed_ip_address: '10.9.0.250' } }),
      400,
      'BadRequest',
      `Bad floatingip request: Port ${port.id} does not have fixed ip 10.9.0.250.`,
    );
  });

  test('the router deleted with its gateway: its port goes too', async () => {
    const r = await router('demo', { external_gateway_info: { network_id: ext.id } });
    assert.equal((await n.del('demo', `routers/${r.id}`)).status, 204);
    assert.deepEqual(assertStatus(await n.get('admin', `ports?device_id=${r.id}`), 200).ports, []);
  });
});

describe('extensions', () => {
  test('router, ext-gw-mode and extraroute are advertised; dvr, l3-ha and router AZs are not', async () => {
    const aliases = assertStatus(await n.get('demo', 'extensions'), 200).extensions.map((e: any) => e.alias);
    for (const a of ['router', 'ext-gw-mode', 'extraroute']) assert.ok(aliases.includes(a), `missing ${a}`);
    for (const a of ['dvr', 'l3-ha', 'router_availability_zone', 'l3-flavors', 'extraroute-atomic']) assert.ok(!aliases.includes(a), `unexpected ${a}`);
    const one = assertStatus(await n.get('demo', 'extensions/router'), 200).extension;
    assert.equal(one.name, 'Neutron L3 Router');
  });
});

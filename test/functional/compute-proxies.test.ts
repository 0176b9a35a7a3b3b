/**
 * Issue 9 (PX) over HTTP on one cloud: the legacy /extensions list, os-migrations and
 * /servers/{id}/migrations (empty), os-simple-tenant-usage, and nova's network proxies
 * (os-networks, os-tenant-networks, os-floating-ip-pools, os-floating-ips,
 * os-security-groups). Texts and shapes are nova 26's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

describe('compute: proxies and read-only resources (issue 9 PX)', () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  let serverId: string;
  const nova = (user: 'admin' | 'demo', method: string, path: string, body?: unknown, mv = '2.1') =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${mv}` });
  const neutron = (user: 'admin' | 'demo', method: string, path: string, body?: unknown) => cloud.api(user, method, `${cloud.urls.network}/v2.0${path}`, body);
  const fault = (code: number, message: string) => {
    const name = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound', 409: 'conflictingRequest' }[code] ?? 'computeFault';
    return { [name]: { code, message } };
  };

  before(async () => {
    cloud = await startTestCloud(FAST);
    const net = await neutron('demo', 'POST', '/networks', { network: { name: 'net1' } });
    netId = net.body.network.id;
    await neutron('demo', 'POST', '/subnets', { subnet: { network_id: netId, cidr: '10.9.0.0/24', ip_version: 4, name: 'sub1' } });
    const pub = await neutron('admin', 'POST', '/networks', { network: { name: 'public', 'router:external': true } });
    await neutron('admin', 'POST', '/subnets', { subnet: { network_id: pub.body.network.id, cidr: '172.24.4.0/24', ip_version: 4 } });
    const images = await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`);
    imageId = images.body.images[0].id;
    const r = await nova('demo', 'POST', '/servers', { server: { name: 'vm1', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    serverId = r.body.server.id;
    await waitFor('ACTIVE', async () => ((await nova('demo', 'GET', `/servers/${serverId}`)).body.server?.status === 'ACTIVE' ? true : undefined));
  });
  after(() => cloud?.stop());

  it('GET /extensions: the 99 legacy entries for anyone, /extensions/{alias}, 404 for an unknown alias', async () => {
    const list = await nova('demo', 'GET', '/extensions');
    assert.equal(list.status, 200);
    assert.equal(list.body.extensions.length, 99);
    assert.deepEqual(list.body.extensions[0], {
      alias: 'NMN',
      description: 'Multiple network support.',
      links: [],
      name: 'Multinic',
      namespace: 'http://docs.openstack.org/compute/ext/fake_xml',
      updated: '2014-12-03T00:00:00Z',
    });
    const one = await nova('demo', 'GET', '/extensions/os-volumes');
    assert.deepEqual(one.body.extension.name, 'Volumes');
    const none = await nova('demo', 'GET', '/extensions/nope');
    assert.equal(none.status, 404);
    assert.deepEqual(none.body, fault(404, 'The resource could not be found.'));
  });

  it('GET /os-migrations: empty for admins at every microversion, validated filters, 403 for members', async () => {
    for (const mv of ['2.1', '2.23', '2.59', '2.80']) {
      const r = await nova('admin', 'GET', '/os-migrations?host=h&status=done', undefined, mv);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { migrations: [] });
    }
    assert.equal((await nova('admin', 'GET', '/os-migrations?foo=1', undefined, '2.58')).status, 200);
    const extra = await nova('admin', 'GET', '/os-migrations?foo=1', undefined, '2.59');
    assert.deepEqual(extra.body, fault(400, "Additional properties are not allowed ('foo' was unexpected)"));
    const limit = await nova('admin', 'GET', '/os-migrations?limit=-1', undefined, '2.59');
    assert.equal(limit.status, 400);
    const marker = await nova('admin', 'GET', '/os-migrations?marker=abc', undefined, '2.59');
    assert.deepEqual(marker.body, fault(400, 'Marker abc could not be found.'));
    const since = await nova('admin', 'GET', '/os-migrations?changes-since=nope', undefined, '2.59');
    assert.equal(since.status, 400);
    const order = await nova('admin', 'GET', '/os-migrations?changes-since=2020-01-02T00:00:00Z&changes-before=2020-01-01T00:00:00Z', undefined, '2.66');
    assert.deepEqual(order.body, fault(400, 'The value of changes-since must be less than or equal to changes-before.'));
    const member = await nova('demo', 'GET', '/os-migrations');
    assert.deepEqual(member.body, fault(403, "Policy doesn't allow os_compute_api:os-migrations:index to be performed."));
  });

  it('os-networks and os-tenant-networks: neutron\'s networks in nova-network\'s shape up to 2.35, 404 after, 410 for the removed actions', async () => {
    const list = await nova('demo', 'GET', '/os-networks');
    assert.equal(list.status, 200);
    const mine = list.body.networks.find((n: { id: string }) => n.id === netId);
    assert.deepEqual(mine, { id: netId, cidr: null, netmask: null, gateway: null, broadcast: null, dns1: null, dns2: null, cidr_v6: null, gateway_v6: null, label: 'net1', netmask_v6: null });
    const admin = await nova('admin', 'GET', `/os-networks/${netId}`);
    assert.equal(Object.keys(admin.body.network).length, 32);
    assert.equal(admin.body.network.mtu, null);
    const missing = await nova('demo', 'GET', '/os-networks/00000000-0000-0000-0000-000000000000');
    assert.deepEqual(missing.body, fault(404, 'Network not found'));
    const tn = await nova('demo', 'GET', `/os-tenant-networks/${netId}`);
    assert.deepEqual(tn.body, { network: { id: netId, cidr: 'None', label: 'net1' } });
    assert.ok((await nova('demo', 'GET', '/os-tenant-networks')).body.networks.some((n: { id: string }) => n.id === netId));
    assert.equal((await nova('demo', 'GET', '/os-networks', undefined, '2.36')).status, 404);
    assert.equal((await nova('demo', 'GET', `/os-tenant-networks/${netId}`, undefined, '2.36')).status, 404);
    const goneMsg = fault(410, 'This resource is no longer available.  No forwarding address is given.');
    assert.deepEqual((await nova('admin', 'POST', '/os-networks', { network: { label: 'x' } })).body, goneMsg);
    assert.deepEqual((await nova('admin', 'DELETE', `/os-networks/${netId}`)).body, goneMsg);
    assert.deepEqual((await nova('admin', 'POST', '/os-networks/add', { id: netId })).body, goneMsg);
    assert.deepEqual((await nova('admin', 'POST', `/os-networks/${netId}/action`, { disassociate: null }, '2.90')).body, goneMsg);
    assert.deepEqual((await nova('demo', 'POST', '/os-tenant-networks', { network: { label: 'x' } })).body, goneMsg);
    assert.deepEqual((await nova('demo', 'DELETE', `/os-tenant-networks/${netId}`)).body, goneMsg);
  });

  it('os-floating-ip-pools and os-floating-ips: pools are external networks; allocate, show, list, release', async () => {
    const pools = await nova('demo', 'GET', '/os-floating-ip-pools');
    assert.deepEqual(pools.body, { floating_ip_pools: [{ name: 'public' }] });
    const noPool = await nova('demo', 'POST', '/os-floating-ips', null);
    assert.deepEqual(noPool.body, fault(404, 'Floating IP pool not found.'));
    const made = await nova('demo', 'POST', '/os-floating-ips', { pool: 'public' });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const fip = made.body.floating_ip;
    assert.deepEqual(Object.keys(fip), ['id', 'ip', 'pool', 'fixed_ip', 'instance_id']);
    assert.equal(fip.pool, 'public');
    assert.equal(fip.fixed_ip, null);
    assert.equal(fip.instance_id, null);
    assert.deepEqual((await nova('demo', 'GET', `/os-floating-ips/${fip.id}`)).body, { floating_ip: fip });
    assert.deepEqual((await nova('demo', 'GET', '/os-floating-ips')).body, { floating_ips: [fip] });
    const missing = await nova('demo', 'GET', '/os-floating-ips/00000000-0000-0000-0000-000000000000');
    assert.deepEqual(missing.body, fault(404, 'Floating IP not found for ID 00000000-0000-0000-0000-000000000000'));
    assert.equal((await nova('demo', 'GET', '/os-floating-ips', undefined, '2.36')).status, 404);
    assert.equal((await nova('demo', 'GET', '/os-floating-ip-pools', undefined, '2.36')).status, 404);
    const del = await nova('demo', 'DELETE', `/os-floating-ips/${fip.id}`);
    assert.equal(del.status, 202);
    assert.deepEqual((await nova('demo', 'GET', '/os-floating-ips')).body, { floating_ips: [] });
  });

  it('addFloatingIp / removeFloatingIp (2.1-2.43; were "There is no such action", gophercloud TestFloatingIPsAssociate)', async () => {
    const fip = (await nova('demo', 'POST', '/os-floating-ips', { pool: 'public' })).body.floating_ip;
    const fixed = (await nova('demo', 'GET', `/servers/${serverId}`)).body.server.addresses.net1[0].addr;
    const act = (body: unknown, mv = '2.1') => nova('demo', 'POST', `/servers/${serverId}/action`, body, mv);
    assert.deepEqual((await act({ addFloatingIp: { address: fip.ip } }, '2.44')).body, fault(404, 'The resource could not be found.'));
    assert.deepEqual((await act({ addFloatingIp: { address: fip.ip, fixed_address: '10.9.0.250' } })).body, fault(400, 'Specified fixed address not assigned to instance'));
    assert.deepEqual((await act({ addFloatingIp: { address: '172.24.4.250' } })).body, fault(404, 'floating IP not found'));
    // No router between net1 and public yet: neutron refuses, nova's catch-all words it.
    const unreachable = await act({ addFloatingIp: { address: fip.ip } });
    assert.equal(unreachable.status, 400);
    assert.match(unreachable.body.badRequest.message, new RegExp(`^Unable to associate floating IP ${fip.ip} to fixed IP ${fixed} for instance ${serverId}\\. Error: External network \\S+ is not reachable from subnet`));

    const subnet = (await neutron('demo', 'GET', '/subnets?name=sub1')).body.subnets[0].id;
    const pub = (await neutron('demo', 'GET', '/networks?name=public')).body.networks[0].id;
    const router = (await neutron('demo', 'POST', '/routers', { router: { name: 'r1', external_gateway_info: { network_id: pub } } })).body.router;
    await neutron('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: subnet });

    const added = await act({ addFloatingIp: { address: fip.ip } });
    assert.equal(added.status, 202, JSON.stringify(added.body));
    assert.deepEqual((await nova('demo', 'GET', `/os-floating-ips/${fip.id}`)).body.floating_ip, { ...fip, fixed_ip: fixed, instance_id: serverId });
    assert.deepEqual((await act({ removeFloatingIp: { address: '172.24.4.250' } })).body, fault(404, 'Floating IP not found for address 172.24.4.250.'));
    assert.deepEqual((await act({ removeFloatingIp: { address: fip.ip } }, '2.44')).body, fault(404, 'The resource could not be found.'));
    assert.equal((await act({ removeFloatingIp: { address: fip.ip } })).status, 202);
    assert.deepEqual((await nova('demo', 'GET', `/os-floating-ips/${fip.id}`)).body.floating_ip, fip);
    // Unassociated, the policy target is {} (no server to take a project from): only an
    // admin passes "project_id:%(project_id)s or admin", and then hears the 409.
    assert.deepEqual((await act({ removeFloatingIp: { address: fip.ip } })).body, fault(403, "Policy doesn't allow os_compute_api:os-floating-ips:remove to be performed."));
    const asAdmin = await nova('admin', 'POST', `/servers/${serverId}/action`, { removeFloatingIp: { address: fip.ip } });
    assert.deepEqual(asAdmin.body, fault(409, `Floating IP ${fip.ip} is not associated with instance ${serverId}.`));

    await neutron('demo', 'PUT', `/routers/${router.id}/remove_router_interface`, { subnet_id: subnet });
    await neutron('demo', 'DELETE', `/routers/${router.id}`);
    await nova('demo', 'DELETE', `/os-floating-ips/${fip.id}`);
  });

  it('the /images proxy (2.1-2.35): list, detail in nova\'s shape, show, filters and paging, delete; 404 from 2.36 (was 404; gophercloud TestImagesList)', async () => {
    const glance = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images/${imageId}`)).body;
    const list = await nova('demo', 'GET', '/images');
    assert.equal(list.status, 200);
    const one = list.body.images.find((i: { id: string }) => i.id === imageId);
    assert.deepEqual(Object.keys(one), ['id', 'name', 'links']);
    assert.deepEqual(one.links.map((l: { rel: string }) => l.rel), ['self', 'bookmark', 'alternate']);
    assert.equal(one.links[2].href, `${cloud.urls.image}/images/${imageId}`);
    assert.match(one.links[0].href, new RegExp(`/v2\\.1/images/${imageId}$`));
    const shown = (await nova('demo', 'GET', `/images/${imageId}`)).body.image;
    assert.deepEqual(Object.keys(shown), ['id', 'name', 'minRam', 'minDisk', 'metadata', 'created', 'updated', 'status', 'progress', 'OS-EXT-IMG-SIZE:size', 'links']);
    assert.equal(shown.status, 'ACTIVE');
    assert.equal(shown.progress, 100);
    assert.equal(shown['OS-EXT-IMG-SIZE:size'], glance.size);
    assert.equal(shown.created, glance.created_at);
    assert.ok(!('visibility' in shown.metadata) && !('os_hidden' in shown.metadata), JSON.stringify(shown.metadata));
    const detail = (await nova('demo', 'GET', '/images/detail')).body.images;
    assert.deepEqual(detail.find((i: { id: string }) => i.id === imageId), shown);
    assert.deepEqual((await nova('demo', 'GET', `/images/detail?name=${encodeURIComponent(glance.name)}`)).body.images.map((i: { id: string }) => i.id), [imageId]);
    assert.deepEqual((await nova('demo', 'GET', '/images/detail?status=SAVING')).body.images, []);
    assert.deepEqual((await nova('demo', 'GET', '/images?changes-since=2049-01-01T00:00:00Z')).body.images, []);
    const paged = (await nova('demo', 'GET', '/images?limit=1')).body;
    assert.equal(paged.images.length, 1);
    assert.equal(paged.images_links[0].rel, 'next');
    assert.match(paged.images_links[0].href, new RegExp(`/v2\\.1/images\\?limit=1&marker=${paged.images[0].id}$`));
    assert.deepEqual((await nova('demo', 'GET', '/images?limit=x')).body, fault(400, 'limit must be an integer'));
    assert.deepEqual((await nova('demo', 'GET', '/images/00000000-0000-0000-0000-000000000000')).body, fault(404, 'Image not found.'));
    assert.equal((await nova('demo', 'GET', '/images', undefined, '2.36')).status, 404);
    // A member may not delete the public bootstrap image; its own image goes (204), then 404.
    assert.deepEqual((await nova('demo', 'DELETE', `/images/${imageId}`)).body, fault(403, 'You are not allowed to delete the image.'));
    const mine = (await cloud.api('demo', 'POST', `${cloud.urls.image}/v2/images`, { name: 'mine', disk_format: 'raw', container_format: 'bare' })).body;
    assert.equal((await nova('demo', 'GET', `/images/${mine.id}`)).body.image.status, 'SAVING');
    assert.equal((await nova('demo', 'DELETE', `/images/${mine.id}`)).status, 204);
    assert.deepEqual((await nova('demo', 'DELETE', `/images/${mine.id}`)).body, fault(404, 'Image not found.'));
  });

  it('os-security-groups: list, create, show, update, delete in nova\'s shape; errors as nova words them', async () => {
    const list = await nova('demo', 'GET', '/os-security-groups');
    assert.equal(list.status, 200);
    const dflt = list.body.security_groups.find((g: { name: string }) => g.name === 'default');
    assert.deepEqual(Object.keys(dflt), ['id', 'description', 'name', 'tenant_id', 'rules']);
    // neutron's default group: ingress from itself only (egress rules are not shown).
    assert.equal(dflt.rules.length, 2);
    assert.deepEqual(dflt.rules[0].group, { name: 'default', tenant_id: dflt.tenant_id });
    assert.deepEqual(dflt.rules[0].ip_range, {});
    assert.equal(dflt.rules[0].ip_protocol, null);

    const made = await nova('demo', 'POST', '/os-security-groups', { security_group: { name: 'web', description: 'http' } });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const sg = made.body.security_group;
    assert.deepEqual(sg, { id: sg.id, description: 'http', name: 'web', tenant_id: dflt.tenant_id, rules: [] });
    assert.deepEqual((await nova('demo', 'GET', `/os-security-groups/${sg.id}`)).body, { security_group: sg });
    const upd = await nova('demo', 'PUT', `/os-security-groups/${sg.id}`, { security_group: { name: 'web2', description: 'https' } });
    assert.equal(upd.body.security_group.name, 'web2');

    assert.deepEqual((await nova('demo', 'POST', '/os-security-groups', {})).body, fault(400, "The request body can't be empty"));
    assert.deepEqual((await nova('demo', 'POST', '/os-security-groups', { x: 1 })).body, fault(400, 'Missing parameter security_group'));
    assert.deepEqual((await nova('demo', 'POST', '/os-security-groups', { security_group: { description: 'd' } })).body, fault(400, 'name is not a string or unicode'));
    assert.deepEqual((await nova('demo', 'POST', '/os-security-groups', { security_group: { name: 'n', description: 'x'.repeat(256) } })).body, fault(400, 'description has 256 characters, more than 255.'));
    assert.deepEqual((await nova('demo', 'GET', '/os-security-groups/abc')).body, fault(400, 'Security group id should be uuid'));
    const none = '00000000-0000-0000-0000-000000000000';
    assert.deepEqual((await nova('demo', 'GET', `/os-security-groups/${none}`)).body, fault(404, `Security group ${none} does not exist`));
    assert.equal((await nova('demo', 'GET', '/os-security-groups', undefined, '2.36')).status, 404);

    // rules
    const rule = await nova('demo', 'POST', '/os-security-group-rules', { security_group_rule: { parent_group_id: sg.id, ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/8' } });
    assert.equal(rule.status, 200, JSON.stringify(rule.body));
    const r = rule.body.security_group_rule;
    assert.deepEqual(r, { id: r.id, parent_group_id: sg.id, ip_protocol: 'tcp', from_port: 22, to_port: 22, group: {}, ip_range: { cidr: '10.0.0.0/8' } });
    const dup = await nova('demo', 'POST', '/os-security-group-rules', { security_group_rule: { parent_group_id: sg.id, ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/8' } });
    assert.deepEqual(dup.body, fault(400, `This rule already exists in group ${sg.id}`));
    const icmp = await nova('demo', 'POST', '/os-security-group-rules', { security_group_rule: { parent_group_id: sg.id, ip_protocol: 'icmp', group_id: dflt.id } });
    assert.deepEqual(icmp.body.security_group_rule.group, { name: 'default', tenant_id: dflt.tenant_id });
    assert.equal(icmp.body.security_group_rule.from_port, -1);
    const shown = (await nova('demo', 'GET', `/os-security-groups/${sg.id}`)).body.security_group;
    assert.equal(shown.rules.length, 2);
    const rr = (b: unknown) => nova('demo', 'POST', '/os-security-group-rules', { security_group_rule: { parent_group_id: sg.id, ...(b as object) } });
    assert.deepEqual((await rr({ ip_protocol: 'tcp', from_port: 30, to_port: 20 })).body, fault(400, 'Invalid port range 30:20. Former value cannot be greater than the later'));
    assert.deepEqual((await rr({ ip_protocol: 'tcp', from_port: 0, to_port: 20 })).body, fault(400, 'Invalid port range 0:20. Valid TCP ports should be between 1-65535'));
    assert.deepEqual((await rr({ ip_protocol: 'gre', from_port: 1, to_port: 2 })).body, fault(400, 'Invalid IP protocol gre.'));
    assert.deepEqual((await rr({ ip_protocol: 'tcp', from_port: 'a', to_port: 2 })).body, fault(400, 'Invalid input received: To and From ports must be integers'));
    assert.deepEqual((await rr({ ip_protocol: 'icmp', from_port: 300, to_port: 2 })).body, fault(400, 'Invalid port range 300:2. For ICMP, the type:code must be valid'));
    assert.deepEqual((await rr({ cidr: '10.0.0.0/8' })).body, fault(400, 'Not enough parameters to build a valid rule.'));
    assert.deepEqual((await rr({ ip_protocol: 'tcp', from_port: 1, to_port: 2, cidr: 'bogus' })).body, fault(400, 'bogus is not a valid IP network.'));
    assert.deepEqual((await rr({ ip_protocol: 'tcp', from_port: 1, to_port: 2, cidr: '10.0.0.0/0' })).body, fault(400, 'Bad prefix for network in cidr 10.0.0.0/0'));
    assert.deepEqual((await nova('demo', 'POST', '/os-security-group-rules', { security_group_rule: { parent_group_id: 'x' } })).body, fault(400, 'Security group id should be uuid'));

    assert.equal((await nova('demo', 'DELETE', `/os-security-group-rules/${r.id}`)).status, 202);
    assert.deepEqual((await nova('demo', 'DELETE', `/os-security-group-rules/${r.id}`)).body, fault(404, `Security group rule ${r.id} does not exist`));
    assert.equal((await nova('demo', 'DELETE', `/os-security-groups/${sg.id}`)).status, 202);
    assert.deepEqual((await nova('demo', 'DELETE', `/os-security-groups/${sg.id}`)).body, fault(404, `Security group ${sg.id} does not exist`));
  });

  it('GET /servers/{id}/os-security-groups: the groups of the server\'s ports, at any microversion', async () => {
    for (const mv of ['2.1', '2.90']) {
      const r = await nova('demo', 'GET', `/servers/${serverId}/os-security-groups`, undefined, mv);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.security_groups.map((g: { name: string }) => g.name), ['default']);
      assert.equal(r.body.security_groups[0].rules.length, 2);
    }
    const none = await nova('demo', 'GET', '/servers/00000000-0000-0000-0000-000000000000/os-security-groups');
    assert.equal(none.status, 404);
  });

  it('boot with user_data and config_drive: stored, shown at 2.3 to admins; base64 and personality checked as nova does', async () => {
    const userData = Buffer.from('#!/bin/sh\necho hi\n').toString('base64');
    const r = await nova('demo', 'POST', '/servers', { server: { name: 'ud', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }], user_data: userData, config_drive: true, personality: [{ path: '/etc/motd', contents: 'aGk=' }] } }, '2.56');
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id = r.body.server.id;
    const admin = (await nova('admin', 'GET', `/servers/${id}`, undefined, '2.3')).body.server;
    assert.equal(admin['OS-EXT-SRV-ATTR:user_data'], userData);
    assert.equal(admin.config_drive, 'True');
    const member = (await nova('demo', 'GET', `/servers/${id}`, undefined, '2.3')).body.server;
    assert.equal(member['OS-EXT-SRV-ATTR:user_data'], undefined);
    assert.equal((await nova('admin', 'GET', `/servers/${serverId}`, undefined, '2.3')).body.server.config_drive, '');

    const boot = (extra: object, mv = '2.56') => nova('demo', 'POST', '/servers', { server: { name: 'x', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }], ...extra } }, mv);
    assert.deepEqual((await boot({ user_data: 'abc' })).body, fault(400, "Invalid input for field/attribute user_data. Value: abc. 'abc' is not a 'base64'"));
    const long = await boot({ user_data: 'A'.repeat(65536) });
    assert.equal(long.status, 400);
    assert.match(long.body.badRequest.message, /is too long$/);
    const gone = await boot({ personality: [{ path: '/a', contents: 'aGk=' }] }, '2.57');
    assert.equal(gone.status, 400);
    assert.match(gone.body.badRequest.message, /^Invalid input for field\/attribute server\. Value: \{.*\}\. Additional properties are not allowed \('personality' was unexpected\)$/);
    const six = Array.from({ length: 6 }, (_, i) => ({ path: `/f${i}`, contents: 'aGk=' }));
    assert.deepEqual((await boot({ personality: six })).body, fault(403, 'Personality file limit exceeded'));
    assert.deepEqual((await boot({ personality: [{ path: 'p'.repeat(256), contents: 'aGk=' }] })).body, fault(403, 'Personality file path exceeds maximum 255'));
    assert.deepEqual((await boot({ personality: [{ path: '/a', contents: 'A'.repeat(10244) }] })).body, fault(403, 'Personality file content exceeds maximum 10240'));
    assert.equal((await boot({ personality: [{ path: '/a', contents: 'a' }] })).status, 400);
    await nova('demo', 'DELETE', `/servers/${id}`);
    await waitFor('deleted', async () => ((await nova('demo', 'GET', `/servers/${id}`)).status === 404 ? true : undefined));
    // os-instance-actions of a deleted server: readable from 2.21.
    assert.equal((await nova('demo', 'GET', `/servers/${id}/os-instance-actions`, undefined, '2.20')).status, 404);
    const acts = await nova('demo', 'GET', `/servers/${id}/os-instance-actions`, undefined, '2.21');
    assert.deepEqual(acts.body.instanceActions.map((a: { action: string }) => a.action), ['delete', 'create']);
  });

  it('os-instance-actions: keys per microversion, events by role, paging and filters at 2.58/2.66, deleted servers at 2.21', async () => {
    const v21 = await nova('demo', 'GET', `/servers/${serverId}/os-instance-actions?foo=1`);
    assert.deepEqual(Object.keys(v21.body.instanceActions[0]), ['action', 'instance_uuid', 'request_id', 'user_id', 'project_id', 'start_time', 'message']);
    const v258 = await nova('demo', 'GET', `/servers/${serverId}/os-instance-actions`, undefined, '2.58');
    assert.deepEqual(Object.keys(v258.body.instanceActions[0]), ['action', 'instance_uuid', 'request_id', 'user_id', 'project_id', 'start_time', 'message', 'updated_at']);
    const rid = v258.body.instanceActions[0].request_id;
    const page = await nova('demo', 'GET', `/servers/${serverId}/os-instance-actions?limit=1`, undefined, '2.58');
    assert.equal(page.body.instanceActions.length, 1);
    assert.match(page.body.links[0].href, new RegExp(`/v2\\.1/servers/${serverId}/os-instance-actions\\?limit=1&marker=${rid}$`));
    assert.deepEqual((await nova('demo', 'GET', `/servers/${serverId}/os-instance-actions?marker=${rid}`, undefined, '2.58')).body, { instanceActions: [] });
    assert.deepEqual((await nova('demo', 'GET', `/servers/${serverId}/os-instance-actions?marker=nope`, undefined, '2.58')).body, fault(400, 'Marker nope could not be found.'));
    assert.equal((await nova('demo', 'GET', `/servers/${serverId}/os-instance-actions?foo=1`, undefined, '2.58')).status, 400);
    assert.deepEqual((await nova('demo', 'GET', `/servers/${serverId}/os-instance-actions?changes-since=2100-01-01T00:00:00Z`, undefined, '2.58')).body, { instanceActions: [] });
    assert.equal((await nova('demo', 'GET', `/servers/${serverId}/os-instance-actions?changes-before=2000-01-01T00:00:00Z`, undefined, '2.58')).status, 400);
    assert.deepEqual((await nova('demo', 'GET', `/servers/${serverId}/os-instance-actions?changes-before=2000-01-01T00:00:00Z`, undefined, '2.66')).body, { instanceActions: [] });
    const order = await nova('demo', 'GET', `/servers/${serverId}/os-instance-actions?changes-since=2020-01-02T00:00:00Z&changes-before=2020-01-01T00:00:00Z`, undefined, '2.66');
    assert.deepEqual(order.body, fault(400, 'The value of changes-since must be less than or equal to changes-before.'));

    const show = (user: 'admin' | 'demo', mv: string) => nova(user, 'GET', `/servers/${serverId}/os-instance-actions/${rid}`, undefined, mv);
    assert.equal((await show('demo', '2.50')).body.instanceAction.events, undefined);
    assert.deepEqual(Object.keys((await show('demo', '2.51')).body.instanceAction.events[0]), ['event', 'start_time', 'finish_time', 'result']);
    assert.deepEqual(Object.keys((await show('demo', '2.62')).body.instanceAction.events[0]), ['event', 'start_time', 'finish_time', 'result', 'hostId']);
    assert.deepEqual(Object.keys((await show('admin', '2.1')).body.instanceAction.events[0]), ['event', 'start_time', 'finish_time', 'result', 'traceback']);
    assert.deepEqual(Object.keys((await show('admin', '2.84')).body.instanceAction.events[0]), ['event', 'start_time', 'finish_time', 'result', 'traceback', 'host', 'hostId', 'details']);
    assert.deepEqual((await nova('demo', 'GET', `/servers/${serverId}/os-instance-actions/req-nope`)).body, fault(404, 'Action req-nope not found'));
  });

  it('GET /servers/{id}/migrations: 404 before 2.23, then empty; show answers 404', async () => {
    assert.equal((await nova('admin', 'GET', `/servers/${serverId}/migrations`, undefined, '2.22')).status, 404);
    const r = await nova('admin', 'GET', `/servers/${serverId}/migrations`, undefined, '2.23');
    assert.deepEqual(r.body, { migrations: [] });
    const s = await nova('admin', 'GET', `/servers/${serverId}/migrations/1`, undefined, '2.23');
    assert.deepEqual(s.body, fault(404, `In-progress live migration 1 is not found for server ${serverId}.`));
    const m = await nova('demo', 'GET', `/servers/${serverId}/migrations`, undefined, '2.23');
    assert.equal(m.status, 403);
  });
});

describe('compute: os-simple-tenant-usage', () => {
  let cloud: TestCloud;
  let serverId: string;
  let demoProject: string;
  const nova = (user: 'admin' | 'demo', method: string, path: string, mv = '2.1') =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, undefined, { 'openstack-api-version': `compute ${mv}` });

  before(async () => {
    cloud = await startTestCloud(FAST);
    const net = await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'n' } });
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, cidr: '10.8.0.0/24', ip_version: 4 } });
    const images = await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`);
    const r = await cloud.api('demo', 'POST', `${cloud.urls.compute}/v2.1/servers`, { server: { name: 'u1', flavorRef: '100', imageRef: images.body.images[0].id, networks: [{ uuid: net.body.network.id }] } });
    serverId = r.body.server.id;
    await waitFor('ACTIVE', async () => ((await nova('demo', 'GET', `/servers/${serverId}`)).body.server?.status === 'ACTIVE' ? true : undefined));
    demoProject = (await nova('admin', 'GET', `/servers/${serverId}`)).body.server.tenant_id;
  });
  after(() => cloud?.stop());

  it('index for admins: one summary per project, server_usages with detailed=1, floats and nova time forms', async () => {
    const r = await nova('admin', 'GET', '/os-simple-tenant-usage?start=2020-01-01T00:00:00&end=2100-01-01T00:00:00.5&detailed=1');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.tenant_usages.length, 1);
    const u = r.body.tenant_usages[0];
    assert.deepEqual(Object.keys(u), ['tenant_id', 'server_usages', 'total_local_gb_usage', 'total_vcpus_usage', 'total_memory_mb_usage', 'total_hours', 'start', 'stop']);
    assert.equal(u.tenant_id, demoProject);
    assert.equal(u.start, '2020-01-01T00:00:00.000000');
    assert.match(u.stop, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    const s = u.server_usages[0];
    assert.deepEqual(Object.keys(s), ['hours', 'flavor', 'instance_id', 'name', 'tenant_id', 'memory_mb', 'local_gb', 'vcpus', 'started_at', 'ended_at', 'state', 'uptime']);
    assert.equal(s.instance_id, serverId);
    assert.equal(s.state, 'active');
    assert.equal(s.ended_at, null);
    assert.match(s.started_at, /\.000000$/);
    const plain = await nova('admin', 'GET', '/os-simple-tenant-usage?start=2020-01-01T00:00:00&end=2100-01-01T00:00:00');
    assert.equal(plain.body.tenant_usages[0].server_usages, undefined);
    const none = await nova('admin', 'GET', '/os-simple-tenant-usage?start=2020-01-01T00:00:00&end=2020-01-02T00:00:00');
    assert.deepEqual(none.body, { tenant_usages: [] });
  });

  it('errors: bad time, start after end, members may not list, 2.75 refuses unknown parameters', async () => {
    const bad = await nova('admin', 'GET', '/os-simple-tenant-usage?start=yesterday');
    assert.deepEqual(bad.body, { badRequest: { code: 400, message: 'Invalid datetime string: Datetime is in invalid format' } });
    const order = await nova('admin', 'GET', '/os-simple-tenant-usage?start=2021-01-01T00:00:00&end=2020-01-01T00:00:00');
    assert.deepEqual(order.body, { badRequest: { code: 400, message: 'Invalid start time. The start time cannot occur after the end time.' } });
    const member = await nova('demo', 'GET', '/os-simple-tenant-usage');
    assert.deepEqual(member.body, { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-simple-tenant-usage:list to be performed." } });
    assert.equal((await nova('admin', 'GET', '/os-simple-tenant-usage?foo=1', '2.74')).status, 200);
    assert.equal((await nova('admin', 'GET', '/os-simple-tenant-usage?foo=1', '2.75')).status, 400);
  });

  it('show: own project for members, {} when idle, paging and next links at 2.40, marker errors', async () => {
    const own = await nova('demo', 'GET', `/os-simple-tenant-usage/${demoProject}?start=2020-01-01T00:00:00`);
    assert.equal(own.body.tenant_usage.server_usages.length, 1);
    const idle = await nova('admin', 'GET', '/os-simple-tenant-usage/0123456789abcdef0123456789abcdef?start=2020-01-01T00:00:00');
    assert.deepEqual(idle.body, { tenant_usage: {} });
    const other = await nova('demo', 'GET', '/os-simple-tenant-usage/0123456789abcdef0123456789abcdef');
    assert.equal(other.status, 403);
    const page = await nova('admin', 'GET', '/os-simple-tenant-usage?start=2020-01-01T00:00:00&limit=1', '2.40');
    assert.equal(page.body.tenant_usages_links[0].rel, 'next');
    assert.match(page.body.tenant_usages_links[0].href, new RegExp(`/v2\\.1/os-simple-tenant-usage\\?limit=1&start=2020-01-01T00%3A00%3A00&marker=${serverId}$`));
    const past = await nova('admin', 'GET', `/os-simple-tenant-usage?start=2020-01-01T00:00:00&marker=${serverId}`, '2.40');
    assert.deepEqual(past.body, { badRequest: { code: 400, message: `Marker ${serverId} could not be found.` } });
  });
});

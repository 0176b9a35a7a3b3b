/**
 * The server resource over HTTP: PUT /servers/{id}, metadata, tags, ips, os-server-password,
 * the list filters, and the boot refusals Tempest found missing (unknown security group,
 * bad access IPs, metadata over quota), each with nova's status and text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

describe('compute: the server resource', () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  let vm1: string;
  let vm2: string;
  const nova = (user: 'admin' | 'demo', method: string, path: string, body?: unknown, mv = '2.92') =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${mv}` });
  const neutron = (user: 'admin' | 'demo', method: string, path: string, body?: unknown) => cloud.api(user, method, `${cloud.urls.network}/v2.0${path}`, body);
  const fault = (r: { status: number; body: any }) => [r.status, (Object.values(r.body ?? {})[0] as { message?: string } | undefined)?.message];

  async function boot(name: string, extra: Record<string, unknown> = {}, mv = '2.92') {
    const r = await nova('demo', 'POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }], ...extra } }, mv);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body.server.id as string;
  }
  const waitActive = (id: string) =>
    waitFor(`server ${id} ACTIVE`, async () => {
      const s = await nova('demo', 'GET', `/servers/${id}`);
      return s.body.server?.status === 'ACTIVE' ? s.body.server : undefined;
    });

  before(async () => {
    cloud = await startTestCloud(FAST);
    const net = await neutron('demo', 'POST', '/networks', { network: { name: 'net1' } });
    netId = net.body.network.id;
    await neutron('demo', 'POST', '/subnets', { subnet: { network_id: netId, cidr: '1.2.3.0/24', ip_version: 4, name: 'sub1' } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    vm1 = await boot('vm1', { metadata: { a: '1' }, tags: ['t1'], accessIPv6: '0:0:0:0:0:babe:dc0c:1602' });
    vm2 = await boot('other', { flavorRef: '1' });
    await Promise.all([waitActive(vm1), waitActive(vm2)]);
  });
  after(() => cloud?.stop());

  describe('boot', () => {
    it('stores metadata, tags and a canonical accessIPv6', async () => {
      const s = (await nova('demo', 'GET', `/servers/${vm1}`)).body.server;
      assert.deepEqual(s.metadata, { a: '1' });
      assert.deepEqual(s.tags, ['t1']);
      assert.equal(s.accessIPv6, '::babe:dc0c:1602');
    });

    it('refuses an unknown security group name with 400 (regression: was 202)', async () => {
      const r = await nova('demo', 'POST', '/servers', { server: { name: 'x', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }], security_groups: [{ name: 'nope' }] } });
      assert.deepEqual(fault(r), [400, "Unable to find security_group with name or id 'nope'"]);
    });

    it('refuses invalid access IPs with the schema texts (regression: was 202)', async () => {
      const r4 = await nova('demo', 'POST', '/servers', { server: { name: 'x', flavorRef: '100', imageRef: imageId, accessIPv4: '1.2.3' } });
      assert.deepEqual(fault(r4), [400, "Invalid input for field/attribute accessIPv4. Value: 1.2.3. '1.2.3' is not a 'ipv4'"]);
      const r6 = await nova('demo', 'POST', '/servers', { server: { name: 'x', flavorRef: '100', imageRef: imageId, accessIPv6: 'fe80::1::2' } });
      assert.deepEqual(fault(r6), [400, "Invalid input for field/attribute accessIPv6. Value: fe80::1::2. 'fe80::1::2' is not a 'ipv6'"]);
    });

    it('validates boot tags (2.52) as server tags', async () => {
      const r = await nova('demo', 'POST', '/servers', { server: { name: 'x', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }], tags: ['a,b'] } });
      assert.equal(r.status, 400);
      assert.match(r.body.badRequest.message, /'a,b' does not match '\^\[\^,\/\]\*\$'$/);
      const old = await nova('demo', 'POST', '/servers', { server: { name: 'x', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }], tags: ['a'] } }, '2.51');
      assert.equal(old.status, 400);
    });

    it('refuses metadata over the metadata_items quota with 403 (regression: was 202)', async () => {
      const metadata = Object.fromEntries(Array.from({ length: 129 }, (_, n) => [`k${n}`, 'v']));
      const r = await nova('demo', 'POST', '/servers', { server: { name: 'x', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }], metadata } });
      assert.deepEqual(fault(r), [403, 'Maximum number of metadata items exceeds 128']);
    });
  });

  describe('server view', () => {
    /** 16-show-vm1.txt: a member's show at 2.92, in nova's key order. */
    const MEMBER_292 = [
      'id', 'name', 'status', 'tenant_id', 'user_id', 'metadata', 'hostId', 'image', 'flavor', 'created', 'updated', 'addresses', 'accessIPv4', 'accessIPv6', 'links',
      'OS-DCF:diskConfig', 'progress', 'OS-EXT-AZ:availability_zone', 'config_drive', 'key_name', 'OS-SRV-USG:launched_at', 'OS-SRV-USG:terminated_at', 'security_groups',
      'OS-EXT-STS:task_state', 'OS-EXT-STS:vm_state', 'OS-EXT-STS:power_state', 'os-extended-volumes:volumes_attached', 'locked', 'locked_reason', 'description', 'tags',
      'trusted_image_certificates', 'OS-EXT-SRV-ATTR:hostname', 'server_groups',
    ];
    const ADMIN_ATTRS = [
      'OS-EXT-SRV-ATTR:host', 'OS-EXT-SRV-ATTR:instance_name', 'OS-EXT-SRV-ATTR:hypervisor_hostname', 'OS-EXT-SRV-ATTR:reservation_id', 'OS-EXT-SRV-ATTR:launch_index',
      'OS-EXT-SRV-ATTR:hostname', 'OS-EXT-SRV-ATTR:kernel_id', 'OS-EXT-SRV-ATTR:ramdisk_id', 'OS-EXT-SRV-ATTR:root_device_name', 'OS-EXT-SRV-ATTR:user_data',
    ];

    it('shows every field in nova order for members and admins at 2.92, and the 2.1 subset', async () => {
      assert.deepEqual(Object.keys((await nova('demo', 'GET', `/servers/${vm2}`)).body.server), MEMBER_292);
      const admin = MEMBER_292.slice(0, 23).concat(ADMIN_ATTRS, MEMBER_292.slice(23, 27), ['host_status'], MEMBER_292.slice(27, 32), ['server_groups']);
      assert.deepEqual(Object.keys((await nova('admin', 'GET', `/servers/${vm2}`)).body.server), admin);
      const v21 = Object.keys((await nova('demo', 'GET', `/servers/${vm2}`, undefined, '2.1')).body.server);
      assert.deepEqual(v21, MEMBER_292.slice(0, 27));
      const detail = (await nova('demo', 'GET', '/servers/detail')).body.servers[0];
      assert.deepEqual(Object.keys(detail), MEMBER_292.slice(0, -1));
    });
    it('an image-booted server has root_device_name /dev/sda (regression: was null; gophercloud asserts it)', async () => {
      const s = (await nova('admin', 'GET', `/servers/${vm2}`, undefined, '2.3')).body.server;
      assert.equal(s['OS-EXT-SRV-ATTR:root_device_name'], '/dev/sda');
    });
  });

  describe('PUT /servers/{id}', () => {
    it('updates name, description, access IPs and hostname and answers the full view at 2.75+', async () => {
      const r = await nova('demo', 'PUT', `/servers/${vm1}`, { server: { name: 'vm1b', description: 'd', accessIPv4: '10.0.0.1', accessIPv6: '2001:0db8::0001', hostname: 'h1' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const s = r.body.server;
      assert.equal(s.name, 'vm1b');
      assert.equal(s.description, 'd');
      assert.equal(s.accessIPv4, '10.0.0.1');
      assert.equal(s.accessIPv6, '2001:db8::1');
      assert.equal(s['OS-EXT-SRV-ATTR:hostname'], 'h1');
      assert.equal(s['OS-EXT-STS:vm_state'], 'active');
      assert.equal(s.addresses.net1[0]['OS-EXT-IPS:type'], 'fixed');
      const shown = (await nova('demo', 'GET', `/servers/${vm1}`)).body.server;
      assert.equal(shown.name, 'vm1b');
      await nova('demo', 'PUT', `/servers/${vm1}`, { server: { name: 'vm1', description: null } });
      assert.equal((await nova('demo', 'GET', `/servers/${vm1}`)).body.server.description, null);
    });

    it('answers the short view before 2.75', async () => {
      const r = await nova('demo', 'PUT', `/servers/${vm1}`, { server: { name: 'vm1' } }, '2.1');
      assert.equal(r.status, 200);
      const s = r.body.server;
      assert.equal(s['OS-EXT-STS:vm_state'], undefined);
      assert.equal(s.key_name, undefined);
      assert.deepEqual(Object.keys(s.addresses.net1[0]), ['version', 'addr']);
      assert.equal(s.description, undefined);
    });

    it('validates the body as nova does', async () => {
      assert.deepEqual(fault(await nova('demo', 'PUT', `/servers/${vm1}`, { server: { description: 'x' } }, '2.18')), [
        400,
        "Invalid input for field/attribute server. Value: {'description': 'x'}. Additional properties are not allowed ('description' was unexpected)",
      ]);
      assert.deepEqual(fault(await nova('demo', 'PUT', `/servers/${vm1}`, { server: { accessIPv4: '300.1.1.1' } })), [
        400,
        "Invalid input for field/attribute accessIPv4. Value: 300.1.1.1. '300.1.1.1' is not a 'ipv4'",
      ]);
      assert.deepEqual(fault(await nova('demo', 'PUT', `/servers/${vm1}`, { server: { hostname: 'a_b' } })), [
        400,
        "Invalid input for field/attribute hostname. Value: a_b. 'a_b' does not match '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'",
      ]);
      const other = await nova('admin', 'PUT', `/servers/${vm1}`, { server: { name: 'vm1' } });
      assert.equal(other.status, 200);
    });
  });

  describe('metadata', () => {
    it('lists, merges, replaces, sets one key, shows and deletes', async () => {
      assert.deepEqual((await nova('demo', 'GET', `/servers/${vm1}/metadata`)).body, { metadata: { a: '1' } });
      const merged = await nova('demo', 'POST', `/servers/${vm1}/metadata`, { metadata: { b: '2' } });
      assert.equal(merged.status, 200);
      assert.deepEqual(merged.body, { metadata: { a: '1', b: '2' } });
      const one = await nova('demo', 'PUT', `/servers/${vm1}/metadata/c`, { meta: { c: '3' } });
      assert.deepEqual([one.status, one.body], [200, { meta: { c: '3' } }]);
      assert.deepEqual((await nova('demo', 'GET', `/servers/${vm1}/metadata/c`)).body, { meta: { c: '3' } });
      const all = await nova('demo', 'PUT', `/servers/${vm1}/metadata`, { metadata: { x: 'y', c: '3' } });
      assert.deepEqual(all.body, { metadata: { x: 'y', c: '3' } });
      assert.equal((await nova('demo', 'DELETE', `/servers/${vm1}/metadata/x`)).status, 204);
      assert.deepEqual((await nova('demo', 'GET', `/servers/${vm1}`)).body.server.metadata, { c: '3' });
    });

    it('answers nova errors', async () => {
      assert.deepEqual(fault(await nova('demo', 'GET', `/servers/${vm1}/metadata/nope`)), [404, 'Metadata item was not found']);
      assert.deepEqual(fault(await nova('demo', 'DELETE', `/servers/${vm1}/metadata/nope`)), [404, 'Metadata item was not found']);
      assert.deepEqual(fault(await nova('demo', 'PUT', `/servers/${vm1}/metadata/k1`, { meta: { k2: 'v' } })), [400, 'Request body and URI mismatch']);
      assert.deepEqual(fault(await nova('demo', 'PUT', `/servers/${vm1}/metadata/k1`, { meta: { k1: 'v', k2: 'v' } })), [
        400,
        "Invalid input for field/attribute meta. Value: {'k1': 'v', 'k2': 'v'}. {'k1': 'v', 'k2': 'v'} has too many properties",
      ]);
      const long = 'v'.repeat(256);
      assert.deepEqual(fault(await nova('demo', 'POST', `/servers/${vm1}/metadata`, { metadata: { k: long } })), [
        400,
        `Invalid input for field/attribute k. Value: ${long}. '${long}' is too long`,
      ]);
      const metadata = Object.fromEntries(Array.from({ length: 129 }, (_, n) => [`k${n}`, 'v']));
      assert.deepEqual(fault(await nova('demo', 'PUT', `/servers/${vm1}/metadata`, { metadata })), [403, 'Maximum number of metadata items exceeds 128']);
      const missing = '00000000-0000-0000-0000-000000000000';
      assert.deepEqual(fault(await nova('demo', 'GET', `/servers/${missing}/metadata`)), [404, `Instance ${missing} could not be found.`]);
    });
  });

  describe('state and lock checks', () => {
    it('metadata changes are refused on a locked server (members) and during a task; tags need a settled vm_state', { skip: inProcessOnly('writes task and vm states through the instance store') }, async () => {
      await nova('demo', 'PUT', `/servers/${vm2}/metadata`, { metadata: { k: 'v' } });
      await cloud.compute.instances.save(vm2, { locked: true });
      assert.deepEqual(fault(await nova('demo', 'POST', `/servers/${vm2}/metadata`, { metadata: { a: 'b' } })), [409, `Instance ${vm2} is locked`]);
      assert.deepEqual(fault(await nova('demo', 'DELETE', `/servers/${vm2}/metadata/k`)), [409, `Instance ${vm2} is locked`]);
      assert.equal((await nova('admin', 'POST', `/servers/${vm2}/metadata`, { metadata: { a: 'b' } })).status, 200);
      await cloud.compute.instances.save(vm2, { locked: false, taskState: 'rebooting' });
      assert.deepEqual(fault(await nova('demo', 'PUT', `/servers/${vm2}/metadata/a`, { meta: { a: 'c' } })), [409, `Cannot 'update metadata' instance ${vm2} while it is in task_state rebooting`]);
      assert.equal((await nova('demo', 'PUT', `/servers/${vm2}/tags/ok`)).status, 201);
      await cloud.compute.instances.save(vm2, { vmState: 'error', taskState: null });
      assert.deepEqual(fault(await nova('demo', 'DELETE', `/servers/${vm2}/metadata/k`)), [409, `Cannot 'delete metadata' instance ${vm2} while it is in vm_state error`]);
      assert.deepEqual(fault(await nova('demo', 'PUT', `/servers/${vm2}/tags/x`)), [409, `Cannot 'update tag' instance ${vm2} while it is in vm_state error`]);
      assert.deepEqual(fault(await nova('demo', 'DELETE', `/servers/${vm2}/tags`)), [409, `Cannot 'delete tags' instance ${vm2} while it is in vm_state error`]);
      await cloud.compute.instances.save(vm2, { vmState: 'active' });
      await nova('demo', 'PUT', `/servers/${vm2}/metadata`, { metadata: {} });
      await nova('demo', 'DELETE', `/servers/${vm2}/tags`);
    });

    it("another project's server: 404 for metadata, 403 (policy) for tags", async () => {
      const mine = await nova('admin', 'POST', '/servers', { server: { name: 'adm', flavorRef: '100', imageRef: imageId, networks: 'none' } });
      const id = mine.body.server.id as string;
      assert.deepEqual(fault(await nova('demo', 'GET', `/servers/${id}/metadata`)), [404, `Instance ${id} could not be found.`]);
      assert.deepEqual(fault(await nova('demo', 'GET', `/servers/${id}/tags`)), [403, "Policy doesn't allow os_compute_api:os-server-tags:index to be performed."]);
      const missing = '00000000-0000-0000-0000-000000000000';
      assert.deepEqual(fault(await nova('demo', 'GET', `/servers/${missing}/tags`)), [404, `Instance ${missing} has no mapping to a cell.`]);
      await nova('admin', 'DELETE', `/servers/${id}`);
    });
  });

  describe('tags (2.26)', () => {
    it('adds, checks, lists, replaces and deletes tags', async () => {
      const add = await nova('demo', 'PUT', `/servers/${vm1}/tags/blue`);
      assert.equal(add.status, 201);
      assert.match(add.headers.get('location')!, new RegExp(`/v2.1/servers/${vm1}/tags/blue$`));
      assert.equal((await nova('demo', 'PUT', `/servers/${vm1}/tags/blue`)).status, 204);
      assert.equal((await nova('demo', 'GET', `/servers/${vm1}/tags/blue`)).status, 204);
      assert.deepEqual(fault(await nova('demo', 'GET', `/servers/${vm1}/tags/red`)), [404, `Server ${vm1} has no tag 'red'`]);
      assert.deepEqual((await nova('demo', 'GET', `/servers/${vm1}/tags`)).body, { tags: ['blue', 't1'] });
      assert.deepEqual((await nova('demo', 'PUT', `/servers/${vm1}/tags`, { tags: ['z', 'a'] })).body, { tags: ['a', 'z'] });
      assert.equal((await nova('demo', 'DELETE', `/servers/${vm1}/tags/z`)).status, 204);
      assert.deepEqual(fault(await nova('demo', 'DELETE', `/servers/${vm1}/tags/z`)), [404, `Instance ${vm1} has no tag 'z'`]);
      assert.deepEqual((await nova('demo', 'GET', `/servers/${vm1}`)).body.server.tags, ['a']);
      assert.equal((await nova('demo', 'DELETE', `/servers/${vm1}/tags`)).status, 204);
      assert.deepEqual((await nova('demo', 'GET', `/servers/${vm1}/tags`)).body, { tags: [] });
    });

    it('validates tags and their count', async () => {
      const long = 'x'.repeat(61);
      assert.deepEqual(fault(await nova('demo', 'PUT', `/servers/${vm1}/tags/${long}`)), [
        400,
        `Tag '${long}' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: '${long}' is too long`,
      ]);
      assert.deepEqual(fault(await nova('demo', 'PUT', `/servers/${vm1}/tags/a,b`)), [
        400,
        "Tag 'a,b' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: 'a,b' does not match '^[^,/]*$'",
      ]);
      const fifty = Array.from({ length: 50 }, (_, n) => `t${n}`);
      assert.equal((await nova('demo', 'PUT', `/servers/${vm1}/tags`, { tags: fifty })).status, 200);
      assert.deepEqual(fault(await nova('demo', 'PUT', `/servers/${vm1}/tags/one-more`)), [400, 'The number of tags exceeded the per-server limit 50']);
      const r = await nova('demo', 'PUT', `/servers/${vm1}/tags`, { tags: [...fifty, 'x'] });
      assert.equal(r.status, 400);
      assert.match(r.body.badRequest.message, /^Invalid input for field\/attribute tags\. .* is too long$/);
      await nova('demo', 'DELETE', `/servers/${vm1}/tags`);
      assert.equal((await nova('demo', 'GET', `/servers/${vm1}/tags`, undefined, '2.25')).status, 404);
    });
  });

  describe('ips and password', () => {
    it('lists addresses by network and one network', async () => {
      const all = await nova('demo', 'GET', `/servers/${vm1}/ips`);
      assert.equal(all.status, 200);
      assert.deepEqual(Object.keys(all.body.addresses), ['net1']);
      assert.deepEqual(Object.keys(all.body.addresses.net1[0]), ['version', 'addr']);
      const one = await nova('demo', 'GET', `/servers/${vm1}/ips/net1`);
      assert.deepEqual(one.body, { net1: all.body.addresses.net1 });
      assert.deepEqual(fault(await nova('demo', 'GET', `/servers/${vm1}/ips/nope`)), [404, 'Instance is not a member of specified network']);
    });

    it('shows an empty password and clears it', async () => {
      assert.deepEqual((await nova('demo', 'GET', `/servers/${vm1}/os-server-password`)).body, { password: '' });
      assert.equal((await nova('demo', 'DELETE', `/servers/${vm1}/os-server-password`)).status, 204);
      assert.deepEqual((await nova('demo', 'GET', `/servers/${vm1}/os-server-password`)).body, { password: '' });
    });
  });

  describe('list filters', () => {
    const ids = async (q: string, user: 'admin' | 'demo' = 'demo', mv = '2.92') => {
      const r = await nova(user, 'GET', `/servers${q}`, undefined, mv);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return (r.body.servers as { id: string }[]).map((s) => s.id).sort();
    };

    it('filters by flavor, image and ip (regression: these were ignored)', async () => {
      assert.deepEqual(await ids('?flavor=1'), [vm2]);
      assert.deepEqual(await ids('?flavor=999'), []);
      assert.deepEqual(await ids(`?image=${imageId}`), [vm1, vm2].sort());
      assert.deepEqual(await ids('?image=00000000-0000-0000-0000-000000000000'), []);
      // A plain address works both ways nova filters: a regex on the cache (re.match), or
      // neutron's substring filter when it advertises ip-substring-filtering.
      const ip = (await nova('demo', 'GET', `/servers/${vm2}`)).body.server.addresses.net1[0].addr as string;
      const ip1 = (await nova('demo', 'GET', `/servers/${vm1}`)).body.server.addresses.net1[0].addr as string;
      assert.deepEqual(await ids(`?ip=${ip}`), ip1.includes(ip) ? [vm1, vm2].sort() : [vm2]);
      assert.deepEqual(await ids('?ip=9.9.9.9'), []);
      assert.deepEqual(await ids('?ip6=2001:db8::1'), []);
    });

    it('filters by name regex, status and tags', async () => {
      assert.deepEqual(await ids('?name=^oth'), [vm2]);
      assert.deepEqual(await ids('?status=ACTIVE'), [vm1, vm2].sort());
      assert.deepEqual(fault(await nova('demo', 'GET', '/servers?status=bogus')), [400, 'Invalid status value']);
      assert.deepEqual(await ids('?status=bogus', 'demo', '2.37'), []);
      await nova('demo', 'PUT', `/servers/${vm2}/tags`, { tags: ['red', 'blue'] });
      assert.deepEqual(await ids('?tags=red,blue'), [vm2]);
      assert.deepEqual(await ids('?tags-any=red,green'), [vm2]);
      assert.deepEqual(await ids('?not-tags-any=red'), [vm1]);
    });

    it('changes-since includes deleted servers and is validated', async () => {
      assert.deepEqual(fault(await nova('demo', 'GET', '/servers?changes-since=yesterday')), [
        400,
        "Invalid input for query parameters changes-since. Value: yesterday. 'yesterday' is not a 'date-time'",
      ]);
      const gone = await boot('gone');
      await waitActive(gone);
      await nova('demo', 'DELETE', `/servers/${gone}`);
      await waitFor('deleted', async () => ((await nova('demo', 'GET', `/servers/${gone}`)).status === 404 ? true : undefined));
      assert.ok(!(await ids('')).includes(gone));
      const since = await nova('demo', 'GET', '/servers/detail?changes-since=2000-01-01T00:00:00Z');
      const deleted = since.body.servers.find((s: { id: string }) => s.id === gone);
      assert.equal(deleted?.status, 'DELETED');
      assert.deepEqual(await ids('?changes-since=2999-01-01'), []);
      assert.deepEqual(fault(await nova('demo', 'GET', '/servers?changes-since=2020-01-02&changes-before=2020-01-01')), [
        400,
        'The value of changes-since must be less than or equal to changes-before.',
      ]);
    });

    it('sorts, pages and refuses unknown sort keys and markers', async () => {
      const byName = await nova('demo', 'GET', '/servers?sort_key=display_name&sort_dir=asc');
      assert.deepEqual(
        byName.body.servers.map((s: { name: string }) => s.name),
        ['other', 'vm1'],
      );
      const page = await nova('demo', 'GET', '/servers?limit=1&sort_key=display_name&sort_dir=asc');
      assert.equal(page.body.servers.length, 1);
      assert.match(page.body.servers_links[0].href, new RegExp(`marker=${vm2}`));
      const next = await nova('demo', 'GET', `/servers?limit=1&sort_key=display_name&sort_dir=asc&marker=${vm2}`);
      assert.deepEqual(next.body.servers.map((s: { id: string }) => s.id), [vm1]);
      assert.deepEqual(fault(await nova('demo', 'GET', '/servers?marker=nope')), [400, 'marker [nope] not found']);
      const bad = await nova('demo', 'GET', '/servers?sort_key=foo');
      assert.equal(bad.status, 400);
      assert.match(bad.body.badRequest.message, /^Invalid input for query parameters sort_key\. Value: foo\. 'foo' is not one of \[/);
    });

    it('filters by locked (2.73), availability_zone and changes-before', async () => {
      // An admin's lock: the member cannot lift it, and the admin's unlock below can.
      assert.equal((await nova('admin', 'POST', `/servers/${vm2}/action`, { lock: null })).status, 202);
      assert.deepEqual(await ids('?locked=true'), [vm2]);
      assert.deepEqual(await ids('?locked=0'), [vm1]);
      assert.deepEqual(await ids('?locked=true', 'demo', '2.72'), [vm1, vm2].sort());
      assert.deepEqual(fault(await nova('demo', 'GET', '/servers?locked=maybe')), [
        400,
        "Invalid input received: Unrecognized value 'maybe', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'",
      ]);
      assert.equal((await nova('admin', 'POST', `/servers/${vm2}/action`, { unlock: null })).status, 202);
      assert.deepEqual(await ids('?availability_zone=^nova$'), [vm1, vm2].sort());
      assert.deepEqual(await ids('?availability_zone=elsewhere'), []);
      assert.deepEqual(await ids('?changes-before=2000-01-01T00:00:00Z'), []);
      assert.ok((await ids('?changes-before=2999-01-01T00:00:00Z')).includes(vm1));
    });

    it('ignores host for members and applies it for admins', async () => {
      const host = (await nova('admin', 'GET', `/servers/${vm1}`)).body.server['OS-EXT-SRV-ATTR:host'];
      assert.deepEqual(await ids('?host=nowhere'), [vm1, vm2].sort());
      assert.deepEqual(await ids('?host=nowhere&all_tenants=1', 'admin'), []);
      assert.ok((await ids(`?host=${host}&all_tenants=1`, 'admin')).includes(vm1));
    });

    it('all_tenants is a policy refusal for members and strict about its value', async () => {
      assert.deepEqual(fault(await nova('demo', 'GET', '/servers?all_tenants=1')), [403, "Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed."]);
      assert.deepEqual(fault(await nova('demo', 'GET', '/servers/detail?all_tenants=True')), [403, "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed."]);
      assert.equal((await nova('demo', 'GET', '/servers?all_tenants=0')).status, 200);
      // Regression (Tempest test_list_servers_by_admin_with_all_tenants): the empty value is "all".
      assert.deepEqual(fault(await nova('demo', 'GET', '/servers/detail?all_tenants=')), [403, "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed."]);
      assert.ok((await ids('?all_tenants=', 'admin')).includes(vm1));
      const bad = await nova('admin', 'GET', '/servers?all_tenants=maybe');
      assert.deepEqual(fault(bad), [400, "Invalid input received: Unrecognized value 'maybe', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'"]);
    });

    it('admins see host_status in the detailed list (2.16) and deleted servers with deleted=true', async () => {
      const detail = await nova('admin', 'GET', '/servers/detail?all_tenants=1');
      assert.equal(detail.body.servers.find((s: { id: string }) => s.id === vm1).host_status, 'UP');
      const member = await nova('demo', 'GET', '/servers/detail');
      assert.equal(member.body.servers[0].host_status, undefined);
      const deleted = await nova('admin', 'GET', '/servers/detail?all_tenants=1&deleted=true');
      assert.ok(deleted.body.servers.length >= 1);
      assert.ok(deleted.body.servers.every((s: { status: string }) => s.status === 'DELETED'));
    });
  });
});

/**
 * Acceptance: compute through openstackclient 6.0 (`openstack`, compute API 2.1 by
 * novaclient, or the SDK's negotiated microversion for flavors and services): flavor
 * create (02-flavor-create.txt) / list / show, server create --wait / list / show /
 * add port / remove port / event list / event show / delete, hypervisor list, compute
 * service list and availability zone list, as a member and as an admin.
 *
 * Only `flavor create` has a reference transcript; the other layouts are what OSC 6.0
 * prints for nova's Zed responses (its column lists and formatters: _prep_server_detail,
 * PowerStateColumn, ListDictColumn...), with Nimbus's hosts (compute1, compute2: QEMU
 * on 127.0.0.1, as the libvirt-like driver reports them) and devstack's flavors plus the
 * seed's "100".
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { neutron as neutronApi } from '../helpers/neutron.js';
import { cli, fieldTable, listTable, novaMissing, OPENSTACK, os, parseTable, TIME, UUID, waitFor } from './helpers.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };
const IMAGE = 'cirros-0.6.2-x86_64-disk';
const REQ_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DB_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
const DB_TIME_SRC = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}';

/** 02-flavor-create.txt. */
const FLAVOR_CREATE = ['OS-FLV-DISABLED:disabled', 'OS-FLV-EXT-DATA:ephemeral', 'description', 'disk', 'id', 'name', 'os-flavor-access:is_public', 'properties', 'ram', 'rxtx_factor', 'swap', 'vcpus'];
/** `flavor show` adds the projects of a private flavor (None for a public one). */
const FLAVOR_SHOW = [...FLAVOR_CREATE.slice(0, 2), 'access_project_ids', ...FLAVOR_CREATE.slice(2)];
/** devstack's flavors and the seed's "100": id, name, RAM, disk, ephemeral, vCPUs, public. */
const DEFAULT_FLAVORS = [
  ['1', 'm1.tiny', '512', '1', '0', '1', 'True'],
  ['2', 'm1.small', '2048', '20', '0', '1', 'True'],
  ['3', 'm1.medium', '4096', '40', '0', '2', 'True'],
  ['4', 'm1.large', '8192', '80', '0', '4', 'True'],
  ['5', 'm1.xlarge', '16384', '160', '0', '8', 'True'],
  ['42', 'm1.nano', '128', '1', '0', '1', 'True'],
  ['84', 'm1.micro', '192', '1', '0', '1', 'True'],
  ['100', 'm1.seed100', '64', '1', '0', '1', 'True'],
];
/** `openstack server create|show` at 2.1 as a member: the server, sorted (create adds adminPass). */
const SERVER_SHOW = [
  'OS-DCF:diskConfig', 'OS-EXT-AZ:availability_zone', 'OS-EXT-STS:power_state', 'OS-EXT-STS:task_state', 'OS-EXT-STS:vm_state', 'OS-SRV-USG:launched_at',
  'OS-SRV-USG:terminated_at', 'accessIPv4', 'accessIPv6', 'addresses', 'config_drive', 'created', 'flavor', 'hostId', 'id', 'image', 'key_name', 'name',
  'progress', 'project_id', 'properties', 'security_groups', 'status', 'updated', 'user_id', 'volumes_attached',
];
const SERVER_CREATE = [...SERVER_SHOW.slice(0, 10), 'adminPass', ...SERVER_SHOW.slice(10)];
/** An admin also sees the OS-EXT-SRV-ATTR attributes of 2.1. */
const SERVER_SHOW_ADMIN = [...SERVER_SHOW.slice(0, 2), 'OS-EXT-SRV-ATTR:host', 'OS-EXT-SRV-ATTR:hypervisor_hostname', 'OS-EXT-SRV-ATTR:instance_name', ...SERVER_SHOW.slice(2)];
const SERVER_LIST = ['ID', 'Name', 'Status', 'Networks', 'Image', 'Flavor'];
const EVENT_LIST = ['Request ID', 'Server ID', 'Action', 'Start Time'];
const EVENT_SHOW = ['action', 'instance_uuid', 'message', 'project_id', 'request_id', 'start_time', 'user_id'];

describe('acceptance: compute through openstackclient (flavors, servers, events, hypervisors, services, zones)', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  let n: ReturnType<typeof neutronApi>;
  let demoProject: string;
  let demoUser: string;
  let imageId: string;
  let net1: any;
  let p3: any;
  let anchor: string;
  let vm4: string;
  /** vm4's own port (the one nova created for --nic net-id). */
  let vm4Port: any;
  /** Request ids of vm4's actions, by action. */
  const req: Record<string, string> = {};

  /** openstack as `user`: exit 1, no stdout, and exactly `stderr`. */
  async function osFails(user: 'admin' | 'demo', args: string[], stderr: string | RegExp): Promise<void> {
    const r = await cli(cloud, user, OPENSTACK, args);
    const where = `openstack ${args.join(' ')}\nexit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
    assert.equal(r.code, 1, where);
    assert.equal(r.stdout, '', where);
    if (typeof stderr === 'string') assert.equal(r.stderr, stderr, where);
    else assert.match(r.stderr, stderr, where);
  }
  const computeApi = (user: 'admin' | 'demo', method: string, path: string) =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, undefined, { 'openstack-api-version': 'compute 2.92' });

  before(async () => {
    cloud = await startTestCloud(FAST);
    n = neutronApi(cloud);
    demoProject = await cloud.projectId('demo');
    const token = await cloud.token('demo');
    demoUser = (await cloud.api('demo', 'GET', `${cloud.urls.identity}/v3/auth/tokens`, undefined, { 'x-subject-token': token })).body.token.user.id;
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images?name=${IMAGE}`)).body.images[0].id;
    net1 = await n.network('demo', { name: 'net1' });
    await n.subnet('demo', net1.id, '1.2.3.0/24', { name: 'sub1', allocation_pools: [{ start: '1.2.3.100', end: '1.2.3.254' }] });
    p3 = await n.port('demo', net1.id, { name: 'p3', fixed_ips: [{ ip_address: '1.2.3.30' }] });
  });
  after(async () => {
    await cloud?.stop();
  });

  // ------------------------------------------------------------------ flavors

  test('02 openstack flavor create --ram 64 --disk 1 --vcpus 1 --public m1.anchor', async () => {
    const f = fieldTable(await os(cloud, 'admin', 'flavor', 'create', '--ram', '64', '--disk', '1', '--vcpus', '1', '--public', 'm1.anchor'));
    assert.deepEqual(Object.keys(f), FLAVOR_CREATE);
    assert.match(f.id!, UUID);
    anchor = f.id!;
    assert.deepEqual(f, {
      'OS-FLV-DISABLED:disabled': 'False',
      'OS-FLV-EXT-DATA:ephemeral': '0',
      description: 'None',
      disk: '1',
      id: anchor,
      name: 'm1.anchor',
      'os-flavor-access:is_public': 'True',
      properties: '',
      ram: '64',
      rxtx_factor: '1.0',
      swap: '',
      vcpus: '1',
    });
  });

  test('openstack flavor list (member): every public flavor, in nova\'s order (flavorid ascending, as text)', async () => {
    const t = parseTable(await os(cloud, 'demo', 'flavor', 'list'));
    assert.deepEqual(t.header, ['ID', 'Name', 'RAM', 'Disk', 'Ephemeral', 'VCPUs', 'Is Public']);
    const expected = [...DEFAULT_FLAVORS, [anchor, 'm1.anchor', '64', '1', '0', '1', 'True']].sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    assert.deepEqual(t.rows, expected);
  });

  test('openstack flavor show 100 / m1.tiny; an unknown flavor', async () => {
    const seed = fieldTable(await os(cloud, 'demo', 'flavor', 'show', '100'));
    assert.deepEqual(Object.keys(seed), FLAVOR_SHOW);
    assert.deepEqual(seed, {
      'OS-FLV-DISABLED:disabled': 'False',
      'OS-FLV-EXT-DATA:ephemeral': '0',
      access_project_ids: 'None',
      description: 'None',
      disk: '1',
      id: '100',
      name: 'm1.seed100',
      'os-flavor-access:is_public': 'True',
      properties: '',
      ram: '64',
      rxtx_factor: '1.0',
      swap: '',
      vcpus: '1',
    });
    const tiny = fieldTable(await os(cloud, 'demo', 'flavor', 'show', 'm1.tiny'));
    assert.equal(tiny.id, '1');
    assert.equal(tiny.ram, '512');
    assert.equal(tiny.properties, "hw_rng:allowed='True'");
    await osFails('demo', ['flavor', 'show', 'nope'], 'No Flavor found for nope\n');
  });

  // ------------------------------------------------------------------ servers

  test('openstack server create --flavor m1.anchor --image IMG --nic net-id=net1 --wait vm4', async () => {
    const out = await os(cloud, 'demo', 'server', 'create', '--flavor', 'm1.anchor', '--image', IMAGE, '--nic', 'net-id=net1', '--wait', 'vm4');
    // --wait writes a newline once the server is ACTIVE, then the table.
    assert.ok(out.startsWith('\n+'), JSON.stringify(out.slice(0, 40)));
    const f = fieldTable(out);
    assert.match(f.id!, UUID);
    vm4 = f.id!;
    assert.deepEqual(Object.keys(f), SERVER_CREATE);
    const ports = (await n.get('admin', `ports?device_id=${vm4}`)).body.ports;
    assert.equal(ports.length, 1);
    vm4Port = ports[0];
    assert.deepEqual(
      { ...f, 'OS-SRV-USG:launched_at': '', adminPass: '', created: '', hostId: '', updated: '' },
      {
        'OS-DCF:diskConfig': 'MANUAL',
        'OS-EXT-AZ:availability_zone': 'nova',
        'OS-EXT-STS:power_state': 'Running',
        'OS-EXT-STS:task_state': 'None',
        'OS-EXT-STS:vm_state': 'active',
        'OS-SRV-USG:launched_at': '',
        'OS-SRV-USG:terminated_at': 'None',
        accessIPv4: '',
        accessIPv6: '',
        addresses: `net1=${vm4Port.fixed_ips[0].ip_address}`,
        adminPass: '',
        config_drive: '',
        created: '',
        flavor: `m1.anchor (${anchor})`,
        hostId: '',
        id: vm4,
        image: `${IMAGE} (${imageId})`,
        key_name: 'None',
        name: 'vm4',
        progress: '0',
        project_id: demoProject,
        properties: '',
        security_groups: "name='default'",
        status: 'ACTIVE',
        updated: '',
        user_id: demoUser,
        volumes_attached: '',
      },
    );
    assert.match(f['OS-SRV-USG:launched_at']!, DB_TIME);
    assert.match(f.adminPass!, /^[A-HJ-NP-Za-km-z2-9]{12}$/);
    assert.match(f.created!, TIME);
    assert.match(f.updated!, TIME);
    assert.match(f.hostId!, /^[0-9a-f]{56}$/);
  });

  test('openstack server list', async () => {
    const t = parseTable(await os(cloud, 'demo', 'server', 'list'));
    assert.deepEqual(t.header, SERVER_LIST);
    assert.deepEqual(t.rows, [[vm4, 'vm4', 'ACTIVE', `net1=${vm4Port.fixed_ips[0].ip_address}`, IMAGE, 'm1.anchor']]);
  });

  test('openstack server show vm4 (member); as admin by id, with the host attributes; by name an admin only finds its own project\'s', async () => {
    const f = fieldTable(await os(cloud, 'demo', 'server', 'show', 'vm4'));
    assert.deepEqual(Object.keys(f), SERVER_SHOW);
    assert.equal(f.id, vm4);
    assert.equal(f.status, 'ACTIVE');
    assert.equal(f.flavor, `m1.anchor (${anchor})`);
    const a = fieldTable(await os(cloud, 'admin', 'server', 'show', vm4));
    assert.deepEqual(Object.keys(a), SERVER_SHOW_ADMIN);
    assert.ok(cloud.cfg.DEFAULT.hosts.includes(a['OS-EXT-SRV-ATTR:host']!), a['OS-EXT-SRV-ATTR:host']);
    assert.equal(a['OS-EXT-SRV-ATTR:hypervisor_hostname'], a['OS-EXT-SRV-ATTR:host']);
    assert.match(a['OS-EXT-SRV-ATTR:instance_name']!, /^instance-[0-9a-f]{8}$/);
    assert.equal(a.project_id, demoProject);
    await osFails('admin', ['server', 'show', 'vm4'], "No server with a name or ID of 'vm4' exists.\n");
    await osFails('demo', ['server', 'show', 'nope'], "No server with a name or ID of 'nope' exists.\n");
  });

  test('openstack server add port vm4 p3: nothing printed; the port is bound to vm4 and shows in its addresses', async () => {
    assert.equal(await os(cloud, 'demo', 'server', 'add', 'port', 'vm4', 'p3'), '');
    const port = (await n.get('admin', `ports/${p3.id}`)).body.port;
    assert.equal(port.device_id, vm4);
    assert.equal(port.device_owner, 'compute:nova');
    assert.equal(port['binding:vif_type'], 'ovs');
    const f = fieldTable(await os(cloud, 'demo', 'server', 'show', 'vm4', '-c', 'addresses'));
    assert.deepEqual(f, { addresses: `net1=${vm4Port.fixed_ips[0].ip_address}, 1.2.3.30` });
  });

  test('openstack server remove port vm4 p3: nothing printed; the port comes back unbound', async () => {
    assert.equal(await os(cloud, 'demo', 'server', 'remove', 'port', 'vm4', 'p3'), '');
    const port = await waitFor('p3 unbound', async () => {
      const p = (await n.get('admin', `ports/${p3.id}`)).body.port;
      return p.device_id === '' ? p : undefined;
    });
    assert.equal(port.device_owner, '');
    assert.equal(port['binding:host_id'], '');
    assert.equal(port['binding:vif_type'], 'unbound');
    const f = fieldTable(await os(cloud, 'demo', 'server', 'show', 'vm4', '-c', 'addresses'));
    assert.deepEqual(f, { addresses: `net1=${vm4Port.fixed_ips[0].ip_address}` });
  });

  test('openstack server event list vm4: newest first', async () => {
    const t = parseTable(await os(cloud, 'demo', 'server', 'event', 'list', 'vm4'));
    assert.deepEqual(t.header, EVENT_LIST);
    assert.deepEqual(
      t.rows.map((r) => [r[1], r[2]]),
      [
        [vm4, 'detach_interface'],
        [vm4, 'attach_interface'],
        [vm4, 'create'],
      ],
    );
    for (const r of t.rows) {
      assert.match(r[0]!, REQ_ID);
      assert.match(r[3]!, DB_TIME);
      req[r[2]!] = r[0]!;
    }
    const long = listTable(await os(cloud, 'demo', 'server', 'event', 'list', '--long', 'vm4'));
    assert.deepEqual(Object.keys(long[0]!), [...EVENT_LIST, 'Message', 'Project ID', 'User ID']);
    for (const r of long) {
      assert.equal(r.Message, 'None');
      assert.equal(r['Project ID'], demoProject);
      assert.equal(r['User ID'], demoUser);
    }
  });

  test('openstack server event show vm4 REQ: a member sees the events from 2.51 on, an admin always (with tracebacks)', async () => {
    const f = fieldTable(await os(cloud, 'demo', 'server', 'event', 'show', 'vm4', req.detach_interface!));
    assert.deepEqual(Object.keys(f), EVENT_SHOW);
    assert.equal(f.action, 'detach_interface');
    assert.equal(f.instance_uuid, vm4);
    assert.equal(f.message, 'None');
    assert.equal(f.project_id, demoProject);
    assert.equal(f.request_id, req.detach_interface);
    assert.equal(f.user_id, demoUser);
    assert.match(f.start_time!, DB_TIME);

    const v251 = fieldTable(await os(cloud, 'demo', '--os-compute-api-version', '2.51', 'server', 'event', 'show', 'vm4', req.detach_interface!));
    assert.deepEqual(Object.keys(v251), ['action', 'events', ...EVENT_SHOW.slice(1)]);
    assert.match(v251.events!, new RegExp(`^\\[\\{'event': 'compute_detach_interface', 'start_time': '${DB_TIME_SRC}', 'finish_time': '${DB_TIME_SRC}', 'result': 'Success'\\}\\]$`));

    const admin = fieldTable(await os(cloud, 'admin', 'server', 'event', 'show', vm4, req.attach_interface!));
    assert.deepEqual(Object.keys(admin), ['action', 'events', ...EVENT_SHOW.slice(1)]);
    assert.match(admin.events!, new RegExp(`^\\[\\{'event': 'compute_attach_interface', 'start_time': '${DB_TIME_SRC}', 'finish_time': '${DB_TIME_SRC}', 'result': 'Success', 'traceback': None\\}\\]$`));
    const create = fieldTable(await os(cloud, 'admin', 'server', 'event', 'show', vm4, req.create!));
    const names = [...create.events!.matchAll(/'event': '([a-z_]+)'/g)].map((m) => m[1]).sort();
    assert.deepEqual(names, ['compute__do_build_and_run_instance', 'conductor_schedule_and_build_instances']);
    assert.doesNotMatch(create.events!, /'result': '(?!Success)/);
  });

  // ------------------------------------------------------------------ hosts, services, zones

  test('openstack hypervisor list (admin); a member is refused by policy', async () => {
    const t = parseTable(await os(cloud, 'admin', 'hypervisor', 'list'));
    assert.deepEqual(t.header, ['ID', 'Hypervisor Hostname', 'Hypervisor Type', 'Host IP', 'State']);
    assert.deepEqual(
      t.rows.map((r) => r.slice(1)).sort(),
      cloud.cfg.DEFAULT.hosts.map((h) => [h, 'QEMU', '127.0.0.1', 'up']).sort(),
    );
    // Below 2.53 the id is the compute node's integer id.
    for (const r of t.rows) assert.match(r[0]!, /^\d+$/);
    assert.equal(new Set(t.rows.map((r) => r[0])).size, t.rows.length);
    await osFails('demo', ['hypervisor', 'list'], /^Policy doesn't allow os_compute_api:os-hypervisors:list-detail to be performed\. \(HTTP 403\) \(Request-ID: req-[0-9a-f-]{36}\)\n$/);
  });

  test('openstack compute service list (admin); a member is refused by policy', async () => {
    const rows = listTable(await os(cloud, 'admin', 'compute', 'service', 'list'));
    assert.deepEqual(Object.keys(rows[0]!), ['ID', 'Binary', 'Host', 'Zone', 'Status', 'State', 'Updated At']);
    assert.deepEqual(
      rows.map((r) => [r.Binary, r.Host, r.Zone, r.Status, r.State].join(' ')).sort(),
      ['nova-conductor controller internal enabled up', 'nova-scheduler controller internal enabled up', ...cloud.cfg.DEFAULT.hosts.map((h) => `nova-compute ${h} nova enabled up`)].sort(),
    );
    for (const r of rows) {
      assert.match(r.ID!, UUID); // the SDK asks for 2.69: ids are uuids from 2.53
      assert.match(r['Updated At']!, DB_TIME);
    }
    await osFails('demo', ['compute', 'service', 'list'], /^HttpException: 403: Client Error for url: http:\/\/127\.0\.0\.1:\d+\/v2\.1\/os-services, Policy doesn't allow os_compute_api:os-services:list to be performed\.\n$/);
  });

  test('openstack availability zone list: a member sees nova; an admin also the internal zone, and with --long each service', async () => {
    const demo = parseTable(await os(cloud, 'demo', 'availability', 'zone', 'list'));
    assert.deepEqual(demo.header, ['Zone Name', 'Zone Status']);
    assert.deepEqual(demo.rows, [['nova', 'available']]);
    const admin = parseTable(await os(cloud, 'admin', 'availability', 'zone', 'list'));
    assert.deepEqual(admin.rows.sort(), [
      ['internal', 'available'],
      ['nova', 'available'],
    ]);
    const long = parseTable(await os(cloud, 'admin', 'availability', 'zone', 'list', '--long'));
    assert.deepEqual(long.header, ['Zone Name', 'Zone Status', 'Zone Resource', 'Host Name', 'Service Name', 'Service Status']);
    assert.deepEqual(
      long.rows.map((r) => r.slice(0, 5).join(' ')).sort(),
      ['internal available  controller nova-conductor', 'internal available  controller nova-scheduler', ...cloud.cfg.DEFAULT.hosts.map((h) => `nova available  ${h} nova-compute`)].sort(),
    );
    for (const r of long.rows) assert.match(r[5]!, new RegExp(`^enabled :-\\) ${DB_TIME_SRC}$`));
  });

  // ------------------------------------------------------------------ delete

  test('openstack server delete --wait vm4; then the server is gone, its actions readable from 2.21 on', async () => {
    assert.equal(await os(cloud, 'demo', 'server', 'delete', '--wait', 'vm4'), '');
    await osFails('demo', ['server', 'show', 'vm4'], "No server with a name or ID of 'vm4' exists.\n");
    await osFails('demo', ['server', 'event', 'list', vm4], new RegExp(`^Instance ${vm4} could not be found\\. \\(HTTP 404\\) \\(Request-ID: req-[0-9a-f-]{36}\\)\\n$`));
    const t = parseTable(await os(cloud, 'demo', '--os-compute-api-version', '2.21', 'server', 'event', 'list', vm4));
    assert.deepEqual(
      t.rows.map((r) => r[2]),
      ['delete', 'detach_interface', 'attach_interface', 'create'],
    );
    assert.equal((await n.get('admin', `ports/${vm4Port.id}`)).status, 404, 'the port nova created is deleted');
    assert.equal((await n.get('admin', `ports/${p3.id}`)).status, 200, "the user's port is kept");
    assert.equal((await computeApi('demo', 'GET', `/servers/${vm4}`)).status, 404);
  });
});

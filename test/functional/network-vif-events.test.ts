/**
 * The host side of nova↔neutron over the running cloud (DESIGN §3–§5): a compute port
 * bound to compute1, nova's VIF driver plugging it on compute1's host network, the OVS
 * agent seeing qvo on br-int and reporting it up over q-plugin, ML2 setting it ACTIVE,
 * and neutron's nova notifier posting network-vif-plugged to nova (a fake nova HTTP
 * server put in the catalog as the compute endpoint) as the nova service user. Then
 * unplug → DOWN → network-vif-unplugged, delete → network-vif-deleted, and ML2's
 * q-plugin rules for ports bound elsewhere, unknown ports and admin-down ports.
 */
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Topics } from '../../src/bus/topics.js';
import type { VIF } from '../../src/compute/network/model.js';
import { plugVif, unplugVif, vifDeviceNames } from '../../src/compute/virt/vif.js';
import type { DevicesDetailsReply, UpdateDeviceListReply } from '../../src/network/rpc/wire.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { assertStatus, neutron } from '../helpers/neutron.js';

const INSTANCE = '6a1e7c43-5b8f-4d3e-9c2a-1f0e9d8c7b6a';
const OTHER_INSTANCE = '7b2f8d54-6c9a-4e4f-8d3b-2a1f0e9d8c7c';

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
let nova: Server;
let received: { body: any; token: string | undefined; version: string | undefined }[] = [];
let net: any;

// Drives VIF plugging on the simulated hosts and points nova's catalog entry at a fake nova.
const SKIP = inProcessOnly('plugs VIFs through cloud.hostnets and replaces nova in cloud.catalog');

before(async () => {
  if (SKIP) return;
  cloud = await startTestCloud({ agent: { polling_interval: 0 }, network: { send_events_interval: 0 } });
  n = neutron(cloud);
  nova = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v2.1/os-server-external-events') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(data);
      received.push({ body, token: req.headers['x-auth-token'] as string | undefined, version: req.headers['x-openstack-nova-api-version'] as string | undefined });
      res.writeHead(200, { 'content-type': 'application/json', 'x-openstack-request-id': 'req-fake-nova' });
      res.end(JSON.stringify({ events: body.events.map((e: any) => ({ ...e, code: 200, status: e.status ?? 'completed' })) }));
    });
  });
  await new Promise<void>((r) => nova.listen(0, '127.0.0.1', r));
  // nova-api's catalog entry now points at the fake nova.
  for (let i = cloud.catalog.length - 1; i >= 0; i--) if (cloud.catalog[i]!.type === 'compute') cloud.catalog.splice(i, 1);
  cloud.catalog.push({ type: 'compute', name: 'nova', url: `http://127.0.0.1:${(nova.address() as AddressInfo).port}/v2.1` });
  net = await n.network('demo', { name: 'vif-net' });
  await n.subnet('demo', net.id, '10.70.0.0/24');
});

after(async () => {
  if (SKIP) return;
  await cloud.stop();
  await new Promise((r) => nova.close(r));
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A compute port bound to `host`, as nova's allocate_for_instance leaves it. */
async function computePort(host: string, device = INSTANCE, extra: Record<string, unknown> = {}): Promise<any> {
  return n.port('admin', net.id, { project_id: net.project_id, device_owner: 'compute:nova', device_id: device, 'binding:host_id': host, ...extra });
}

/** The VIF nova's get_instance_nw_info builds from the port. */
function vifOf(port: any): VIF {
  return {
    id: port.id,
    address: port.mac_address,
    network: { id: port.network_id, bridge: 'br-int', label: 'vif-net', subnets: [], meta: { injected: false, tenant_id: port.project_id, mtu: 1450 } },
    type: port['binding:vif_type'],
    details: port['binding:vif_details'],
    devname: `tap${port.id}`.slice(0, 14),
    ovs_interfaceid: port.id,
    qbh_params: null,
    qbg_params: null,
    active: port.status === 'ACTIVE',
    vnic_type: port['binding:vnic_type'],
    profile: port['binding:profile'],
    preserve_on_delete: false,
    delegate_create: false,
    meta: {},
  };
}

const status = async (id: string) => assertStatus(await n.get('admin', `ports/${id}`), 200).port.status as string;
/** The events neutron posted about a port, as it sent them. */
const eventsFor = (tag: string) => received.flatMap((r) => r.body.events).filter((e: any) => e.tag === tag);

describe('plug → ACTIVE → network-vif-plugged', { skip: SKIP }, () => {
  let port: any;

  test('a compute port bound to compute1 starts DOWN with the hybrid binding', async () => {
    port = await computePort('compute1');
    assert.equal(port.status, 'DOWN');
    assert.equal(port['binding:vif_type'], 'ovs');
    assert.equal(port['binding:vif_details'].ovs_hybrid_plug, true);
  });

  test('plugVif on compute1: the agent wires qvo with the local VLAN, the port goes ACTIVE, nova hears network-vif-plugged', async () => {
    const host = cloud.hostnets.get('compute1');
    await plugVif(host, INSTANCE, vifOf(port));
    const plugged = await until('network-vif-plugged', async () => eventsFor(port.id).find((e: any) => e.name === 'network-vif-plugged'));
    assert.deepEqual(plugged, { server_uuid: INSTANCE, name: 'network-vif-plugged', status: 'completed', tag: port.id });
    assert.equal(await status(port.id), 'ACTIVE');
    const post = received.find((r) => r.body.events.some((e: any) => e.tag === port.id))!;
    assert.equal(post.version, '2.1');
    const who = await cloud.identity.validator.validate(post.token!);
    assert.deepEqual([who.userName, who.projectName], ['nova', 'service']);
    const { qvo } = vifDeviceNames(port.id);
    assert.match(await host.execute(['ovs-vsctl', 'get', 'Port', qvo, 'tag']), /^[1-9]\d*\n$/);
    const snap = host.snapshot();
    assert.ok(snap.links.some((l) => l.name === qvo && l.mtu === 1450));
    assert.equal(cloud.l2agents.devices('compute1'), 1);
    assert.equal(cloud.l2agents.devices('compute2'), 0);
  });

  test('the agent report counts the device', async () => {
    await cloud.agents.reportNow('compute1');
    const agents = assertStatus(await n.get('admin', 'agents?host=compute1'), 200).agents;
    assert.equal(agents[0].configurations.devices, 1);
  });

  test('admin_state_up false: the agent hears port_update, puts qvo on the dead VLAN, reports it down; nova hears network-vif-unplugged; true again re-plugs', async () => {
    const host = cloud.hostnets.get('compute1');
    const { qvo } = vifDeviceNames(port.id);
    const vlan = (await host.execute(['ovs-vsctl', 'get', 'Port', qvo, 'tag'])).trim();
    assertStatus(await n.put('admin', `ports/${port.id}`, { port: { admin_state_up: false } }), 200);
    await until('network-vif-unplugged', async () => eventsFor(port.id).find((e: any) => e.name === 'network-vif-unplugged'));
    assert.equal(await status(port.id), 'DOWN');
    // neutron-server sets the port DOWN itself; the agent's port_update may come after
    // (it does over RabbitMQ), so the dead VLAN is waited for.
    await until('the dead VLAN', async () => ((await host.execute(['ovs-vsctl', 'get', 'Port', qvo, 'tag'])) === '4095\n' ? true : undefined));
    const plugs = () => eventsFor(port.id).filter((e: any) => e.name === 'network-vif-plugged').length;
    const before = plugs();
    assertStatus(await n.put('admin', `ports/${port.id}`, { port: { admin_state_up: true } }), 200);
    await until('network-vif-plugged again', async () => plugs() > before);
    assert.equal(await status(port.id), 'ACTIVE');
    assert.equal((await host.execute(['ovs-vsctl', 'get', 'Port', qvo, 'tag'])).trim(), vlan);
  });

  test('unplugVif: the agent reports it down, the port goes DOWN, nova hears network-vif-unplugged', async () => {
    const unpluggedBefore = eventsFor(port.id).filter((e: any) => e.name === 'network-vif-unplugged').length;
    await unplugVif(cloud.hostnets.get('compute1'), INSTANCE, vifOf(port));
    const unplugged = await until('network-vif-unplugged', async () => eventsFor(port.id).filter((e: any) => e.name === 'network-vif-unplugged')[unpluggedBefore]);
    assert.equal(unplugged.status, 'completed');
    assert.equal(await status(port.id), 'DOWN');
    assert.equal(cloud.l2agents.devices('compute1'), 0);
  });

  test('an update of a compute port gives network-changed; deleting it network-vif-deleted', async () => {
    assertStatus(await n.put('admin', `ports/${port.id}`, { port: { name: 'renamed' } }), 200);
    await until('network-changed', async () => eventsFor(port.id).find((e: any) => e.name === 'network-changed'));
    assertStatus(await n.del('admin', `ports/${port.id}`), 204);
    const deleted = await until('network-vif-deleted', async () => eventsFor(port.id).find((e: any) => e.name === 'network-vif-deleted'));
    assert.deepEqual(deleted, { server_uuid: INSTANCE, name: 'network-vif-deleted', tag: port.id });
  });

  test('a port deleted while its VIF is still plugged: the agent puts it on the dead VLAN', async () => {
    const p = await computePort('compute1', OTHER_INSTANCE);
    const host = cloud.hostnets.get('compute1');
    await plugVif(host, OTHER_INSTANCE, vifOf(p));
    await until('ACTIVE', async () => (await status(p.id)) === 'ACTIVE');
    assertStatus(await n.del('admin', `ports/${p.id}`), 204);
    const { qvo } = vifDeviceNames(p.id);
    await until('the dead VLAN', async () => (await host.execute(['ovs-vsctl', 'get', 'Port', qvo, 'tag'])) === '4095\n');
    await unplugVif(host, OTHER_INSTANCE, vifOf(p));
  });

  test('a non-compute port never reaches nova', async () => {
    const p = await n.port('admin', net.id, { device_owner: 'network:dhcp', device_id: 'dhcp-1', 'binding:host_id': 'compute1' });
    const before = received.length;
    await plugVif(cloud.hostnets.get('compute1'), INSTANCE, vifOf(p));
    await until('ACTIVE', async () => (await status(p.id)) === 'ACTIVE');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.length, before);
    await unplugVif(cloud.hostnets.get('compute1'), INSTANCE, vifOf(p));
  });
});

describe("ML2's q-plugin rules", { skip: SKIP }, () => {
  const call = <R>(method: string, args: unknown) => cloud.bus.call<R>({ topic: Topics.plugin }, method, args);

  test('details of a bound port, BUILD while fetched; unknown devices are answered by name, not failed', async () => {
    const p = await computePort('compute2', OTHER_INSTANCE);
    const r = await call<DevicesDetailsReply>('get_devices_details_list_and_failed_devices', { devices: [p.id, 'no-such-port'], agent_id: 'ovs-agent-compute2', host: 'compute2' });
    assert.deepEqual(r.failed_devices, []);
    assert.deepEqual(r.devices[1], { device: 'no-such-port' });
    const d = r.devices[0] as any;
    assert.deepEqual(Object.keys(d), [
      'device',
      'network_id',
      'port_id',
      'mac_address',
      'admin_state_up',
      'network_type',
      'segmentation_id',
      'physical_network',
      'mtu',
      'fixed_ips',
      'device_owner',
      'allowed_address_pairs',
      'port_security_enabled',
      'qos_policy_id',
      'qos_network_policy_id',
      'profile',
      'propagate_uplink_status',
    ]);
    assert.equal(d.network_type, 'vxlan');
    assert.equal(d.mtu, 1450);
    assert.equal(d.port_id, p.id);
    assert.equal(await status(p.id), 'BUILD');
  });

  test('a compute port bound to another host: no_active_binding, and update_device_up leaves it alone but tells nova directly', async () => {
    const p = await computePort('compute2', OTHER_INSTANCE);
    const r = await call<DevicesDetailsReply>('get_devices_details_list_and_failed_devices', { devices: [p.id], agent_id: 'ovs-agent-compute1', host: 'compute1' });
    assert.deepEqual(r.devices, [{ device: p.id, no_active_binding: true }]);
    assert.equal(await status(p.id), 'DOWN', 'another host asking does not move it to BUILD');
    const up = await call<UpdateDeviceListReply>('update_device_list', { devices_up: [p.id], devices_down: [], agent_id: 'ovs-agent-compute1', host: 'compute1' });
    assert.deepEqual(up, { devices_up: [p.id], failed_devices_up: [], devices_down: [], failed_devices_down: [] });
    assert.equal(await status(p.id), 'DOWN');
    await until('the direct network-vif-plugged', async () => eventsFor(p.id).find((e: any) => e.name === 'network-vif-plugged'));
    const down = await call<UpdateDeviceListReply>('update_device_list', { devices_up: [], devices_down: [p.id, 'no-such-port'], agent_id: 'ovs-agent-compute1', host: 'compute1' });
    assert.deepEqual(down.devices_down, [
      { device: p.id, exists: true },
      { device: 'no-such-port', exists: true },
    ]);
  });

  test('admin_state_up false: details move it to DOWN and update_device_up does not make it ACTIVE', async () => {
    const p = await computePort('compute1', OTHER_INSTANCE, { admin_state_up: false });
    const r = await call<DevicesDetailsReply>('get_devices_details_list_and_failed_devices', { devices: [p.id], agent_id: 'ovs-agent-compute1', host: 'compute1' });
    assert.equal((r.devices[0] as any).admin_state_up, false);
    await call('update_device_list', { devices_up: [p.id], devices_down: [], agent_id: 'ovs-agent-compute1', host: 'compute1' });
    assert.equal(await status(p.id), 'DOWN');
  });

  test('an unbound port is answered by name only', async () => {
    const p = await n.port('admin', net.id, { device_owner: 'compute:nova', device_id: OTHER_INSTANCE });
    const r = await call<DevicesDetailsReply>('get_devices_details_list_and_failed_devices', { devices: [p.id], agent_id: 'ovs-agent-compute1', host: 'compute1' });
    assert.deepEqual(r.devices, [{ device: p.id }]);
  });
});

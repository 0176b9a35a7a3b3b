/**
 * Multiple port bindings (binding-extended) over HTTP, as nova's live migration uses
 * them: a compute port ACTIVE on compute1 gets an INACTIVE binding on compute2 (bound by
 * the mechanism drivers), is listed and shown, then activated — the port's host moves
 * to compute2 and goes DOWN, compute1's agent hears binding_deactivate and takes the VIF
 * off br-int, compute2's hears binding_activate, wires it and the port goes ACTIVE —
 * and the old binding is deleted. Every refusal with neutron's status, type and message;
 * members refused as neutron's policy hook refuses them.
 *
 * With nova's pre_live_migration step (migrating_to in the active binding's profile),
 * the destination wires the VIF before activation and its report tells nova
 * network-vif-plugged. nova is a fake HTTP server in the catalog: what neutron's nova
 * notifier posts is what the test reads.
 *
 * The agents' loops run only when the test says (pollNow) on a fake clock, and the nova
 * notifier is awaited (idle): no sleeps.
 */
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Topics } from '../../src/bus/topics.js';
import { FakeClock } from '../../src/common/clock.js';
import type { VIF } from '../../src/compute/network/model.js';
import { plugVif, vifDeviceNames } from '../../src/compute/virt/vif.js';
import type { PortStatusChange } from '../../src/network/plugin/port-events.js';
import type { BindingActivateArgs, BindingDeactivateArgs } from '../../src/network/rpc/agent-notifier.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { assertNeutronError, assertStatus, neutron } from '../helpers/neutron.js';
import { waitFor } from '../helpers/wait.js';

const INSTANCE = '6a1e7c43-5b8f-4d3e-9c2a-1f0e9d8c7b6a';
const HYBRID_DETAILS = { connectivity: 'l2', port_filter: true, ovs_hybrid_plug: true, datapath_type: 'system', bridge_name: 'br-int', bound_drivers: { '0': 'openvswitch' } };
const UNKNOWN = '0b1e7a43-0000-4000-8000-00000000dead';

// Plugs VIFs through cloud.hostnets, drives the agents' loops, listens on the bus and replaces nova in cloud.catalog.
const SKIP = inProcessOnly('plugs VIFs through cloud.hostnets, drives cloud.l2agents and replaces nova in cloud.catalog');

let cloud: TestCloud;
let n: ReturnType<typeof neutron>;
const clock = new FakeClock();
let net: any;
let port: any;
const statusChanges: PortStatusChange[] = [];
const deactivations: BindingDeactivateArgs[] = [];
const activations: BindingActivateArgs[] = [];
let nova: Server;
const novaEvents: any[] = [];

before(async () => {
  if (SKIP) return;
  cloud = await startTestCloud({ network: { send_events_interval: 0 } }, clock);
  await clock.advance(1000);
  n = neutron(cloud);
  nova = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data || '{}');
      novaEvents.push(...(body.events ?? []));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ events: (body.events ?? []).map((e: any) => ({ ...e, code: 200, status: e.status ?? 'completed' })) }));
    });
  });
  await new Promise<void>((r) => nova.listen(0, '127.0.0.1', r));
  for (let i = cloud.catalog.length - 1; i >= 0; i--) if (cloud.catalog[i]!.type === 'compute') cloud.catalog.splice(i, 1);
  cloud.catalog.push({ type: 'compute', name: 'nova', url: `http://127.0.0.1:${(nova.address() as AddressInfo).port}/v2.1` });
  net = await n.network('demo', { name: 'pb-net' });
  await n.subnet('demo', net.id, '10.80.0.0/24');
  cloud.network.plugin.ports.events.on('statusChanged', (c) => void statusChanges.push(c));
  await cloud.bus.listen(Topics.agentPortBindingDeactivate, 'test-observer', { binding_deactivate: (a: BindingDeactivateArgs) => void deactivations.push(a) });
  await cloud.bus.listen(Topics.agentPortBindingActivate, 'test-observer', { binding_activate: (a: BindingActivateArgs) => void activations.push(a) });
});
after(async () => {
  if (SKIP) return;
  await cloud.stop();
  await new Promise((r) => nova.close(r));
});

/** The events nova received about a port (after the notifier sent what it had queued). */
async function eventsFor(portId: string): Promise<[string, string | undefined][]> {
  await cloud.network.novaNotifier.idle();
  return novaEvents.filter((e) => e.tag === portId).map((e) => [e.name, e.status]);
}

/** A compute port bound to `host`, as nova's allocate_for_instance leaves it. */
const computePort = (host: string, extra: Record<string, unknown> = {}) =>
  n.port('admin', net.id, { project_id: net.project_id, device_owner: 'compute:nova', device_id: INSTANCE, 'binding:host_id': host, ...extra });

/** The VIF nova builds from the port (os-vif's ovs hybrid plug). */
function vifOf(p: any): VIF {
  return {
    id: p.id,
    address: p.mac_address,
    network: { id: p.network_id, bridge: 'br-int', label: 'pb-net', subnets: [], meta: { injected: false, tenant_id: p.project_id, mtu: 1450 } },
    type: p['binding:vif_type'],
    details: p['binding:vif_details'],
    devname: `tap${p.id}`.slice(0, 14),
    ovs_interfaceid: p.id,
    qbh_params: null,
    qbg_params: null,
    active: p.status === 'ACTIVE',
    vnic_type: p['binding:vnic_type'],
    profile: p['binding:profile'],
    preserve_on_delete: false,
    delegate_create: false,
    meta: {},
  };
}

const getPort = async (id: string) => assertStatus(await n.get('admin', `ports/${id}`), 200).port;
const bindings = (id: string, query = '') => n.get('admin', `ports/${id}/bindings${query}`);
const brIntPorts = async (host: string) => (await cloud.hostnets.get(host).execute(['ovs-vsctl', 'list-ports', 'br-int'])).split('\n').filter(Boolean);

describe('a live migration of one port, step by step', { skip: SKIP }, () => {
  test('the port is ACTIVE on compute1 once its VIF is wired there', async () => {
    port = await computePort('compute1');
    await plugVif(cloud.hostnets.get('compute1'), INSTANCE, vifOf(port));
    await cloud.l2agents.pollNow('compute1');
    assert.equal((await getPort(port.id)).status, 'ACTIVE');
  });

  test('POST bindings for compute2: 201, an INACTIVE binding bound by ML2/OVS; the port itself is unchanged but for its revision', async () => {
    const before = await getPort(port.id);
    const res = await n.post('admin', `ports/${port.id}/bindings`, { binding: { host: 'compute2' } });
    const b = assertStatus(res, 201).binding;
    assert.deepEqual(Object.keys(b), ['host', 'vif_type', 'vnic_type', 'status', 'profile', 'vif_details']);
    assert.deepEqual(b, { host: 'compute2', vif_type: 'ovs', vnic_type: 'normal', status: 'INACTIVE', profile: {}, vif_details: HYBRID_DETAILS });
    const p = await getPort(port.id);
    assert.equal(p['binding:host_id'], 'compute1');
    assert.equal(p.status, 'ACTIVE');
    assert.equal(p.revision_number, before.revision_number + 1);
    assert.deepEqual(Object.keys(p).filter((k) => k.startsWith('binding')), ['binding:vnic_type', 'binding:profile', 'binding:host_id', 'binding:vif_type', 'binding:vif_details']);
  });

  test('GET bindings lists both; filters and fields apply; GET one by host', async () => {
    const all = assertStatus(await bindings(port.id), 200).bindings;
    assert.deepEqual(
      all.map((b: any) => [b.host, b.status, b.vif_type]),
      [
        ['compute1', 'ACTIVE', 'ovs'],
        ['compute2', 'INACTIVE', 'ovs'],
      ],
    );
    assert.deepEqual(assertStatus(await bindings(port.id, '?status=INACTIVE&fields=host&fields=status'), 200).bindings, [{ host: 'compute2', status: 'INACTIVE' }]);
    assert.deepEqual(assertStatus(await bindings(port.id, '?host=compute9'), 200).bindings, []);
    assertNeutronError(await bindings(port.id, '?name=x'), 400, 'HTTPBadRequest', "['name'] is invalid attribute for filtering");
    const one = assertStatus(await n.get('admin', `ports/${port.id}/bindings/compute2`), 200).binding;
    assert.equal(one.status, 'INACTIVE');
    assert.deepEqual(one.vif_details, HYBRID_DETAILS);
  });

  test('the VIF plugged on compute2 before activation stays unwired there: the port is not bound to compute2 yet', async () => {
    await plugVif(cloud.hostnets.get('compute2'), INSTANCE, vifOf(port));
    await cloud.l2agents.pollNow('compute2');
    const { qvo } = vifDeviceNames(port.id);
    assert.equal(await cloud.hostnets.get('compute2').execute(['ovs-vsctl', 'get', 'Port', qvo, 'tag']), '[]\n');
    const p = await getPort(port.id);
    assert.equal(p.status, 'ACTIVE');
    assert.equal(p['binding:host_id'], 'compute1');
  });

  test('activate compute2: its binding becomes ACTIVE, compute1 INACTIVE and cleared; the port moves to compute2 and goes DOWN; both agents are told', async () => {
    const before = await getPort(port.id);
    statusChanges.length = 0;
    const res = await n.put('admin', `ports/${port.id}/bindings/compute2/activate`, undefined);
    const b = assertStatus(res, 200);
    assert.deepEqual(b, { host: 'compute2', vif_type: 'ovs', vnic_type: 'normal', status: 'ACTIVE', profile: {}, vif_details: HYBRID_DETAILS });
    const p = await getPort(port.id);
    assert.equal(p['binding:host_id'], 'compute2');
    assert.equal(p['binding:vif_type'], 'ovs');
    assert.deepEqual(p['binding:vif_details'], HYBRID_DETAILS);
    assert.equal(p.status, 'DOWN');
    assert.equal(p.revision_number, before.revision_number + 2);
    const all = assertStatus(await bindings(port.id), 200).bindings;
    assert.deepEqual(all, [
      { host: 'compute1', vif_type: 'unbound', vnic_type: 'normal', status: 'INACTIVE', profile: {}, vif_details: {} },
      { host: 'compute2', vif_type: 'ovs', vnic_type: 'normal', status: 'ACTIVE', profile: {}, vif_details: HYBRID_DETAILS },
    ]);
    assert.deepEqual(
      statusChanges.map((c) => [c.id, c.previous, c.current]),
      [[port.id, 'ACTIVE', 'DOWN']],
    );
    assert.deepEqual((await eventsFor(port.id)).slice(-1), [['network-vif-unplugged', 'completed']]);
    // The agents' notifications are casts: over RabbitMQ they may land after the answer.
    await waitFor('binding_deactivate and binding_activate', async () => (deactivations.length && activations.length ? true : undefined), 5_000);
    assert.deepEqual(deactivations, [{ port_id: port.id, host: 'compute1', network_id: net.id }]);
    assert.deepEqual(activations, [{ port_id: port.id, host: 'compute2' }]);
  });

  test("compute1's agent unplugs the VIF from br-int; compute2's wires it and the port goes ACTIVE", async () => {
    const { qvo } = vifDeviceNames(port.id);
    assert.ok((await brIntPorts('compute1')).includes(qvo));
    await cloud.l2agents.pollNow('compute1');
    assert.ok(!(await brIntPorts('compute1')).includes(qvo));
    // The removal reaches the next iteration as a removed port; reported down, it does not touch compute2's port.
    await cloud.l2agents.pollNow('compute1');
    assert.equal((await getPort(port.id)).status, 'DOWN');
    statusChanges.length = 0;
    await cloud.l2agents.pollNow('compute2');
    assert.match(await cloud.hostnets.get('compute2').execute(['ovs-vsctl', 'get', 'Port', qvo, 'tag']), /^[1-9]\d*\n$/);
    assert.equal((await getPort(port.id)).status, 'ACTIVE');
    assert.deepEqual(
      statusChanges.map((c) => [c.previous, c.current]),
      [
        ['DOWN', 'BUILD'],
        ['BUILD', 'ACTIVE'],
      ],
    );
    assert.deepEqual((await eventsFor(port.id)).slice(-1), [['network-vif-plugged', 'completed']]);
  });

  test('DELETE the old binding: 204; only the active one is left; deleting it again is 404', async () => {
    const res = await n.del('admin', `ports/${port.id}/bindings/compute1`);
    assert.equal(res.status, 204);
    assert.deepEqual(
      assertStatus(await bindings(port.id), 200).bindings.map((b: any) => [b.host, b.status]),
      [['compute2', 'ACTIVE']],
    );
    assertNeutronError(await n.del('admin', `ports/${port.id}/bindings/compute1`), 404, 'PortBindingNotFound', `Binding for port ${port.id} for host compute1 could not be found.`);
  });
});

describe("with nova's migrating_to: the destination wires the VIF before activation", { skip: SKIP }, () => {
  const OTHER = '7b2f8d54-6c9a-4e4f-8d3b-2a1f0e9d8c7c';
  let p: any;

  test('pre_live_migration: an INACTIVE binding on compute2 and migrating_to in the active profile', async () => {
    p = await computePort('compute1', { device_id: OTHER });
    await plugVif(cloud.hostnets.get('compute1'), OTHER, vifOf(p));
    await cloud.l2agents.pollNow('compute1');
    assertStatus(await n.post('admin', `ports/${p.id}/bindings`, { binding: { host: 'compute2' } }), 201);
    const updated = assertStatus(await n.put('admin', `ports/${p.id}`, { port: { 'binding:profile': { migrating_to: 'compute2' } } }), 200).port;
    assert.equal(updated['binding:host_id'], 'compute1');
    await cloud.l2agents.pollNow('compute1');
    assert.equal((await getPort(p.id)).status, 'ACTIVE');
  });

  test('the VIF plugged on compute2 is wired there and its up report tells nova network-vif-plugged; the port stays on compute1', async () => {
    const before = (await eventsFor(p.id)).length;
    await plugVif(cloud.hostnets.get('compute2'), OTHER, vifOf(p));
    await cloud.l2agents.pollNow('compute2');
    const { qvo } = vifDeviceNames(p.id);
    assert.match(await cloud.hostnets.get('compute2').execute(['ovs-vsctl', 'get', 'Port', qvo, 'tag']), /^[1-9]\d*\n$/);
    assert.deepEqual((await eventsFor(p.id)).slice(before), [['network-vif-plugged', 'completed']]);
    const port = await getPort(p.id);
    assert.deepEqual([port.status, port['binding:host_id']], ['ACTIVE', 'compute1']);
  });

  test('activate, then compute2 reports it up: ACTIVE on compute2', async () => {
    assertStatus(await n.put('admin', `ports/${p.id}/bindings/compute2/activate`, undefined), 200);
    assert.equal((await getPort(p.id)).status, 'DOWN');
    // compute2's agent acts on the binding_activate cast, which over RabbitMQ may come
    // after the answer: poll until it has (in process, the first pass does it).
    const port = await waitFor('the port ACTIVE on compute2', async () => {
      await cloud.l2agents.pollNow('compute2');
      const q = await getPort(p.id);
      return q.status === 'ACTIVE' ? q : undefined;
    }, 5_000);
    assert.deepEqual([port.status, port['binding:host_id']], ['ACTIVE', 'compute2']);
    await cloud.l2agents.pollNow('compute1');
    assert.ok(!(await brIntPorts('compute1')).includes(vifDeviceNames(p.id).qvo));
  });
});

describe('refusals', { skip: SKIP }, () => {
  let p: any;
  before(async () => {
    if (SKIP) return;
    p = await computePort('compute1');
  });

  test('a second binding for one host: 409 PortBindingAlreadyExists (the active host too)', async () => {
    assertStatus(await n.post('admin', `ports/${p.id}/bindings`, { binding: { host: 'compute2' } }), 201);
    for (const host of ['compute2', 'compute1']) {
      const res = await n.post('admin', `ports/${p.id}/bindings`, { binding: { host } });
      assertNeutronError(res, 409, 'PortBindingAlreadyExists', `Binding for port ${p.id} on host ${host} already exists.`);
    }
  });

  test('a host no agent can bind: 500 PortBindingError, and nothing is stored', async () => {
    const res = await n.post('admin', `ports/${p.id}/bindings`, { binding: { host: 'compute9' } });
    assertNeutronError(res, 500, 'PortBindingError', `Binding for port ${p.id} on host compute9 could not be created or updated.`);
    assertNeutronError(await n.get('admin', `ports/${p.id}/bindings/compute9`), 404, 'PortBindingNotFound', `Binding for port ${p.id} for host compute9 could not be found.`);
  });

  test("a binding for host '' is stored unbound, not failed", async () => {
    const b = assertStatus(await n.post('admin', `ports/${p.id}/bindings`, { binding: { host: '' } }), 201).binding;
    assert.deepEqual([b.host, b.vif_type, b.status], ['', 'unbound', 'INACTIVE']);
  });

  test('activate the active host: 409 PortBindingAlreadyActive; a host without an INACTIVE binding: 404 PortBindingNotFound', async () => {
    assertNeutronError(await n.put('admin', `ports/${p.id}/bindings/compute1/activate`, undefined), 409, 'PortBindingAlreadyActive', `Binding for port ${p.id} on host compute1 is already active.`);
    assertNeutronError(await n.put('admin', `ports/${p.id}/bindings/compute9/activate`, undefined), 404, 'PortBindingNotFound', `Binding for port ${p.id} for host compute9 could not be found.`);
  });

  test('a port that is not a compute port: 400 BadRequest; an unknown port: 404 PortNotFound', async () => {
    const plain = await n.port('admin', net.id, { project_id: net.project_id });
    const msg = `Bad port request: Invalid port ${plain.id}. Operation only valid on compute ports.`;
    assertNeutronError(await n.post('admin', `ports/${plain.id}/bindings`, { binding: { host: 'compute2' } }), 400, 'BadRequest', msg);
    assertNeutronError(await bindings(plain.id), 400, 'BadRequest', msg);
    assertNeutronError(await bindings(UNKNOWN), 404, 'PortNotFound', `Port ${UNKNOWN} could not be found.`);
    assertNeutronError(await n.post('admin', `ports/${UNKNOWN}/bindings`, { binding: { host: 'compute2' } }), 404, 'PortNotFound', `Port ${UNKNOWN} could not be found.`);
  });

  test('the body is validated as neutron-lib declares it', async () => {
    const url = `ports/${p.id}/bindings`;
    assertNeutronError(await n.post('admin', url, { binding: {} }), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'host' not specified");
    assertNeutronError(await n.post('admin', url, { binding: { host: 'compute2', vif_type: 'ovs' } }), 400, 'HTTPBadRequest', "Attribute 'vif_type' not allowed in POST");
    assertNeutronError(await n.post('admin', url, { binding: { host: 'compute2', colour: 'red' } }), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'colour'");
    assertNeutronError(await n.post('admin', url, { binding: { host: 'compute3', vnic_type: 'fast' } }), 400, 'HTTPBadRequest', /^Invalid input for vnic_type\. Reason: fast is not in \['normal', /);
  });

  test("a port's binding:host_id update still rebinds its ACTIVE binding, replacing an INACTIVE one on that host", async () => {
    const q = await computePort('compute1');
    assertStatus(await n.post('admin', `ports/${q.id}/bindings`, { binding: { host: 'compute2' } }), 201);
    const moved = assertStatus(await n.put('admin', `ports/${q.id}`, { port: { 'binding:host_id': 'compute2' } }), 200).port;
    assert.equal(moved['binding:host_id'], 'compute2');
    assert.equal(moved['binding:vif_type'], 'ovs');
    assert.deepEqual(
      assertStatus(await bindings(q.id), 200).bindings.map((b: any) => [b.host, b.status]),
      [['compute2', 'ACTIVE']],
    );
  });
});

describe('PUT a binding (update_port_binding)', { skip: SKIP }, () => {
  let p: any;
  before(async () => {
    if (SKIP) return;
    p = await computePort('compute1');
    assertStatus(await n.post('admin', `ports/${p.id}/bindings`, { binding: { host: 'compute2' } }), 201);
  });

  test('an INACTIVE binding takes the new profile and stays INACTIVE and bound', async () => {
    const b = assertStatus(await n.put('admin', `ports/${p.id}/bindings/compute2`, { binding: { profile: { migrating_to: 'compute2' } } }), 200).binding;
    assert.deepEqual(b, { host: 'compute2', vif_type: 'ovs', vnic_type: 'normal', status: 'INACTIVE', profile: { migrating_to: 'compute2' }, vif_details: HYBRID_DETAILS });
    assert.deepEqual((await getPort(p.id))['binding:profile'], {});
  });

  test("the ACTIVE binding is the port's: its binding:profile changes", async () => {
    const b = assertStatus(await n.put('admin', `ports/${p.id}/bindings/compute1`, { binding: { profile: { a: 1 } } }), 200).binding;
    assert.deepEqual([b.host, b.status, b.vif_type, b.profile], ['compute1', 'ACTIVE', 'ovs', { a: 1 }]);
    assert.deepEqual((await getPort(p.id))['binding:profile'], { a: 1 });
  });

  test('an unknown host: 404 PortBindingNotFound; a read-only attribute: 400', async () => {
    assertNeutronError(await n.put('admin', `ports/${p.id}/bindings/compute9`, { binding: { profile: {} } }), 404, 'PortBindingNotFound', `Binding for port ${p.id} for host compute9 could not be found.`);
    assertNeutronError(await n.put('admin', `ports/${p.id}/bindings/compute2`, { binding: { status: 'ACTIVE' } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute status');
  });

  test('members: 404', async () => {
    assertNeutronError(await n.put('demo', `ports/${p.id}/bindings/compute2`, { binding: { profile: {} } }), 404, 'HTTPNotFound', 'The resource could not be found.');
  });
});

describe('members', { skip: SKIP }, () => {
  let mine: any;
  before(async () => {
    if (SKIP) return;
    mine = await computePort('compute1');
    assertStatus(await n.post('admin', `ports/${mine.id}/bindings`, { binding: { host: 'compute2' } }), 201);
  });

  test('create and activate: 403 PolicyNotAuthorized, even on their own port', async () => {
    assertNeutronError(await n.post('demo', `ports/${mine.id}/bindings`, { binding: { host: 'compute2' } }), 403, 'PolicyNotAuthorized', 'rule:create_port_binding is disallowed by policy');
    assertNeutronError(await n.put('demo', `ports/${mine.id}/bindings/compute2/activate`, undefined), 403, 'PolicyNotAuthorized', 'rule:activate is disallowed by policy');
    assert.equal((await getPort(mine.id))['binding:host_id'], 'compute1');
  });

  test('show and delete: 404; the list is empty', async () => {
    assertNeutronError(await n.get('demo', `ports/${mine.id}/bindings/compute2`), 404, 'HTTPNotFound', 'The resource could not be found.');
    assertNeutronError(await n.del('demo', `ports/${mine.id}/bindings/compute2`), 404, 'HTTPNotFound', 'The resource could not be found.');
    assert.deepEqual(assertStatus(await n.get('demo', `ports/${mine.id}/bindings`), 200).bindings, []);
    assert.equal(assertStatus(await bindings(mine.id), 200).bindings.length, 2);
  });

  test("another project's port is not found at all", async () => {
    const adminNet = await n.network('admin', { name: 'pb-admin' });
    await n.subnet('admin', adminNet.id, '10.81.0.0/24');
    const theirs = await n.port('admin', adminNet.id, { device_owner: 'compute:nova', device_id: INSTANCE });
    assertNeutronError(await n.get('demo', `ports/${theirs.id}/bindings`), 404, 'PortNotFound', `Port ${theirs.id} could not be found.`);
  });
});

describe('extensions', { skip: SKIP }, () => {
  test('binding-extended is advertised', async () => {
    const ext = assertStatus(await n.get('admin', 'extensions/binding-extended'), 200).extension;
    assert.deepEqual(ext, {
      name: 'Port Bindings Extended',
      alias: 'binding-extended',
      description: 'Expose port bindings of a virtual port to external application',
      updated: '2017-07-17T10:00:00-00:00',
      links: [],
    });
  });
});

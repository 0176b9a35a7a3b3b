/**
 * Shelve, shelve-offload and unshelve over HTTP on a two-host cloud: with
 * shelved_offload_time 0 a shelve ends SHELVED_OFFLOADED (snapshot "<name>-shelved"
 * uploaded, no host, no allocation, no device left; the port keeps its binding:host_id
 * as Zed leaves it); unshelve schedules, binds the port to the new host, plugs there
 * and deletes the snapshot; a 2.91 host is honoured (admin only). With
 * shelved_offload_time -1 the server stays SHELVED on its host until an admin's
 * shelveOffload, and unshelving a SHELVED server starts it in place. Refusals with
 * nova's status and text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { Config, DeepPartial } from '../../src/common/config.js';
import type { NovaDB } from '../../src/compute/db/schema.js';
import { vifDeviceNames } from '../../src/compute/virt/vif.js';
import type { SimulatedHostNetwork } from '../../src/hostnet/simulated/simulated-host.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST: DeepPartial<Config> = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

const novaDb = (c: TestCloud) => (c.compute as unknown as { d: { db: { kysely: Kysely<NovaDB> } } }).d.db.kysely;

function helpers(cloud: () => TestCloud) {
  const nova = (user: 'admin' | 'demo', method: string, path: string, body?: unknown, mv = '2.92') =>
    cloud().api(user, method, `${cloud().urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${mv}` });
  const neutron = (user: 'admin' | 'demo', method: string, path: string, body?: unknown) => cloud().api(user, method, `${cloud().urls.network}/v2.0${path}`, body);
  const act = (user: 'admin' | 'demo', id: string, body: unknown, mv?: string) => nova(user, 'POST', `/servers/${id}/action`, body, mv);
  const show = async (id: string) => (await nova('admin', 'GET', `/servers/${id}`)).body.server;
  async function waitState(id: string, status: string) {
    return waitFor(`server ${id} ${status}`, async () => {
      const s = await show(id);
      if (s?.status === 'ERROR' && status !== 'ERROR') throw new Error(`server went to ERROR: ${JSON.stringify(s.fault)}`);
      return s?.status === status && s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });
  }
  const port = async (id: string) => (await neutron('admin', 'GET', `/ports?device_id=${id}`)).body.ports[0] as Record<string, any>;
  const devicesOn = (host: string, portId: string) => {
    const n = vifDeviceNames(portId);
    return (cloud().hostnets.get(host) as SimulatedHostNetwork)
      .snapshot()
      .links.map((l: { name: string }) => l.name)
      .filter((x: string) => [n.qbr, n.qvb, n.qvo].includes(x)).length;
  };
  const allocation = async (id: string) => (await novaDb(cloud()).selectFrom('allocations').select(['host']).where('consumer_uuid', '=', id).executeTakeFirst())?.host ?? null;
  const images = async (name: string) => (await cloud().api('demo', 'GET', `${cloud().urls.image}/v2/images?name=${encodeURIComponent(name)}`)).body.images as Record<string, any>[];
  // An event finishes after the state it leads to is saved (wrap_instance_event), so
  // wait until none is still running.
  const events = (id: string, action: string) =>
    waitFor(`the ${action} events of ${id} to finish`, async () => {
      const a = (await nova('admin', 'GET', `/servers/${id}/os-instance-actions`)).body.instanceActions.find((x: { action: string }) => x.action === action);
      const evs: { event: string; result: string | null }[] = (await nova('admin', 'GET', `/servers/${id}/os-instance-actions/${a.request_id}`)).body.instanceAction.events;
      return evs.every((e) => e.result !== null) ? evs.map((e) => `${e.event}:${e.result}`).sort() : undefined;
    });
  async function setup() {
    const netId = (await neutron('demo', 'POST', '/networks', { network: { name: 'net1' } })).body.network.id;
    await neutron('demo', 'POST', '/subnets', { subnet: { network_id: netId, cidr: '10.7.0.0/24', ip_version: 4 } });
    const imageId = (await cloud().api('demo', 'GET', `${cloud().urls.image}/v2/images`)).body.images[0].id;
    return async (name: string) => {
      const r = await nova('demo', 'POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      await waitState(r.body.server.id, 'ACTIVE');
      return r.body.server.id as string;
    };
  }
  return { nova, act, show, waitState, port, devicesOn, allocation, images, events, setup };
}

describe('compute: shelve, offload and unshelve', { skip: inProcessOnly('reads host devices and allocations') }, () => {
  let cloud: TestCloud;
  const h = helpers(() => cloud);
  let boot: (name: string) => Promise<string>;
  before(async () => {
    cloud = await startTestCloud(FAST);
    boot = await h.setup();
  });
  after(() => cloud?.stop());

  it('shelve offloads at once (shelved_offload_time 0); unshelve schedules, binds, plugs and drops the snapshot', async () => {
    const vm = await boot('sh1');
    const host = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    const p = await h.port(vm);
    const r = await h.act('demo', vm, { shelve: null });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const shelved = await h.waitState(vm, 'SHELVED_OFFLOADED');
    assert.equal(shelved['OS-EXT-STS:vm_state'], 'shelved_offloaded');
    assert.equal(shelved['OS-EXT-SRV-ATTR:host'], null);
    assert.equal(shelved['OS-EXT-STS:power_state'], 4);
    assert.equal(await h.allocation(vm), null);
    assert.equal(h.devicesOn(host, p.id), 0);
    // Zed's _shelve_offload_instance does not unbind the ports.
    assert.equal((await h.port(vm))['binding:host_id'], host);
    const [image] = await h.images('sh1-shelved');
    assert.equal(image!.status, 'active');
    assert.equal(image!.instance_uuid, vm);
    assert.deepEqual(await h.events(vm, 'shelve'), ['compute_shelve_instance:Success']);
    const usage = await novaDb(cloud).selectFrom('compute_nodes').select(['running_vms', 'memory_mb_used']).where('host', '=', host).executeTakeFirstOrThrow();
    assert.equal(usage.memory_mb_used, 512);

    assert.equal((await h.act('demo', vm, { unshelve: null })).status, 202);
    const back = await h.waitState(vm, 'ACTIVE');
    const now = back['OS-EXT-SRV-ATTR:host'];
    assert.ok(now === 'compute1' || now === 'compute2');
    assert.equal(back['OS-EXT-STS:power_state'], 1);
    assert.equal((await h.port(vm))['binding:host_id'], now);
    assert.equal(h.devicesOn(now, p.id), 3);
    assert.equal(await h.allocation(vm), now);
    assert.deepEqual(await h.images('sh1-shelved'), []);
    assert.deepEqual(await h.events(vm, 'unshelve'), ['compute_unshelve_instance:Success', 'get_image_info:Success', 'schedule_instances:Success']);
    await waitFor('port ACTIVE', async () => ((await h.port(vm)).status === 'ACTIVE' ? true : undefined));
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('unshelve to a host (2.91, admin only), zones (2.77), and the refusals', async () => {
    const vm = await boot('sh2');
    const conflict = (action: string, state: string) => ({ conflictingRequest: { code: 409, message: `Cannot '${action}' instance ${vm} while it is in vm_state ${state}` } });
    assert.deepEqual((await h.act('demo', vm, { unshelve: null })).body, conflict('unshelve', 'active'));
    assert.deepEqual((await h.act('admin', vm, { shelveOffload: null })).body, conflict('shelveOffload', 'active'));
    assert.equal((await h.act('demo', vm, { shelveOffload: null })).status, 403);
    assert.equal((await h.act('demo', vm, { shelve: null })).status, 202);
    await h.waitState(vm, 'SHELVED_OFFLOADED');
    assert.deepEqual((await h.act('demo', vm, { shelve: null })).body, conflict('shelve', 'shelved_offloaded'));
    assert.deepEqual((await h.act('demo', vm, { unshelve: { availability_zone: 'nowhere' } }, '2.77')).body, { badRequest: { code: 400, message: 'The requested availability zone is not available' } });
    assert.equal((await h.act('demo', vm, { unshelve: {} }, '2.77')).status, 400);
    assert.deepEqual((await h.act('demo', vm, { unshelve: { host: 'compute2' } }, '2.91')).body, { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-shelve:unshelve_to_host to be performed." } });
    assert.deepEqual((await h.act('admin', vm, { unshelve: { host: 'nowhere' } }, '2.91')).body, { badRequest: { code: 400, message: 'Compute host nowhere could not be found.' } });
    assert.equal((await h.act('admin', vm, { unshelve: { host: 'compute2', availability_zone: 'nova' } }, '2.91')).status, 202);
    const s = await h.waitState(vm, 'ACTIVE');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], 'compute2');
    assert.equal((await h.port(vm))['binding:host_id'], 'compute2');
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('deleting an offloaded server deletes its snapshot and its ports', async () => {
    const vm = await boot('sh3');
    const p = await h.port(vm);
    assert.equal((await h.act('demo', vm, { shelve: null })).status, 202);
    await h.waitState(vm, 'SHELVED_OFFLOADED');
    assert.equal((await h.images('sh3-shelved')).length, 1);
    assert.equal((await h.nova('demo', 'DELETE', `/servers/${vm}`)).status, 204);
    await waitFor('server deleted', async () => ((await h.nova('admin', 'GET', `/servers/${vm}`)).status === 404 ? true : undefined));
    assert.deepEqual(await h.images('sh3-shelved'), []);
    assert.equal((await cloud.api('admin', 'GET', `${cloud.urls.network}/v2.0/ports/${p.id}`)).status, 404);
  });
});

describe('compute: shelve kept on its host (shelved_offload_time -1)', { skip: inProcessOnly('reads host devices and allocations') }, () => {
  let cloud: TestCloud;
  const h = helpers(() => cloud);
  let boot: (name: string) => Promise<string>;
  before(async () => {
    cloud = await startTestCloud({ ...FAST, DEFAULT: { shelved_offload_time: -1 } });
    boot = await h.setup();
  });
  after(() => cloud?.stop());

  it('SHELVED keeps host, devices and allocation; unshelve starts it in place and drops the snapshot', async () => {
    const vm = await boot('kp1');
    const host = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    const p = await h.port(vm);
    assert.equal((await h.act('demo', vm, { shelve: null })).status, 202);
    const s = await h.waitState(vm, 'SHELVED');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], host);
    assert.equal(s['OS-EXT-STS:power_state'], 4);
    assert.equal(h.devicesOn(host, p.id), 3);
    assert.equal(await h.allocation(vm), host);
    // A zone is only for an offloaded server.
    assert.deepEqual((await h.act('demo', vm, { unshelve: { availability_zone: 'nova' } }, '2.77')).body, {
      conflictingRequest: { code: 409, message: `Specifying an availability zone or a host when unshelving server "${vm}" with status "shelved" is not supported. The server status must be SHELVED_OFFLOADED.` },
    });
    assert.equal((await h.act('demo', vm, { unshelve: null })).status, 202);
    const up = await h.waitState(vm, 'ACTIVE');
    assert.equal(up['OS-EXT-SRV-ATTR:host'], host);
    assert.equal(up['OS-EXT-STS:power_state'], 1);
    assert.deepEqual(await h.images('kp1-shelved'), []);
    assert.deepEqual(await h.events(vm, 'unshelve'), ['compute_start_instance:Success']);
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('an admin\'s shelveOffload frees the host: no device, no allocation, no host', async () => {
    const vm = await boot('kp2');
    const host = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    const p = await h.port(vm);
    assert.equal((await h.act('demo', vm, { shelve: null })).status, 202);
    await h.waitState(vm, 'SHELVED');
    assert.equal((await h.act('admin', vm, { shelveOffload: null })).status, 202);
    const s = await h.waitState(vm, 'SHELVED_OFFLOADED');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], null);
    assert.equal(h.devicesOn(host, p.id), 0);
    assert.equal(await h.allocation(vm), null);
    assert.deepEqual(await h.events(vm, 'shelveOffload'), ['compute_shelve_offload_instance:Success']);
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });
});

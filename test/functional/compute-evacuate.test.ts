/**
 * Evacuate over HTTP on a two-host cloud (compute1, compute2). The source host's
 * nova-compute is stopped (its ComputeManager's listener and heartbeat end, the
 * simulated hypervisor and host devices stay, as after nova-compute dies on a live
 * host) and forced down through os-services; the server is evacuated to a chosen or a
 * scheduled host, ends ACTIVE (or SHUTOFF when it was stopped) there, its port bound
 * and ACTIVE on the destination, the migration `done`; when the source's nova-compute
 * starts again its init_host destroys the leftover guest (its hybrid-plug devices go)
 * and drops the source allocation, and the migration is `completed`. Also each refusal
 * with nova's status and text per microversion, no valid host, and a destination that
 * cannot plug (ERROR on the source with the fault, migration failed).
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

// A short vif_plugging_timeout: one test deletes a server while its evacuation waits for
// a plug event that never comes (every other spawn hears its event within milliseconds).
const FAST: DeepPartial<Config> = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 }, compute: { vif_plugging_timeout: 5 } };
const MV = '2.92';

const novaDb = (c: TestCloud) => (c.compute as unknown as { d: { db: { kysely: Kysely<NovaDB> } } }).d.db.kysely;

describe('compute: evacuate', { skip: inProcessOnly('stops a host nova-compute and reads host devices and allocations') }, () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const other = (host: string) => (host === 'compute1' ? 'compute2' : 'compute1');
  /** Ports of deleted servers whose devices nova leaves on a host that was down. */
  const reaped: string[] = [];

  const nova = (user: 'admin' | 'demo', method: string, path: string, body?: unknown, mv = MV) =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${mv}` });
  const neutron = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.network}/v2.0${path}`, body);
  const evacuate = (id: string, body: unknown, mv = MV, user: 'admin' | 'demo' = 'admin') => nova(user, 'POST', `/servers/${id}/action`, { evacuate: body }, mv);
  const show = async (id: string) => (await nova('admin', 'GET', `/servers/${id}`)).body.server;
  async function waitState(id: string, status: string) {
    return waitFor(`server ${id} ${status}`, async () => {
      const s = await show(id);
      if (s?.status === 'ERROR' && status !== 'ERROR') throw new Error(`server went to ERROR: ${JSON.stringify(s.fault)}`);
      return s?.status === status && s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });
  }
  const portOf = async (id: string) => ((await neutron('GET', `/ports?device_id=${id}`)).body.ports as Record<string, any>[])[0]!;
  const hybrid = (portId: string) => {
    const n = vifDeviceNames(portId);
    return [n.qbr, n.qvb, n.qvo].sort();
  };
  const devicesOn = (host: string, portId: string) => {
    const names = hybrid(portId);
    return (cloud.hostnets.get(host) as SimulatedHostNetwork)
      .snapshot()
      .links.map((l: { name: string }) => l.name)
      .filter((n: string) => names.includes(n))
      .sort();
  };
  const allocations = (consumers: string[]) => novaDb(cloud).selectFrom('allocations').select(['consumer_uuid', 'host']).where('consumer_uuid', 'in', consumers).orderBy('host').execute();
  const migrations = async (id: string) => (await nova('admin', 'GET', `/os-migrations?instance_uuid=${id}`, undefined, '2.80')).body.migrations as Record<string, any>[];
  const forceDown = (host: string, down: boolean) => nova('admin', 'PUT', '/os-services/force-down', { host, binary: 'nova-compute', forced_down: down }, '2.11');

  /** The host's nova-compute dies (the hypervisor and its devices stay) and the operator forces its service down. */
  async function hostDown(host: string) {
    await cloud.compute.computes.get(host)!.stop();
    assert.equal((await forceDown(host, true)).status, 200);
  }
  /** nova-compute starts again on the host (init_host runs), and the service is no longer forced down. */
  async function hostUp(host: string) {
    await cloud.compute.computes.get(host)!.start();
    assert.equal((await forceDown(host, false)).status, 200);
  }

  async function boot(name: string): Promise<{ id: string; src: string; portId: string }> {
    const r = await nova('demo', 'POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const s = await waitState(r.body.server.id, 'ACTIVE');
    const port = await waitFor('port ACTIVE', async () => {
      const p = await portOf(r.body.server.id);
      return p?.status === 'ACTIVE' ? p : undefined;
    });
    return { id: r.body.server.id, src: s['OS-EXT-SRV-ATTR:host'], portId: port.id };
  }

  async function eventsOf(id: string, action: string) {
    return waitFor(`the ${action} events of ${id} to finish`, async () => {
      const a = (await nova('admin', 'GET', `/servers/${id}/os-instance-actions`)).body.instanceActions.find((x: { action: string }) => x.action === action);
      if (!a) return undefined;
      const evs: { event: string; result: string | null }[] = (await nova('admin', 'GET', `/servers/${id}/os-instance-actions/${a.request_id}`)).body.instanceAction.events;
      return evs.length > 0 && evs.every((e) => e.result !== null) ? evs.map((e) => `${e.event}:${e.result}`).sort() : undefined;
    });
  }

  before(async () => {
    cloud = await startTestCloud(FAST);
    netId = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } })).body.network.id;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.8.0.0/24', ip_version: 4, name: 'sub1' } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(() => cloud?.stop());

  it('refuses with nova texts and statuses per microversion, nothing recorded', async () => {
    const vm = await boot('ev-refused');
    const dst = other(vm.src);
    const bad = (status: number, message: string) => (status === 404 ? { itemNotFound: { code: 404, message } } : status === 409 ? { conflictingRequest: { code: 409, message } } : { badRequest: { code: status, message } });
    // The source still runs.
    assert.deepEqual((await evacuate(vm.id, {})).body, bad(400, `Compute service of ${vm.src} is still in use.`));
    assert.deepEqual((await evacuate(vm.id, { host: dst })).body, bad(400, `Compute service of ${vm.src} is still in use.`));
    // The target host is looked up, then compared, before the service is asked.
    assert.deepEqual((await evacuate(vm.id, { host: 'nohost' })).body, bad(404, 'Compute host nohost not found.'));
    assert.deepEqual((await evacuate(vm.id, { host: vm.src })).body, bad(400, "The target host can't be the same one."));
    // Bodies per microversion.
    const r21 = await evacuate(vm.id, { host: dst }, '2.1');
    assert.equal(r21.status, 400);
    assert.match(r21.body.badRequest.message, /'onSharedStorage' is a required property/);
    const r214 = await evacuate(vm.id, { onSharedStorage: false }, '2.14');
    assert.equal(r214.status, 400);
    assert.match(r214.body.badRequest.message, /Additional properties are not allowed \('onSharedStorage' was unexpected\)/);
    assert.deepEqual((await evacuate(vm.id, { onSharedStorage: 'yes', adminPass: 'x' }, '2.13')).body, bad(400, "admin password can't be changed on existing disk"));
    assert.deepEqual((await evacuate(vm.id, { force: true }, '2.29')).body, bad(400, "Can't force to a non-provided destination"));
    assert.equal((await evacuate(vm.id, { host: dst, force: 'maybe' }, '2.29')).status, 400);
    const r268 = await evacuate(vm.id, { host: dst, force: false }, '2.68');
    assert.match(r268.body.badRequest.message, /Additional properties are not allowed \('force' was unexpected\)/);
    // Admin only.
    const denied = await evacuate(vm.id, {}, MV, 'demo');
    assert.equal(denied.status, 403);
    assert.equal(denied.body.forbidden.message, 'Policy doesn\'t allow os_compute_api:os-evacuate to be performed.');

    // The states: a paused server, and one with a task, cannot be evacuated.
    assert.equal((await nova('admin', 'POST', `/servers/${vm.id}/action`, { pause: null })).status, 202);
    await waitState(vm.id, 'PAUSED');
    // The state is checked before the service (@check_instance_state).
    assert.deepEqual((await evacuate(vm.id, {})).body, bad(409, `Cannot 'evacuate' instance ${vm.id} while it is in vm_state paused`));
    await hostDown(vm.src);
    try {
      assert.deepEqual((await evacuate(vm.id, {})).body, bad(409, `Cannot 'evacuate' instance ${vm.id} while it is in vm_state paused`));
      await cloud.compute.instances.save(vm.id, { vmState: 'active', taskState: 'powering-off' });
      assert.deepEqual((await evacuate(vm.id, {})).body, bad(409, `Cannot 'evacuate' instance ${vm.id} while it is in task_state powering-off`));
      await cloud.compute.instances.save(vm.id, { vmState: 'paused', taskState: null });
    } finally {
      await hostUp(vm.src);
    }
    assert.deepEqual(await migrations(vm.id), []);
    const actions = (await nova('admin', 'GET', `/servers/${vm.id}/os-instance-actions`)).body.instanceActions.map((a: { action: string }) => a.action);
    assert.ok(!actions.includes('evacuate'), actions.join());
    assert.equal((await show(vm.id))['OS-EXT-SRV-ATTR:host'], vm.src);
    await nova('admin', 'DELETE', `/servers/${vm.id}`);
    await waitFor('deleted', async () => ((await nova('admin', 'GET', `/servers/${vm.id}`)).status === 404 ? true : undefined));
  });

  it('to a chosen host (2.1, adminPass returned): ACTIVE there, port bound and ACTIVE there; the returning source destroys its guest and completes the migration', async () => {
    const vm = await boot('ev-chosen');
    const dst = other(vm.src);
    assert.deepEqual(devicesOn(vm.src, vm.portId), hybrid(vm.portId));
    await hostDown(vm.src);
    let migrationUuid: string;
    try {
      const r = await evacuate(vm.id, { host: dst, onSharedStorage: false }, '2.1');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body), ['adminPass']);
      assert.match(r.body.adminPass, /^[A-Za-z0-9]{12}$/);
      const s = await waitState(vm.id, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], dst);
      assert.equal(s['OS-EXT-SRV-ATTR:hypervisor_hostname'], (await nova('admin', 'GET', `/os-hypervisors/detail`)).body.hypervisors.find((h: any) => h.service.host === dst).hypervisor_hostname);
      assert.equal(s['OS-EXT-STS:power_state'], 1);

      // The binding moved (the port went DOWN) and the spawn waited for the destination's
      // network-vif-plugged, so the port is ACTIVE there by the time the server is.
      const port = (await neutron('GET', `/ports/${vm.portId}`)).body.port;
      assert.deepEqual([port['binding:host_id'], port.status], [dst, 'ACTIVE']);
      assert.equal(port['binding:vif_type'], 'ovs');
      assert.deepEqual(port['binding:profile'], {});
      assert.deepEqual(devicesOn(dst, vm.portId), hybrid(vm.portId));
      // The dead source's devices are still there: nothing ran on it to remove them.
      assert.deepEqual(devicesOn(vm.src, vm.portId), hybrid(vm.portId));

      const [mig] = await migrations(vm.id);
      assert.equal(mig!.migration_type, 'evacuation');
      assert.equal(mig!.status, 'done');
      assert.equal(mig!.source_compute, vm.src);
      assert.equal(mig!.dest_compute, dst);
      assert.equal(mig!.dest_node, s['OS-EXT-SRV-ATTR:hypervisor_hostname']);
      assert.equal(mig!.old_instance_type_id, null);
      migrationUuid = mig!.uuid;
      // The instance's allocation is on the destination; the source's, held by the migration, waits for the source.
      assert.deepEqual(await allocations([vm.id, migrationUuid]), [
        { consumer_uuid: vm.id, host: dst },
        { consumer_uuid: migrationUuid, host: vm.src },
      ].sort((a, b) => a.host.localeCompare(b.host)));
      // os-migrations lists it by type.
      const byType = (await nova('admin', 'GET', '/os-migrations?migration_type=evacuation', undefined, '2.23')).body.migrations as any[];
      assert.ok(byType.some((m) => m.instance_uuid === vm.id && m.migration_type === 'evacuation'), JSON.stringify(byType));
      assert.deepEqual(((await nova('admin', 'GET', `/os-migrations?migration_type=resize&instance_uuid=${vm.id}`, undefined, '2.80')).body.migrations as any[]), []);
      assert.deepEqual(await eventsOf(vm.id, 'evacuate'), ['compute_rebuild_instance:Success', 'rebuild_server:Success']);
    } finally {
      await hostUp(vm.src);
    }
    // init_host on the source: the guest destroyed, its VIFs unplugged, the allocation dropped.
    assert.deepEqual(devicesOn(vm.src, vm.portId), []);
    assert.equal((await migrations(vm.id))[0]!.status, 'completed');
    assert.deepEqual(await allocations([vm.id, migrationUuid!]), [{ consumer_uuid: vm.id, host: dst }]);
    // The server and its port are untouched on the destination.
    assert.deepEqual(devicesOn(dst, vm.portId), hybrid(vm.portId));
    const port = (await neutron('GET', `/ports/${vm.portId}`)).body.port;
    assert.deepEqual([port['binding:host_id'], port.status], [dst, 'ACTIVE']);
    assert.equal((await show(vm.id)).status, 'ACTIVE');
    // A second start finds nothing more to do.
    await cloud.compute.computes.get(vm.src)!.stop();
    await cloud.compute.computes.get(vm.src)!.start();
    assert.deepEqual(devicesOn(vm.src, vm.portId), []);
    assert.equal((await show(vm.id))['OS-EXT-SRV-ATTR:host'], dst);
    await nova('admin', 'DELETE', `/servers/${vm.id}`);
    await waitFor('deleted', async () => ((await nova('admin', 'GET', `/servers/${vm.id}`)).status === 404 ? true : undefined));
    assert.deepEqual(devicesOn(dst, vm.portId), []);
    assert.deepEqual(await allocations([vm.id, migrationUuid!]), []);
  });

  it('to a scheduled host (2.92, no body): a stopped server stays stopped on the new host', async () => {
    const vm = await boot('ev-stopped');
    assert.equal((await nova('admin', 'POST', `/servers/${vm.id}/action`, { 'os-stop': null })).status, 202);
    await waitState(vm.id, 'SHUTOFF');
    await hostDown(vm.src);
    try {
      const r = await evacuate(vm.id, {});
      assert.equal(r.status, 200);
      assert.equal(r.body, null);
      const s = await waitFor('SHUTOFF on the other host', async () => {
        const v = await show(vm.id);
        if (v.status === 'ERROR') throw new Error(JSON.stringify(v.fault));
        return v.status === 'SHUTOFF' && v['OS-EXT-STS:task_state'] === null && v['OS-EXT-SRV-ATTR:host'] !== vm.src ? v : undefined;
      });
      assert.equal(s['OS-EXT-SRV-ATTR:host'], other(vm.src));
      assert.equal(s['OS-EXT-STS:vm_state'], 'stopped');
      assert.equal(s['OS-EXT-STS:power_state'], 4);
      const port = await waitFor('the port ACTIVE on the destination', async () => {
        const p = (await neutron('GET', `/ports/${vm.portId}`)).body.port;
        return p.status === 'ACTIVE' ? p : undefined;
      });
      assert.equal(port['binding:host_id'], other(vm.src));
      assert.equal((await migrations(vm.id))[0]!.status, 'done');
    } finally {
      await hostUp(vm.src);
    }
    assert.equal((await migrations(vm.id))[0]!.status, 'completed');
    assert.deepEqual(devicesOn(vm.src, vm.portId), []);
    // It starts on its new host.
    assert.equal((await nova('admin', 'POST', `/servers/${vm.id}/action`, { 'os-start': null })).status, 202);
    assert.equal((await waitState(vm.id, 'ACTIVE'))['OS-EXT-SRV-ATTR:host'], other(vm.src));
    await nova('admin', 'DELETE', `/servers/${vm.id}`);
    await waitFor('deleted', async () => ((await nova('admin', 'GET', `/servers/${vm.id}`)).status === 404 ? true : undefined));
  });

  it('no valid host: ERROR with the fault, migration error, the allocation back on the source', async () => {
    const vm = await boot('ev-novalid');
    const dst = other(vm.src);
    await hostDown(vm.src);
    assert.equal((await forceDown(dst, true)).status, 200);
    try {
      assert.equal((await evacuate(vm.id, {})).status, 200);
      const s = await waitState(vm.id, 'ERROR');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], vm.src);
      assert.equal(s.fault.message, 'No valid host was found. There are not enough hosts available.');
      const [mig] = await migrations(vm.id);
      assert.equal(mig!.status, 'error');
      assert.deepEqual(await allocations([vm.id, mig!.uuid]), [{ consumer_uuid: vm.id, host: vm.src }]);
      assert.equal((await neutron('GET', `/ports/${vm.portId}`)).body.port['binding:host_id'], vm.src);
    } finally {
      await forceDown(dst, false);
      await hostUp(vm.src);
    }
    // An errored migration is not the source's to clean up: its guest and devices stay.
    assert.equal((await migrations(vm.id))[0]!.status, 'error');
    assert.deepEqual(devicesOn(vm.src, vm.portId), hybrid(vm.portId));
    await nova('admin', 'DELETE', `/servers/${vm.id}`);
    await waitFor('deleted', async () => ((await nova('admin', 'GET', `/servers/${vm.id}`)).status === 404 ? true : undefined));
    assert.deepEqual(devicesOn(vm.src, vm.portId), []);
  });

  it('a destination that cannot plug: ERROR on the source with the fault, migration failed; an ERROR server can be evacuated again', async () => {
    const vm = await boot('ev-fail');
    const dst = other(vm.src);
    await hostDown(vm.src);
    try {
      const remove = (cloud.hostnets.get(dst) as SimulatedHostNetwork).injectFault({ command: 'ovs-vsctl', contains: 'add-port', stderr: 'ovs-vsctl: simulated failure\n' });
      let mig: Record<string, any>;
      try {
        assert.equal((await evacuate(vm.id, { host: dst }, '2.29')).status, 200);
        const s = await waitState(vm.id, 'ERROR');
        assert.equal(s['OS-EXT-SRV-ATTR:host'], vm.src);
        assert.ok(s.fault?.message, JSON.stringify(s));
        mig = (await migrations(vm.id))[0]!;
        assert.equal(mig.status, 'failed');
        assert.equal(mig.dest_compute, dst);
        assert.deepEqual(await eventsOf(vm.id, 'evacuate'), ['compute_rebuild_instance:Error', 'rebuild_server:Success']);
        // The destination's allocation is given up; the source's is the instance's again.
        assert.deepEqual(await allocations([vm.id, mig.uuid]), [{ consumer_uuid: vm.id, host: vm.src }]);
        // The port stays bound to the destination (as nova leaves it); nothing plugged there.
        assert.equal((await neutron('GET', `/ports/${vm.portId}`)).body.port['binding:host_id'], dst);
        assert.deepEqual(devicesOn(dst, vm.portId), []);
      } finally {
        remove();
      }
      // ERROR is an evacuable state: again, now that the destination can plug.
      assert.equal((await evacuate(vm.id, { host: dst }, '2.29')).status, 200);
      const s = await waitState(vm.id, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], dst);
      const all = await migrations(vm.id);
      assert.deepEqual(all.map((m) => m.status), ['done', 'failed']);
      await waitFor('the port ACTIVE on the destination', async () => ((await neutron('GET', `/ports/${vm.portId}`)).body.port.status === 'ACTIVE' ? true : undefined));
    } finally {
      await hostUp(vm.src);
    }
    const all = await migrations(vm.id);
    assert.deepEqual(all.map((m) => m.status), ['completed', 'failed']);
    assert.deepEqual(devicesOn(vm.src, vm.portId), []);
    assert.deepEqual(devicesOn(dst, vm.portId), hybrid(vm.portId));
    assert.deepEqual(await allocations([vm.id, ...all.map((m) => m.uuid)]), [{ consumer_uuid: vm.id, host: dst }]);
  });

  it('a server deleted while its evacuation waits on the destination: no ERROR, migration failed, nothing left there', async () => {
    const vm = await boot('ev-deleted');
    const dst = other(vm.src);
    await hostDown(vm.src);
    // No OVS agent wires anything: the destination's spawn waits for network-vif-plugged.
    cloud.l2agents.stop();
    try {
      assert.equal((await evacuate(vm.id, { host: dst }, '2.29')).status, 200);
      await waitFor('the spawn waiting on the destination', async () => ((await show(vm.id))['OS-EXT-STS:task_state'] === 'rebuild_spawning' ? true : undefined));
      assert.deepEqual(devicesOn(dst, vm.portId), hybrid(vm.portId));
      // The source is down: nova-api deletes it locally.
      assert.equal((await nova('admin', 'DELETE', `/servers/${vm.id}`)).status, 204);
      assert.equal((await nova('admin', 'GET', `/servers/${vm.id}`)).status, 404);
      const mig = await waitFor('the migration failed', async () => {
        const [m] = await migrations(vm.id);
        return m?.status === 'failed' ? m : undefined;
      }, 20_000);
      assert.deepEqual(devicesOn(dst, vm.portId), []);
      assert.deepEqual(await allocations([vm.id, mig.uuid]), []);
    } finally {
      await cloud.l2agents.start();
      await hostUp(vm.src);
    }
    // The source was down during the local delete, and its init_host only destroys the
    // guests of accepted, pre-migrating or done evacuations: the deleted server's guest
    // and devices stay there, as in nova (whose periodic running-deleted reaper, not
    // modelled here, would remove them later).
    assert.equal((await migrations(vm.id))[0]!.status, 'failed');
    assert.deepEqual(devicesOn(vm.src, vm.portId), hybrid(vm.portId));
    reaped.push(vm.portId);
  });

  it("neutron: a compute port whose binding:host_id moves goes DOWN (ML2's _process_port_binding), so the new host's plug is awaited", async () => {
    const vm = await boot('ev-down');
    // The same host again changes nothing.
    const same = (await neutron('PUT', `/ports/${vm.portId}`, { port: { 'binding:host_id': vm.src } })).body.port;
    assert.deepEqual([same['binding:host_id'], same.status], [vm.src, 'ACTIVE']);
    const moved = (await neutron('PUT', `/ports/${vm.portId}`, { port: { 'binding:host_id': other(vm.src) } })).body.port;
    assert.deepEqual([moved['binding:host_id'], moved['binding:vif_type'], moved.status], [other(vm.src), 'ovs', 'DOWN']);
    // Back on the host whose br-int has its device: that agent reports it up again (port_update).
    assert.equal((await neutron('PUT', `/ports/${vm.portId}`, { port: { 'binding:host_id': vm.src } })).body.port.status, 'DOWN');
    await waitFor('the port ACTIVE again on its host', async () => ((await portOf(vm.id)).status === 'ACTIVE' ? true : undefined));
    await nova('admin', 'DELETE', `/servers/${vm.id}`);
    await waitFor('deleted', async () => ((await nova('admin', 'GET', `/servers/${vm.id}`)).status === 404 ? true : undefined));
  });

  it('leaves nothing behind: each port bound where its server is, devices only there, one allocation per server', async () => {
    const servers = (await nova('admin', 'GET', '/servers/detail?all_tenants=1')).body.servers as any[];
    const ports = (await neutron('GET', `/ports?network_id=${netId}&device_owner=compute:nova`)).body.ports as any[];
    assert.equal(ports.length, servers.length);
    const byHost: Record<string, number> = {};
    for (const s of servers) {
      const p = ports.find((x) => x.device_id === s.id);
      assert.equal(p['binding:host_id'], s['OS-EXT-SRV-ATTR:host'], s.name);
      byHost[s['OS-EXT-SRV-ATTR:host']] = (byHost[s['OS-EXT-SRV-ATTR:host']] ?? 0) + 1;
      assert.deepEqual(devicesOn(s['OS-EXT-SRV-ATTR:host'], p.id), hybrid(p.id), s.name);
      assert.deepEqual(devicesOn(other(s['OS-EXT-SRV-ATTR:host']), p.id), [], s.name);
    }
    const devices = cloud.hostnets.hosts().flatMap((h) => (cloud.hostnets.get(h) as SimulatedHostNetwork).snapshot().links.map((l: { name: string }) => l.name).filter((n: string) => /^(qbr|qvb|qvo)/.test(n)));
    assert.equal(devices.length, 3 * (servers.length + reaped.length));
    const allocs = await novaDb(cloud).selectFrom('allocations').select(['consumer_uuid', 'host']).execute();
    assert.deepEqual(allocs.map((a) => a.consumer_uuid).sort(), servers.map((s) => s.id).sort());
    for (const a of allocs) assert.equal(a.host, servers.find((s) => s.id === a.consumer_uuid)['OS-EXT-SRV-ATTR:host']);
    // Each host's usage counts what runs there.
    for (const [host, n] of Object.entries(byHost)) {
      const hv = (await nova('admin', 'GET', '/os-hypervisors/detail', undefined, '2.27')).body.hypervisors.find((h: any) => h.service.host === host);
      assert.equal(hv.running_vms, n, host);
    }
  });
});

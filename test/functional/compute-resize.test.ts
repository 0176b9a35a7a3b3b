/**
 * Resize and cold migration over HTTP on a two-host cloud (compute1, compute2): the
 * server through RESIZE to VERIFY_RESIZE on the other host, its port's binding:host_id
 * following it, the hybrid-plug devices gone from the source and present on the
 * destination, the allocations (the instance's new flavor on the destination, the
 * migration's old flavor on the source) and the migration record; confirm and revert
 * each ending with every port bound where its server is, devices only there and one
 * allocation; the admin's migrate (2.56 host); each refusal with nova's status and text;
 * and the failures: no valid host (server stays ACTIVE, migration error, fault) and a
 * destination that cannot plug (ERROR with the fault, source allocation dropped).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { Config, DeepPartial } from '../../src/common/config.js';
import type { NovaDB } from '../../src/compute/db/schema.js';
import type { FakeLibvirtDriver } from '../../src/compute/virt/fake.js';
import { vifDeviceNames } from '../../src/compute/virt/vif.js';
import type { SimulatedHostNetwork } from '../../src/hostnet/simulated/simulated-host.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST: DeepPartial<Config> = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };
const MV = '2.92';

const novaDb = (c: TestCloud) => (c.compute as unknown as { d: { db: { kysely: Kysely<NovaDB> } } }).d.db.kysely;

/** Helpers over one cloud: the API, waits, and the host-side facts the tests compare. */
function helpers(cloud: () => TestCloud) {
  const nova = (user: 'admin' | 'demo', method: string, path: string, body?: unknown, mv = MV) =>
    cloud().api(user, method, `${cloud().urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${mv}` });
  const neutron = (user: 'admin' | 'demo', method: string, path: string, body?: unknown) => cloud().api(user, method, `${cloud().urls.network}/v2.0${path}`, body);
  const act = (user: 'admin' | 'demo', id: string, body: unknown, mv?: string) => nova(user, 'POST', `/servers/${id}/action`, body, mv);
  const show = async (id: string) => (await nova('admin', 'GET', `/servers/${id}`)).body.server;
  async function waitState(id: string, status: string, taskState: string | null = null) {
    return waitFor(`server ${id} ${status}`, async () => {
      const s = await show(id);
      if (s?.status === 'ERROR' && status !== 'ERROR') throw new Error(`server went to ERROR: ${JSON.stringify(s.fault)}`);
      return s?.status === status && s['OS-EXT-STS:task_state'] === taskState ? s : undefined;
    });
  }
  const ports = async (id: string) => (await neutron('admin', 'GET', `/ports?device_id=${id}`)).body.ports as Record<string, any>[];
  /** The port's hybrid-plug devices present on a host. */
  const devicesOn = (host: string, portId: string) => {
    const names = Object.values(vifDeviceNames(portId));
    return (cloud().hostnets.get(host) as SimulatedHostNetwork)
      .snapshot()
      .links.map((l: { name: string }) => l.name)
      .filter((n: string) => names.includes(n))
      .sort();
  };
  const allocations = async (consumers: string[]) => novaDb(cloud()).selectFrom('allocations').select(['consumer_uuid', 'host', 'vcpus', 'memory_mb', 'disk_gb']).where('consumer_uuid', 'in', consumers).orderBy('host').execute();
  const migrations = async (id: string) => (await nova('admin', 'GET', `/os-migrations?instance_uuid=${id}`, undefined, '2.80')).body.migrations as Record<string, any>[];
  // An event finishes after the state it leads to is saved (wrap_instance_event), so
  // wait until none is still running.
  const events = (id: string, action: string) =>
    waitFor(`the ${action} events of ${id} to finish`, async () => {
      const a = (await nova('admin', 'GET', `/servers/${id}/os-instance-actions`)).body.instanceActions.find((x: { action: string }) => x.action === action);
      const evs: { event: string; result: string | null }[] = (await nova('admin', 'GET', `/servers/${id}/os-instance-actions/${a.request_id}`)).body.instanceAction.events;
      return evs.every((e) => e.result !== null) ? evs.map((e) => `${e.event}:${e.result}`).sort() : undefined;
    });
  return { nova, neutron, act, show, waitState, ports, devicesOn, allocations, migrations, events };
}

/** The hybrid plug's host devices (the tap is libvirt's, made with the guest; the simulated host has none). */
const FULL_HYBRID = (portId: string) => {
  const n = vifDeviceNames(portId);
  return [n.qbr, n.qvb, n.qvo].sort();
};

describe('compute: resize and cold migration', { skip: inProcessOnly('reads host devices and allocations') }, () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const h = helpers(() => cloud);
  const other = (host: string) => (host === 'compute1' ? 'compute2' : 'compute1');

  async function boot(name: string, flavorRef = '100'): Promise<string> {
    const r = await h.nova('demo', 'POST', '/servers', { server: { name, flavorRef, imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await h.waitState(r.body.server.id, 'ACTIVE');
    await waitFor('port ACTIVE', async () => ((await h.ports(r.body.server.id))[0]?.status === 'ACTIVE' ? true : undefined));
    return r.body.server.id;
  }

  before(async () => {
    cloud = await startTestCloud(FAST);
    netId = (await h.neutron('demo', 'POST', '/networks', { network: { name: 'net1' } })).body.network.id;
    await h.neutron('demo', 'POST', '/subnets', { subnet: { network_id: netId, cidr: '10.9.0.0/24', ip_version: 4, name: 'sub1' } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(() => cloud?.stop());

  it('resize: VERIFY_RESIZE on the other host, binding and devices moved, both allocations held; confirm frees the source', async () => {
    const vm = await boot('rs1');
    const src = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    const [port] = await h.ports(vm);
    assert.deepEqual(h.devicesOn(src, port!.id), FULL_HYBRID(port!.id));

    const r = await h.act('demo', vm, { resize: { flavorRef: '42' } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body, null);
    const resized = await h.waitState(vm, 'VERIFY_RESIZE');
    const dst = resized['OS-EXT-SRV-ATTR:host'];
    assert.equal(dst, other(src));
    assert.equal(resized['OS-EXT-STS:vm_state'], 'resized');
    assert.equal(resized.flavor.original_name, 'm1.nano');
    assert.equal(resized['OS-EXT-STS:power_state'], 1);

    const moved = (await h.neutron('admin', 'GET', `/ports/${port!.id}`)).body.port;
    assert.equal(moved['binding:host_id'], dst);
    assert.equal(moved['binding:vif_type'], 'ovs');
    assert.deepEqual(moved['binding:profile'], {});
    assert.deepEqual(h.devicesOn(src, port!.id), []);
    assert.deepEqual(h.devicesOn(dst, port!.id), FULL_HYBRID(port!.id));
    await waitFor('port ACTIVE on the destination', async () => ((await h.neutron('admin', 'GET', `/ports/${port!.id}`)).body.port.status === 'ACTIVE' ? true : undefined));

    const [mig] = await h.migrations(vm);
    assert.equal(mig!.status, 'finished');
    assert.equal(mig!.migration_type, 'resize');
    assert.equal(mig!.source_compute, src);
    assert.equal(mig!.dest_compute, dst);
    assert.equal(mig!.dest_node, dst);
    assert.equal(mig!.dest_host, '127.0.0.1');
    assert.notEqual(mig!.old_instance_type_id, mig!.new_instance_type_id);
    assert.equal(mig!.project_id, await cloud.projectId('demo'));
    assert.deepEqual(await h.allocations([vm, mig!.uuid]), [
      { consumer_uuid: src === 'compute1' ? mig!.uuid : vm, host: 'compute1', vcpus: 1, memory_mb: src === 'compute1' ? 64 : 128, disk_gb: 1 },
      { consumer_uuid: src === 'compute2' ? mig!.uuid : vm, host: 'compute2', vcpus: 1, memory_mb: src === 'compute2' ? 64 : 128, disk_gb: 1 },
    ]);
    // The resource tracker counts the old flavor on the source while unconfirmed.
    const srcNode = await novaDb(cloud).selectFrom('compute_nodes').select(['memory_mb_used']).where('host', '=', src).executeTakeFirstOrThrow();
    assert.equal(srcNode.memory_mb_used, 512 + 64);
    assert.deepEqual(await h.events(vm, 'resize'), ['cold_migrate:Success', 'compute_finish_resize:Success', 'compute_prep_resize:Success', 'compute_resize_instance:Success', 'conductor_migrate_server:Success']);
    // Only live migrations in progress show under the server (Zed's server_migrations).
    assert.deepEqual((await h.nova('admin', 'GET', `/servers/${vm}/migrations`)).body, { migrations: [] });

    // confirmResize answers 204, not 202 (nova's "backwards compatibility"; Tempest's
    // test_resize_server_confirm got 202 here).
    const confirm = await h.act('demo', vm, { confirmResize: null });
    assert.equal(confirm.status, 204);
    assert.equal(confirm.body, null);
    const confirmed = await h.waitState(vm, 'ACTIVE');
    assert.equal(confirmed['OS-EXT-SRV-ATTR:host'], dst);
    await waitFor('migration confirmed', async () => ((await h.migrations(vm))[0]!.status === 'confirmed' ? true : undefined));
    assert.deepEqual(await h.allocations([vm, mig!.uuid]), [{ consumer_uuid: vm, host: dst, vcpus: 1, memory_mb: 128, disk_gb: 1 }]);
    assert.deepEqual(h.devicesOn(src, port!.id), []);
    assert.deepEqual(h.devicesOn(dst, port!.id), FULL_HYBRID(port!.id));
    assert.deepEqual(await h.events(vm, 'confirmResize'), ['compute_confirm_resize:Success']);
    const srcAfter = await novaDb(cloud).selectFrom('compute_nodes').select(['memory_mb_used']).where('host', '=', src).executeTakeFirstOrThrow();
    assert.equal(srcAfter.memory_mb_used, 512);
    // A second confirm finds no finished migration.
    assert.deepEqual((await h.act('demo', vm, { confirmResize: null })).body, { conflictingRequest: { code: 409, message: `Cannot 'confirmResize' instance ${vm} while it is in vm_state active` } });
    // A resize is not a live migration: server_migrations show says so.
    assert.deepEqual((await h.nova('admin', 'GET', `/servers/${vm}/migrations/${mig!.id}`)).body, {
      itemNotFound: { code: 404, message: `Migration ${mig!.id} for server ${vm} is not live-migration.` },
    });
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('revert: old flavor, host, binding and devices back on the source, one allocation there', async () => {
    const vm = await boot('rs2');
    const src = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    const [port] = await h.ports(vm);
    assert.equal((await h.act('demo', vm, { resize: { flavorRef: '84' } })).status, 202);
    const resized = await h.waitState(vm, 'VERIFY_RESIZE');
    const dst = resized['OS-EXT-SRV-ATTR:host'];
    const [mig] = await h.migrations(vm);

    assert.equal((await h.act('demo', vm, { revertResize: null })).status, 202);
    const reverted = await h.waitState(vm, 'ACTIVE');
    assert.equal(reverted['OS-EXT-SRV-ATTR:host'], src);
    assert.equal(reverted.flavor.original_name, 'm1.seed100');
    assert.equal(reverted['OS-EXT-STS:power_state'], 1);
    const back = (await h.neutron('admin', 'GET', `/ports/${port!.id}`)).body.port;
    assert.equal(back['binding:host_id'], src);
    assert.deepEqual(h.devicesOn(src, port!.id), FULL_HYBRID(port!.id));
    assert.deepEqual(h.devicesOn(dst, port!.id), []);
    await waitFor('port ACTIVE on the source', async () => ((await h.neutron('admin', 'GET', `/ports/${port!.id}`)).body.port.status === 'ACTIVE' ? true : undefined));
    assert.equal((await h.migrations(vm))[0]!.status, 'reverted');
    assert.deepEqual(await h.allocations([vm, mig!.uuid]), [{ consumer_uuid: vm, host: src, vcpus: 1, memory_mb: 64, disk_gb: 1 }]);
    assert.deepEqual(await h.events(vm, 'revertResize'), ['compute_finish_revert_resize:Success', 'compute_revert_resize:Success']);
    const dstNode = await novaDb(cloud).selectFrom('compute_nodes').select(['memory_mb_used', 'running_vms']).where('host', '=', dst).executeTakeFirstOrThrow();
    assert.equal(dstNode.memory_mb_used, 512);
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('a stopped server resizes to VERIFY_RESIZE without starting, and confirm leaves it SHUTOFF', async () => {
    const vm = await boot('rs3');
    assert.equal((await h.act('demo', vm, { 'os-stop': null })).status, 202);
    await h.waitState(vm, 'SHUTOFF');
    // PUT /servers/{id} sets OS-DCF:diskConfig (Tempest's disk_config tests start so; it was ignored).
    assert.equal((await h.nova('demo', 'PUT', `/servers/${vm}`, { server: { 'OS-DCF:diskConfig': 'MANUAL' } })).body.server['OS-DCF:diskConfig'], 'MANUAL');
    assert.equal((await h.nova('demo', 'PUT', `/servers/${vm}`, { server: { 'OS-DCF:diskConfig': 'AUTO' } })).body.server['OS-DCF:diskConfig'], 'AUTO');
    assert.equal((await h.nova('demo', 'PUT', `/servers/${vm}`, { server: { 'OS-DCF:diskConfig': 'MANUAL' } })).body.server['OS-DCF:diskConfig'], 'MANUAL');
    assert.equal((await h.act('demo', vm, { resize: { flavorRef: '42', 'OS-DCF:diskConfig': 'AUTO' } })).status, 202);
    const resized = await h.waitState(vm, 'VERIFY_RESIZE');
    assert.equal(resized['OS-EXT-STS:power_state'], 4);
    // "instance.auto_disk_config = auto_disk_config or False".
    assert.equal(resized['OS-DCF:diskConfig'], 'AUTO');
    assert.equal((await h.act('demo', vm, { confirmResize: null })).status, 204);
    const done = await h.waitState(vm, 'SHUTOFF');
    assert.equal(done['OS-EXT-STS:vm_state'], 'stopped');
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('migrate: admin only; 2.56 host checked (same host, unknown host); a cold migration keeps the flavor', async () => {
    const vm = await boot('mg1');
    const src = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    const forbidden = await h.act('demo', vm, { migrate: null });
    assert.deepEqual(forbidden.body, { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-migrate-server:migrate to be performed." } });
    assert.deepEqual((await h.act('admin', vm, { migrate: { host: src } }, '2.56')).body, { badRequest: { code: 400, message: 'Cannot migrate to the host where the server exists.' } });
    assert.deepEqual((await h.act('admin', vm, { migrate: { host: 'nowhere' } }, '2.56')).body, { badRequest: { code: 400, message: 'Compute host nowhere could not be found.' } });
    const badHost = await h.act('admin', vm, { migrate: { host: 'a b' } }, '2.56');
    assert.equal(badHost.status, 400);
    assert.equal((await h.act('admin', vm, { migrate: { host: other(src) } }, '2.56')).status, 202);
    const moved = await h.waitState(vm, 'VERIFY_RESIZE');
    assert.equal(moved['OS-EXT-SRV-ATTR:host'], other(src));
    assert.equal(moved['OS-DCF:diskConfig'], 'MANUAL');
    assert.equal(moved.flavor.original_name, 'm1.seed100');
    const [mig] = await h.migrations(vm);
    assert.equal(mig!.migration_type, 'migration');
    assert.equal(mig!.old_instance_type_id, mig!.new_instance_type_id);
    assert.deepEqual(await h.events(vm, 'migrate'), ['cold_migrate:Success', 'compute_finish_resize:Success', 'compute_prep_resize:Success', 'compute_resize_instance:Success', 'conductor_migrate_server:Success']);
    assert.equal((await h.act('admin', vm, { confirmResize: null })).status, 204);
    await h.waitState(vm, 'ACTIVE');
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('refusals: same flavor, unknown flavor, smaller disk, wrong state, not resized, unknown server', async () => {
    const vm = await boot('rf1');
    const bad = (message: string) => ({ badRequest: { code: 400, message } });
    assert.deepEqual((await h.act('demo', vm, { resize: { flavorRef: '100' } })).body, bad('When resizing, instances must change flavor!'));
    assert.deepEqual((await h.act('demo', vm, { resize: { flavorRef: '999' } })).body, bad('Flavor 999 could not be found.'));
    assert.deepEqual((await h.act('demo', vm, { resize: {} })).body, bad("Invalid input for field/attribute resize. Value: {}. 'flavorRef' is a required property"));
    assert.deepEqual((await h.act('demo', vm, { confirmResize: null })).body, { conflictingRequest: { code: 409, message: `Cannot 'confirmResize' instance ${vm} while it is in vm_state active` } });
    assert.deepEqual((await h.act('demo', vm, { revertResize: null })).body, { conflictingRequest: { code: 409, message: `Cannot 'revertResize' instance ${vm} while it is in vm_state active` } });
    assert.equal((await h.act('demo', vm, { pause: null })).status, 202);
    await h.waitState(vm, 'PAUSED');
    assert.deepEqual((await h.act('demo', vm, { resize: { flavorRef: '42' } })).body, { conflictingRequest: { code: 409, message: `Cannot 'resize' instance ${vm} while it is in vm_state paused` } });
    assert.deepEqual((await h.act('admin', vm, { migrate: null })).body, { conflictingRequest: { code: 409, message: `Cannot 'migrate' instance ${vm} while it is in vm_state paused` } });
    const missing = await h.act('demo', '00000000-0000-0000-0000-000000000000', { resize: { flavorRef: '42' } });
    assert.equal(missing.status, 404);
    await h.nova('demo', 'DELETE', `/servers/${vm}`);

    // The root disk cannot shrink below what the server booted with (image min_disk = max(image, flavor)).
    const big = await boot('rf2', '2');
    assert.deepEqual((await h.act('demo', big, { resize: { flavorRef: '42' } })).body, bad("Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is 1073741824 bytes, minimum size is 21474836480 bytes."));
    await h.nova('demo', 'DELETE', `/servers/${big}`);
  });

  it('an upsize over quota is a 403 with the deltas; a host that is down refuses resize and confirm (409)', async () => {
    const vm = await boot('qt1');
    const project = await cloud.projectId('demo');
    const used = (await h.nova('admin', 'GET', `/os-quota-sets/${project}/detail`)).body.quota_set.ram.in_use as number;
    assert.equal((await h.nova('admin', 'PUT', `/os-quota-sets/${project}`, { quota_set: { ram: used } })).status, 200);
    try {
      assert.deepEqual((await h.act('demo', vm, { resize: { flavorRef: '42' } })).body, { forbidden: { code: 403, message: `Quota exceeded for ram: Requested 64, but already used ${used} of ${used} ram` } });
    } finally {
      await h.nova('admin', 'PUT', `/os-quota-sets/${project}`, { quota_set: { ram: 51200 } });
    }
    const src = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    const force = (host: string, down: boolean) => h.nova('admin', 'PUT', '/os-services/force-down', { host, binary: 'nova-compute', forced_down: down }, '2.11');
    assert.equal((await force(src, true)).status, 200);
    try {
      assert.deepEqual((await h.act('demo', vm, { resize: { flavorRef: '42' } })).body, { conflictingRequest: { code: 409, message: 'Service is unavailable at this time.' } });
    } finally {
      await force(src, false);
    }
    assert.equal((await h.act('demo', vm, { resize: { flavorRef: '42' } })).status, 202);
    await h.waitState(vm, 'VERIFY_RESIZE');
    assert.equal((await force(src, true)).status, 200);
    try {
      assert.deepEqual((await h.act('demo', vm, { confirmResize: null })).body, { conflictingRequest: { code: 409, message: 'Service is unavailable at this time.' } });
      assert.equal((await h.migrations(vm))[0]!.status, 'finished');
    } finally {
      await force(src, false);
    }
    assert.equal((await h.act('demo', vm, { confirmResize: null })).status, 204);
    await h.waitState(vm, 'ACTIVE');
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('a shrinking ephemeral disk is rolled back by the source (InstanceFaultRollback): ACTIVE there, fault, migration error, allocation back', async () => {
    for (const [id, eph] of [['eph1', 1], ['eph0', 0]] as const) {
      const r = await h.nova('admin', 'POST', '/flavors', { flavor: { id, name: id, ram: 64, vcpus: 1, disk: 1, 'OS-FLV-EXT-DATA:ephemeral': eph } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const vm = await boot('eph', 'eph1');
    const src = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    const [port] = await h.ports(vm);
    assert.equal((await h.act('demo', vm, { resize: { flavorRef: 'eph0' } })).status, 202);
    const mig = await waitFor('migration error', async () => {
      const [m] = await h.migrations(vm);
      return m?.status === 'error' ? m : undefined;
    });
    const s = await h.waitState(vm, 'ACTIVE');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], src);
    assert.equal(s.flavor.original_name, 'eph1');
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.deepEqual(await h.allocations([vm, mig.uuid]), [{ consumer_uuid: vm, host: src, vcpus: 1, memory_mb: 64, disk_gb: 2 }]);
    const faults = await novaDb(cloud).selectFrom('instance_faults').select(['message']).where('instance_uuid', '=', vm).execute();
    assert.deepEqual(faults.map((f) => f.message), ['Resize error: Unable to resize disk down.']);
    assert.deepEqual(await h.events(vm, 'resize'), ['cold_migrate:Success', 'compute_prep_resize:Success', 'compute_resize_instance:Error', 'conductor_migrate_server:Success']);
    assert.equal((await h.neutron('admin', 'GET', `/ports/${port!.id}`)).body.port['binding:host_id'], src);
    assert.deepEqual(h.devicesOn(src, port!.id), FULL_HYBRID(port!.id));
    assert.deepEqual(h.devicesOn(other(src), port!.id), []);
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('no valid host: the server stays ACTIVE where it was, the migration is in error, the allocation is the instance\'s again', async () => {
    const vm = await boot('nv1');
    const src = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    const svcs = (await h.nova('admin', 'GET', '/os-services?binary=nova-compute', undefined, '2.53')).body.services as { id: string; host: string }[];
    const target = svcs.find((s) => s.host === other(src))!;
    assert.equal((await h.nova('admin', 'PUT', `/os-services/${target.id}`, { status: 'disabled' }, '2.53')).status, 200);
    try {
      assert.equal((await h.act('demo', vm, { resize: { flavorRef: '42' } })).status, 202);
      const mig = await waitFor('migration error', async () => {
        const [m] = await h.migrations(vm);
        return m?.status === 'error' ? m : undefined;
      });
      const s = await h.waitState(vm, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], src);
      assert.equal(s.flavor.original_name, 'm1.seed100');
      assert.deepEqual(await h.allocations([vm, mig.uuid]), [{ consumer_uuid: vm, host: src, vcpus: 1, memory_mb: 64, disk_gb: 1 }]);
      assert.deepEqual(await h.events(vm, 'resize'), ['cold_migrate:Error', 'conductor_migrate_server:Error']);
      const fault = await novaDb(cloud).selectFrom('instance_faults').select(['message']).where('instance_uuid', '=', vm).executeTakeFirstOrThrow();
      assert.equal(fault.message, 'No valid host was found. There are not enough hosts available.');
      const [port] = await h.ports(vm);
      assert.equal(port!['binding:host_id'], src);
      assert.deepEqual(h.devicesOn(src, port!.id), FULL_HYBRID(port!.id));
    } finally {
      await h.nova('admin', 'PUT', `/os-services/${target.id}`, { status: 'enabled' }, '2.53');
    }
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('a destination that cannot plug: ERROR there with the fault, migration error, the source allocation dropped, no devices left', async () => {
    const vm = await boot('df1');
    const src = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    const dst = other(src);
    const [port] = await h.ports(vm);
    const remove = (cloud.hostnets.get(dst) as SimulatedHostNetwork).injectFault({ command: 'ovs-vsctl', contains: 'add-port', stderr: 'ovs-vsctl: simulated failure\n' });
    try {
      assert.equal((await h.act('demo', vm, { resize: { flavorRef: '42' } })).status, 202);
      const s = await h.waitState(vm, 'ERROR');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], dst);
      assert.ok(s.fault?.message, JSON.stringify(s));
      // The flavor is the old one again (finish_resize sets it back when finish_migration fails).
      assert.equal(s.flavor.original_name, 'm1.seed100');
      const [mig] = await h.migrations(vm);
      assert.equal(mig!.status, 'error');
      assert.deepEqual(await h.allocations([vm, mig!.uuid]), [{ consumer_uuid: vm, host: dst, vcpus: 1, memory_mb: 128, disk_gb: 1 }]);
      const events = await h.events(vm, 'resize');
      assert.ok(events.includes('compute_finish_resize:Error'), events.join());
      assert.equal((await h.neutron('admin', 'GET', `/ports/${port!.id}`)).body.port['binding:host_id'], dst);
      assert.deepEqual(h.devicesOn(src, port!.id), []);
      assert.deepEqual(h.devicesOn(dst, port!.id), []);
    } finally {
      remove();
    }
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
    await waitFor('server deleted', async () => ((await h.nova('admin', 'GET', `/servers/${vm}`)).status === 404 ? true : undefined));
  });

  it('deleting a server in VERIFY_RESIZE confirms the resize first: migration confirmed, no allocation or device left', async () => {
    const vm = await boot('dl1');
    const src = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    const [port] = await h.ports(vm);
    assert.equal((await h.act('demo', vm, { resize: { flavorRef: '42' } })).status, 202);
    const dst = (await h.waitState(vm, 'VERIFY_RESIZE'))['OS-EXT-SRV-ATTR:host'];
    const [mig] = await h.migrations(vm);
    assert.equal((await h.nova('demo', 'DELETE', `/servers/${vm}`)).status, 204);
    await waitFor('server deleted', async () => ((await h.nova('admin', 'GET', `/servers/${vm}`)).status === 404 ? true : undefined));
    assert.equal((await h.migrations(vm))[0]!.status, 'confirmed');
    assert.deepEqual(await h.allocations([vm, mig!.uuid]), []);
    assert.deepEqual(h.devicesOn(src, port!.id), []);
    assert.deepEqual(h.devicesOn(dst, port!.id), []);
    const actions = (await h.nova('admin', 'GET', `/servers/${vm}/os-instance-actions`)).body;
    assert.ok(JSON.stringify(actions).includes('confirmResize'), JSON.stringify(actions));
  });

  it('os-migrations: paging by uuid (2.59), fields by microversion, filters', async () => {
    const all = (await h.nova('admin', 'GET', '/os-migrations', undefined, '2.80')).body.migrations as Record<string, any>[];
    assert.ok(all.length >= 4);
    assert.deepEqual(Object.keys(all[0]!).sort(), ['created_at', 'dest_compute', 'dest_host', 'dest_node', 'id', 'instance_uuid', 'migration_type', 'new_instance_type_id', 'old_instance_type_id', 'project_id', 'source_compute', 'source_node', 'status', 'updated_at', 'user_id', 'uuid']);
    assert.match(all[0]!.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    const v21 = (await h.nova('admin', 'GET', '/os-migrations', undefined, '2.1')).body.migrations as Record<string, any>[];
    // Unsorted before 2.59 (the table's order), newest first from 2.59.
    assert.deepEqual(v21.map((m) => m.id), [...all.map((m) => m.id)].sort((a, b) => a - b));
    assert.deepEqual(Object.keys(v21[0]!).sort(), ['created_at', 'dest_compute', 'dest_host', 'dest_node', 'id', 'instance_uuid', 'new_instance_type_id', 'old_instance_type_id', 'source_compute', 'source_node', 'status', 'updated_at']);
    const page = (await h.nova('admin', 'GET', '/os-migrations?limit=1', undefined, '2.59')).body;
    assert.equal(page.migrations.length, 1);
    assert.equal(page.migrations[0].uuid, all[0]!.uuid);
    assert.match(page.migrations_links[0].href, new RegExp(`/v2.1/os-migrations\\?limit=1&marker=${all[0]!.uuid}$`));
    const next = (await h.nova('admin', 'GET', `/os-migrations?limit=1&marker=${all[0]!.uuid}`, undefined, '2.59')).body;
    assert.equal(next.migrations[0].uuid, all[1]!.uuid);
    assert.deepEqual((await h.nova('admin', 'GET', '/os-migrations?marker=nope', undefined, '2.59')).body, { badRequest: { code: 400, message: 'Marker nope could not be found.' } });
    const errors = (await h.nova('admin', 'GET', '/os-migrations?status=error', undefined, '2.80')).body.migrations as Record<string, any>[];
    assert.ok(errors.length >= 2 && errors.every((m) => m.status === 'error'));
    const cold = (await h.nova('admin', 'GET', '/os-migrations?migration_type=migration', undefined, '2.80')).body.migrations as Record<string, any>[];
    assert.ok(cold.length >= 1 && cold.every((m) => m.migration_type === 'migration'));
    assert.equal((await h.nova('demo', 'GET', '/os-migrations')).status, 403);
  });
});

describe('compute: allow_resize_to_same_host', { skip: inProcessOnly('reads allocations') }, () => {
  let cloud: TestCloud;
  const h = helpers(() => cloud);
  before(async () => {
    cloud = await startTestCloud({ ...FAST, DEFAULT: { hosts: ['compute1'], allow_resize_to_same_host: true } });
  });
  after(() => cloud?.stop());

  it('with one host, a resize stays on it (both allocations there) while a cold migration finds no host', async () => {
    const netId = (await h.neutron('demo', 'POST', '/networks', { network: { name: 'n' } })).body.network.id;
    await h.neutron('demo', 'POST', '/subnets', { subnet: { network_id: netId, cidr: '10.8.0.0/24', ip_version: 4 } });
    const imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    const vm = (await h.nova('demo', 'POST', '/servers', { server: { name: 'same', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } })).body.server.id;
    await h.waitState(vm, 'ACTIVE');
    const [port] = await h.ports(vm);
    assert.equal((await h.act('demo', vm, { resize: { flavorRef: '42' } })).status, 202);
    const s = await h.waitState(vm, 'VERIFY_RESIZE');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], 'compute1');
    const [mig] = await h.migrations(vm);
    assert.deepEqual(
      (await h.allocations([vm, mig!.uuid])).map((a) => [a.consumer_uuid === vm ? 'instance' : 'migration', a.host, a.memory_mb]).sort(),
      [['instance', 'compute1', 128], ['migration', 'compute1', 64]],
    );
    assert.equal((await h.neutron('admin', 'GET', `/ports/${port!.id}`)).body.port['binding:host_id'], 'compute1');
    assert.deepEqual(h.devicesOn('compute1', port!.id), FULL_HYBRID(port!.id));
    assert.equal((await h.act('demo', vm, { confirmResize: null })).status, 204);
    await h.waitState(vm, 'ACTIVE');
    assert.deepEqual(h.devicesOn('compute1', port!.id), FULL_HYBRID(port!.id));
    assert.deepEqual((await h.allocations([vm, mig!.uuid])).length, 1);

    // A cold migration never picks the same host (libvirt reports no COMPUTE_SAME_HOST_COLD_MIGRATE).
    assert.equal((await h.act('admin', vm, { migrate: null })).status, 202);
    await waitFor('migration error', async () => ((await h.migrations(vm))[0]?.status === 'error' ? true : undefined));
    await h.waitState(vm, 'ACTIVE');
  });
});

describe('compute: a restart during a resize (init_host)', { skip: inProcessOnly('writes interrupted states through the stores') }, () => {
  const clouds: TestCloud[] = [];
  after(async () => {
    const last = clouds.at(-1);
    for (const c of clouds.slice(0, -1)) await c.close().catch(() => undefined);
    await last?.stop();
  });

  it('resize_prep is cleared, resize_migrating is rolled back to a running guest, a VERIFY_RESIZE keeps its source allocation', async () => {
    const first = await startTestCloud(FAST);
    clouds.push(first);
    let cloud = first;
    const h = helpers(() => cloud);
    const netId = (await h.neutron('demo', 'POST', '/networks', { network: { name: 'n' } })).body.network.id;
    await h.neutron('demo', 'POST', '/subnets', { subnet: { network_id: netId, cidr: '10.6.0.0/24', ip_version: 4 } });
    const imageId = (await first.api('demo', 'GET', `${first.urls.image}/v2/images`)).body.images[0].id;
    const ids: string[] = [];
    for (const name of ['prep', 'migrating', 'verify']) {
      ids.push((await h.nova('demo', 'POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } })).body.server.id);
    }
    for (const id of ids) await h.waitState(id, 'ACTIVE');
    const [prep, migrating, verify] = ids as [string, string, string];
    assert.equal((await h.act('demo', verify, { resize: { flavorRef: '42' } })).status, 202);
    await h.waitState(verify, 'VERIFY_RESIZE');
    const [mig] = await h.migrations(verify);
    // What a nova-compute killed mid-move leaves.
    await first.compute.instances.save(prep, { taskState: 'resize_prep' });
    const m = await first.compute.instances.get(migrating);
    await first.compute.instances.save(migrating, { taskState: 'resize_migrating', powerState: 4, systemMetadata: { ...m.systemMetadata, old_vm_state: 'active' } });
    await first.close();

    cloud = await startTestCloud({ ...FAST, DEFAULT: { data_dir: first.dataDir } });
    clouds.push(cloud);
    const p = await h.waitState(prep, 'ACTIVE');
    assert.equal(p['OS-EXT-STS:task_state'], null);
    const r = await h.waitState(migrating, 'ACTIVE');
    assert.equal(r['OS-EXT-STS:power_state'], 1);
    const [port] = await h.ports(migrating);
    assert.deepEqual(h.devicesOn(r['OS-EXT-SRV-ATTR:host'], port!.id), FULL_HYBRID(port!.id));
    // The unconfirmed resize's source allocation is its migration's, not an orphan.
    assert.equal((await h.allocations([mig!.uuid])).length, 1);
    assert.equal((await h.show(verify)).status, 'VERIFY_RESIZE');
    assert.equal((await h.act('demo', verify, { confirmResize: null })).status, 204);
    await h.waitState(verify, 'ACTIVE');
    assert.deepEqual(await h.allocations([mig!.uuid]), []);
  });
});

describe('compute: a refused move claim is rescheduled to an alternate (three hosts)', { skip: inProcessOnly('injects claim refusals into the fake driver') }, () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const h = helpers(() => cloud);
  const HOSTS = ['compute1', 'compute2', 'compute3'];
  const driver = (host: string) => (cloud.compute.computes.get(host) as unknown as { d: { driver: FakeLibvirtDriver } }).d.driver;
  const faults = async (id: string) => (await novaDb(cloud).selectFrom('instance_faults').select(['message', 'host']).where('instance_uuid', '=', id).orderBy('id').execute()).map((f) => `${f.host}: ${f.message}`);
  const REFUSED = 'Insufficient compute resources: Requested instance NUMA topology cannot fit the given host NUMA topology.';

  async function boot(name: string): Promise<{ vm: string; src: string; first: string; alternate: string }> {
    const r = await h.nova('demo', 'POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const s = await h.waitState(r.body.server.id, 'ACTIVE');
    const src = s['OS-EXT-SRV-ATTR:host'];
    // Equal weights: the scheduler keeps the compute nodes' order, so the first other host is chosen, the second is its alternate.
    const [first, alternate] = HOSTS.filter((x) => x !== src) as [string, string];
    return { vm: r.body.server.id, src, first, alternate };
  }

  before(async () => {
    cloud = await startTestCloud({ ...FAST, DEFAULT: { hosts: HOSTS } });
    netId = (await h.neutron('demo', 'POST', '/networks', { network: { name: 'n3' } })).body.network.id;
    await h.neutron('demo', 'POST', '/subnets', { subnet: { network_id: netId, cidr: '10.5.0.0/24', ip_version: 4 } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(() => cloud?.stop());

  it('the first destination refuses its claim: the resize lands on the alternate, one migration record, no allocation left on the refusing host', async () => {
    const { vm, src, first, alternate } = await boot('alt');
    driver(first).refuseClaims();
    try {
      assert.equal((await h.act('demo', vm, { resize: { flavorRef: '42' } })).status, 202);
      const s = await h.waitState(vm, 'VERIFY_RESIZE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], alternate);
      const migs = await h.migrations(vm);
      assert.equal(migs.length, 1);
      assert.equal(migs[0]!.status, 'finished');
      assert.equal(migs[0]!.dest_compute, alternate);
      assert.deepEqual((await h.allocations([vm, migs[0]!.uuid])).map((a) => [a.consumer_uuid === vm ? 'instance' : 'migration', a.host, a.memory_mb]).sort(), [
        ['instance', alternate, 128],
        ['migration', src, 64],
      ]);
      assert.deepEqual(await faults(vm), [`${first}: ${REFUSED}`]);
      assert.deepEqual(await h.events(vm, 'resize'), [
        'cold_migrate:Success',
        'cold_migrate:Success',
        'compute_finish_resize:Success',
        'compute_prep_resize:Success',
        'compute_prep_resize:Success',
        'compute_resize_instance:Success',
        'conductor_migrate_server:Success',
        'conductor_migrate_server:Success',
      ]);
      const [port] = await h.ports(vm);
      assert.equal(port!['binding:host_id'], alternate);
      assert.deepEqual(h.devicesOn(first, port!.id), []);
      assert.equal((await h.act('demo', vm, { confirmResize: null })).status, 204);
      await h.waitState(vm, 'ACTIVE');
      assert.deepEqual((await h.allocations([vm, migs[0]!.uuid])).map((a) => a.host), [alternate]);
    } finally {
      driver(first).refuseClaims(null);
    }
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('every destination refuses: MaxRetriesExceeded, ACTIVE on the source, migration error, the allocation the instance\'s again', async () => {
    const { vm, src, first, alternate } = await boot('none');
    driver(first).refuseClaims();
    driver(alternate).refuseClaims();
    try {
      assert.equal((await h.act('demo', vm, { resize: { flavorRef: '42' } })).status, 202);
      const mig = await waitFor('migration error', async () => {
        const [m] = await h.migrations(vm);
        return m?.status === 'error' ? m : undefined;
      });
      const s = await h.waitState(vm, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], src);
      assert.equal(s.flavor.original_name, 'm1.seed100');
      assert.equal((await h.migrations(vm)).length, 1);
      assert.deepEqual(await h.allocations([vm, mig.uuid]), [{ consumer_uuid: vm, host: src, vcpus: 1, memory_mb: 64, disk_gb: 1 }]);
      assert.deepEqual(await faults(vm), [
        `${first}: ${REFUSED}`,
        `${alternate}: ${REFUSED}`,
        `null: Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${vm}.`,
      ]);
      const [port] = await h.ports(vm);
      assert.equal(port!['binding:host_id'], src);
      assert.deepEqual(h.devicesOn(src, port!.id), FULL_HYBRID(port!.id));
    } finally {
      driver(first).refuseClaims(null);
      driver(alternate).refuseClaims(null);
    }
    await h.nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('a targeted cold migration (2.56 host) is not rescheduled: the refusal puts the server in ERROR on its source', async () => {
    const { vm, src, first } = await boot('target');
    driver(first).refuseClaims();
    try {
      assert.equal((await h.act('admin', vm, { migrate: { host: first } })).status, 202);
      const s = await h.waitState(vm, 'ERROR');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], src);
      assert.equal(s.fault.message, REFUSED);
      const [mig] = await h.migrations(vm);
      assert.equal(mig!.status, 'error');
      assert.deepEqual(await h.allocations([vm, mig!.uuid]), [{ consumer_uuid: vm, host: src, vcpus: 1, memory_mb: 64, disk_gb: 1 }]);
    } finally {
      driver(first).refuseClaims(null);
    }
    await h.nova('admin', 'DELETE', `/servers/${vm}`);
  });
});

/**
 * Live migration over HTTP on a two-host cloud (compute1, compute2), the neutron side
 * through binding-extended: the flow (ACTIVE on the other host, the port's one binding
 * there, devices only there, one allocation, the migration completed, the events of
 * each step), os-migrateLive's body per microversion with nova's texts, the refusals,
 * GET /servers/{id}/migrations while it runs, abort (2.24) and force-complete (2.22),
 * and the faults — the destination's OVS agent down (binding_failed: error, nothing
 * moved), no network-vif-plugged from the destination (rollback), the destination's
 * nova-compute not answering (error), a port deleted during the migration — each
 * followed by the counts: every port's bindings only on its server's host, devices
 * only where a server uses them, allocations as the servers are.
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
const MV = '2.92';
const HOSTS = ['compute1', 'compute2'];

const novaDb = (c: TestCloud) => (c.compute as unknown as { d: { db: { kysely: Kysely<NovaDB> } } }).d.db.kysely;

describe('compute: live migration', { skip: inProcessOnly('reads host devices and allocations, injects faults') }, () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const other = (host: string) => (host === 'compute1' ? 'compute2' : 'compute1');
  const nova = (user: 'admin' | 'demo', method: string, path: string, body?: unknown, mv = MV) =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${mv}` });
  const neutron = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.network}/v2.0${path}`, body);
  const live = (id: string, body: unknown, mv = MV, user: 'admin' | 'demo' = 'admin') => nova(user, 'POST', `/servers/${id}/action`, { 'os-migrateLive': body }, mv);
  const show = async (id: string) => (await nova('admin', 'GET', `/servers/${id}`)).body.server;
  const hostOf = async (id: string) => (await show(id))['OS-EXT-SRV-ATTR:host'] as string;
  const waitState = (id: string, status: string) =>
    waitFor(`server ${id} ${status}`, async () => {
      const s = await show(id);
      if (s?.status === 'ERROR' && status !== 'ERROR') throw new Error(`server went to ERROR: ${JSON.stringify(s.fault)}`);
      return s?.status === status && s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });
  const ports = async (id: string) => (await neutron('GET', `/ports?device_id=${id}`)).body.ports as Record<string, any>[];
  const bindings = async (portId: string) => ((await neutron('GET', `/ports/${portId}/bindings`)).body.bindings as { host: string; status: string }[]).map((b) => `${b.host}:${b.status}`).sort();
  const migrations = async (id: string) => (await nova('admin', 'GET', `/os-migrations?instance_uuid=${id}`, undefined, '2.80')).body.migrations as Record<string, any>[];
  const lastMigration = async (id: string) => (await migrations(id))[0]!;
  const migrationIn = (id: string, ...statuses: string[]) =>
    waitFor(`migration of ${id} in ${statuses.join('/')}`, async () => {
      const m = (await migrations(id))[0];
      return m && statuses.includes(m.status) ? m : undefined;
    });
  const allocations = async (consumers: string[]) => novaDb(cloud).selectFrom('allocations').select(['consumer_uuid', 'host']).where('consumer_uuid', 'in', consumers).orderBy('host').execute();
  /** The hybrid-plug devices of a port on a host. */
  const devicesOn = (host: string, portId: string) => {
    const names = Object.values(vifDeviceNames(portId));
    return (cloud.hostnets.get(host) as SimulatedHostNetwork)
      .snapshot()
      .links.map((l: { name: string }) => l.name)
      .filter((n: string) => names.includes(n))
      .sort();
  };
  const fullHybrid = (portId: string) => {
    const n = vifDeviceNames(portId);
    return [n.qbr, n.qvb, n.qvo].sort();
  };
  const events = (id: string, action: string) =>
    waitFor(`the ${action} events of ${id} to finish`, async () => {
      const a = (await nova('admin', 'GET', `/servers/${id}/os-instance-actions`)).body.instanceActions.find((x: { action: string }) => x.action === action);
      if (!a) return undefined;
      const evs: { event: string; result: string | null }[] = (await nova('admin', 'GET', `/servers/${id}/os-instance-actions/${a.request_id}`)).body.instanceAction.events;
      return evs.every((e) => e.result !== null) ? evs.map((e) => `${e.event}:${e.result}`).sort() : undefined;
    });

  /**
   * What a server should have after anything: its ports bound (one binding) to its host
   * and ACTIVE, their devices there and nowhere else, one allocation there.
   */
  async function settled(id: string, host: string, migrationUuid?: string): Promise<void> {
    for (const p of await ports(id)) {
      assert.equal(p['binding:host_id'], host);
      assert.deepEqual(await bindings(p.id), [`${host}:ACTIVE`]);
      assert.deepEqual(devicesOn(host, p.id), fullHybrid(p.id));
      assert.deepEqual(devicesOn(other(host), p.id), []);
      await waitFor(`port ${p.id} ACTIVE`, async () => ((await neutron('GET', `/ports/${p.id}`)).body.port.status === 'ACTIVE' ? true : undefined));
    }
    assert.deepEqual(await allocations([id, ...(migrationUuid ? [migrationUuid] : [])]), [{ consumer_uuid: id, host }]);
  }

  async function boot(name: string): Promise<string> {
    const r = await nova('demo', 'POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await waitState(r.body.server.id, 'ACTIVE');
    await waitFor('port ACTIVE', async () => ((await ports(r.body.server.id))[0]?.status === 'ACTIVE' ? true : undefined));
    return r.body.server.id;
  }

  before(async () => {
    cloud = await startTestCloud(FAST);
    netId = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } })).body.network.id;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.9.0.0/24', ip_version: 4, name: 'sub1' } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(() => cloud?.stop());

  it('moves the server to the other host: one binding there, devices there only, migration completed, one allocation', async () => {
    const vm = await boot('lm1');
    const src = await hostOf(vm);
    const [port] = await ports(vm);
    assert.deepEqual(await bindings(port!.id), [`${src}:ACTIVE`]);

    const r = await live(vm, { host: null, block_migration: 'auto' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body, null);
    const mig = await migrationIn(vm, 'completed', 'error', 'failed');
    assert.equal(mig.status, 'completed');
    const s = await waitState(vm, 'ACTIVE');
    const dst = s['OS-EXT-SRV-ATTR:host'];
    assert.equal(dst, other(src));
    assert.equal(s['OS-EXT-SRV-ATTR:hypervisor_hostname'], dst);
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.equal(mig.migration_type, 'live-migration');
    assert.equal(mig.source_compute, src);
    assert.equal(mig.dest_compute, dst);
    assert.equal(mig.source_node, src);
    assert.equal(mig.dest_node, dst);
    assert.equal(mig.old_instance_type_id, mig.new_instance_type_id);
    await settled(vm, dst, mig.uuid);
    assert.deepEqual((await neutron('GET', `/ports/${port!.id}`)).body.port['binding:profile'], {});
    assert.deepEqual(await events(vm, 'live-migration'), [
      'compute_check_can_live_migrate_destination:Success',
      'compute_check_can_live_migrate_source:Success',
      'compute_live_migration:Success',
      'compute_post_live_migration_at_destination:Success',
      'compute_pre_live_migration:Success',
      'conductor_live_migrate_instance:Success',
    ]);
    // Finished: no longer under the server (in-progress live migrations only).
    assert.deepEqual((await nova('admin', 'GET', `/servers/${vm}/migrations`)).body, { migrations: [] });
    // And back, through a forced host before 2.30 (the scheduler skipped; the API waits for the checks).
    assert.equal((await live(vm, { host: src, block_migration: true, disk_over_commit: false }, '2.1')).status, 202);
    const back = await waitFor('back on the source', async () => ((await show(vm))['OS-EXT-SRV-ATTR:host'] === src && (await show(vm))['OS-EXT-STS:task_state'] === null ? true : undefined));
    assert.ok(back);
    const mig2 = await migrationIn(vm, 'completed');
    await settled(vm, src, mig2.uuid);
    assert.deepEqual(await events(vm, 'live-migration'), [
      'compute_check_can_live_migrate_destination:Success',
      'compute_check_can_live_migrate_source:Success',
      'compute_live_migration:Success',
      'compute_post_live_migration_at_destination:Success',
      'compute_pre_live_migration:Success',
      'conductor_migrate_server:Success',
    ]);
    await nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it("a paused server stays PAUSED on the other host; os-migrations lists it as live-migration", async () => {
    const vm = await boot('lm-paused');
    const src = await hostOf(vm);
    assert.equal((await nova('demo', 'POST', `/servers/${vm}/action`, { pause: null })).status, 202);
    await waitState(vm, 'PAUSED');
    assert.equal((await live(vm, { host: other(src), block_migration: 'auto', force: false }, '2.30')).status, 202);
    await migrationIn(vm, 'completed');
    const s = await waitState(vm, 'PAUSED');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], other(src));
    assert.equal(s['OS-EXT-STS:power_state'], 3);
    const listed = (await nova('admin', 'GET', `/os-migrations?migration_type=live-migration&instance_uuid=${vm}`, undefined, '2.23')).body.migrations;
    assert.equal(listed.length, 1);
    assert.equal(listed[0].migration_type, 'live-migration');
    assert.equal(listed[0].links, undefined);
    await nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it("os-migrateLive's body per microversion, with nova's texts", async () => {
    const vm = await boot('lm-schema');
    const bad = async (body: unknown, mv: string) => {
      const r = await live(vm, body, mv);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      return r.body.badRequest.message as string;
    };
    assert.equal(await bad({ block_migration: false, host: null }, '2.1'), "Invalid input for field/attribute os-migrateLive. Value: {'block_migration': False, 'host': None}. 'disk_over_commit' is a required property");
    assert.equal(await bad({ block_migration: 'auto', disk_over_commit: false, host: null }, '2.24'), "Invalid input for field/attribute block_migration. Value: auto. 'auto' is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']");
    assert.equal(await bad({ block_migration: 'auto', disk_over_commit: false, host: null }, '2.25'), "Invalid input for field/attribute os-migrateLive. Value: {'block_migration': 'auto', 'disk_over_commit': False, 'host': None}. Additional properties are not allowed ('disk_over_commit' was unexpected)");
    assert.equal(await bad({ block_migration: 'auto' }, '2.25'), "Invalid input for field/attribute os-migrateLive. Value: {'block_migration': 'auto'}. 'host' is a required property");
    assert.equal(await bad({ block_migration: 'auto', host: null, force: true }, '2.30'), "Can't force to a non-provided destination");
    assert.equal(await bad({ block_migration: 'auto', host: null, force: false }, '2.68'), "Invalid input for field/attribute os-migrateLive. Value: {'block_migration': 'auto', 'host': None, 'force': False}. Additional properties are not allowed ('force' was unexpected)");
    assert.equal(await bad({ block_migration: 'auto', host: 'no_such_host' }, MV), 'Compute host no_such_host could not be found.');
    // Same host, forced (before 2.30) and called (before 2.34): the conductor's refusal is the answer.
    const src = await hostOf(vm);
    assert.equal(await bad({ block_migration: false, disk_over_commit: false, host: src }, '2.1'), `Unable to migrate instance (${vm}) to current host (${src}).`);
    assert.equal((await lastMigration(vm)).status, 'error');
    await waitState(vm, 'ACTIVE');
    assert.equal(await hostOf(vm), src);
    // Not an admin: the policy.
    const demo = await live(vm, { block_migration: 'auto', host: null }, MV, 'demo');
    assert.equal(demo.status, 403);
    assert.equal(demo.body.forbidden.message, 'Policy doesn\'t allow os_compute_api:os-migrate-server:migrate_live to be performed.');
    // A suspended server (Tempest's test_live_block_migration_suspended).
    assert.equal((await nova('demo', 'POST', `/servers/${vm}/action`, { suspend: null })).status, 202);
    await waitState(vm, 'SUSPENDED');
    const susp = await live(vm, { block_migration: 'auto', host: other(src) }, MV);
    assert.equal(susp.status, 409);
    assert.equal(susp.body.conflictingRequest.message, `Cannot 'os-migrateLive' instance ${vm} while it is in vm_state suspended`);
    await nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('abort (2.24) while running: back to ACTIVE on the source, migration cancelled, the destination binding and devices gone', async () => {
    const vm = await boot('lm-abort');
    const src = await hostOf(vm);
    cloud.cfg.compute.fake_live_migration_seconds = 60;
    try {
      assert.equal((await live(vm, { block_migration: 'auto', host: null })).status, 202);
      const running = await migrationIn(vm, 'running');
      const [port] = await ports(vm);
      // Both bindings while it runs: the source's ACTIVE, the destination's INACTIVE.
      assert.deepEqual(await bindings(port!.id), [`${src}:ACTIVE`, `${other(src)}:INACTIVE`].sort());
      assert.equal((await show(vm)).status, 'MIGRATING');
      // In progress: under the server (2.23), with nova's fields.
      const listed = (await nova('admin', 'GET', `/servers/${vm}/migrations`, undefined, '2.23')).body.migrations;
      assert.equal(listed.length, 1);
      assert.deepEqual(Object.keys(listed[0]).sort(), [
        'created_at', 'dest_compute', 'dest_host', 'dest_node', 'disk_processed_bytes', 'disk_remaining_bytes', 'disk_total_bytes', 'id', 'memory_processed_bytes',
        'memory_remaining_bytes', 'memory_total_bytes', 'server_uuid', 'source_compute', 'source_node', 'status', 'updated_at',
      ]);
      assert.equal(listed[0].status, 'running');
      const one = (await nova('admin', 'GET', `/servers/${vm}/migrations/${running.id}`, undefined, '2.80')).body.migration;
      assert.equal(one.uuid, running.uuid);
      assert.equal(one.server_uuid, vm);
      assert.ok('user_id' in one && 'project_id' in one);
      assert.equal((await nova('admin', 'GET', `/servers/${vm}/migrations`, undefined, '2.22')).status, 404);
      // os-migrations links a live migration in progress (2.23).
      assert.ok((await nova('admin', 'GET', `/os-migrations?instance_uuid=${vm}`, undefined, '2.23')).body.migrations[0].links);
      // Abort: unknown ids, then the real one.
      const unknown = await nova('admin', 'DELETE', `/servers/${vm}/migrations/999999`, undefined, '2.24');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.itemNotFound.message, `Migration 999999 not found for instance ${vm}`);
      assert.equal((await nova('admin', 'DELETE', `/servers/${vm}/migrations/${running.id}`, undefined, '2.23')).status, 404);
      const r = await nova('admin', 'DELETE', `/servers/${vm}/migrations/${running.id}`, undefined, '2.24');
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const m = await migrationIn(vm, 'cancelled', 'failed', 'error', 'completed');
      assert.equal(m.status, 'cancelled');
      const s = await waitState(vm, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], src);
      await waitFor('destination binding deleted', async () => ((await bindings(port!.id)).length === 1 ? true : undefined));
      await settled(vm, src, m.uuid);
      // No migration in progress: 409 (task state None, which nova's text leaves out).
      const again = await nova('admin', 'DELETE', `/servers/${vm}/migrations/${running.id}`, undefined, '2.24');
      assert.equal(again.status, 409);
      assert.equal(again.body.conflictingRequest.message, `Instance ${vm} is in an invalid state for 'abort live migration'`);
      assert.deepEqual(await events(vm, 'live_migration_cancel'), ['compute_live_migration_abort:Success']);
    } finally {
      cloud.cfg.compute.fake_live_migration_seconds = 0;
    }
    await nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('abort while preparing: refused before 2.65 with nova\'s text, from 2.65 the migration is cancelled once pre_live_migration returns', async () => {
    const vm = await boot('lm-abort-prep');
    const src = await hostOf(vm);
    const saved = { timeout: cloud.cfg.compute.vif_plugging_timeout, fatal: cloud.cfg.compute.vif_plugging_is_fatal };
    // The source waits for network-vif-plugged that neutron never sends: the migration stays 'preparing'.
    cloud.cfg.network.notify_nova_on_port_status_changes = false;
    cloud.cfg.compute.vif_plugging_timeout = 3;
    cloud.cfg.compute.vif_plugging_is_fatal = false;
    try {
      assert.equal((await live(vm, { block_migration: 'auto', host: null })).status, 202);
      const preparing = await migrationIn(vm, 'preparing');
      const old = await nova('admin', 'DELETE', `/servers/${vm}/migrations/${preparing.id}`, undefined, '2.64');
      assert.equal(old.status, 400);
      assert.equal(old.body.badRequest.message, `Migration ${preparing.id} state of instance ${vm} is preparing. Cannot abort live migration while the migration is in this state.`);
      assert.equal((await nova('admin', 'DELETE', `/servers/${vm}/migrations/${preparing.id}`, undefined, '2.65')).status, 202);
      const m = await migrationIn(vm, 'cancelled', 'failed', 'error', 'completed');
      assert.equal(m.status, 'cancelled');
      const s = await waitState(vm, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], src);
      await waitFor('destination binding deleted', async () => ((await bindings((await ports(vm))[0]!.id)).length === 1 ? true : undefined));
      await settled(vm, src, m.uuid);
    } finally {
      cloud.cfg.network.notify_nova_on_port_status_changes = true;
      cloud.cfg.compute.vif_plugging_timeout = saved.timeout;
      cloud.cfg.compute.vif_plugging_is_fatal = saved.fatal;
    }
    await nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('force-complete (2.22) finishes a running migration now; a wrong state is refused with nova\'s text', async () => {
    const vm = await boot('lm-force');
    const src = await hostOf(vm);
    cloud.cfg.compute.fake_live_migration_seconds = 600;
    try {
      assert.equal((await live(vm, { block_migration: 'auto', host: null })).status, 202);
      const running = await migrationIn(vm, 'running');
      assert.equal((await nova('admin', 'POST', `/servers/${vm}/migrations/${running.id}/action`, { force_complete: null }, '2.21')).status, 404);
      const badBody = await nova('admin', 'POST', `/servers/${vm}/migrations/${running.id}/action`, { force_complete: 1 }, '2.22');
      assert.equal(badBody.status, 400);
      assert.equal(badBody.body.badRequest.message, 'Invalid input for field/attribute force_complete. Value: 1. 1 is not of type \'null\'');
      const missing = await nova('admin', 'POST', `/servers/${vm}/migrations/424242/action`, { force_complete: null }, '2.22');
      assert.equal(missing.status, 400);
      assert.equal(missing.body.badRequest.message, `Migration 424242 not found for instance ${vm}`);
      const r = await nova('admin', 'POST', `/servers/${vm}/migrations/${running.id}/action`, { force_complete: null }, '2.22');
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const m = await migrationIn(vm, 'completed', 'error', 'failed');
      assert.equal(m.status, 'completed');
      const s = await waitState(vm, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], other(src));
      await settled(vm, other(src), m.uuid);
      assert.deepEqual(await events(vm, 'live_migration_force_complete'), ['compute_live_migration_force_complete:Success']);
      const done = await nova('admin', 'POST', `/servers/${vm}/migrations/${running.id}/action`, { force_complete: null }, '2.22');
      assert.equal(done.status, 409);
      assert.equal(done.body.conflictingRequest.message, `Instance ${vm} is in an invalid state for 'force_complete'`);
    } finally {
      cloud.cfg.compute.fake_live_migration_seconds = 0;
    }
    await nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it("fault: the destination's OVS agent is down — binding_failed, the migration in error, nothing moved", async () => {
    const vm = await boot('lm-agent');
    const src = await hostOf(vm);
    const dst = other(src);
    const [port] = await ports(vm);
    const downTime = cloud.cfg.network.agent_down_time;
    await cloud.agents.setReporting(dst, false);
    cloud.cfg.network.agent_down_time = 1;
    try {
      // Its last heartbeat more than agent_down_time ago, as ML2's binding sees it.
      await waitFor('the destination agent past agent_down_time', async () =>
        ((await neutron('GET', `/agents?host=${dst}`)).body.agents as { heartbeat_timestamp: string }[]).every((a) => Date.now() - Date.parse(`${a.heartbeat_timestamp.replace(' ', 'T')}Z`) > 2500) ? true : undefined,
      );
      // Forced (2.29, called): the pre-check error is the answer.
      const r = await live(vm, { block_migration: 'auto', host: dst }, '2.29');
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.badRequest.message, `Migration pre-check error: Binding failed for port ${port!.id}, please check neutron logs for more information.`);
      const m = await lastMigration(vm);
      assert.equal(m.status, 'error');
      // Scheduled (2.92, cast): no other host will do.
      assert.equal((await live(vm, { block_migration: 'auto', host: null })).status, 202);
      const m2 = await waitFor('second migration in error', async () => {
        const all = await migrations(vm);
        return all.length === 2 && all[0]!.status === 'error' ? all[0] : undefined;
      });
      const s = await waitState(vm, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], src);
      // The fault shows only on an ERROR server: the action's event has the error (the
      // destination's checks passed; its binding did not).
      assert.deepEqual(await events(vm, 'live-migration'), ['compute_check_can_live_migrate_destination:Success', 'compute_check_can_live_migrate_source:Success', 'conductor_live_migrate_instance:Error']);
      await settled(vm, src, m2!.uuid);
      assert.deepEqual(await allocations([m.uuid]), []);
    } finally {
      cloud.cfg.network.agent_down_time = downTime;
      await cloud.agents.setReporting(dst, true);
      await cloud.agents.reportNow(dst);
    }
    await nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it("fault: a second port that cannot bind on the destination — the first port's new binding is deleted again, nothing moved", async () => {
    const vlan = (await neutron('POST', '/networks', { network: { name: 'vl', shared: true, 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 1234 } })).body.network;
    assert.ok(vlan?.id);
    await neutron('POST', '/subnets', { subnet: { network_id: vlan.id, cidr: '10.61.0.0/24', ip_version: 4 } });
    const r = await nova('demo', 'POST', '/servers', { server: { name: 'lm-two', flavorRef: '100', imageRef: imageId, networks: [{ uuid: vlan.id }, { uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const vm = r.body.server.id as string;
    await waitState(vm, 'ACTIVE');
    const src = await hostOf(vm);
    const dst = other(src);
    const byNet = async (net: string) => (await ports(vm)).find((p) => p.network_id === net)!;
    const [vlanPort, vxlanPort] = [await byNet(vlan.id), await byNet(netId)];
    // The destination's agent stops offering tunnels: vxlan cannot bind there, vlan still can.
    await cloud.agents.configure(dst, { tunnel_types: [] });
    await cloud.agents.reportNow(dst);
    try {
      const res = await live(vm, { block_migration: false, disk_over_commit: false, host: dst }, '2.1');
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.badRequest.message, `Migration pre-check error: Binding failed for port ${vxlanPort.id}, please check neutron logs for more information.`);
      assert.equal((await lastMigration(vm)).status, 'error');
      assert.deepEqual(await bindings(vlanPort.id), [`${src}:ACTIVE`]);
      assert.deepEqual(await bindings(vxlanPort.id), [`${src}:ACTIVE`]);
      const m = await lastMigration(vm);
      await waitState(vm, 'ACTIVE');
      await settled(vm, src, m.uuid);
    } finally {
      await cloud.agents.configure(dst, { tunnel_types: ['vxlan'] });
      await cloud.agents.reportNow(dst);
    }
    await nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('fault: no network-vif-plugged from the destination in time — rolled back, ACTIVE on the source, migration failed', async () => {
    const vm = await boot('lm-vif');
    const src = await hostOf(vm);
    const dst = other(src);
    const timeout = cloud.cfg.compute.vif_plugging_timeout;
    // neutron does not tell nova when the destination wires the VIFs.
    cloud.cfg.network.notify_nova_on_port_status_changes = false;
    cloud.cfg.compute.vif_plugging_timeout = 1;
    try {
      assert.equal((await live(vm, { block_migration: 'auto', host: dst, force: true }, '2.67')).status, 202);
      const m = await migrationIn(vm, 'failed', 'completed', 'error');
      assert.equal(m.status, 'failed');
      const s = await waitState(vm, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], src);
      await waitFor('destination binding deleted', async () => ((await bindings((await ports(vm))[0]!.id)).length === 1 ? true : undefined));
      await settled(vm, src, m.uuid);
      assert.deepEqual((await neutron('GET', `/ports/${(await ports(vm))[0]!.id}`)).body.port['binding:profile'], {});
    } finally {
      cloud.cfg.compute.vif_plugging_timeout = timeout;
      cloud.cfg.network.notify_nova_on_port_status_changes = true;
    }
    await nova('demo', 'DELETE', `/servers/${vm}`);
  });

  it('fault: a port deleted while the migration runs — the server arrives without it, nothing of it left on either host', async () => {
    const vm = await boot('lm-delport');
    const src = await hostOf(vm);
    const [port] = await ports(vm);
    cloud.cfg.compute.fake_live_migration_seconds = 600;
    try {
      assert.equal((await live(vm, { block_migration: 'auto', host: null })).status, 202);
      const running = await migrationIn(vm, 'running');
      assert.equal((await neutron('DELETE', `/ports/${port!.id}`)).status, 204);
      await waitFor('the port out of the info cache', async () => ((await nova('admin', 'GET', `/servers/${vm}/os-interface`)).body.interfaceAttachments.length === 0 ? true : undefined));
      assert.equal((await nova('admin', 'POST', `/servers/${vm}/migrations/${running.id}/action`, { force_complete: null }, '2.22')).status, 202);
      const m = await migrationIn(vm, 'completed', 'error', 'failed');
      assert.equal(m.status, 'completed');
      const s = await waitState(vm, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], other(src));
      assert.deepEqual(await ports(vm), []);
      for (const h of HOSTS) assert.deepEqual(devicesOn(h, port!.id), [], h);
      await settled(vm, other(src), m.uuid);
    } finally {
      cloud.cfg.compute.fake_live_migration_seconds = 0;
    }
    await nova('demo', 'DELETE', `/servers/${vm}`);
  });

  // Last: the destination's nova-compute stays dead.
  it("fault: the destination's nova-compute does not answer — the checks time out, the migration in error, nothing moved", async () => {
    const vm = await boot('lm-deadcompute');
    const src = await hostOf(vm);
    const dst = other(src);
    const [port] = await ports(vm);
    // It stops serving RPC but its service record still looks up.
    await cloud.compute.computes.get(dst)!.stop();
    const r = await live(vm, { block_migration: false, disk_over_commit: false, host: dst }, '2.1');
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.badRequest.message, `Timeout while checking if we can live migrate to host: ${dst}`);
    const m = await lastMigration(vm);
    assert.equal(m.status, 'error');
    const s = await waitState(vm, 'ACTIVE');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], src);
    assert.deepEqual(await bindings(port!.id), [`${src}:ACTIVE`]);
    await settled(vm, src, m.uuid);
  });
});

describe('compute: a live migration cut short by a restart', { skip: inProcessOnly('restarts the cloud on its data directory') }, () => {
  const clouds: TestCloud[] = [];
  after(async () => {
    for (const c of clouds) await c.stop().catch(() => undefined);
  });

  it('init_host resets a server left migrating: task state cleared, the running migration in error (_reset_live_migration)', async () => {
    const first = await startTestCloud({ ...FAST, compute: { fake_live_migration_seconds: 600 } });
    clouds.push(first);
    const api = (c: TestCloud, method: string, path: string, body?: unknown) => c.api('admin', method, `${c.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${MV}` });
    const netId = (await first.api('demo', 'POST', `${first.urls.network}/v2.0/networks`, { network: { name: 'n' } })).body.network.id;
    await first.api('demo', 'POST', `${first.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.7.0.0/24', ip_version: 4 } });
    const imageId = (await first.api('demo', 'GET', `${first.urls.image}/v2/images`)).body.images[0].id;
    const vm = (await first.api('demo', 'POST', `${first.urls.compute}/v2.1/servers`, { server: { name: 'r', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } })).body.server.id;
    const state = (c: TestCloud, status: string) =>
      waitFor(`server ${status}`, async () => {
        const s = (await api(c, 'GET', `/servers/${vm}`)).body.server;
        return s.status === status ? s : undefined;
      });
    const src = (await state(first, 'ACTIVE'))['OS-EXT-SRV-ATTR:host'];
    assert.equal((await api(first, 'POST', `/servers/${vm}/action`, { 'os-migrateLive': { host: null, block_migration: 'auto' } })).status, 202);
    await waitFor('migration running', async () => ((await api(first, 'GET', `/servers/${vm}/migrations`)).body.migrations[0]?.status === 'running' ? true : undefined));
    await first.close();

    const cloud = await startTestCloud({ ...FAST, DEFAULT: { data_dir: first.dataDir } });
    clouds.push(cloud);
    const s = await state(cloud, 'ACTIVE');
    assert.equal(s['OS-EXT-STS:task_state'], null);
    assert.equal(s['OS-EXT-SRV-ATTR:host'], src);
    const [m] = (await api(cloud, 'GET', `/os-migrations?instance_uuid=${vm}`)).body.migrations;
    assert.equal(m.status, 'error');
    assert.deepEqual((await api(cloud, 'GET', `/servers/${vm}/migrations`)).body, { migrations: [] });
  });
});

/**
 * Issue 11, point 4: nova-compute holds no database handle. Its objects go to the
 * conductor over the bus (object indirection), and its dependencies refuse any database
 * key ("No DB access allowed in nova-compute", DBNotAllowed). On a two-host cloud whose
 * nova-computes are wired that way, a server boots, resizes (confirm), live-migrates and
 * is deleted; every object call they make is seen crossing the bus to the conductor. The
 * indirection's results equal the database's (they survive JSON), and the database's
 * errors come back as the same typed classes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { Bus, CallOptions, Target } from '../../src/bus/bus.js';
import { Topics } from '../../src/bus/topics.js';
import type { Config, DeepPartial } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/log.js';
import type { NovaDB } from '../../src/compute/db/schema.js';
import { DBNotAllowed, InstanceNotFound, MigrationNotFoundByStatus, ComputeHostNotFound, UnexpectedDeletingTaskState } from '../../src/compute/errors.js';
import { blockDbAccess } from '../../src/compute/manager/db-guard.js';
import type { ComputeManager } from '../../src/compute/manager/manager.js';
import { type ComputeData, directComputeData } from '../../src/compute/objects/compute-data.js';
import type { ObjectMethod } from '../../src/compute/objects/indirection.js';
import { UnexpectedTaskStateError } from '../../src/compute/objects/instance.js';
import { remoteComputeData } from '../../src/compute/objects/remote.js';
import { ServiceStore } from '../../src/compute/objects/services.js';
import { TaskState } from '../../src/compute/objects/states.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST: DeepPartial<Config> = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };
const MV = '2.92';

const novaDb = (c: TestCloud) => (c.compute as unknown as { d: { db: { kysely: Kysely<NovaDB> } } }).d.db.kysely;
const depsOf = (m: ComputeManager) => (m as unknown as { d: Record<string, unknown> }).d;

/** A database handle, by shape (Kysely and its transactions). */
const isDatabase = (v: unknown) => typeof v === 'object' && v !== null && typeof (v as { selectFrom?: unknown }).selectFrom === 'function';

/** Database handles reachable from `root` through enumerable members, not crossing the bus (another process). */
function databasesReachable(root: object, depth = 4, seen = new Set<unknown>()): string[] {
  const found: string[] = [];
  const walk = (v: unknown, path: string, d: number) => {
    if (typeof v !== 'object' || v === null || seen.has(v) || d < 0) return;
    seen.add(v);
    if (isDatabase(v)) {
      found.push(path);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.listen === 'function' && typeof o.call === 'function') return; // a Bus
    for (const k of Object.keys(o)) {
      if (k === 'db' || k === 'kysely') {
        found.push(`${path}.${k}`);
        continue;
      }
      walk(o[k], `${path}.${k}`, d - 1);
    }
  };
  for (const k of Object.keys(root)) walk((root as Record<string, unknown>)[k], k, depth);
  return found;
}

describe('compute: nova-compute without a database (object indirection)', { skip: inProcessOnly('inspects nova-compute and spies on the bus') }, () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  /** Object methods called on the conductor topic: only nova-compute's indirection makes them. */
  const objectCalls = new Map<string, number>();
  let direct: ComputeData;
  let remote: ComputeData;

  const nova = (user: 'admin' | 'demo', method: string, path: string, body?: unknown, mv = MV) =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${mv}` });
  const show = async (id: string) => (await nova('admin', 'GET', `/servers/${id}`)).body.server;
  const waitState = (id: string, status: string) =>
    waitFor(`server ${id} ${status}`, async () => {
      const s = await show(id);
      if (s?.status === 'ERROR' && status !== 'ERROR') throw new Error(`server went to ERROR: ${JSON.stringify(s.fault)}`);
      return s?.status === status && s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });
  const other = (host: string) => (host === 'compute1' ? 'compute2' : 'compute1');

  before(async () => {
    cloud = await startTestCloud(FAST);
    // Spy on the bus the nova-computes hold: every object call they make goes through it.
    const bus = cloud.bus as Bus;
    const call = bus.call.bind(bus);
    bus.call = <R>(target: Target, method: string, args: unknown, opts?: CallOptions): Promise<R> => {
      if (target.topic === Topics.conductor && /^(instance|action|service|compute_node|migration|allocation)_/.test(method)) objectCalls.set(method, (objectCalls.get(method) ?? 0) + 1);
      return call<R>(target, method, args, opts);
    };
    const db = novaDb(cloud);
    const clock = { now: () => Date.now() } as never;
    direct = directComputeData({
      db,
      clock,
      instances: cloud.compute.instances,
      actions: cloud.compute.actions,
      services: new ServiceStore(db, { clock, random: { uuid: () => crypto.randomUUID() } as never, serviceDownTimeS: 60 }),
    });
    remote = remoteComputeData({ bus: cloud.bus, clock, serviceDownTimeS: 60 });
    netId = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } })).body.network.id;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.9.0.0/24', ip_version: 4, name: 'sub1' } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(() => cloud?.stop());

  it('each nova-compute holds no database handle, and asking its dependencies for one raises DBNotAllowed', () => {
    assert.deepEqual([...cloud.compute.computes.keys()].sort(), ['compute1', 'compute2']);
    for (const [host, m] of cloud.compute.computes) {
      const d = depsOf(m);
      assert.deepEqual(databasesReachable(d), [], `nova-compute on ${host} reaches a database`);
      assert.throws(() => d.db, (e: unknown) => e instanceof DBNotAllowed && e.message === 'nova-compute attempted direct database access which is not allowed by policy');
      assert.throws(() => d.kysely, DBNotAllowed);
    }
    // The walk finds a handle where there is one (the check can fail).
    assert.deepEqual(databasesReachable({ instances: cloud.compute.instances }), ['instances.db']);
  });

  it('the guard logs what nova logs and lets everything else through', () => {
    const lines: string[] = [];
    const log = { ...silentLogger(), error: (msg: string) => void lines.push(msg) } as never;
    const guarded = blockDbAccess('nova-compute', { host: 'h1', db: 'secret' }, log);
    assert.equal(guarded.host, 'h1');
    assert.throws(() => guarded.db, DBNotAllowed);
    assert.match(lines[0]!, /^No DB access allowed in nova-compute: Error\n/);
  });

  it('boots, resizes, live-migrates and deletes a server, every object call over the conductor', async () => {
    objectCalls.clear();
    const r = await nova('demo', 'POST', '/servers', { server: { name: 'nodb1', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const vm = r.body.server.id as string;
    const booted = await waitState(vm, 'ACTIVE');
    const src = booted['OS-EXT-SRV-ATTR:host'] as string;
    for (const m of ['instance_save', 'instance_info_cache_save', 'action_event_start', 'action_event_finish', 'compute_node_update_usage'] satisfies ObjectMethod[]) {
      assert.ok((objectCalls.get(m) ?? 0) > 0, `the build made no ${m} call: ${JSON.stringify([...objectCalls])}`);
    }

    // Resize to the other host, confirm.
    objectCalls.clear();
    assert.equal((await nova('demo', 'POST', `/servers/${vm}/action`, { resize: { flavorRef: '42' } })).status, 202);
    const resized = await waitState(vm, 'VERIFY_RESIZE');
    assert.equal(resized['OS-EXT-SRV-ATTR:host'], other(src));
    assert.ok((objectCalls.get('migration_save') ?? 0) > 0, JSON.stringify([...objectCalls]));
    assert.equal((await nova('demo', 'POST', `/servers/${vm}/action`, { confirmResize: null })).status, 204);
    const confirmed = await waitState(vm, 'ACTIVE');
    assert.equal(confirmed.flavor.original_name, 'm1.nano');
    await waitFor('resize migration confirmed', async () => ((await nova('admin', 'GET', `/os-migrations?instance_uuid=${vm}`, undefined, '2.80')).body.migrations[0]?.status === 'confirmed' ? true : undefined));

    // Live-migrate back.
    const here = confirmed['OS-EXT-SRV-ATTR:host'] as string;
    objectCalls.clear();
    assert.equal((await nova('admin', 'POST', `/servers/${vm}/action`, { 'os-migrateLive': { host: null, block_migration: 'auto' } })).status, 202);
    const live = await waitFor('live migration completed', async () => {
      const [m] = (await nova('admin', 'GET', `/os-migrations?instance_uuid=${vm}&migration_type=live-migration`, undefined, '2.80')).body.migrations;
      if (m?.status === 'error' || m?.status === 'failed') throw new Error(`live migration ${m.status}`);
      return m?.status === 'completed' ? m : undefined;
    });
    assert.equal(live.dest_compute, other(here));
    assert.equal((await waitState(vm, 'ACTIVE'))['OS-EXT-SRV-ATTR:host'], other(here));
    assert.ok((objectCalls.get('migration_save') ?? 0) > 0, JSON.stringify([...objectCalls]));

    // The indirection answers as the database does (everything survived JSON).
    assert.deepEqual(await remote.instances.get(vm), await direct.instances.get(vm));
    assert.deepEqual(await remote.instances.networkInfo(vm), await direct.instances.networkInfo(vm));
    assert.deepEqual(await remote.instances.listByHost(other(here)), await direct.instances.listByHost(other(here)));
    assert.deepEqual(await remote.actions.list(vm), await direct.actions.list(vm));
    assert.deepEqual(await remote.migrations.list({ instanceUuid: vm }), await direct.migrations.list({ instanceUuid: vm }));
    assert.deepEqual(await remote.services.getComputeByHost(here), await direct.services.getComputeByHost(here));
    assert.deepEqual(await remote.services.computeNodesByHostOrNode(here, null), await direct.services.computeNodesByHostOrNode(here, null));
    assert.deepEqual(await remote.allocations.consumers(other(here)), await direct.allocations.consumers(other(here)));

    // Delete.
    objectCalls.clear();
    assert.equal((await nova('demo', 'DELETE', `/servers/${vm}`)).status, 204);
    await waitFor('server gone', async () => ((await nova('admin', 'GET', `/servers/${vm}`)).status === 404 ? true : undefined));
    assert.ok((objectCalls.get('instance_destroy') ?? 0) > 0, JSON.stringify([...objectCalls]));
    assert.equal(await remote.instances.find(vm), null);
    assert.equal((await remote.instances.find(vm, { readDeleted: true }))?.deleted, true);
  });

  it("the database's errors come back through the indirection as the same typed errors", async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const same = async (f: (d: ComputeData) => Promise<unknown>, cls: abstract new (...a: never[]) => Error) => {
      const [viaDb, viaRpc] = await Promise.all([f(direct).then(() => null, (e: unknown) => e), f(remote).then(() => null, (e: unknown) => e)]);
      assert.ok(viaDb instanceof cls, `direct: ${String(viaDb)}`);
      assert.ok(viaRpc instanceof cls, `remote: ${String(viaRpc)}`);
      const [a, b] = [viaDb as Error & { status: number; type: string }, viaRpc as Error & { status: number; type: string }];
      assert.deepEqual({ message: b.message, status: b.status, type: b.type, name: b.name }, { message: a.message, status: a.status, type: a.type, name: a.name });
    };
    await same((d) => d.instances.get(missing), InstanceNotFound);
    await same((d) => d.instances.save(missing, { progress: 1 }), InstanceNotFound);
    await same((d) => d.migrations.getByInstanceAndStatus(missing, 'finished'), MigrationNotFoundByStatus);
    await same((d) => d.services.getComputeByHost('no-such-host'), ComputeHostNotFound);

    const r = await nova('demo', 'POST', '/servers', { server: { name: 'nodb2', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    const vm = r.body.server.id as string;
    await waitState(vm, 'ACTIVE');
    await same((d) => d.instances.save(vm, { progress: 1 }, { expectedTaskState: [TaskState.MIGRATING] }), UnexpectedTaskStateError);
    await direct.instances.save(vm, { taskState: TaskState.DELETING });
    await same((d) => d.instances.save(vm, { progress: 1 }, { expectedTaskState: [null] }), UnexpectedDeletingTaskState);
    await direct.instances.save(vm, { taskState: null });
    assert.equal((await nova('demo', 'DELETE', `/servers/${vm}`)).status, 204);
    await waitFor('server gone', async () => ((await nova('admin', 'GET', `/servers/${vm}`)).status === 404 ? true : undefined));
  });
});

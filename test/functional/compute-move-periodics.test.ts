/**
 * nova-compute's periodic tasks around moves, on an injected clock: resize_confirm_window
 * (_poll_unconfirmed_resizes confirms a VERIFY_RESIZE server once its finished
 * migration is that old, with nova's checks: ERROR or a state other than RESIZED/None
 * puts the migration in error, resize_finish is skipped) and shelved_offload_time > 0
 * (_poll_shelved_instances offloads a SHELVED server once shelved_at is that old).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { FakeClock } from '../../src/common/clock.js';
import type { Config, DeepPartial } from '../../src/common/config.js';
import type { NovaDB } from '../../src/compute/db/schema.js';
import { vifDeviceNames } from '../../src/compute/virt/vif.js';
import type { SimulatedHostNetwork } from '../../src/hostnet/simulated/simulated-host.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST: DeepPartial<Config> = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };
const SKIP = inProcessOnly('drives the periodic tasks with an injected clock');

/**
 * Fires the clock's zero-delay timers (the agents' polling at polling_interval 0, the
 * builds' background steps) every few real milliseconds without moving time: only the
 * tests' own `advance` ages migrations and shelved servers. Both go through one queue,
 * as FakeClock.advance must not overlap itself.
 */
function pumpZeroTimers(clock: FakeClock): { advance: (ms: number) => Promise<void>; stop: () => void } {
  let queue: Promise<void> = Promise.resolve();
  const advance = (ms: number) => (queue = queue.then(() => clock.advance(ms)));
  const t = setInterval(() => void advance(0), 5);
  return { advance, stop: () => clearInterval(t) };
}

const novaDb = (c: TestCloud) => (c.compute as unknown as { d: { db: { kysely: Kysely<NovaDB> } } }).d.db.kysely;

function helpers(cloud: () => TestCloud) {
  const nova = (user: 'admin' | 'demo', method: string, path: string, body?: unknown, mv = '2.92') =>
    cloud().api(user, method, `${cloud().urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${mv}` });
  const neutron = (method: string, path: string, body?: unknown) => cloud().api('demo', method, `${cloud().urls.network}/v2.0${path}`, body);
  const act = (id: string, body: unknown) => nova('demo', 'POST', `/servers/${id}/action`, body);
  const show = async (id: string) => (await nova('admin', 'GET', `/servers/${id}`)).body.server;
  const waitState = (id: string, status: string) =>
    waitFor(`server ${id} ${status}`, async () => {
      const s = await show(id);
      return s?.status === status && s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });
  const migration = async (id: string) => (await nova('admin', 'GET', `/os-migrations?instance_uuid=${id}`, undefined, '2.80')).body.migrations[0] as Record<string, any>;
  const allocations = async (consumers: string[]) => (await novaDb(cloud()).selectFrom('allocations').select(['consumer_uuid', 'host']).where('consumer_uuid', 'in', consumers).execute()).map((a) => a.host);
  const actions = async (id: string) => (await nova('admin', 'GET', `/servers/${id}/os-instance-actions`)).body.instanceActions.map((a: { action: string }) => a.action) as string[];
  async function setup(cidr: string) {
    const netId = (await neutron('POST', '/networks', { network: { name: 'n' } })).body.network.id;
    await neutron('POST', '/subnets', { subnet: { network_id: netId, cidr, ip_version: 4 } });
    const imageId = (await cloud().api('demo', 'GET', `${cloud().urls.image}/v2/images`)).body.images[0].id;
    return async (name: string) => {
      const r = await nova('demo', 'POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      await waitState(r.body.server.id, 'ACTIVE');
      return r.body.server.id as string;
    };
  }
  return { nova, act, show, waitState, migration, allocations, actions, setup };
}

describe('compute: resize_confirm_window (_poll_unconfirmed_resizes)', { skip: SKIP }, () => {
  const clock = new FakeClock();
  let cloud: TestCloud;
  const h = helpers(() => cloud);
  let boot: (name: string) => Promise<string>;

  let pump: ReturnType<typeof pumpZeroTimers>;
  before(async () => {
    pump = pumpZeroTimers(clock);
    cloud = await startTestCloud({ ...FAST, DEFAULT: { resize_confirm_window: 120 } }, clock);
    boot = await h.setup('10.4.0.0/24');
  });
  after(async () => {
    pump?.stop();
    await cloud?.stop();
  });

  async function resized(name: string): Promise<string> {
    const vm = await boot(name);
    assert.equal((await h.act(vm, { resize: { flavorRef: '42' } })).status, 202);
    await h.waitState(vm, 'VERIFY_RESIZE');
    return vm;
  }

  it('a VERIFY_RESIZE server is confirmed once its finished migration is resize_confirm_window old, not before', async () => {
    const vm = await resized('auto');
    const mig = await h.migration(vm);
    const dst = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    await pump.advance(60_000);
    assert.equal((await h.show(vm)).status, 'VERIFY_RESIZE');
    assert.equal((await h.migration(vm)).status, 'finished');
    await pump.advance(60_000);
    const s = await h.waitState(vm, 'ACTIVE');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], dst);
    await waitFor('migration confirmed', async () => ((await h.migration(vm)).status === 'confirmed' ? true : undefined));
    assert.deepEqual(await h.allocations([vm, mig.uuid]), [dst]);
    assert.deepEqual(await h.actions(vm), ['confirmResize', 'resize', 'create']);
  });

  it("nova's checks: an instance gone, in ERROR or not RESIZED/None puts the migration in error; resize_finish is skipped until it settles", async () => {
    const inError = await resized('err');
    const active = await resized('act');
    const finishing = await resized('fin');
    const gone = await resized('gone');
    const goneMigration = (await h.migration(gone)).uuid;
    const instances = cloud.compute.instances;
    await instances.destroy(gone);
    await instances.save(inError, { vmState: 'error' });
    await instances.save(active, { vmState: 'active' });
    await instances.save(finishing, { taskState: 'resize_finish' });
    await pump.advance(120_000);
    await waitFor('migrations in error', async () => ((await h.migration(inError)).status === 'error' && (await h.migration(active)).status === 'error' ? true : undefined));
    const [goneRow] = await novaDb(cloud).selectFrom('migrations').select(['status']).where('uuid', '=', goneMigration).execute();
    assert.equal(goneRow!.status, 'error');
    assert.equal((await h.migration(finishing)).status, 'finished');
    assert.equal((await h.show(finishing))['OS-EXT-STS:task_state'], 'resize_finish');
    assert.deepEqual(await h.actions(inError), ['resize', 'create']);
    await instances.save(finishing, { taskState: null });
    await pump.advance(60_000);
    await h.waitState(finishing, 'ACTIVE');
    assert.equal((await h.migration(finishing)).status, 'confirmed');
  });
});

describe('compute: shelved_offload_time > 0 (_poll_shelved_instances)', { skip: SKIP }, () => {
  const clock = new FakeClock();
  let cloud: TestCloud;
  const h = helpers(() => cloud);
  let boot: (name: string) => Promise<string>;

  let pump: ReturnType<typeof pumpZeroTimers>;
  before(async () => {
    pump = pumpZeroTimers(clock);
    cloud = await startTestCloud({ ...FAST, DEFAULT: { shelved_offload_time: 300, shelved_poll_interval: 60 } }, clock);
    boot = await h.setup('10.3.0.0/24');
  });
  after(async () => {
    pump?.stop();
    await cloud?.stop();
  });

  it('a shelved server keeps its host until shelved_at is shelved_offload_time old, then is offloaded', async () => {
    const vm = await boot('sh');
    const host = (await h.show(vm))['OS-EXT-SRV-ATTR:host'];
    const [port] = (await cloud.api('admin', 'GET', `${cloud.urls.network}/v2.0/ports?device_id=${vm}`)).body.ports;
    assert.equal((await h.act(vm, { shelve: null })).status, 202);
    await h.waitState(vm, 'SHELVED');
    await pump.advance(240_000);
    const kept = await h.show(vm);
    assert.equal(kept.status, 'SHELVED');
    assert.equal(kept['OS-EXT-SRV-ATTR:host'], host);
    assert.deepEqual(await h.allocations([vm]), [host]);
    await pump.advance(60_000);
    const s = await h.waitState(vm, 'SHELVED_OFFLOADED');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], null);
    assert.deepEqual(await h.allocations([vm]), []);
    const n = vifDeviceNames(port.id);
    const left = (cloud.hostnets.get(host) as SimulatedHostNetwork).snapshot().links.filter((l: { name: string }) => [n.qbr, n.qvb, n.qvo].includes(l.name));
    assert.deepEqual(left, []);
    // The periodic task's event joins the server's last action, the shelve.
    const shelve = (await h.nova('admin', 'GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions[0];
    assert.equal(shelve.action, 'shelve');
    await waitFor('the offload event', async () => {
      const evs = (await h.nova('admin', 'GET', `/servers/${vm}/os-instance-actions/${shelve.request_id}`)).body.instanceAction.events as { event: string; result: string | null }[];
      const ev = evs.find((e) => e.event === 'compute_shelve_offload_instance');
      return ev?.result === 'Success' ? true : undefined;
    });
  });
});

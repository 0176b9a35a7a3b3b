/**
 * The faults of issue 11 during a resize or cold migration, each followed by the same
 * consistency check (`leftovers`): every compute port bound to exactly the host its
 * server is on, no VIF device on a host without a server there using it, and the
 * allocations matching reality (each server's on its host; a migration's only while its
 * resize is unconfirmed, on the source).
 *   - The destination's OVS agent is down when finish_resize binds the ports: the
 *     binding fails (binding:vif_type binding_failed), libvirt's guest XML refuses the
 *     VIF (InternalError "Unexpected vif_type=binding_failed") before anything is
 *     plugged, and finish_resize's error path leaves the server in ERROR on the
 *     destination with the fault, the migration in error and the source's allocation
 *     dropped (Zed: "You may be able to recover the instance by hard rebooting it").
 *   - A port deleted between resize_instance and finish_resize: neutron's
 *     network-vif-deleted prunes the info cache, finish_resize binds and plugs what is
 *     left, and the server reaches VERIFY_RESIZE without the port, as Zed's
 *     _build_network_info_model drops ports neutron no longer has.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { InprocBus } from '../../src/bus/inproc.js';
import type { Config, DeepPartial } from '../../src/common/config.js';
import type { NovaDB } from '../../src/compute/db/schema.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

// Agents report often so that only a silenced one goes down (agent_down_time 1 s).
const CFG: DeepPartial<Config> = { agent: { polling_interval: 0, report_interval: 0.2 }, network: { send_events_interval: 0, agent_down_time: 1 } };

const novaDb = (c: TestCloud) => (c.compute as unknown as { d: { db: { kysely: Kysely<NovaDB> } } }).d.db.kysely;

describe('compute: faults during a resize or cold migration', { skip: inProcessOnly('silences agents, holds casts and reads host devices and allocations') }, () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const nova = (user: 'admin' | 'demo', method: string, path: string, body?: unknown, mv = '2.92') =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${mv}` });
  const neutron = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.network}/v2.0${path}`, body);
  const show = async (id: string) => (await nova('admin', 'GET', `/servers/${id}`)).body.server;
  const waitState = (id: string, status: string) =>
    waitFor(`server ${id} ${status}`, async () => {
      const s = await show(id);
      return s?.status === status && s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });
  const migration = async (id: string) => (await nova('admin', 'GET', `/os-migrations?instance_uuid=${id}`, undefined, '2.80')).body.migrations[0] as Record<string, any>;
  const other = (host: string) => (host === 'compute1' ? 'compute2' : 'compute1');

  /**
   * What is out of line with reality, counted: ports bound elsewhere than their
   * server's host (or whose server is gone), devices of a port whose server is not on
   * that host, allocations other than each server's on its host and an unconfirmed
   * resize's on its source; `devices` and `allocations` are listed for the messages.
   */
  async function leftovers() {
    const db = novaDb(cloud);
    const servers = new Map((await db.selectFrom('instances').select(['uuid', 'host']).where('deleted', '=', 0).execute()).map((i) => [i.uuid, i.host]));
    const ports = ((await neutron('GET', '/ports')).body.ports as Record<string, any>[]).filter((p) => p.device_owner.startsWith('compute:'));
    const portsOffHost = ports.filter((p) => !servers.has(p.device_id) || p['binding:host_id'] !== servers.get(p.device_id)).map((p) => p.id);
    const owner = new Map(ports.map((p) => [(p.id as string).slice(0, 11), p.device_id as string]));
    const strayDevices: string[] = [];
    for (const host of cloud.hostnets.hosts()) {
      for (const l of cloud.hostnets.get(host).snapshot().links as { name: string }[]) {
        if (!/^(tap|qbr|qvb|qvo)/.test(l.name)) continue;
        const server = owner.get(l.name.slice(3));
        if (!server || servers.get(server) !== host) strayDevices.push(`${host}:${l.name}`);
      }
    }
    const unconfirmed = new Map(
      (await db.selectFrom('migrations').select(['uuid', 'source_compute']).where('status', 'in', ['finished', 'confirming']).where('deleted', '=', 0).execute()).map((m) => [m.uuid, m.source_compute]),
    );
    const strayAllocations = (await db.selectFrom('allocations').select(['consumer_uuid', 'host']).execute())
      .filter((a) => (servers.has(a.consumer_uuid) ? servers.get(a.consumer_uuid) !== a.host : unconfirmed.get(a.consumer_uuid) !== a.host))
      .map((a) => `${a.host}:${a.consumer_uuid}`);
    return { portsOffHost: portsOffHost.length, strayDevices, strayAllocations };
  }
  const CLEAN = { portsOffHost: 0, strayDevices: [], strayAllocations: [] };

  async function boot(name: string): Promise<{ vm: string; src: string; port: Record<string, any> }> {
    const r = await nova('demo', 'POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const s = await waitState(r.body.server.id, 'ACTIVE');
    const [port] = (await neutron('GET', `/ports?device_id=${s.id}`)).body.ports;
    return { vm: s.id, src: s['OS-EXT-SRV-ATTR:host'], port };
  }

  async function deleteServer(vm: string): Promise<void> {
    assert.equal((await nova('admin', 'DELETE', `/servers/${vm}`)).status, 204);
    await waitFor(`${vm} gone`, async () => ((await nova('admin', 'GET', `/servers/${vm}`)).status === 404 ? true : undefined));
  }

  before(async () => {
    cloud = await startTestCloud(CFG);
    netId = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'nf' } })).body.network.id;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.2.0.0/24', ip_version: 4 } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(() => cloud?.stop());

  for (const [kind, body, user] of [
    ['resize', { resize: { flavorRef: '42' } }, 'demo'],
    ['cold migration', { migrate: null }, 'admin'],
  ] as const) {
    it(`${kind}: the destination's OVS agent is down when finish_resize binds: ERROR there, binding_failed, source allocation dropped, nothing stray`, async () => {
      const { vm, src, port } = await boot(`agent-${kind}`);
      const dst = other(src);
      await cloud.agents.setReporting(dst, false);
      try {
        await waitFor(`${dst}'s agent down`, async () => (((await neutron('GET', `/agents?host=${dst}`)).body.agents as { alive: boolean }[]).every((a) => !a.alive) ? true : undefined));
        assert.equal((await nova(user, 'POST', `/servers/${vm}/action`, body)).status, 202);
        const s = await waitState(vm, 'ERROR');
        assert.equal(s['OS-EXT-SRV-ATTR:host'], dst);
        assert.equal(s.fault.message, 'Unexpected vif_type=binding_failed');
        assert.equal(s.flavor.original_name, 'm1.seed100');
        const m = await migration(vm);
        assert.equal(m.status, 'error');
        const p = (await neutron('GET', `/ports/${port.id}`)).body.port;
        assert.equal(p['binding:host_id'], dst);
        assert.equal(p['binding:vif_type'], 'binding_failed');
        const allocs = await novaDb(cloud).selectFrom('allocations').select(['consumer_uuid', 'host']).where('consumer_uuid', 'in', [vm, m.uuid]).execute();
        assert.deepEqual(allocs, [{ consumer_uuid: vm, host: dst }]);
        assert.deepEqual(await leftovers(), CLEAN);
      } finally {
        await cloud.agents.setReporting(dst, true);
      }
      await deleteServer(vm);
      assert.deepEqual(await leftovers(), CLEAN);
      assert.equal(((await neutron('GET', `/ports?device_id=${vm}`)).body.ports as unknown[]).length, 0);
    });

    it(`${kind}: the port deleted between resize_instance and finish_resize: VERIFY_RESIZE without it, nothing stray; confirm frees the source`, async () => {
      const { vm, src, port } = await boot(`gone-${kind}`);
      const dst = other(src);
      const release = (cloud.bus as InprocBus).hold('finish_resize');
      try {
        assert.equal((await nova(user, 'POST', `/servers/${vm}/action`, body)).status, 202);
        await waitFor('resize_instance done', async () => ((await show(vm))['OS-EXT-STS:task_state'] === 'resize_migrated' ? true : undefined));
        assert.equal((await migration(vm)).status, 'post-migrating');
        assert.equal((await cloud.api('demo', 'DELETE', `${cloud.urls.network}/v2.0/ports/${port.id}`)).status, 204);
        // network-vif-deleted reaches the destination (instance.host already) and prunes the cache.
        await waitFor('the port gone from the server', async () => (Object.keys((await show(vm)).addresses).length === 0 ? true : undefined));
      } finally {
        release();
      }
      const s = await waitState(vm, 'VERIFY_RESIZE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], dst);
      assert.deepEqual(s.addresses, {});
      assert.deepEqual((await nova('demo', 'GET', `/servers/${vm}/os-interface`)).body.interfaceAttachments, []);
      assert.equal((await migration(vm)).status, 'finished');
      assert.deepEqual(await leftovers(), CLEAN);
      assert.equal((await nova('demo', 'POST', `/servers/${vm}/action`, { confirmResize: null })).status, 204);
      await waitState(vm, 'ACTIVE');
      await waitFor('migration confirmed', async () => ((await migration(vm)).status === 'confirmed' ? true : undefined));
      assert.deepEqual(await leftovers(), CLEAN);
      await deleteServer(vm);
      assert.deepEqual(await leftovers(), CLEAN);
    });
  }
});

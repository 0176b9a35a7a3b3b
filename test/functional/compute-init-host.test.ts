/**
 * Regression tests for issue 8, defect 4 (a crash leaves servers in BUILD forever):
 * nova-compute's init_host and the cloud's start settle what a previous run left half
 * done. Each interrupted state is written through the stores on servers that really
 * booted (so their ports, bindings and allocations are real), the cloud is closed and a
 * new one started on the same data directory; the simulated hosts' devices live in
 * memory, so the new cloud starts with empty hosts, as after a host reboot.
 */
// nimbus-test: in-process only — writes interrupted states through the stores; the bundle is killed for real in restart-kill.test.ts
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { DeepPartial, Config } from '../../src/common/config.js';
import type { NovaDB } from '../../src/compute/db/schema.js';
import { deleteAllocation } from '../../src/compute/db/allocations.js';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST: DeepPartial<Config> = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

const novaDb = (c: TestCloud) => (c.compute as unknown as { d: { db: { kysely: Kysely<NovaDB> } } }).d.db.kysely;

function rest(cloud: TestCloud) {
  return {
    nova: (method: string, path: string, body?: unknown, user: 'admin' | 'demo' = 'admin') =>
      cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' }),
    neutron: (method: string, path: string, body?: unknown, user: 'admin' | 'demo' = 'admin') => cloud.api(user, method, `${cloud.urls.network}/v2.0${path}`, body),
  };
}

describe('compute: init_host after a restart (issue 8, defect 4)', () => {
  const clouds: TestCloud[] = [];
  after(async () => {
    const last = clouds.at(-1);
    for (const c of clouds.slice(0, -1)) await c.close().catch(() => undefined);
    await last?.stop();
  });

  it('settles every interrupted state: builds → ERROR with a fault and no network, deletes finished, running guests re-plugged and wired', async () => {
    const first = await startTestCloud(FAST);
    clouds.push(first);
    const a = rest(first);
    const netId = (await a.neutron('POST', '/networks', { network: { name: 'net1' } }, 'demo')).body.network.id as string;
    await a.neutron('POST', '/subnets', { subnet: { network_id: netId, cidr: '1.2.3.0/24', ip_version: 4, name: 'sub1' } }, 'demo');
    const imageId = (await first.api('demo', 'GET', `${first.urls.image}/v2/images`)).body.images[0].id as string;
    const userPort = (await a.neutron('POST', '/ports', { port: { network_id: netId, name: 'user-p' } }, 'demo')).body.port.id as string;

    const names = ['running', 'spawning', 'networking', 'deleting', 'unplaced', 'claimed', 'errored', 'unpluggable'] as const;
    const ids = {} as Record<(typeof names)[number], string>;
    const hosts = {} as Record<(typeof names)[number], string>;
    for (const name of names) {
      const networks = name === 'spawning' ? [{ port: userPort }] : [{ uuid: netId }];
      const r = await a.nova('POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks } }, 'demo');
      assert.equal(r.status, 202, JSON.stringify(r.body));
      ids[name] = r.body.server.id;
    }
    for (const name of names) {
      const s = await waitFor(`${name} ACTIVE`, async () => {
        const v = (await a.nova('GET', `/servers/${ids[name]}`)).body.server;
        return v.status === 'ACTIVE' ? v : undefined;
      });
      hosts[name] = s['OS-EXT-SRV-ATTR:host'];
    }

    // What the previous run was doing when it died, written as it would have left it.
    const store = first.compute.instances;
    await store.save(ids.spawning, { vmState: 'building', taskState: 'spawning' });
    await store.save(ids.networking, { vmState: 'building', taskState: 'networking' });
    await store.saveNetworkInfo(ids.networking, []); // allocate_for_instance had not returned
    await store.save(ids.deleting, { taskState: 'deleting' });
    // Rescheduled: the ports exist, no host holds it, no allocation (the next claim not made).
    await store.save(ids.unplaced, { vmState: 'building', taskState: 'scheduling', host: null, node: null });
    await deleteAllocation(novaDb(first), ids.unplaced);
    // The conductor claimed a host and cast the build; that host had not taken it yet.
    await store.save(ids.claimed, { vmState: 'building', taskState: 'scheduling', host: null, node: null });
    await store.save(ids.errored, { vmState: 'error' });
    // A cached VIF the driver cannot plug (the binding failed after the guest started).
    const cached = await store.networkInfo(ids.unpluggable);
    await store.saveNetworkInfo(ids.unpluggable, cached.map((v) => ({ ...v, type: 'binding_failed' })));
    await first.close();

    const second = await startTestCloud({ ...FAST, DEFAULT: { data_dir: first.dataDir } });
    clouds.push(second);
    const b = rest(second);
    const server = async (name: (typeof names)[number]) => (await b.nova('GET', `/servers/${ids[name]}`)).body.server;
    const portsOf = async (name: (typeof names)[number]) => (await b.neutron('GET', `/ports?device_id=${ids[name]}`)).body.ports as any[];

    // Interrupted builds: ERROR, a fault saying why, the network given back, off the host.
    const interrupted = {
      spawning: `The build was interrupted by a restart of nova-compute on ${hosts.spawning} (task_state spawning).`,
      networking: `The build was interrupted by a restart of nova-compute on ${hosts.networking} (task_state networking).`,
      unplaced: 'The build was interrupted by a restart of nova-conductor before a host took it.',
      claimed: `The build was interrupted by a restart of nova-compute on ${hosts.claimed} before the host took it.`,
    };
    for (const [name, reason] of Object.entries(interrupted) as [keyof typeof interrupted, string][]) {
      const s = await server(name);
      assert.equal(s.status, 'ERROR', name);
      assert.equal(s['OS-EXT-STS:task_state'], null, name);
      assert.equal(s['OS-EXT-SRV-ATTR:host'], null, name);
      assert.equal(s.fault.code, 500, name);
      assert.equal(s.fault.message, `Build of instance ${ids[name]} aborted: ${reason}`, name);
      assert.deepEqual(await portsOf(name), [], `${name} keeps no port`);
    }
    // The user's port outlives the failed build, unbound.
    const up = (await b.neutron('GET', `/ports/${userPort}`)).body.port;
    assert.deepEqual([up.device_id, up.device_owner, up['binding:host_id']], ['', '', '']);

    // The delete in progress is finished.
    assert.equal((await b.nova('GET', `/servers/${ids.deleting}`)).status, 404);
    assert.deepEqual(await portsOf('deleting'), []);

    // ERROR servers are left alone (their port stays theirs until they are deleted).
    assert.equal((await server('errored')).status, 'ERROR');
    assert.equal((await portsOf('errored')).length, 1);

    // A VIF that cannot be plugged: ERROR as in nova, with the plug error as the fault.
    const unpluggable = await server('unpluggable');
    assert.equal(unpluggable.status, 'ERROR');
    assert.equal(unpluggable.fault.message, 'Plug VIF failed because of unexpected vif_type=binding_failed');

    // The running guest: its VIF plugged again (qbr/qvb/qvo, the br-int port with its
    // external-ids) and wired by the OVS agent (a local VLAN tag), its port ACTIVE on its host.
    const running = await server('running');
    assert.equal(running.status, 'ACTIVE');
    const [port] = await portsOf('running');
    assert.equal(port.status, 'ACTIVE');
    assert.equal(port['binding:host_id'], hosts.running);
    const net = second.hostnets.get(hosts.running);
    const qvo = await waitFor('the OVS agent to tag the re-plugged port', async () => {
      const p = net
        .snapshot()
        .ovsBridges.find((br) => br.name === 'br-int')
        ?.ports.find((p) => p.interfaces.some((i) => i.externalIds['iface-id'] === port.id));
      return p?.tag != null ? p : undefined;
    });
    assert.equal(qvo.name, `qvo${port.id.slice(0, 11)}`);
    assert.deepEqual(
      { ...qvo.interfaces[0]!.externalIds },
      { 'iface-id': port.id, 'iface-status': 'active', 'attached-mac': port.mac_address, 'vm-uuid': ids.running },
    );

    // Nothing else on any host, no allocation but the live servers', no IP without a port.
    const devices = second.hostnets.hosts().flatMap((h) => second.hostnets.get(h).snapshot().links.map((l) => l.name).filter((n) => /^(tap|qbr|qvb|qvo)/.test(n)));
    assert.deepEqual(devices.sort(), ['qbr', 'qvb', 'qvo'].map((p) => `${p}${port.id.slice(0, 11)}`));
    const allocations = (await novaDb(second).selectFrom('allocations').select('consumer_uuid').execute()).map((r) => r.consumer_uuid).sort();
    assert.deepEqual(allocations, [ids.running, ids.errored, ids.unpluggable].sort());
    const allPorts = (await b.neutron('GET', `/ports?network_id=${netId}`)).body.ports as any[];
    const used = (await b.neutron('GET', `/network-ip-availabilities/${netId}`)).body.network_ip_availability.used_ips;
    assert.equal(used, allPorts.reduce((n, p) => n + p.fixed_ips.length, 0));
    assert.equal(allPorts.length, 4); // running's, errored's, unpluggable's and the user's

    // A second restart finds nothing left to settle: the same states, the guest wired again.
    const statuses = async (r: ReturnType<typeof rest>) =>
      Object.fromEntries(await Promise.all(names.map(async (n) => [n, (await r.nova('GET', `/servers/${ids[n]}`)).body.server?.status ?? 'gone'] as const)));
    const before = await statuses(b);
    await second.close();
    const third = await startTestCloud({ ...FAST, DEFAULT: { data_dir: first.dataDir } });
    clouds.push(third);
    const c = rest(third);
    assert.deepEqual(await statuses(c), before);
    await waitFor('the re-plugged port tagged again', async () => {
      const p = third.hostnets
        .get(hosts.running)
        .snapshot()
        .ovsBridges.find((br) => br.name === 'br-int')
        ?.ports.find((p) => p.interfaces.some((i) => i.externalIds['iface-id'] === port.id));
      return p?.tag != null ? true : undefined;
    });

    // The settled servers can be deleted as any other.
    for (const name of ['spawning', 'networking', 'unplaced', 'claimed', 'errored', 'unpluggable'] as const) assert.equal((await c.nova('DELETE', `/servers/${ids[name]}`)).status, 204);
    await waitFor('deleted servers gone', async () => (((await c.nova('GET', '/servers?all_tenants=1')).body.servers as unknown[]).length === 1 ? true : undefined));
    assert.deepEqual(((await c.neutron('GET', `/ports?network_id=${netId}`)).body.ports as any[]).map((p) => p.id).sort(), [port.id, userPort].sort());
  });
});

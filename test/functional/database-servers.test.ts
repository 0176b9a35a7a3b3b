/**
 * The whole cloud on PostgreSQL and on MariaDB (issue 11): each service on its own fresh
 * database through `[database] connection` with {service}; servers boot to ACTIVE and
 * are deleted, and two ports racing for one fixed IP over the API get one 201 and one
 * 409. A server that does not answer fails this file under CI=true and skips its part
 * locally (see test/helpers/databases.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { type TestDatabases, freshDatabases, unavailable } from '../helpers/databases.js';
import { waitFor } from '../helpers/wait.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(`the cloud on ${dialect}`, () => {
    let why: string | null = null;
    let fresh: TestDatabases | undefined;
    let cloud: TestCloud | undefined;
    let netId: string;
    let imageId: string;
    const nova = (method: string, path: string, body?: unknown) => cloud!.api('demo', method, `${cloud!.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
    const neutron = (method: string, path: string, body?: unknown) => cloud!.api('demo', method, `${cloud!.urls.network}/v2.0${path}`, body);

    before(async () => {
      why = await unavailable(dialect);
      if (why) {
        if (process.env.CI === 'true') throw new Error(`CI=true: ${why}`);
        return;
      }
      fresh = freshDatabases(dialect);
      cloud = await startTestCloud({ ...FAST, database: { connection: fresh.connection } });
      const net = await neutron('POST', '/networks', { network: { name: 'net1' } });
      netId = net.body.network.id;
      await neutron('POST', '/subnets', { subnet: { network_id: netId, cidr: '1.2.3.0/24', ip_version: 4, name: 'sub1' } });
      imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    });
    after(async () => {
      await cloud?.stop();
      await fresh?.drop();
    });

    it('boots two servers to ACTIVE and deletes them', async (t) => {
      if (why) return t.skip(why);
      const ids: string[] = [];
      for (const [name, ip] of [
        ['vm1', '1.2.3.10'],
        ['vm2', undefined],
      ] as const) {
        const r = await nova('POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId, ...(ip ? { fixed_ip: ip } : {}) }] } });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        ids.push(r.body.server.id);
      }
      for (const id of ids) {
        const s = await waitFor(`server ${id} ACTIVE`, async () => {
          const b = (await nova('GET', `/servers/${id}`)).body.server;
          if (b?.status === 'ERROR') throw new Error(`ERROR: ${JSON.stringify(b.fault)}`);
          return b?.status === 'ACTIVE' ? b : undefined;
        });
        assert.equal(s.addresses.net1.length, 1);
      }
      assert.equal((await nova('GET', `/servers/${ids[0]}`)).body.server.addresses.net1[0].addr, '1.2.3.10');
      for (const id of ids) assert.equal((await nova('DELETE', `/servers/${id}`)).status, 204);
      for (const id of ids) await waitFor(`server ${id} gone`, async () => ((await nova('GET', `/servers/${id}`)).status === 404 ? true : undefined));
      assert.equal((await neutron('GET', `/ports?network_id=${netId}&device_owner=compute:nova`)).body.ports.length, 0);
    });

    it('networks and subnets page by limit and marker in any sort order, names case-sensitive', async (t) => {
      if (why) return t.skip(why);
      for (const [i, name] of ['pg-b', 'PG-a', 'pg-a', 'pg-c'].entries()) {
        const n = await neutron('POST', '/networks', { network: { name, description: name === 'pg-c' ? 'd' : '' } });
        assert.equal(n.status, 201, JSON.stringify(n.body));
        const sn = await neutron('POST', '/subnets', { subnet: { network_id: n.body.network.id, cidr: `10.${40 + i}.0.0/24`, ip_version: 4, name } });
        assert.equal(sn.status, 201, JSON.stringify(sn.body));
      }
      for (const [collection, key] of [
        ['networks', 'name'],
        ['subnets', 'name'],
        ['networks', 'id'],
      ] as const) {
        for (const dir of ['asc', 'desc']) {
          const q = `sort_key=${key}&sort_dir=${dir}`;
          const all = (await neutron('GET', `/${collection}?${q}`)).body[collection] as { id: string; name: string }[];
          const paged: typeof all = [];
          let marker = '';
          for (let i = 0; i < 10; i++) {
            const page = (await neutron('GET', `/${collection}?${q}&limit=2${marker}`)).body[collection] as typeof all;
            paged.push(...page);
            if (page.length < 2) break;
            marker = `&marker=${page[1]!.id}`;
          }
          assert.deepEqual(
            paged.map((x) => x.id),
            all.map((x) => x.id),
            `${collection} ${q}`,
          );
          if (key === 'name' && collection === 'networks') {
            const names = all.map((x) => x.name).filter((x) => x.toLowerCase().startsWith('pg-'));
            const bytewise = [...names].sort();
            assert.deepEqual(names, dir === 'asc' ? bytewise : bytewise.reverse());
          }
        }
      }
      const exact = (await neutron('GET', '/networks?name=pg-a')).body.networks as { name: string }[];
      assert.deepEqual(
        exact.map((x) => x.name),
        ['pg-a'],
      );
    });

    it('two ports asking for one fixed IP at once: one 201, one 409', async (t) => {
      if (why) return t.skip(why);
      for (const ip of ['1.2.3.50', '1.2.3.51', '1.2.3.52']) {
        const both = await Promise.all([0, 1].map(() => neutron('POST', '/ports', { port: { network_id: netId, fixed_ips: [{ ip_address: ip }] } })));
        assert.deepEqual(
          both.map((r) => r.status).sort(),
          [201, 409],
          JSON.stringify(both.map((r) => r.body)),
        );
        const lost = both.find((r) => r.status === 409)!;
        assert.equal(lost.body.NeutronError.type, 'IpAddressAlreadyAllocated');
      }
    });
  });
}

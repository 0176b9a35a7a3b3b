/**
 * Acceptance: live migration through the real clients — `openstack server migrate
 * --live-migration [--host H]` (Debian's OSC: --host needs --os-compute-api-version
 * 2.30; without one it sends 2.1's body), `nova live-migration`, `nova
 * server-migration-list`, `nova live-migration-force-complete` and `nova
 * live-migration-abort` — with the port's binding host as `openstack port show`
 * prints it. One two-host cloud, one server booted over the API; the fake driver's
 * migration is made slow (in process) for the force-complete and abort steps.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inProcessOnly, startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, nova, novaMissing, OPENSTACK, os, waitFor } from './helpers.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

describe('acceptance: live migration through openstack and nova', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  let vm: string;
  let portId: string;
  const api = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const server = async () => (await api('GET', `/servers/${vm}`)).body.server;
  /** ACTIVE with no task, on `host` when given (the migration finished). */
  const settled = (host?: string) =>
    waitFor(`vm1 ACTIVE${host ? ` on ${host}` : ''}`, async () => {
      const s = await server();
      if (s.status === 'ERROR') throw new Error(`vm1 went to ERROR: ${JSON.stringify(s.fault)}`);
      return s.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null && (!host || s['OS-EXT-SRV-ATTR:host'] === host) ? s : undefined;
    });
  const bindingHost = async () => JSON.parse(await os(cloud, 'admin', 'port', 'show', portId, '-f', 'json', '-c', 'binding_host_id')).binding_host_id as string;
  const other = (h: string) => (h === 'compute1' ? 'compute2' : 'compute1');
  const running = () =>
    waitFor('a running live migration', async () => {
      const [m] = (await api('GET', `/servers/${vm}/migrations`)).body.migrations;
      return m?.status === 'running' ? (m as { id: number }) : undefined;
    });

  before(async () => {
    cloud = await startTestCloud(FAST);
    const net = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } })).body.network;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 } });
    const image = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    vm = (await cloud.api('demo', 'POST', `${cloud.urls.compute}/v2.1/servers`, { server: { name: 'vm1', flavorRef: '100', imageRef: image, networks: [{ uuid: net.id }] } })).body.server.id;
    await settled();
    portId = (await cloud.api('admin', 'GET', `${cloud.urls.network}/v2.0/ports?device_id=${vm}`)).body.ports[0].id;
  });
  after(() => cloud?.stop());

  test('openstack server migrate --live-migration, with and without --host: the server and its binding move', async () => {
    const src = (await settled())['OS-EXT-SRV-ATTR:host'];
    assert.equal(await bindingHost(), src);
    // No host: 2.1's body (block_migration False, disk_over_commit False), the scheduler picks.
    assert.equal(await os(cloud, 'admin', 'server', 'migrate', '--live-migration', vm), '');
    await settled(other(src));
    assert.equal(await bindingHost(), other(src));
    // --host needs 2.30 in this OSC; the scheduler still checks the host (force false).
    const refused = await cli(cloud, 'admin', OPENSTACK, ['server', 'migrate', '--live-migration', '--host', src, vm]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--os-compute-api-version 2\.30 or greater is required when using --host/);
    assert.equal(await os(cloud, 'admin', '--os-compute-api-version', '2.30', 'server', 'migrate', '--live-migration', '--host', src, vm), '');
    await settled(src);
    assert.equal(await bindingHost(), src);
    const list = JSON.parse(await os(cloud, 'admin', '--os-compute-api-version', '2.23', 'server', 'migration', 'list', '--server', vm, '-f', 'json')) as Record<string, unknown>[];
    assert.deepEqual(
      list.map((m) => [m['Type'], m['Status']]),
      [
        ['live-migration', 'completed'],
        ['live-migration', 'completed'],
      ],
    );
  });

  test("nova live-migration (to a host and not); a host that does not exist is nova's 400", async () => {
    const src = (await settled())['OS-EXT-SRV-ATTR:host'];
    await nova(cloud, 'admin', 'live-migration', vm, other(src));
    await settled(other(src));
    assert.equal(await bindingHost(), other(src));
    await nova(cloud, 'admin', 'live-migration', vm);
    await settled(src);
    assert.equal(await bindingHost(), src);
    const bad = await cli(cloud, 'admin', 'nova', ['live-migration', vm, 'nosuchhost']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ERROR \(BadRequest\): Compute host nosuchhost could not be found\. \(HTTP 400\)/);
  });

  test('nova server-migration-list while it runs, then nova live-migration-force-complete', { skip: inProcessOnly('slows the fake driver through the running config') }, async () => {
    const src = (await settled())['OS-EXT-SRV-ATTR:host'];
    cloud.cfg.compute.fake_live_migration_seconds = 600;
    try {
      await nova(cloud, 'admin', 'live-migration', vm);
      const m = await running();
      const table = await nova(cloud, 'admin', 'server-migration-list', vm);
      assert.match(table, /\| Id\s+\| Source Node\s+\| Dest Node\s+\| Source Compute\s+\| Dest Compute\s+\| Dest Host\s+\| Status\s+\| Server UUID\s+\|/);
      assert.match(table, new RegExp(`\\| ${m.id}\\s+\\| ${src}\\s+\\| ${other(src)}\\s+\\| ${src}\\s+\\| ${other(src)}\\s+\\|.*\\| running\\s+\\| ${vm}`));
      await nova(cloud, 'admin', 'live-migration-force-complete', vm, String(m.id));
      await settled(other(src));
      assert.equal(await bindingHost(), other(src));
      assert.doesNotMatch(await nova(cloud, 'admin', 'server-migration-list', vm), /running/);
    } finally {
      cloud.cfg.compute.fake_live_migration_seconds = 0;
    }
  });

  test('nova live-migration-abort: the server stays where it was, the migration cancelled', { skip: inProcessOnly('slows the fake driver through the running config') }, async () => {
    const src = (await settled())['OS-EXT-SRV-ATTR:host'];
    cloud.cfg.compute.fake_live_migration_seconds = 600;
    try {
      await nova(cloud, 'admin', 'live-migration', vm);
      const m = await running();
      await nova(cloud, 'admin', 'live-migration-abort', vm, String(m.id));
      await waitFor('migration cancelled', async () => ((await api('GET', `/os-migrations?instance_uuid=${vm}`)).body.migrations[0].status === 'cancelled' ? true : undefined));
      await settled(src);
      assert.equal(await bindingHost(), src);
      const bindings = (await cloud.api('admin', 'GET', `${cloud.urls.network}/v2.0/ports/${portId}/bindings`)).body.bindings as { host: string }[];
      await waitFor('one binding left', async () => (((await cloud.api('admin', 'GET', `${cloud.urls.network}/v2.0/ports/${portId}/bindings`)).body.bindings as unknown[]).length === 1 ? true : undefined));
      assert.ok(bindings.some((b) => b.host === src));
      const again = await cli(cloud, 'admin', 'nova', ['live-migration-abort', vm, String(m.id)]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, new RegExp(`Instance ${vm} is in an invalid state for 'abort live migration' \\(HTTP 409\\)`));
    } finally {
      cloud.cfg.compute.fake_live_migration_seconds = 0;
    }
  });
});

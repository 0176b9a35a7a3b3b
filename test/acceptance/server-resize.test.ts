/**
 * Acceptance: resize and cold migration through the real clients — `openstack server
 * resize --flavor`, `openstack server resize confirm|revert`, `openstack server migrate
 * [--host]`, `openstack server migration list`, `nova resize`, `nova resize-revert`,
 * `nova resize-confirm`, `nova migrate`, `nova migration-list` — with the port's binding
 * host as `openstack port show` (admin) prints it, and nova's 400 text for a resize to
 * the same flavor. One two-host cloud, one server booted over the API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, nova, novaMissing, OPENSTACK, os, waitFor } from './helpers.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

describe('acceptance: resize and migrate through openstack and nova', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  let vm: string;
  let portId: string;
  const api = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const status = (want: string) =>
    waitFor(`vm1 ${want}`, async () => {
      const s = (await api('GET', `/servers/${vm}`)).body.server;
      if (s.status === 'ERROR') throw new Error(`vm1 went to ERROR: ${JSON.stringify(s.fault)}`);
      return s.status === want && s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });
  const bindingHost = async () => JSON.parse(await os(cloud, 'admin', 'port', 'show', portId, '-f', 'json', '-c', 'binding_host_id')).binding_host_id as string;

  before(async () => {
    cloud = await startTestCloud(FAST);
    const net = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } })).body.network;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 } });
    const image = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    vm = (await cloud.api('demo', 'POST', `${cloud.urls.compute}/v2.1/servers`, { server: { name: 'vm1', flavorRef: '100', imageRef: image, networks: [{ uuid: net.id }] } })).body.server.id;
    await status('ACTIVE');
    portId = (await cloud.api('admin', 'GET', `${cloud.urls.network}/v2.0/ports?device_id=${vm}`)).body.ports[0].id;
  });
  after(() => cloud?.stop());

  test('openstack server resize --flavor, then resize confirm: the server and its port binding on the other host', async () => {
    const src = (await status('ACTIVE'))['OS-EXT-SRV-ATTR:host'];
    assert.equal(await bindingHost(), src);
    assert.equal(await os(cloud, 'demo', 'server', 'resize', '--flavor', 'm1.nano', 'vm1'), '');
    const resized = await status('VERIFY_RESIZE');
    assert.notEqual(resized['OS-EXT-SRV-ATTR:host'], src);
    assert.equal(await bindingHost(), resized['OS-EXT-SRV-ATTR:host']);
    const shown = JSON.parse(await os(cloud, 'demo', 'server', 'show', 'vm1', '-f', 'json'));
    assert.equal(shown.status, 'VERIFY_RESIZE');
    assert.equal(await os(cloud, 'demo', 'server', 'resize', 'confirm', 'vm1'), '');
    const done = await status('ACTIVE');
    assert.equal(done.flavor.original_name, 'm1.nano');
  });

  test('a resize to the flavor it has is refused with nova\'s text', async () => {
    const r = await cli(cloud, 'demo', OPENSTACK, ['server', 'resize', '--flavor', 'm1.nano', 'vm1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /When resizing, instances must change flavor! \(HTTP 400\) \(Request-ID: req-[0-9a-f-]+\)/);
  });

  test('nova resize, then nova resize-revert: flavor, host and binding back', async () => {
    const src = (await status('ACTIVE'))['OS-EXT-SRV-ATTR:host'];
    await nova(cloud, 'demo', 'resize', 'vm1', 'm1.micro');
    const resized = await status('VERIFY_RESIZE');
    assert.equal(resized.flavor.original_name, 'm1.micro');
    await nova(cloud, 'demo', 'resize-revert', 'vm1');
    const back = await status('ACTIVE');
    assert.equal(back['OS-EXT-SRV-ATTR:host'], src);
    assert.equal(back.flavor.original_name, 'm1.nano');
    assert.equal(await bindingHost(), src);
  });

  test('openstack server migrate (admin) and server migration list; nova migrate and migration-list', async () => {
    const src = (await status('ACTIVE'))['OS-EXT-SRV-ATTR:host'];
    const other = src === 'compute1' ? 'compute2' : 'compute1';
    assert.equal(await os(cloud, 'admin', '--os-compute-api-version', '2.56', 'server', 'migrate', '--host', other, vm), '');
    assert.equal((await status('VERIFY_RESIZE'))['OS-EXT-SRV-ATTR:host'], other);
    assert.equal(await os(cloud, 'admin', 'server', 'resize', 'revert', vm), '');
    assert.equal((await status('ACTIVE'))['OS-EXT-SRV-ATTR:host'], src);
    assert.equal(await bindingHost(), src);

    const list = JSON.parse(await os(cloud, 'admin', '--os-compute-api-version', '2.80', 'server', 'migration', 'list', '--server', vm, '-f', 'json')) as Record<string, unknown>[];
    assert.deepEqual(
      list.map((m) => [m['Type'], m['Status'], m['Old Flavor'] === m['New Flavor']]),
      [
        ['migration', 'reverted', true],
        ['resize', 'reverted', false],
        ['resize', 'confirmed', false],
      ],
    );
    assert.equal(list[0]!['Source Compute'], src);
    assert.equal(list[0]!['Dest Compute'], other);

    // novaclient's migrate is a cast; confirm it with nova resize-confirm.
    await nova(cloud, 'admin', 'migrate', vm);
    assert.equal((await status('VERIFY_RESIZE'))['OS-EXT-SRV-ATTR:host'], other);
    await nova(cloud, 'admin', 'resize-confirm', vm);
    await status('ACTIVE');
    assert.equal(await bindingHost(), other);
    const table = await nova(cloud, 'admin', 'migration-list');
    assert.match(table, /\| Id\s+\| UUID\s+\| Source Node\s+\| Dest Node\s+\| Source Compute\s+\| Dest Compute\s+\| Dest Host\s+\| Status\s+\|/);
    assert.equal(table.split('\n').filter((l) => l.includes(vm)).length, 4);
    assert.match(table, /\| confirmed\s+\|/);

    const denied = await cli(cloud, 'demo', OPENSTACK, ['server', 'migrate', 'vm1']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /Policy doesn't allow os_compute_api:os-migrate-server:migrate to be performed\. \(HTTP 403\)/);
  });
});

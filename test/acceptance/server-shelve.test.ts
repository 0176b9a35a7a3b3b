/**
 * Acceptance: shelve and unshelve through the real clients — `openstack server shelve [--offload]`,
 * `openstack server unshelve [--availability-zone]`, `nova shelve`, `nova
 * shelve-offload`, `nova unshelve` — with the port's binding host as `openstack port
 * show` (admin) prints it, and nova's 409 text for an unshelve of a running server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, nova, NOVA, novaMissing, OPENSTACK, os, waitFor } from './helpers.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

describe('acceptance: shelve and unshelve through openstack and nova', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  let vm: string;
  let portId: string;
  const api = (method: string, path: string) => cloud.api('admin', method, `${cloud.urls.compute}/v2.1${path}`, undefined, { 'openstack-api-version': 'compute 2.92' });
  const status = (want: string) =>
    waitFor(`vm1 ${want}`, async () => {
      const s = (await api('GET', `/servers/${vm}`)).body.server;
      if (s.status === 'ERROR') throw new Error(`vm1 went to ERROR: ${JSON.stringify(s.fault)}`);
      return s.status === want && s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });
  const bindingHost = async () => JSON.parse(await os(cloud, 'admin', 'port', 'show', portId, '-f', 'json', '-c', 'binding_host_id')).binding_host_id as string;

  before(async () => {
    // shelved_offload_time -1: `nova shelve-offload` has a SHELVED server to offload.
    cloud = await startTestCloud({ ...FAST, DEFAULT: { shelved_offload_time: -1 } });
    const net = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } })).body.network;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 } });
    const image = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    vm = (await cloud.api('demo', 'POST', `${cloud.urls.compute}/v2.1/servers`, { server: { name: 'vm1', flavorRef: '100', imageRef: image, networks: [{ uuid: net.id }] } })).body.server.id;
    await status('ACTIVE');
    portId = (await cloud.api('admin', 'GET', `${cloud.urls.network}/v2.0/ports?device_id=${vm}`)).body.ports[0].id;
  });
  after(() => cloud?.stop());

  // openstack server unshelve skips a server that is not shelved without asking nova; novaclient asks.
  test('nova unshelve of an active server is refused with the 409 text', async () => {
    const r = await cli(cloud, 'demo', NOVA, ['unshelve', 'vm1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Cannot 'unshelve' instance ${vm} while it is in vm_state active \\(HTTP 409\\)`));
  });

  test('nova shelve, nova shelve-offload, nova unshelve: SHELVED, SHELVED_OFFLOADED, then ACTIVE and bound where it runs', async () => {
    await nova(cloud, 'demo', 'shelve', 'vm1');
    assert.equal((await status('SHELVED'))['OS-EXT-SRV-ATTR:host'] !== null, true);
    await nova(cloud, 'admin', 'shelve-offload', vm);
    assert.equal((await status('SHELVED_OFFLOADED'))['OS-EXT-SRV-ATTR:host'], null);
    await nova(cloud, 'demo', 'unshelve', 'vm1');
    const host = (await status('ACTIVE'))['OS-EXT-SRV-ATTR:host'];
    assert.equal(await bindingHost(), host);
  });

  test('openstack server shelve, shelve --offload (admin) and server unshelve --availability-zone', async () => {
    assert.equal(await os(cloud, 'demo', 'server', 'shelve', 'vm1'), '');
    await status('SHELVED');
    // The offload is admin-only: the member is refused with the policy's text.
    const denied = await cli(cloud, 'demo', OPENSTACK, ['server', 'shelve', '--offload', 'vm1']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /Policy doesn't allow os_compute_api:os-shelve:shelve_offload to be performed\. \(HTTP 403\)/);
    assert.equal(await os(cloud, 'admin', 'server', 'shelve', '--offload', vm), '');
    await status('SHELVED_OFFLOADED');
    const shown = JSON.parse(await os(cloud, 'demo', 'server', 'show', 'vm1', '-f', 'json'));
    assert.equal(shown.status, 'SHELVED_OFFLOADED');
    assert.equal(await os(cloud, 'demo', '--os-compute-api-version', '2.77', 'server', 'unshelve', '--availability-zone', 'nova', 'vm1'), '');
    const host = (await status('ACTIVE'))['OS-EXT-SRV-ATTR:host'];
    assert.equal(await bindingHost(), host);
  });
});

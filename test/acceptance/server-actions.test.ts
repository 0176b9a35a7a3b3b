/**
 * Acceptance: server actions through the real clients — `openstack server
 * stop|start|reboot [--hard]|pause|unpause|suspend|resume|lock|unlock`, `openstack
 * console log show`, and novaclient's `nova stop|start|reboot|lock|unlock|add-secgroup|remove-secgroup`, with nova's 409 text as the clients print it.
 * `openstack server rebuild --image`, `server image create`, `server backup create`, `server delete` (soft, with
 * reclaim_instance_interval) and `server restore`.
 * One cloud, one server booted over the API; states are polled over the API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, nova, novaMissing, OPENSTACK, os, waitFor } from './helpers.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

describe('acceptance: server actions through openstack and nova', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  let vm: string;
  const api = (method: string, path: string, body?: unknown) => cloud.api('demo', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const status = (want: string) =>
    waitFor(`vm1 ${want}`, async () => {
      const s = (await api('GET', `/servers/${vm}`)).body.server;
      return s.status === want && s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });

  before(async () => {
    // A delete soft-deletes here, so `server restore` has something to restore.
    cloud = await startTestCloud({ ...FAST, compute: { reclaim_instance_interval: 3600 } });
    const net = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } })).body.network;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 } });
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/security-groups`, { security_group: { name: 'web' } });
    const image = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    vm = (await api('POST', '/servers', { server: { name: 'vm1', flavorRef: '100', imageRef: image, networks: [{ uuid: net.id }] } })).body.server.id;
    await status('ACTIVE');
  });
  after(() => cloud?.stop());

  test('openstack server stop / start, and start of a running server is refused with the 409 text', async () => {
    assert.equal(await os(cloud, 'demo', 'server', 'stop', 'vm1'), '');
    assert.equal((await status('SHUTOFF'))['OS-EXT-STS:power_state'], 4);
    assert.equal(await os(cloud, 'demo', 'server', 'start', 'vm1'), '');
    await status('ACTIVE');
    const r = await cli(cloud, 'demo', OPENSTACK, ['server', 'start', 'vm1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Cannot 'start' instance ${vm} while it is in vm_state active \\(HTTP 409\\) \\(Request-ID: req-[0-9a-f-]+\\)`));
  });

  test('openstack server reboot --hard / pause / unpause / suspend / resume', async () => {
    await os(cloud, 'demo', 'server', 'reboot', '--hard', 'vm1');
    await status('ACTIVE');
    await os(cloud, 'demo', 'server', 'pause', 'vm1');
    await status('PAUSED');
    await os(cloud, 'demo', 'server', 'unpause', 'vm1');
    await status('ACTIVE');
    await os(cloud, 'demo', 'server', 'suspend', 'vm1');
    await status('SUSPENDED');
    await os(cloud, 'demo', 'server', 'resume', 'vm1');
    await status('ACTIVE');
  });

  test('openstack server lock --reason / unlock; a locked server refuses the member', async () => {
    await os(cloud, 'demo', '--os-compute-api-version', '2.73', 'server', 'lock', '--reason', 'maint', 'vm1');
    const s = (await api('GET', `/servers/${vm}`)).body.server;
    assert.equal(s.locked, true);
    assert.equal(s.locked_reason, 'maint');
    const r = await cli(cloud, 'demo', OPENSTACK, ['server', 'stop', 'vm1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Instance ${vm} is locked \\(HTTP 409\\)`));
    await os(cloud, 'demo', 'server', 'unlock', 'vm1');
    assert.equal((await api('GET', `/servers/${vm}`)).body.server.locked, false);
  });

  test('openstack console log show --lines 2', async () => {
    const out = await os(cloud, 'demo', 'console', 'log', 'show', '--lines', '2', 'vm1');
    assert.equal(out, "login as 'cirros' user. default password: 'gocubsgo'. use 'sudo' for root.\nvm1 login: \n");
  });

  // `openstack server add security group` first looks the group up through nova's
  // os-security-groups proxy; novaclient posts the action with the name as given.
  test('nova add-secgroup / remove-secgroup', async () => {
    await nova(cloud, 'demo', 'add-secgroup', 'vm1', 'web');
    const groups = (await api('GET', `/servers/${vm}`)).body.server.security_groups.map((g: { name: string }) => g.name);
    assert.deepEqual(groups, ['default', 'web']);
    await nova(cloud, 'demo', 'remove-secgroup', 'vm1', 'web');
    assert.deepEqual((await api('GET', `/servers/${vm}`)).body.server.security_groups, [{ name: 'default' }]);
  });

  test('nova stop / start / reboot / lock / unlock', async () => {
    assert.equal((await nova(cloud, 'demo', 'stop', 'vm1')).trim(), 'Request to stop server vm1 has been accepted.');
    await status('SHUTOFF');
    assert.equal((await nova(cloud, 'demo', 'start', 'vm1')).trim(), 'Request to start server vm1 has been accepted.');
    await status('ACTIVE');
    assert.equal((await nova(cloud, 'demo', 'reboot', 'vm1')).trim(), `Request to reboot server vm1 (${vm}) has been accepted.`);
    await status('ACTIVE');
    await nova(cloud, 'demo', 'lock', 'vm1');
    assert.equal((await api('GET', `/servers/${vm}`)).body.server.locked, true);
    await nova(cloud, 'demo', 'unlock', 'vm1');
    assert.equal((await api('GET', `/servers/${vm}`)).body.server.locked, false);
  });

  test('openstack server rebuild --image / server image create', async () => {
    const image = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0];
    await os(cloud, 'demo', 'server', 'rebuild', '--image', image.name, 'vm1');
    await status('ACTIVE');
    const actions = (await api('GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions;
    assert.equal(actions[0].action, 'rebuild');
    const out = await os(cloud, 'demo', 'server', 'image', 'create', '--name', 'snap1', '-f', 'json', 'vm1');
    const snap = JSON.parse(out);
    assert.equal(snap.name, 'snap1');
    await waitFor('snap1 active', async () => ((await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images/${snap.id}`)).body.status === 'active' ? true : undefined));
    await status('ACTIVE');
  });

  test('openstack server backup create --type daily --rotate 1 --wait, twice: one backup kept', async () => {
    const first = JSON.parse(await os(cloud, 'demo', 'server', 'backup', 'create', '--name', 'bk1', '--type', 'daily', '--rotate', '1', '--wait', '-f', 'json', 'vm1'));
    assert.equal(first.name, 'bk1');
    await status('ACTIVE');
    await os(cloud, 'demo', 'server', 'backup', 'create', '--name', 'bk2', '--type', 'daily', '--rotate', '1', '--wait', 'vm1');
    await status('ACTIVE');
    const kept = await waitFor('rotation', async () => {
      const images = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images?backup_type=daily`)).body.images.map((i: { name: string }) => i.name);
      return images.length === 1 ? images : undefined;
    });
    assert.deepEqual(kept, ['bk2']);
  });

  test('openstack server delete (soft) / server restore', async () => {
    await os(cloud, 'demo', 'server', 'delete', 'vm1');
    await status('SOFT_DELETED');
    await os(cloud, 'demo', 'server', 'restore', 'vm1');
    await status('ACTIVE');
  });
});

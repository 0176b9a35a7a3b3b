/**
 * Acceptance: the server resource through the real clients — `openstack server set
 * --name/--property/--description/--tag`, `server unset --property`, `server show`,
 * `server list` with --name/--status/--flavor/--image/--ip, and `nova meta`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { neutron as neutronApi } from '../helpers/neutron.js';
import { nova, novaMissing, os, osJson, waitFor } from './helpers.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };
const IMAGE = 'cirros-0.6.2-x86_64-disk';

describe('acceptance: the server resource through openstackclient and novaclient', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  let vm: string;
  let other: string;
  let imageId: string;
  const computeApi = (method: string, path: string, body?: unknown) =>
    cloud.api('demo', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });

  before(async () => {
    cloud = await startTestCloud(FAST);
    const n = neutronApi(cloud);
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images?name=${IMAGE}`)).body.images[0].id;
    const net = await n.network('demo', { name: 'net1' });
    await n.subnet('demo', net.id, '1.2.3.0/24', { name: 'sub1' });
    const port = await n.port('demo', net.id, { fixed_ips: [{ ip_address: '1.2.3.77' }] });
    const boot = async (name: string, flavorRef: string, networks: unknown) =>
      (await computeApi('POST', '/servers', { server: { name, flavorRef, imageRef: imageId, networks } })).body.server.id as string;
    vm = await boot('vmA', '100', [{ port: port.id }]);
    other = await boot('otherB', '1', [{ uuid: net.id }]);
    for (const id of [vm, other]) await waitFor(`${id} ACTIVE`, async () => ((await computeApi('GET', `/servers/${id}`)).body.server.status === 'ACTIVE' ? true : undefined));
  });
  after(async () => {
    await cloud?.stop();
  });

  test('openstack server set --name --property --description; server unset --property; server show', async () => {
    await os(cloud, 'demo', 'server', 'set', '--name', 'vmB', '--property', 'k1=v1', '--property', 'k2=v2', vm);
    await os(cloud, 'demo', '--os-compute-api-version', '2.19', 'server', 'set', '--description', 'my server', 'vmB');
    await os(cloud, 'demo', 'server', 'unset', '--property', 'k2', 'vmB');
    const s = await osJson(cloud, 'demo', '--os-compute-api-version', '2.19', 'server', 'show', 'vmB');
    assert.equal(s.id, vm);
    assert.equal(s.name, 'vmB');
    assert.equal(s.description, 'my server');
    assert.deepEqual(s.properties, { k1: 'v1' });
    assert.deepEqual(s.addresses, { net1: ['1.2.3.77'] });
  });

  test('nova meta set / delete', async () => {
    await nova(cloud, 'demo', 'meta', vm, 'set', 'a=b', 'c=d');
    await nova(cloud, 'demo', 'meta', vm, 'delete', 'c');
    assert.deepEqual((await computeApi('GET', `/servers/${vm}/metadata`)).body.metadata, { k1: 'v1', a: 'b' });
  });

  test('openstack server set --tag (2.26)', async () => {
    await os(cloud, 'demo', '--os-compute-api-version', '2.26', 'server', 'set', '--tag', 'blue', '--tag', 'red', vm);
    assert.deepEqual((await computeApi('GET', `/servers/${vm}/tags`)).body.tags, ['blue', 'red']);
  });

  test('openstack server list --name --status --flavor --image --ip', async () => {
    const names = async (...args: string[]) => ((await osJson(cloud, 'demo', 'server', 'list', ...args)) as { Name: string }[]).map((r) => r.Name).sort();
    assert.deepEqual(await names('--name', '^vm', '--status', 'ACTIVE', '--flavor', '100', '--image', imageId, '--ip', '1.2.3.77'), ['vmB']);
    assert.deepEqual(await names('--flavor', '1'), ['otherB']);
  });
});

/**
 * Acceptance: evacuate through the real clients — `openstack compute service set --down`
 * (2.11) to mark the failed host's nova-compute down, `nova evacuate <server> <host>`,
 * `openstack server evacuate` (whose Zed client fails after nova accepted the request),
 * `openstack server migration list --type evacuation`, `nova migration-list`,
 * `openstack compute service set --up` — with the port's binding host as `openstack
 * port show` prints it, and nova's texts for a source still up, a target that is the
 * source, an unknown target and a non-admin. One two-host cloud; the source's
 * nova-compute keeps running (only forced down), so its guest's cleanup at its next
 * start is left to test/functional/compute-evacuate.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, NOVA, nova, novaMissing, OPENSTACK, os, waitFor } from './helpers.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

describe('acceptance: evacuate through nova and openstack', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const api = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const status = (id: string, want: string) =>
    waitFor(`${id} ${want}`, async () => {
      const s = (await api('GET', `/servers/${id}`)).body.server;
      if (s.status === 'ERROR' && want !== 'ERROR') throw new Error(`${id} went to ERROR: ${JSON.stringify(s.fault)}`);
      return s.status === want && s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });
  const bindingHost = async (portId: string) => JSON.parse(await os(cloud, 'admin', 'port', 'show', portId, '-f', 'json', '-c', 'binding_host_id')).binding_host_id as string;
  const serviceDown = (host: string, down: boolean) => os(cloud, 'admin', '--os-compute-api-version', '2.11', 'compute', 'service', 'set', down ? '--down' : '--up', host, 'nova-compute');
  const other = (host: string) => (host === 'compute1' ? 'compute2' : 'compute1');

  async function boot(name: string): Promise<{ id: string; src: string; portId: string }> {
    const id = (await cloud.api('demo', 'POST', `${cloud.urls.compute}/v2.1/servers`, { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } })).body.server.id as string;
    const s = await status(id, 'ACTIVE');
    const portId = (await cloud.api('admin', 'GET', `${cloud.urls.network}/v2.0/ports?device_id=${id}`)).body.ports[0].id as string;
    return { id, src: s['OS-EXT-SRV-ATTR:host'], portId };
  }

  before(async () => {
    cloud = await startTestCloud(FAST);
    netId = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } })).body.network.id;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.0.0.0/24', ip_version: 4 } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(() => cloud?.stop());

  test("refusals print nova's texts: the source still up, the target the source", async () => {
    const vm = await boot('vm-refused');
    const up = await cli(cloud, 'admin', NOVA, ['evacuate', vm.id]);
    assert.equal(up.code, 1);
    assert.match(up.stderr, new RegExp(`Compute service of ${vm.src} is still in use\\. \\(HTTP 400\\) \\(Request-ID: req-[0-9a-f-]+\\)`));
    const same = await cli(cloud, 'admin', OPENSTACK, ['--os-compute-api-version', '2.29', 'server', 'evacuate', '--host', vm.src, vm.id]);
    assert.equal(same.code, 1);
    assert.match(same.stderr, /The target host can't be the same one\. \(HTTP 400\)/);
    const unknown = await cli(cloud, 'admin', NOVA, ['evacuate', vm.id, 'nohost']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Compute host nohost not found\. \(HTTP 404\)/);
    const denied = await cli(cloud, 'demo', NOVA, ['evacuate', vm.id]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /Policy doesn't allow os_compute_api:os-evacuate to be performed\. \(HTTP 403\)/);
    await api('DELETE', `/servers/${vm.id}`);
  });

  test('compute service set --down, then nova evacuate <server> <host>: the server and its port on that host', async () => {
    const vm = await boot('vm-nova');
    const dst = other(vm.src);
    assert.equal(await serviceDown(vm.src, true), '');
    try {
      const listed = JSON.parse(await os(cloud, 'admin', '--os-compute-api-version', '2.11', 'compute', 'service', 'list', '--service', 'nova-compute', '--host', vm.src, '-f', 'json'));
      assert.equal(listed[0]['State'], 'down');
      await nova(cloud, 'admin', 'evacuate', vm.id, dst);
      const s = await status(vm.id, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], dst);
      assert.equal(await bindingHost(vm.portId), dst);
      const list = JSON.parse(await os(cloud, 'admin', '--os-compute-api-version', '2.80', 'server', 'migration', 'list', '--type', 'evacuation', '--server', vm.id, '-f', 'json')) as Record<string, unknown>[];
      assert.equal(list.length, 1);
      assert.deepEqual([list[0]!['Type'], list[0]!['Status'], list[0]!['Source Compute'], list[0]!['Dest Compute']], ['evacuation', 'done', vm.src, dst]);
      const table = await nova(cloud, 'admin', 'migration-list', '--instance-uuid', vm.id);
      assert.match(table, /\| evacuation\s+\|/);
      const actions = JSON.parse(await os(cloud, 'admin', 'server', 'event', 'list', vm.id, '-f', 'json')) as Record<string, unknown>[];
      assert.ok(actions.some((a) => a['Action'] === 'evacuate'), JSON.stringify(actions));
    } finally {
      assert.equal(await serviceDown(vm.src, false), '');
    }
  });

  test('openstack server evacuate (scheduled): the request goes through, ACTIVE on the other host, the port bound there', async () => {
    const vm = await boot('vm-osc');
    assert.equal(await serviceDown(vm.src, true), '');
    try {
      // Zed's openstackclient reads the server from what novaclient's evacuate returns (a
      // TupleWithMeta), so it fails after nova accepted the evacuation — against any
      // Zed nova, this cloud included.
      const r = await cli(cloud, 'admin', OPENSTACK, ['server', 'evacuate', vm.id, '-f', 'json']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /'TupleWithMeta' object has no attribute/);
      const s = await status(vm.id, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], other(vm.src));
      assert.equal(await bindingHost(vm.portId), other(vm.src));
      const shown = JSON.parse(await os(cloud, 'admin', 'server', 'show', vm.id, '-f', 'json'));
      assert.equal(shown['OS-EXT-SRV-ATTR:host'], other(vm.src));
      assert.equal(shown.status, 'ACTIVE');
    } finally {
      assert.equal(await serviceDown(vm.src, false), '');
    }
  });
});

/**
 * Whole boots in process over HTTP: nova-api → conductor → scheduler → nova-compute →
 * neutron (port create + binding) → hybrid plug on the host → OVS agent → port ACTIVE →
 * network-vif-plugged → ACTIVE; then delete, and nothing is left behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestCloud, inProcessCheck, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

describe('compute: boot and delete', () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const nova = (user: 'admin' | 'demo', method: string, path: string, body?: unknown) =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const neutron = (user: 'admin' | 'demo', method: string, path: string, body?: unknown) => cloud.api(user, method, `${cloud.urls.network}/v2.0${path}`, body);

  before(async () => {
    cloud = await startTestCloud(FAST);
    const net = await neutron('demo', 'POST', '/networks', { network: { name: 'net1' } });
    netId = net.body.network.id;
    await neutron('demo', 'POST', '/subnets', { subnet: { network_id: netId, cidr: '1.2.3.0/24', ip_version: 4, name: 'sub1' } });
    const images = await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`);
    imageId = images.body.images[0].id;
  });
  after(() => cloud?.stop());

  async function boot(name: string, networks: unknown) {
    const r = await nova('demo', 'POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body.server.id as string;
  }

  async function waitStatus(id: string, status: string) {
    return waitFor(`server ${id} ${status}`, async () => {
      const s = await nova('admin', 'GET', `/servers/${id}`);
      if (s.body.server?.status === 'ERROR' && status !== 'ERROR') throw new Error(`server went to ERROR: ${JSON.stringify(s.body.server.fault)}`);
      return s.body.server?.status === status ? s.body.server : undefined;
    });
  }

  it('boots with net-id + fixed ip to ACTIVE with the port ACTIVE and the devices plugged', async (t) => {
    const id = await boot('vm2', [{ uuid: netId, fixed_ip: '1.2.3.10' }]);
    const server = await waitStatus(id, 'ACTIVE');
    assert.equal(server['OS-EXT-STS:vm_state'], 'active');
    assert.equal(server.addresses.net1[0].addr, '1.2.3.10');
    const ports = await neutron('admin', 'GET', `/ports?device_id=${id}`);
    assert.equal(ports.body.ports.length, 1);
    const port = ports.body.ports[0];
    assert.equal(port.status, 'ACTIVE');
    assert.equal(port['binding:vif_type'], 'ovs');
    assert.equal(port.device_owner, 'compute:nova');
    const host = server['OS-EXT-SRV-ATTR:host'];
    const short = port.id.slice(0, 11);
    await inProcessCheck(t, 'the hybrid plug devices on the host (cloud.hostnets)', () => {
      const devs = cloud.hostnets.get(host).snapshot();
      for (const name of [`qbr${short}`, `qvb${short}`, `qvo${short}`]) assert.ok(devs.links.some((l: { name: string }) => l.name === name), `${name} on ${host}`);
    });

    const ifaces = await nova('demo', 'GET', `/servers/${id}/os-interface`);
    assert.equal(ifaces.body.interfaceAttachments[0].port_state, 'ACTIVE');

    const del = await nova('demo', 'DELETE', `/servers/${id}`);
    assert.equal(del.status, 204);
    await waitFor('server gone', async () => ((await nova('demo', 'GET', `/servers/${id}`)).status === 404 ? true : undefined));
    const left = await neutron('admin', 'GET', `/ports?device_id=${id}`);
    assert.equal(left.body.ports.length, 0);
    await inProcessCheck(t, 'the devices are removed from the host (cloud.hostnets)', () => {
      const devsAfter = cloud.hostnets.get(host).snapshot();
      assert.ok(!devsAfter.links.some((l: { name: string }) => l.name.endsWith(short)), 'devices removed');
    });
  });
});

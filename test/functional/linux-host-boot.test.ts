/**
 * A whole cloud on this machine's real devices ([DEFAULT] host_driver = linux, one host,
 * a private Open vSwitch): a server boots to ACTIVE as a network namespace holding eth0
 * with its port's MAC, its tap in qbrX with qvbX, qvoX on br-int with the port's
 * iface-id and the local VLAN tag the OVS agent gives it; deleting it leaves no device and no namespace. Skipped with its reason
 * where root or OVS is missing (never under CI=true as root).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { guestNamespace } from '../../src/compute/virt/vif.js';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { createLogger } from '../../src/common/log.js';
import { type OvsSandbox, hostLinkNames, linuxHostSkipReason, startOvsSandbox } from '../helpers/ovs.js';
import { waitFor } from '../helpers/wait.js';

const skip = linuxHostSkipReason();
if (skip) console.log(`# linux host boot test skipped: ${skip}`);

describe('a server on a linux host', { skip: skip ?? false }, () => {
  let ovs: OvsSandbox;
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const nova = (method: string, path: string, body?: unknown) => cloud.api('demo', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const neutron = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.network}/v2.0${path}`, body);

  before(async () => {
    ovs = await startOvsSandbox();
    cloud = await startTestCloud({
      DEFAULT: { host_driver: 'linux', hosts: ['linux1'] },
      linux_host: { ovsdb_socket: ovs.db },
      agent: { polling_interval: 0, datapath_type: 'netdev' },
      network: { send_events_interval: 0 },
    }, undefined, process.env['DEBUG_LINUX_HOST'] ? createLogger('warn') : undefined);
    const net = await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } });
    netId = net.body.network.id;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.9.0.0/24', ip_version: 4 } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(async () => {
    await cloud?.stop();
    await ovs?.stop();
  });

  it('is a namespace with eth0 (the port\'s MAC) behind the hybrid plug, and leaves nothing when deleted', async () => {
    const r = await nova('POST', '/servers', { server: { name: 'vm1', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id = r.body.server.id as string;
    await waitFor(`server ${id} ACTIVE`, async () => {
      const s = (await nova('GET', `/servers/${id}`)).body.server;
      if (s?.status === 'ERROR') throw new Error(`server went to ERROR: ${JSON.stringify(s.fault)}`);
      return s?.status === 'ACTIVE' ? s : undefined;
    });
    const port = (await neutron('GET', `/ports?device_id=${id}`)).body.ports[0];
    const short = port.id.slice(0, 11);
    const ns = JSON.parse(execFileSync('ip', ['-n', guestNamespace(id), '-json', 'link', 'show', 'eth0'], { encoding: 'utf8' }))[0];
    assert.equal(ns.address, port.mac_address);
    assert.ok(ns.flags.includes('UP'));
    const brif = execFileSync('ls', [`/sys/class/net/qbr${short}/brif`], { encoding: 'utf8' }).trim().split('\n').sort();
    assert.deepEqual(brif, [`qvb${short}`, `tap${short}`]);
    const ids = execFileSync('ovs-vsctl', [`--db=${ovs.db}`, 'get', 'Interface', `qvo${short}`, 'external_ids:iface-id'], { encoding: 'utf8' }).trim();
    assert.equal(ids, `"${port.id}"`);
    // The OVS agent saw the port through the OVSDB monitor and tagged it with the network's local VLAN.
    const tag = execFileSync('ovs-vsctl', [`--db=${ovs.db}`, 'get', 'Port', `qvo${short}`, 'tag'], { encoding: 'utf8' }).trim();
    assert.match(tag, /^[1-9]\d*$/);
    assert.notEqual(tag, '4095');

    assert.equal((await nova('DELETE', `/servers/${id}`)).status, 204);
    await waitFor('server gone', async () => ((await nova('GET', `/servers/${id}`)).status === 404 ? true : undefined));
    const left = await hostLinkNames();
    assert.deepEqual(left.links.filter((l) => l.endsWith(short)), []);
    assert.ok(!left.namespaces.includes(guestNamespace(id)));
  });
});

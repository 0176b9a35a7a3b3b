/**
 * Several hypervisor hosts on one machine: an embedded cloud whose two linux hosts are
 * each a network namespace with its own ovsdb-server/ovs-vswitchd, joined by an
 * underlay (test/helpers/host-netns.ts, scripts/host-netns.sh). A server forced onto
 * each host goes ACTIVE with its devices in that host's namespace (none in the root
 * namespace), each agent reports its host's underlay address as tunneling_ip, the hosts
 * reach each other over the underlay, and deleting the servers leaves no device and no
 * guest namespace. Two guests of one network on the two hosts ping each other through
 * br-tun's VXLAN ports over the underlay. Skipped with its reason where root or OVS is
 * missing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { guestNamespace } from '../../src/compute/virt/vif.js';
import { createLogger } from '../../src/common/log.js';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { configureGuestAddress, pings } from '../helpers/guests.js';
import { type HostNamespaces, namespaceLinkNames, startHostNamespaces } from '../helpers/host-netns.js';
import { hostLinkNames, linuxHostSkipReason } from '../helpers/ovs.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
const skip = linuxHostSkipReason();
if (skip) console.log(`# linux hosts in namespaces test skipped: ${skip}`);

const HOSTS = ['hostns1', 'hostns2'];



describe('two linux hosts, each a network namespace with its own Open vSwitch', { skip: skip ?? false }, () => {
  let hosts: HostNamespaces;
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const nova = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const neutron = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.network}/v2.0${path}`, body);
  const servers: string[] = [];

  async function boot(name: string, host: string): Promise<{ id: string; port: { id: string; mac_address: string; fixed_ips: { ip_address: string }[] } }> {
    const r = await nova('POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }], availability_zone: `nova:${host}` } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id = r.body.server.id as string;
    servers.push(id);
    const s = await waitFor(`server ${name} ACTIVE`, async () => {
      const s = (await nova('GET', `/servers/${id}`)).body.server;
      if (s?.status === 'ERROR') throw new Error(`server went to ERROR: ${JSON.stringify(s.fault)}`);
      return s?.status === 'ACTIVE' ? s : undefined;
    });
    assert.equal(s['OS-EXT-SRV-ATTR:host'], host);
    const port = (await neutron('GET', `/ports?device_id=${id}`)).body.ports[0];
    return { id, port };
  }

  before(async () => {
    hosts = await startHostNamespaces('nimbus-hn', HOSTS);
    cloud = await startTestCloud(
      {
        DEFAULT: { host_driver: 'linux', hosts: HOSTS },
        linux_host: hosts.linuxHostConfig(),
        agent: { polling_interval: 0, datapath_type: 'netdev' },
        network: { send_events_interval: 0 },
      },
      undefined,
      process.env['DEBUG_LINUX_HOST'] ? createLogger('warn') : undefined,
    );
    const net = await neutron('POST', '/networks', { network: { name: 'net-hn' } });
    netId = net.body.network.id;
    await neutron('POST', '/subnets', { subnet: { network_id: netId, cidr: '10.78.0.0/24', ip_version: 4 } });
    imageId = (await cloud.api('admin', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(async () => {
    for (const id of servers) await nova('DELETE', `/servers/${id}`).catch(() => undefined);
    await cloud?.stop();
    for (const id of servers) await exec('ip', ['netns', 'delete', guestNamespace(id)]).catch(() => undefined);
    await hosts?.stop();
  });

  it('the hosts reach each other over the underlay, and each agent reports its own local_ip as tunneling_ip', async () => {
    assert.ok(await pings(hosts.hosts[0]!.netns, hosts.hosts[1]!.localIp, 2));
    assert.ok(await pings(hosts.hosts[1]!.netns, hosts.hosts[0]!.localIp, 2));
    const agents = (await neutron('GET', '/agents?binary=neutron-openvswitch-agent')).body.agents as { host: string; configurations: { tunneling_ip: string } }[];
    const ips = Object.fromEntries(agents.filter((a) => HOSTS.includes(a.host)).map((a) => [a.host, a.configurations.tunneling_ip]));
    assert.deepEqual(ips, Object.fromEntries(hosts.hosts.map((h) => [h.host, h.localIp])));
  });

  it('a server on each host goes ACTIVE with its devices in its host\'s namespace; deleting them leaves nothing', async () => {
    const booted = [];
    const ours: string[] = [];
    for (const [i, host] of HOSTS.entries()) {
      const b = await boot(`vm-hn${i + 1}`, host);
      booted.push(b);
      const short = b.port.id.slice(0, 11);
      const devs = [`qbr${short}`, `qvb${short}`, `qvo${short}`, `tap${short}`];
      ours.push(...devs);
      const here = await namespaceLinkNames(hosts.hosts[i]!.netns);
      assert.deepEqual(devs.filter((d) => !here.includes(d)), [], `devices of ${b.id} in ${hosts.hosts[i]!.netns}`);
      const there = await namespaceLinkNames(hosts.hosts[1 - i]!.netns);
      assert.deepEqual(devs.filter((d) => there.includes(d)), []);
      const nic = JSON.parse((await exec('ip', ['-n', guestNamespace(b.id), '-json', 'link', 'show', 'eth0'])).stdout)[0];
      assert.equal(nic.address, b.port.mac_address);
      // The agent of that host saw the port through its own ovsdb-server and gave it a local VLAN.
      const tag = await waitFor(`local VLAN of qvo${short}`, async () => {
        const t = (await exec('ovs-vsctl', [`--db=${hosts.hosts[i]!.db}`, 'get', 'Port', `qvo${short}`, 'tag'])).stdout.trim();
        return /^[1-9]\d*$/.test(t) && t !== '4095' ? t : undefined;
      });
      assert.ok(tag);
    }
    // None in the root namespace (where other tests' hosts may have devices of their own).
    assert.deepEqual((await hostLinkNames()).links.filter((l) => ours.includes(l)), []);

    for (const b of booted) assert.equal((await nova('DELETE', `/servers/${b.id}`)).status, 204);
    for (const b of booted) await waitFor(`server ${b.id} gone`, async () => ((await nova('GET', `/servers/${b.id}`)).status === 404 ? true : undefined));
    const ns = (await hostLinkNames()).namespaces;
    for (const [i, b] of booted.entries()) {
      const short = b.port.id.slice(0, 11);
      assert.deepEqual((await namespaceLinkNames(hosts.hosts[i]!.netns)).filter((l) => l.endsWith(short)), []);
      assert.ok(!ns.includes(guestNamespace(b.id)));
    }
  });

  it('two guests on one network on two hosts ping each other over VXLAN', async () => {
    const a = await boot('vm-hn-ping1', HOSTS[0]!);
    const b = await boot('vm-hn-ping2', HOSTS[1]!);
    const ipA = a.port.fixed_ips[0]!.ip_address;
    const ipB = b.port.fixed_ips[0]!.ip_address;
    await configureGuestAddress(a.id, `${ipA}/24`);
    await configureGuestAddress(b.id, `${ipB}/24`);
    await waitFor('a ping from host 1 to host 2', async () => ((await pings(guestNamespace(a.id), ipB)) ? true : undefined), 30_000);
    assert.ok(await pings(guestNamespace(b.id), ipA, 2));
    // The only way between the two is the underlay: each host's br-tun has its VXLAN port to the other's local_ip.
    for (const [i, h] of hosts.hosts.entries()) {
      const other = hosts.hosts[1 - i]!.localIp;
      const port = `vxlan-${other.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('')}`;
      const opts = (await exec('ovs-vsctl', [`--db=${h.db}`, 'get', 'Interface', port, 'options'])).stdout;
      assert.match(opts, new RegExp(`local_ip="${h.localIp.replace(/\./g, '\\.')}"`));
      assert.match(opts, new RegExp(`remote_ip="${other.replace(/\./g, '\\.')}"`));
    }
    for (const s of [a, b]) assert.equal((await nova('DELETE', `/servers/${s.id}`)).status, 204);
    for (const s of [a, b]) await waitFor(`server ${s.id} gone`, async () => ((await nova('GET', `/servers/${s.id}`)).status === 404 ? true : undefined));
  });
});

/**
 * Real hosts across processes (issue 13, item 6): a distributed deployment on RabbitMQ and
 * PostgreSQL (test/helpers/deployment.ts) whose two `nimbus host` processes are linux
 * hosts, each a network namespace with its own Open vSwitch joined by an underlay
 * (test/helpers/host-netns.ts). Each host process has its own config file: host_driver =
 * linux, [linux_host] netns and ovsdb_socket, [ovs] local_ip. A server forced onto each
 * host goes ACTIVE with its devices in that host's namespace only, each br-tun gets a
 * VXLAN port to the other host's underlay address (learnt through tunnel_sync and
 * tunnel_update over RabbitMQ), the two guests ping each other, and deleting them leaves
 * nothing in the namespaces. Each host also runs its DHCP agent ([DEFAULT] dhcp_agent,
 * state_path in the host's own directory): a network's DHCP port lands on one host and a
 * guest on the other leases its address across the tunnel. Skipped with the reason where
 * root/OVS/DHCP tools or the deployment (bundle, broker, database) is missing; under
 * CI=true both must be there.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { guestNamespace } from '../../src/compute/virt/vif.js';
import { type ApiAnswer, type Deployment, deploymentApi, deploymentUnavailable, startDeployment } from '../helpers/deployment.js';
import { configureGuestAddress, pings } from '../helpers/guests.js';
import { type HostNamespaces, namespaceLinkNames, startHostNamespaces } from '../helpers/host-netns.js';
import { hostLinkNames, linuxHostDhcpSkipReason } from '../helpers/ovs.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
const HOSTS = ['dhost1', 'dhost2'];
const rootSkip = linuxHostDhcpSkipReason();
if (rootSkip) console.log(`# distributed linux hosts test skipped: ${rootSkip}`);

/** br-tun's port to `ip` (ovs_lib's get_tunnel_name: vxlan-<hex of the address>). */
const vxlanPort = (ip: string) => `vxlan-${ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('')}`;

describe('distributed deployment whose two host processes are linux hosts in namespaces', { skip: rootSkip ?? false, timeout: 600_000 }, () => {
  let why: string | null = null;
  let hosts: HostNamespaces | undefined;
  let d: Deployment | undefined;
  let api: (method: string, url: string, body?: unknown) => Promise<ApiAnswer>;
  const nova = (method: string, path: string, body?: unknown) => api(method, `${d!.urls.compute}/v2.1${path}`, body);
  const neutron = (method: string, path: string, body?: unknown) => api(method, `${d!.urls.network}/v2.0${path}`, body);
  const servers: string[] = [];
  const networks: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'nimbus-dh-test-'));
  const dhclientPid = join(work, 'dhclient.pid');
  const killDhclient = () => {
    try {
      process.kill(Number(readFileSync(dhclientPid, 'utf8').trim()), 'SIGKILL');
    } catch {
      /* not running */
    }
  };

  before(async () => {
    why = await deploymentUnavailable('postgres');
    if (why) {
      if (process.env.CI === 'true') throw new Error(`CI=true: ${why}`);
      console.warn(`distributed linux hosts test SKIPPED: ${why}`);
      return;
    }
    hosts = await startHostNamespaces('nimbus-dh', HOSTS);
    d = await startDeployment('postgres', {
      hosts: HOSTS,
      workers: 1,
      conductorDebug: false,
      hostConfig: Object.fromEntries(
        hosts.hosts.map((h) => [
          h.host,
          {
            // Each host's DHCP agent keeps dnsmasq's files in the host's own directory, as each machine has its own disk.
            DEFAULT: { host_driver: 'linux', dhcp_agent: 'true', state_path: join(h.dir, 'neutron') },
            linux_host: { netns: h.netns, ovsdb_socket: h.db },
            ovs: { local_ip: h.localIp },
            agent: { datapath_type: 'netdev' },
          },
        ]),
      ),
    });
    api = await deploymentApi(d, 'admin');
  });
  after(async () => {
    killDhclient();
    if (d) for (const id of servers) await nova('DELETE', `/servers/${id}`).catch(() => undefined);
    if (d) for (const id of networks) await neutron('DELETE', `/networks/${id}`).catch(() => undefined);
    await d?.stop();
    for (const id of servers) await exec('ip', ['netns', 'delete', guestNamespace(id)]).catch(() => undefined);
    // A stopped DHCP agent leaves its dnsmasq and namespace running (as Zed's does): what a failed test did not disable.
    for (const id of networks) {
      for (const h of hosts?.hosts ?? []) {
        try {
          process.kill(Number(readFileSync(join(h.dir, 'neutron', 'dhcp', id, 'pid'), 'utf8').trim()), 'SIGKILL');
        } catch {
          /* none there */
        }
      }
      await exec('ip', ['netns', 'delete', `qdhcp-${id}`]).catch(() => undefined);
    }
    await hosts?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  async function boot(name: string, netId: string, imageId: string, host: string) {
    const r = await nova('POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }], availability_zone: `nova:${host}` } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id = r.body.server.id as string;
    servers.push(id);
    const s = await waitFor(
      `server ${name} ACTIVE`,
      async () => {
        const s = (await nova('GET', `/servers/${id}`)).body.server;
        if (s?.status === 'ERROR') throw new Error(`server ${name} went to ERROR: ${JSON.stringify(s.fault)}`);
        return s?.status === 'ACTIVE' ? s : undefined;
      },
      120_000,
      250,
    );
    assert.equal(s['OS-EXT-SRV-ATTR:host'], host);
    const port = (await neutron('GET', `/ports?device_id=${id}`)).body.ports[0] as { id: string; mac_address: string; fixed_ips: { ip_address: string }[]; 'binding:host_id': string };
    return { id, port };
  }

  it('each host process reports its own underlay address as tunneling_ip', async (t) => {
    if (why) return t.skip(why);
    const ips = await waitFor(
      'both OVS agents alive with their tunneling_ip',
      async () => {
        const agents = (await neutron('GET', '/agents?binary=neutron-openvswitch-agent')).body.agents as { host: string; alive: boolean; configurations: { tunneling_ip: string } }[];
        const alive = agents.filter((a) => HOSTS.includes(a.host) && a.alive);
        return alive.length === HOSTS.length ? Object.fromEntries(alive.map((a) => [a.host, a.configurations.tunneling_ip])) : undefined;
      },
      60_000,
      250,
    );
    assert.deepEqual(ips, Object.fromEntries(hosts!.hosts.map((h) => [h.host, h.localIp])));
    assert.ok(await pings(hosts!.hosts[0]!.netns, hosts!.hosts[1]!.localIp, 2));
  });

  it('a server on each host: ACTIVE, devices in its host\'s namespace only, VXLAN between the hosts, the guests ping each other; deleting them leaves nothing', async (t) => {
    if (why) return t.skip(why);
    const net = await neutron('POST', '/networks', { network: { name: 'net-dh' } });
    assert.equal(net.status, 201, JSON.stringify(net.body));
    const netId = net.body.network.id as string;
    networks.push(netId);
    assert.equal(net.body.network['provider:network_type'], 'vxlan');
    assert.equal((await neutron('POST', '/subnets', { subnet: { network_id: netId, cidr: '10.79.0.0/24', ip_version: 4 } })).status, 201);
    const imageId = (await api('GET', `${d!.urls.image}/v2/images`)).body.images[0].id as string;

    const booted = [];
    const ours: string[] = [];
    for (const [i, host] of HOSTS.entries()) {
      const b = await boot(`vm-dh${i + 1}`, netId, imageId, host);
      booted.push(b);
      assert.equal(b.port['binding:host_id'], host);
      const me = hosts!.hosts[i]!;
      const short = b.port.id.slice(0, 11);
      const devs = [`qbr${short}`, `qvb${short}`, `qvo${short}`, `tap${short}`];
      ours.push(...devs);
      const here = await namespaceLinkNames(me.netns);
      assert.deepEqual(devs.filter((dev) => !here.includes(dev)), [], `devices of ${b.id} in ${me.netns}`);
      const there = await namespaceLinkNames(hosts!.hosts[1 - i]!.netns);
      assert.deepEqual(devs.filter((dev) => there.includes(dev)), [], `devices of ${b.id} not in the other host's namespace`);
      const nic = JSON.parse((await exec('ip', ['-n', guestNamespace(b.id), '-json', 'link', 'show', 'eth0'])).stdout)[0];
      assert.equal(nic.address, b.port.mac_address);
      // That host's agent saw the port through its own ovsdb-server and gave it a local VLAN.
      await waitFor(`local VLAN of qvo${short}`, async () => {
        const tag = (await exec('ovs-vsctl', [`--db=${me.db}`, 'get', 'Port', `qvo${short}`, 'tag'])).stdout.trim();
        return /^[1-9]\d*$/.test(tag) && tag !== '4095' ? tag : undefined;
      });
    }
    // None in the root namespace (other tests' hosts may have devices of their own there).
    assert.deepEqual((await hostLinkNames()).links.filter((l) => ours.includes(l)), []);

    // Each br-tun has its VXLAN port to the other host's underlay address: the endpoints
    // each agent registered with tunnel_sync, fanned out by neutron-server over RabbitMQ.
    for (const [i, h] of hosts!.hosts.entries()) {
      const other = hosts!.hosts[1 - i]!.localIp;
      const opts = await waitFor(`${h.host}'s br-tun port ${vxlanPort(other)}`, async () => {
        try {
          return (await exec('ovs-vsctl', [`--db=${h.db}`, 'get', 'Interface', vxlanPort(other), 'options'])).stdout;
        } catch {
          return undefined;
        }
      });
      assert.match(opts, new RegExp(`local_ip="${h.localIp.replace(/\./g, '\\.')}"`));
      assert.match(opts, new RegExp(`remote_ip="${other.replace(/\./g, '\\.')}"`));
      const ports = (await exec('ovs-vsctl', [`--db=${h.db}`, 'list-ports', 'br-tun'])).stdout.split('\n').filter((p) => p.startsWith('vxlan-'));
      assert.deepEqual(ports, [vxlanPort(other)]);
    }

    const [a, b] = booted as [(typeof booted)[0], (typeof booted)[0]];
    const ipA = a.port.fixed_ips[0]!.ip_address;
    const ipB = b.port.fixed_ips[0]!.ip_address;
    await configureGuestAddress(a.id, `${ipA}/24`);
    await configureGuestAddress(b.id, `${ipB}/24`);
    await waitFor('a ping from the guest on host 1 to the guest on host 2', async () => ((await pings(guestNamespace(a.id), ipB)) ? true : undefined), 30_000);
    assert.ok(await pings(guestNamespace(b.id), ipA, 2));

    for (const s of booted) assert.equal((await nova('DELETE', `/servers/${s.id}`)).status, 204);
    for (const s of booted) await waitFor(`server ${s.id} gone`, async () => ((await nova('GET', `/servers/${s.id}`)).status === 404 ? true : undefined), 60_000, 250);
    const namespaces = (await hostLinkNames()).namespaces;
    for (const [i, s] of booted.entries()) {
      const short = s.port.id.slice(0, 11);
      await waitFor(`no device of ${s.id} left in ${hosts!.hosts[i]!.netns}`, async () => ((await namespaceLinkNames(hosts!.hosts[i]!.netns)).some((l) => l.endsWith(short)) ? undefined : true));
      assert.ok(!namespaces.includes(guestNamespace(s.id)), `guest namespace of ${s.id} left`);
    }
    // The network's DHCP port (its tap in qdhcp-<network>, moved out of the host's namespace) goes with the network.
    assert.equal((await neutron('DELETE', `/networks/${netId}`)).status, 204);
    await waitFor('the DHCP namespace gone', async () => ((await hostLinkNames()).namespaces.includes(`qdhcp-${netId}`) ? undefined : true), 30_000, 250);
    for (const h of hosts!.hosts) {
      const left = (await namespaceLinkNames(h.netns)).filter((l) => /^(qbr|qvb|qvo|tap)/.test(l));
      assert.deepEqual(left, [], `devices left in ${h.netns}`);
      const ports = (await exec('ovs-vsctl', [`--db=${h.db}`, 'list-ports', 'br-int'])).stdout.split('\n').filter((p) => /^(qvo|tap)/.test(p));
      assert.deepEqual(ports, [], `ports left on ${h.host}'s br-int`);
    }
  });

  it('DHCP: the network\'s DHCP port is on one host, and a guest on the other host leases its address through the tunnel', async (t) => {
    if (why) return t.skip(why);
    const net = (await neutron('POST', '/networks', { network: { name: 'net-dh-dhcp' } })).body.network as { id: string };
    networks.push(net.id);
    assert.equal((await neutron('POST', '/subnets', { subnet: { network_id: net.id, cidr: '10.80.0.0/24', ip_version: 4 } })).status, 201);
    const dhcpPort = await waitFor('the DHCP port ACTIVE', async () => {
      const p = (await neutron('GET', `/ports?network_id=${net.id}&device_owner=network:dhcp`)).body.ports[0];
      return p?.status === 'ACTIVE' ? p : undefined;
    }, 60_000, 250);
    const dhcpHost = HOSTS.indexOf(dhcpPort['binding:host_id']);
    assert.ok(dhcpHost >= 0, `DHCP port bound to ${dhcpPort['binding:host_id']}`);
    const tap = `tap${(dhcpPort.id as string).slice(0, 11)}`;
    const ns = `qdhcp-${net.id}`;
    await waitFor(`${tap} in ${ns}`, async () => {
      try {
        await exec('ip', ['-n', ns, 'link', 'show', tap]);
        return true;
      } catch {
        return undefined;
      }
    });
    const hostDb = hosts!.hosts[dhcpHost]!.db;
    assert.match((await exec('ovs-vsctl', [`--db=${hostDb}`, 'get', 'Interface', tap, 'external_ids'])).stdout, new RegExp(`iface-id="?${dhcpPort.id}`));

    const imageId = (await api('GET', `${d!.urls.image}/v2/images`)).body.images[0].id as string;
    const other = HOSTS[1 - dhcpHost]!;
    const vm = await boot('vm-dh-dhcp', net.id, imageId, other);
    const stateDir = join(hosts!.hosts[dhcpHost]!.dir, 'neutron', 'dhcp', net.id);
    await waitFor('the hosts file names the port', async () => (readFileSync(join(stateDir, 'host'), 'utf8').includes(vm.port.mac_address) ? true : undefined));
    const lease = join(work, 'dhclient.leases');
    // -sf /bin/true: dhclient only records the lease.
    await exec('timeout', ['40', 'ip', 'netns', 'exec', guestNamespace(vm.id), 'dhclient', '-1', '-v', '-sf', '/bin/true', '-lf', lease, '-pf', dhclientPid, 'eth0']);
    killDhclient();
    assert.equal(/fixed-address ([0-9.]+);/.exec(readFileSync(lease, 'utf8'))?.[1], vm.port.fixed_ips[0]!.ip_address);

    assert.equal((await nova('DELETE', `/servers/${vm.id}`)).status, 204);
    await waitFor('server gone', async () => ((await nova('GET', `/servers/${vm.id}`)).status === 404 ? true : undefined), 60_000, 250);
    assert.equal((await neutron('DELETE', `/networks/${net.id}`)).status, 204);
    await waitFor('the DHCP namespace and its tap gone', async () => {
      const gone = !(await hostLinkNames()).namespaces.includes(ns) && !(await exec('ovs-vsctl', [`--db=${hostDb}`, 'list-ports', 'br-int'])).stdout.includes(tap);
      return gone ? true : undefined;
    }, 30_000, 250);
    for (const h of hosts!.hosts) assert.deepEqual((await namespaceLinkNames(h.netns)).filter((l) => /^(qbr|qvb|qvo|tap)/.test(l)), [], `devices left in ${h.netns}`);
    // Nothing went wrong on the way in either host process.
    for (const h of HOSTS) assert.deepEqual(d!.host(h).output().split('\n').filter((l) => /"level":(50|60)/.test(l)), [], `errors logged by ${h}`);
  });
});

/**
 * neutron-dhcp-agent on a real linux host ([DEFAULT] dhcp_agent = true, host_driver =
 * linux, a private Open vSwitch): a network with a DHCP subnet gets its DHCP port
 * (network:dhcp, bound to the host) as tap<port[:11]> inside qdhcp-<network_id> and a
 * dnsmasq; a server's guest (a namespace) asks by DHCP and leases its port's fixed IP;
 * deleting the server and the network leaves no dnsmasq, namespace or tap. Skipped with its
 * reason where root, OVS, dnsmasq or dhclient is missing (never under CI=true as root).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { guestNamespace } from '../../src/compute/virt/vif.js';
import type { TestCloud } from '../helpers/cloud.js';
import { type LinuxCloud, startLinuxCloud } from '../helpers/linux-cloud.js';
import { type OvsSandbox, deleteHostDevices, hostLinkNames, linuxHostDhcpSkipReason } from '../helpers/ovs.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
const skip = linuxHostDhcpSkipReason();
if (skip) console.log(`# linux host DHCP test skipped: ${skip}`);

/** Whether a process whose command line has `needle` runs (pgrep -f). */
async function processWith(needle: string): Promise<boolean> {
  try {
    await exec('pgrep', ['-f', needle]);
    return true;
  } catch {
    return false;
  }
}

describe('DHCP on a linux host', { skip: skip ?? false }, () => {
  let ovs: OvsSandbox;
  let cloud: TestCloud;
  let lc: LinuxCloud;
  let statePath: string;
  /** The server's guest namespace and hybrid-plug devices, removed in after() if the test failed before deleting it. */
  let leftover: { ns: string; links: string[] } | null = null;
  const work = mkdtempSync(join(tmpdir(), 'nimbus-dhcp-test-'));
  const dhclientPid = join(work, 'dhclient.pid');
  let nova: LinuxCloud['nova'];
  let neutron: LinuxCloud['neutron'];
  const killDhclient = () => {
    try {
      process.kill(Number(readFileSync(dhclientPid, 'utf8').trim()), 'SIGKILL');
    } catch {
      /* not running */
    }
  };

  before(async () => {
    statePath = mkdtempSync(join(tmpdir(), 'nimbus-dhcp-state-'));
    // dnsmasq drops root and reads its files as nobody, as it would under /var/lib/neutron.
    chmodSync(statePath, 0o755);
    lc = await startLinuxCloud({ overrides: { DEFAULT: { dhcp_agent: true, state_path: statePath } }, debugLevel: 'debug' });
    ({ ovs, cloud, nova, neutron } = lc);
  });
  after(async () => {
    killDhclient();
    await cloud?.stop();
    if (leftover) await deleteHostDevices(leftover.links, [leftover.ns]);
    await ovs?.stop();
    rmSync(work, { recursive: true, force: true });
    if (statePath) rmSync(statePath, { recursive: true, force: true });
  });

  it('serves a guest its fixed IP from dnsmasq in qdhcp-<network>, and leaves nothing when the network goes', async () => {
    const agents = (await neutron('GET', '/agents?agent_type=DHCP%20agent')).body.agents;
    assert.equal(agents.length, 1, JSON.stringify(agents));
    assert.deepEqual([agents[0].binary, agents[0].topic, agents[0].host, agents[0].alive], ['neutron-dhcp-agent', 'dhcp_agent', 'linux1', true]);

    const net = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'dhcpnet' } })).body.network;
    const sub = await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.id, cidr: '10.19.0.0/24', ip_version: 4 } });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    const dhcpPort = await waitFor('the DHCP port ACTIVE', async () => {
      const p = (await neutron('GET', `/ports?network_id=${net.id}&device_owner=network:dhcp`)).body.ports[0];
      return p?.status === 'ACTIVE' ? p : undefined;
    });
    assert.equal(dhcpPort['binding:host_id'], 'linux1');
    assert.match(dhcpPort.device_id, new RegExp(`^dhcp[0-9a-f-]{36}-${net.id}$`));
    const tap = `tap${dhcpPort.id.slice(0, 11)}`;
    const pidFile = join(statePath, 'dhcp', net.id, 'pid');
    await waitFor('dnsmasq running', async () => (existsSync(pidFile) ? true : undefined));
    const ns = `qdhcp-${net.id}`;
    const inNs = JSON.parse(execFileSync('ip', ['-n', ns, '-json', 'addr', 'show', tap], { encoding: 'utf8' }))[0];
    assert.equal(inNs.address, dhcpPort.mac_address);
    assert.deepEqual(inNs.addr_info.filter((a: { family: string }) => a.family === 'inet').map((a: { local: string }) => a.local), [dhcpPort.fixed_ips[0].ip_address]);
    const ids = execFileSync('ovs-vsctl', [`--db=${ovs.db}`, 'get', 'Interface', tap, 'external_ids'], { encoding: 'utf8' });
    assert.match(ids, new RegExp(`iface-id="?${dhcpPort.id}`));
    const tag = execFileSync('ovs-vsctl', [`--db=${ovs.db}`, 'get', 'Port', tap, 'tag'], { encoding: 'utf8' }).trim();
    assert.match(tag, /^[1-9]\d*$/);
    assert.equal((await neutron('GET', `/networks/${net.id}/dhcp-agents`)).body.agents[0].id, agents[0].id);

    const { id, port } = await lc.boot('vm-dhcp', { netId: net.id });
    const short = port.id.slice(0, 11);
    leftover = { ns: guestNamespace(id), links: [`qbr${short}`, `qvo${short}`, `tap${short}`] };
    // The instance's port is in dnsmasq's hosts file (written when nova created it).
    await waitFor('the hosts file names the port', async () => (readFileSync(join(statePath, 'dhcp', net.id, 'host'), 'utf8').includes(port.mac_address) ? true : undefined));

    const lease = join(work, 'dhclient.leases');
    // -sf /bin/true: dhclient only records the lease; the guest's address is not changed.
    await exec('timeout', ['40', 'ip', 'netns', 'exec', guestNamespace(id), 'dhclient', '-1', '-v', '-sf', '/bin/true', '-lf', lease, '-pf', dhclientPid, 'eth0']);
    killDhclient();
    const fixed = /fixed-address ([0-9.]+);/.exec(readFileSync(lease, 'utf8'))?.[1];
    assert.equal(fixed, port.fixed_ips[0].ip_address);

    await lc.deleteServers([id]);
    leftover = null;
    assert.equal((await neutron('DELETE', `/networks/${net.id}`)).status, 204);
    await waitFor('dnsmasq, namespace and tap gone', async () => {
      const left = await hostLinkNames();
      const ports = execFileSync('ovs-vsctl', [`--db=${ovs.db}`, 'list-ports', 'br-int'], { encoding: 'utf8' });
      const gone = !(await processWith(`dnsmasq.*${net.id}`)) && !left.namespaces.includes(ns) && !left.links.includes(tap) && !ports.includes(tap);
      return gone ? true : undefined;
    });
    assert.ok(!existsSync(join(statePath, 'dhcp', net.id)));
  });
});

/**
 * Real traffic through the OVS agent's flows on one linux host (issue 13, item 3): with
 * br-int in fail_mode secure nothing passes until the agent installs Zed's tables. Two
 * servers on one network ping each other; a server on another network with an
 * overlapping subnet does not answer (local VLAN isolation); a port set
 * admin_state_up=false goes to the dead VLAN (tag 4095 and its drop flow) and stops
 * answering, and answers again when set up. With [ovs] local_ip on loopback: br-tun with
 * Zed's tables, a tunnel port made when another endpoint registers (tunnel_sync →
 * tunnel_update) and removed when that host's address changes (tunnel_delete); an agent
 * restart keeps the servers pinging, leaves one cookie and re-creates the tunnel. Skipped with its reason where root or OVS is
 * missing (never under CI=true as root).
 *
 * bridge-nf-call-iptables is 1 on such machines: frames crossing a qbr bridge traverse
 * the root namespace's FORWARD chain. When its policy is DROP, this test inserts its own
 * ACCEPT rule for qbr-to-qbr traffic (commented "nimbus-h-flows-test") and removes it
 * after; with ACCEPT (the machine's default) it adds nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { guestNamespace } from '../../src/compute/virt/vif.js';
import type { TestCloud } from '../helpers/cloud.js';
import { type LinuxCloud, startLinuxCloud } from '../helpers/linux-cloud.js';
import { configureGuestAddress, pings } from '../helpers/guests.js';
import { type OvsSandbox, linuxHostSkipReason } from '../helpers/ovs.js';
import { waitFor } from '../helpers/wait.js';
import { rpcClient } from '../../src/bus/contract.js';
import { PluginTopicDef } from '../../src/network/rpc/topics.js';

const skip = linuxHostSkipReason();
if (skip) console.log(`# linux host flows test skipped: ${skip}`);

const ACCEPT_RULE = ['FORWARD', '-i', 'qbr+', '-o', 'qbr+', '-m', 'comment', '--comment', 'nimbus-h-flows-test', '-j', 'ACCEPT'];

describe('OVS agent flows on a linux host: real pings', { skip: skip ?? false }, () => {
  let ovs: OvsSandbox;
  let cloud: TestCloud;
  let addedAccept = false;
  const servers: Record<string, { id: string; ip: string; port: string }> = {};
  let lc: LinuxCloud;
  let nova: LinuxCloud['nova'];
  let neutron: LinuxCloud['neutron'];
  const ofctl = (...args: string[]) => execFileSync('ovs-ofctl', ['-O', 'OpenFlow13', ...args], { encoding: 'utf8', env: { ...process.env, OVS_RUNDIR: ovs.dir } });
  const vsctl = (...args: string[]) => execFileSync('ovs-vsctl', [`--db=${ovs.db}`, ...args], { encoding: 'utf8' }).trim();

  async function boot(name: string, netId: string): Promise<void> {
    const { id, port } = await lc.boot(name, { netId }, { what: `server ${name} ACTIVE`, ms: 60_000 });
    servers[name] = { id, ip: port.fixed_ips[0].ip_address, port: port.id };
    await configureGuestAddress(id, `${port.fixed_ips[0].ip_address}/24`);
  }

  before(async () => {
    // What the root namespace's FORWARD chain does to bridged frames (reported by the test's output).
    const forward = execFileSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' });
    console.log(`# iptables -S FORWARD:\n# ${forward.trim().split('\n').join('\n# ')}`);
    if (forward.includes('-P FORWARD DROP')) {
      execFileSync('iptables', ['-I', ...ACCEPT_RULE]);
      addedAccept = true;
    }
    lc = await startLinuxCloud({
      // A tunnel endpoint on loopback: br-tun and its tunnel ports are made, no packet leaves the machine.
      overrides: { ovs: { local_ip: '127.0.0.1' } },
    });
    ({ ovs, cloud, nova, neutron } = lc);
    const net1 = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'flows-net1' } })).body.network.id;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, {
      subnet: { network_id: net1, cidr: '10.9.1.0/24', ip_version: 4, gateway_ip: null, allocation_pools: [{ start: '10.9.1.10', end: '10.9.1.100' }] },
    });
    // The same CIDR on another network (overlapping IPs are allowed), addresses apart: only L2 isolation keeps them apart.
    const net2 = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'flows-net2' } })).body.network.id;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, {
      subnet: { network_id: net2, cidr: '10.9.1.0/24', ip_version: 4, gateway_ip: null, allocation_pools: [{ start: '10.9.1.200', end: '10.9.1.250' }] },
    });
    await boot('a', net1);
    await boot('b', net1);
    await boot('c', net2);
  });
  after(async () => {
    for (const s of Object.values(servers)) await nova('DELETE', `/servers/${s.id}`).catch(() => undefined);
    for (const s of Object.values(servers)) {
      await waitFor('server gone', async () => ((await nova('GET', `/servers/${s.id}`)).status === 404 ? true : undefined)).catch(() => undefined);
    }
    await cloud?.stop();
    await ovs?.stop();
    if (addedAccept) execFileSync('iptables', ['-D', ...ACCEPT_RULE]);
  });

  it('br-int has Zed\'s default tables with the agent\'s cookie, and each port its spoofing protection', () => {
    const dump = ofctl('dump-flows', 'br-int');
    assert.match(dump, /table=0, n_packets=\d+, n_bytes=\d+, priority=65535,dl_vlan=4095 actions=drop/);
    assert.match(dump, /table=60, n_packets=\d+, n_bytes=\d+, priority=3 actions=NORMAL/);
    assert.match(dump, /table=23, n_packets=\d+, n_bytes=\d+, priority=0 actions=drop/);
    assert.match(dump, new RegExp(`arp,in_port=\\d+,arp_spa=${servers['a']!.ip.replace(/\./g, '\\.')} actions=goto_table:25`));
    assert.equal(new Set([...dump.matchAll(/cookie=(0x[0-9a-f]+)/g)].map((m) => m[1])).size, 1, 'one cookie: this run\'s');
  });

  it('two servers on one network ping each other; a server on another network (same CIDR) does not answer', async () => {
    const [a, b, c] = [servers['a']!, servers['b']!, servers['c']!];
    assert.ok(await pings(guestNamespace(a.id), b.ip), `a (${a.ip}) pings b (${b.ip})`);
    assert.ok(await pings(guestNamespace(b.id), a.ip), 'b pings a');
    assert.ok(!(await pings(guestNamespace(a.id), c.ip)), `a must not reach c (${c.ip}) on the other network`);
    assert.ok(!(await pings(guestNamespace(c.id), a.ip)), 'c must not reach a');
  });

  it('a port set admin_state_up=false goes to the dead VLAN with its drop flow and stops answering; up again, it answers', async () => {
    const [a, b] = [servers['a']!, servers['b']!];
    const qvo = `qvo${b.port.slice(0, 11)}`;
    assert.equal((await neutron('PUT', `/ports/${b.port}`, { port: { admin_state_up: false } })).status, 200);
    await waitFor('qvo on the dead VLAN', async () => (vsctl('get', 'Port', qvo, 'tag') === '4095' ? true : undefined));
    const ofport = vsctl('get', 'Interface', qvo, 'ofport');
    await waitFor('its drop flow', async () => (ofctl('dump-flows', 'br-int').includes(`priority=2,in_port=${ofport} actions=drop`) ? true : undefined));
    assert.ok(!(await pings(guestNamespace(a.id), b.ip)), 'a dead port does not answer');
    assert.equal((await neutron('PUT', `/ports/${b.port}`, { port: { admin_state_up: true } })).status, 200);
    await waitFor('qvo back on its VLAN', async () => (/^[1-9]\d*$/.test(vsctl('get', 'Port', qvo, 'tag')) && vsctl('get', 'Port', qvo, 'tag') !== '4095' ? true : undefined));
    await waitFor('the drop flow gone', async () => (!ofctl('dump-flows', 'br-int').includes(`priority=2,in_port=${ofport} actions=drop`) ? true : undefined));
    assert.ok(await pings(guestNamespace(a.id), b.ip, 2), 'answers again');
  });

  it('br-tun: patch ports and default tables; another endpoint registering makes a vxlan port, its new address replaces it', async () => {
    assert.equal(vsctl('get', 'Interface', 'patch-tun', 'options:peer'), 'patch-int');
    const plugin = rpcClient(cloud.bus, PluginTopicDef);
    const reply = await plugin.call('tunnel_sync', { tunnel_ip: '127.0.0.2', tunnel_type: 'vxlan', host: 'hflows-fake2' });
    assert.deepEqual(reply.tunnels.map((t) => t.ip_address).sort(), ['127.0.0.1', '127.0.0.2']);
    await waitFor('vxlan-7f000002 on br-tun', async () => (vsctl('list-ports', 'br-tun').split('\n').includes('vxlan-7f000002') ? true : undefined));
    assert.equal(vsctl('get', 'Interface', 'vxlan-7f000002', 'type'), 'vxlan');
    assert.equal(vsctl('get', 'Interface', 'vxlan-7f000002', 'options:remote_ip'), '"127.0.0.2"');
    assert.equal(vsctl('get', 'Interface', 'vxlan-7f000002', 'options:local_ip'), '"127.0.0.1"');
    assert.equal(vsctl('get', 'Interface', 'vxlan-7f000002', 'options:in_key'), 'flow');
    const ofport = await waitFor('its ofport', async () => {
      const p = vsctl('get', 'Interface', 'vxlan-7f000002', 'ofport');
      return /^[1-9]\d*$/.test(p) ? p : undefined;
    });
    await waitFor('flooding through it for both networks', async () => {
      const dump = ofctl('dump-flows', 'br-tun');
      const floods = dump.split('\n').filter((l) => l.includes('table=22,') && l.includes('priority=1,'));
      return floods.length === 2 && floods.every((l) => l.includes(`output:${ofport}`)) ? true : undefined;
    });
    const tun = ofctl('dump-flows', 'br-tun');
    assert.match(tun, new RegExp(`priority=1,in_port=${ofport} actions=goto_table:4`));
    assert.match(tun, /table=4, n_packets=\d+, n_bytes=\d+, priority=1,tun_id=0x[0-9a-f]+ actions=push_vlan:0x8100,set_field:\d+->vlan_vid,goto_table:10/);
    // The fake host moves to another address: its old tunnel goes (tunnel_delete), a new one comes.
    await plugin.call('tunnel_sync', { tunnel_ip: '127.0.0.3', tunnel_type: 'vxlan', host: 'hflows-fake2' });
    await waitFor('vxlan-7f000002 gone, vxlan-7f000003 made', async () => {
      const ports = vsctl('list-ports', 'br-tun').split('\n');
      return !ports.includes('vxlan-7f000002') && ports.includes('vxlan-7f000003') ? true : undefined;
    });
    // OVS may give the new port the freed ofport: one tunnel, one in_port flow in table 0.
    const newOfport = vsctl('get', 'Interface', 'vxlan-7f000003', 'ofport');
    await waitFor('one tunnel in_port flow, the new port\'s', async () => {
      const inPorts = ofctl('dump-flows', 'br-tun').split('\n').filter((l) => / table=0, .*priority=1,in_port=\d+ actions=goto_table:4/.test(l));
      return inPorts.length === 1 && inPorts[0]!.includes(`in_port=${newOfport} `) ? true : undefined;
    });
  });

  it('an agent restart: the servers keep pinging, the old cookie\'s flows go, the tunnels come back from tunnel_sync', async () => {
    const [a, b] = [servers['a']!, servers['b']!];
    const cookies = (br: string) => new Set([...ofctl('dump-flows', br).matchAll(/ cookie=(0x[0-9a-f]+)/g)].map((m) => m[1]));
    const oldInt = cookies('br-int');
    cloud.l2agents.removeHost('linux1');
    cloud.l2agents.addHost('linux1');
    await waitFor('br-int and br-tun with only the new cookie', async () => {
      const i = cookies('br-int');
      const t = cookies('br-tun');
      return i.size === 1 && t.size === 1 && ![...i].some((c) => oldInt.has(c)) && [...i][0] === [...t][0] ? true : undefined;
    });
    assert.ok(vsctl('list-ports', 'br-tun').split('\n').includes('vxlan-7f000003'));
    const dump = ofctl('dump-flows', 'br-int');
    assert.match(dump, new RegExp(`arp,in_port=\\d+,arp_spa=${b.ip.replace(/\./g, '\\.')} actions=goto_table:25`));
    assert.ok(await pings(guestNamespace(a.id), b.ip, 2), 'a still pings b');
  });
});

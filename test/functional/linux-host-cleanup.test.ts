/**
 * Issue 13: deleting everything leaves nothing on a real host ([DEFAULT] host_driver =
 * linux with the DHCP agent, [l3_agent] enabled, the iptables_hybrid firewall, a
 * private Open vSwitch). Servers on two networks joined by a router with an external
 * gateway and a floating IP are booted; then every server, the floating IP, the router's
 * interfaces, the router and the networks are deleted, and the host must hold no
 * tap/qbr/qvb/qvo/qr-/qg- link, no nimbus-/qdhcp-/qrouter- namespace, no br-int or br-tun
 * flow beyond the agent's own (those it had before the first network; [ovs] local_ip on
 * loopback makes br-tun and the tenant networks VXLAN), no br-int port, no
 * per-port iptables rule or ipset, and no dnsmasq.
 *
 * What stays is what Zed's OVS agent leaves while it runs: its IptablesManager's
 * wrapped chains (filter: neutron-filter-top, neutron-openvswi-{INPUT,OUTPUT,FORWARD,
 * local}; raw: neutron-openvswi-{PREROUTING,OUTPUT}) and the firewall's
 * neutron-openvswi-sg-chain (`-j ACCEPT` only) and neutron-openvswi-sg-fallback (`-j DROP`),
 * with the built-in chains' jumps to them; in IPv4 and IPv6. No ipset.
 *
 * Leftovers of earlier killed runs on the machine are not counted: the checks compare
 * with what the host had when the test started. Skipped with its reason where root, OVS,
 * dnsmasq or iptables is missing (never under CI=true as root).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { guestNamespace } from '../../src/compute/virt/vif.js';
import type { TestCloud } from '../helpers/cloud.js';
import { type LinuxCloud, startLinuxCloud } from '../helpers/linux-cloud.js';
import { neutronIptables, removeNeutronIptables } from '../helpers/iptables.js';
import { assertStatus } from '../helpers/neutron.js';
import { type OvsSandbox, deleteHostDevices, hasTool, hostLinkNames, linuxHostSkipReason } from '../helpers/ovs.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
let skip = linuxHostSkipReason();
if (!skip && !hasTool('dnsmasq')) {
  if (process.env['CI'] === 'true') throw new Error('CI runs as root and needs dnsmasq (apt-get install dnsmasq-base)');
  skip = 'missing dnsmasq (apt-get install dnsmasq-base)';
}
if (skip) console.log(`# linux host cleanup test skipped: ${skip}`);

/** The devices and namespaces the agents and the VIF driver make (the leak check's scope). */
const PORT_LINK = /^(tap|qbr|qvb|qvo|qr-|qg-)/;
const AGENT_NAMESPACE = /^(nimbus-|qdhcp-|qrouter-)/;

/** The chains Zed's OVS agent (IptablesManager + IptablesFirewallDriver) keeps while it runs, with no port. */
const ZED_BASE_CHAINS = ['filter:neutron-filter-top', ...['FORWARD', 'INPUT', 'OUTPUT', 'local', 'sg-chain', 'sg-fallback'].map((c) => `filter:neutron-openvswi-${c}`), ...['OUTPUT', 'PREROUTING'].map((c) => `raw:neutron-openvswi-${c}`)];

/** Each family's neutron chains as table:chain, and the rules in them (without counters). */
function neutronRules(save: 'iptables-save' | 'ip6tables-save'): { chains: string[]; rules: string[]; jumps: string[] } {
  let table = '';
  const chains: string[] = [];
  const rules: string[] = [];
  /** The built-in chains' rules that lead to neutron's. */
  const jumps: string[] = [];
  for (const line of execFileSync(save, { encoding: 'utf8' }).split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (/^:neutron-/.test(line)) chains.push(`${table}:${line.slice(1).split(' ')[0]}`);
    else if (/^-A neutron-/.test(line)) rules.push(`${table}:${line}`);
    else if (/^-A [A-Z]+ .*neutron-/.test(line)) jumps.push(`${table}:${line}`);
  }
  return { chains: chains.sort(), rules, jumps: jumps.sort() };
}

/** A bridge's flows without what changes by itself (counters, ages, durations). */
function flows(ovs: OvsSandbox, bridge: string): string[] {
  return execFileSync('ovs-ofctl', ['-O', 'OpenFlow13', 'dump-flows', '--no-stats', bridge], { encoding: 'utf8', env: { ...process.env, OVS_RUNDIR: ovs.dir } })
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('OFPST_FLOW') && !l.includes('reply'))
    .map((l) => l.trim())
    .sort();
}

/** Every path under dir (relative). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

async function dnsmasqUnder(dir: string): Promise<string[]> {
  try {
    return (await exec('pgrep', ['-a', '-f', `dnsmasq.*${dir}`])).stdout.split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe('deleting everything on a linux host leaves nothing', { skip: skip ?? false }, () => {
  let ovs: OvsSandbox;
  let cloud: TestCloud;
  let statePath: string;
  /** What the machine had when the test started (leftovers of other runs are not ours). */
  let atStart: { links: Set<string>; namespaces: Set<string> };
  /** The agent's own flows and ports, before the first network. */
  let agentFlows: Record<string, string[]>;
  let agentPorts: string[];
  let lc: LinuxCloud;
  let nova: LinuxCloud['nova'];
  const neutron = (user: 'admin' | 'demo', method: string, path: string, body?: unknown) => cloud.api(user, method, `${cloud.urls.network}/v2.0${path}`, body);
  const vsctl = (...args: string[]) => execFileSync('ovs-vsctl', [`--db=${ovs.db}`, ...args], { encoding: 'utf8' });
  const newSince = async () => {
    const now = await hostLinkNames();
    return {
      links: now.links.filter((l) => PORT_LINK.test(l) && !atStart.links.has(l)),
      namespaces: now.namespaces.filter((n) => AGENT_NAMESPACE.test(n) && !atStart.namespaces.has(n)),
    };
  };

  before(async () => {
    statePath = mkdtempSync(join(tmpdir(), 'nimbus-cleanup-state-'));
    // dnsmasq drops root and reads its files as nobody.
    chmodSync(statePath, 0o755);
    // Under the sandbox lock: no other real-host test makes devices or chains meanwhile.
    lc = await startLinuxCloud({
      overrides: {
        DEFAULT: { dhcp_agent: true, state_path: statePath },
        linux_host: { provider_bridges: true },
        l3_agent: { enabled: true },
        agent: { firewall_driver: 'iptables_hybrid', bridge_mappings: ['physnet1:br-ex'] },
        // A tunnel endpoint on loopback: br-tun with its tables, the tenant networks' VXLAN flows on it.
        ovs: { local_ip: '127.0.0.1' },
      },
      debugLevel: 'debug',
      afterOvs: async () => {
        // Leftovers of an earlier crashed run would make the iptables assertions meaningless.
        removeNeutronIptables();
        const start = await hostLinkNames();
        atStart = { links: new Set(start.links), namespaces: new Set(start.namespaces) };
      },
    });
    ({ ovs, cloud, nova } = lc);
    // The agent sets its bridges up in its first loop, after the cloud is up: wait until
    // their flows are there and stay the same between two looks.
    let last = '';
    agentFlows = await waitFor('the agent\'s own flows on br-int and br-tun', async () => {
      if (!['br-tun', 'br-ex'].every((br) => vsctl('list-br').split('\n').includes(br))) return undefined;
      const now = { 'br-int': flows(ovs, 'br-int'), 'br-tun': flows(ovs, 'br-tun'), 'br-ex': flows(ovs, 'br-ex') };
      const same = JSON.stringify(now) === last;
      last = JSON.stringify(now);
      return same && now['br-int'].length && now['br-tun'].length ? now : undefined;
    }, 30_000, 200);
    agentPorts = vsctl('list-ports', 'br-int').split('\n').filter(Boolean).sort();
  });
  after(async () => {
    await cloud?.stop();
    // A failure half way leaves what the test made: remove only that.
    const left = await newSince().catch(() => ({ links: [] as string[], namespaces: [] as string[] }));
    await deleteHostDevices(left.links, left.namespaces);
    await ovs?.stop();
    removeNeutronIptables();
    for (const p of await dnsmasqUnder(statePath)) process.kill(Number(p.split(' ')[0]), 'SIGKILL');
    if (statePath) rmSync(statePath, { recursive: true, force: true });
  });

  it('boots servers on two routed networks with DHCP and a floating IP, deletes them all, and finds nothing left', async () => {
    const imageId = await lc.imageId();
    const nets: { id: string; subnet: string }[] = [];
    for (const [i, cidr] of ['10.32.1.0/24', '10.32.2.0/24'].entries()) {
      const net = assertStatus(await neutron('demo', 'POST', '/networks', { network: { name: `h-clean-net${i}` } }), 201).network;
      const sub = assertStatus(await neutron('demo', 'POST', '/subnets', { subnet: { network_id: net.id, cidr, ip_version: 4 } }), 201).subnet;
      nets.push({ id: net.id, subnet: sub.id });
    }
    const ext = assertStatus(await neutron('admin', 'POST', '/networks', { network: { name: 'h-clean-public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } }), 201).network;
    assertStatus(await neutron('admin', 'POST', '/subnets', { subnet: { network_id: ext.id, cidr: '172.24.10.0/24', gateway_ip: '172.24.10.1', enable_dhcp: false, ip_version: 4 } }), 201);
    const router = assertStatus(await neutron('demo', 'POST', '/routers', { router: { name: 'h-clean-router', external_gateway_info: { network_id: ext.id } } }), 201).router;
    for (const n of nets) assertStatus(await neutron('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: n.subnet }), 200);

    const servers: string[] = [];
    for (const [i, n] of nets.entries()) {
      const r = await nova('POST', '/servers', { server: { name: `h-clean-${i}`, flavorRef: '100', imageRef: imageId, networks: [{ uuid: n.id }] } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      servers.push(r.body.server.id);
    }
    for (const id of servers) {
      await lc.waitActive(id);
    }
    const port = (await neutron('demo', 'GET', `/ports?device_id=${servers[1]}`)).body.ports[0];
    const fip = assertStatus(await neutron('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext.id, port_id: port.id } }), 201).floatingip;
    await waitFor('floating IP ACTIVE', async () => ((await neutron('demo', 'GET', `/floatingips/${fip.id}`)).body.floatingip.status === 'ACTIVE' ? true : undefined), 30_000);

    // Everything is in place: the test can fail (a leak check of nothing proves nothing).
    const made = await newSince();
    for (const ns of [`qrouter-${router.id}`, ...nets.map((n) => `qdhcp-${n.id}`), ...servers.map(guestNamespace)]) assert.ok(made.namespaces.includes(ns), `${ns} made: ${made.namespaces.join(' ')}`);
    for (const prefix of ['tap', 'qbr', 'qvb', 'qvo']) assert.equal(made.links.filter((l) => l.startsWith(prefix)).length, 2, `${prefix} links: ${made.links.join(' ')}`);
    assert.equal((await dnsmasqUnder(statePath)).length, 2);
    for (const n of nets) assert.ok(filesUnder(statePath).some((f) => f.includes(n.id)), `dnsmasq's files of ${n.id}`);
    assert.notDeepEqual(flows(ovs, 'br-tun'), agentFlows['br-tun']);
    assert.notDeepEqual(flows(ovs, 'br-ex'), agentFlows['br-ex']);
    assert.notDeepEqual(flows(ovs, 'br-int'), agentFlows['br-int']);
    assert.ok(neutronRules('iptables-save').rules.some((r) => r.includes('physdev')), 'per-port rules while the servers run');
    assert.ok(neutronIptables().sets.length > 0, 'the default group\'s ipset while the servers run');

    // Delete everything, in the order a user would.
    assertStatus(await neutron('demo', 'DELETE', `/floatingips/${fip.id}`), 204);
    for (const id of servers) assert.equal((await nova('DELETE', `/servers/${id}`)).status, 204);
    for (const id of servers) await waitFor('server gone', async () => ((await nova('GET', `/servers/${id}`)).status === 404 ? true : undefined));
    for (const n of nets) assertStatus(await neutron('demo', 'PUT', `/routers/${router.id}/remove_router_interface`, { subnet_id: n.subnet }), 200);
    assertStatus(await neutron('demo', 'DELETE', `/routers/${router.id}`), 204);
    for (const n of nets) assertStatus(await neutron('demo', 'DELETE', `/networks/${n.id}`), 204);
    assertStatus(await neutron('admin', 'DELETE', `/networks/${ext.id}`), 204);

    // The agents clean up in their loops: wait for the last of it (at most 30 s), then look at everything.
    await waitFor('the agents cleaned up', async () => {
      const left = await newSince();
      return !left.links.length && !left.namespaces.length && !(await dnsmasqUnder(statePath)).length && !neutronIptables().sets.length ? true : undefined;
    }, 30_000, 100).catch(() => undefined); // the assertions below say what is left
    assert.deepEqual(await newSince(), { links: [], namespaces: [] });
    assert.deepEqual(await dnsmasqUnder(statePath), []);
    assert.deepEqual(vsctl('list-ports', 'br-int').split('\n').filter(Boolean).sort(), agentPorts);
    await waitFor('only the agent\'s own flows', async () => (JSON.stringify(flows(ovs, 'br-int')) === JSON.stringify(agentFlows['br-int']) ? true : undefined), 10_000, 100).catch(() => undefined);
    assert.deepEqual(flows(ovs, 'br-int'), agentFlows['br-int']);
    assert.deepEqual(flows(ovs, 'br-tun'), agentFlows['br-tun']);
    // The external network's flat provisioning flows went with its last port (the qg-).
    assert.deepEqual(flows(ovs, 'br-ex'), agentFlows['br-ex']);
    // Nor any file of a network or router under state_path (dnsmasq's, the L3 agent's).
    const ids = [...nets.map((n) => n.id), ext.id, router.id];
    assert.deepEqual(filesUnder(statePath).filter((f) => ids.some((id) => f.includes(id))), []);

    // iptables: Zed's base chains and nothing per port.
    for (const save of ['iptables-save', 'ip6tables-save'] as const) {
      const { chains, rules, jumps } = neutronRules(save);
      assert.deepEqual(chains, [...ZED_BASE_CHAINS].sort(), `${save} chains`);
      assert.deepEqual(jumps, [
        'filter:-A FORWARD -j neutron-filter-top',
        'filter:-A FORWARD -j neutron-openvswi-FORWARD',
        'filter:-A INPUT -j neutron-openvswi-INPUT',
        'filter:-A OUTPUT -j neutron-filter-top',
        'filter:-A OUTPUT -j neutron-openvswi-OUTPUT',
        'raw:-A OUTPUT -j neutron-openvswi-OUTPUT',
        'raw:-A PREROUTING -j neutron-openvswi-PREROUTING',
      ], `${save} jumps`);
      assert.deepEqual(
        rules.map((r) => r.replace(/ -m comment --comment "[^"]*"/, '')),
        ['filter:-A neutron-filter-top -j neutron-openvswi-local', 'filter:-A neutron-openvswi-sg-chain -j ACCEPT', 'filter:-A neutron-openvswi-sg-fallback -j DROP'],
        `${save} rules`,
      );
    }
    assert.deepEqual(neutronIptables().sets, []);
    assert.doesNotMatch(execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }), /neutron-l3-agent/);
  });
});

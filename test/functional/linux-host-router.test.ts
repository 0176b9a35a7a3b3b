/**
 * A router on a real linux host ([l3_agent] enabled, [linux_host] provider_bridges): two
 * guests on two networks joined by a router ping each other through its qrouter-
 * namespace; an external flat network (physnet1 → br-ex, patch ports and flat
 * provisioning flows made by the OVS agent) reaches a guest through its floating IP and
 * the guest reaches it through SNAT; after everything is deleted no qrouter- namespace,
 * qr-/qg- port or router NAT rule is left. Skipped with its reason where root, OVS or
 * iptables is missing (never under CI=true as root).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { guestNamespace } from '../../src/compute/virt/vif.js';
import type { TestCloud } from '../helpers/cloud.js';
import { type LinuxCloud, startLinuxCloud } from '../helpers/linux-cloud.js';
import { configureGuestAddress, pings } from '../helpers/guests.js';
import { type OvsSandbox, deleteHostDevices, hasTool, hostLinkNames, linuxHostSkipReason } from '../helpers/ovs.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
const skip = linuxHostSkipReason() ?? (hasTool('iptables-restore') ? null : 'missing iptables (apt-get install iptables)');
if (skip) console.log(`# linux host router test skipped: ${skip}`);

/** The test's own "outside world": a namespace on br-ex through a veth pair. */
const EXT_NS = 'nimbus-h-l3-ext';
const EXT_VETH = 'hl3-ext0';
const EXT_PEER = 'hl3-ext1';

describe('a router on a linux host', { skip: skip ?? false }, () => {
  let ovs: OvsSandbox;
  let cloud: TestCloud;
  let lc: LinuxCloud;
  const routerIds: string[] = [];
  const nova = (method: string, path: string, body?: unknown) => cloud.api('demo', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const neutron = (user: 'admin' | 'demo', method: string, path: string, body?: unknown) => cloud.api(user, method, `${cloud.urls.network}/v2.0${path}`, body);
  const ofctl = (...args: string[]) => execFileSync('ovs-ofctl', args, { encoding: 'utf8', env: { ...process.env, OVS_RUNDIR: ovs.dir } });
  const vsctl = (...args: string[]) => execFileSync('ovs-vsctl', [`--db=${ovs.db}`, ...args], { encoding: 'utf8' });

  before(async () => {
    lc = await startLinuxCloud({
      overrides: { linux_host: { provider_bridges: true }, l3_agent: { enabled: true }, agent: { bridge_mappings: ['physnet1:br-ex'] } },
      debugLevel: 'debug',
    });
    ({ ovs, cloud } = lc);
  });
  after(async () => {
    await cloud?.stop();
    const left = await hostLinkNames().catch(() => ({ namespaces: [] as string[] }));
    await deleteHostDevices([EXT_PEER], [EXT_NS, ...left.namespaces.filter((n) => routerIds.some((id) => n === `qrouter-${id}`))]);
    await ovs?.stop();
  });

  async function boot(name: string, netId: string): Promise<{ id: string; ip: string }> {
    const { id, ip } = await lc.boot(name, { netId }, { what: `server ${name} ACTIVE` });
    return { id, ip };
  }

  it('routes between two networks, reaches a guest through its floating IP, and leaves nothing when deleted', async () => {
    const nets: { id: string; subnet: string; gw: string }[] = [];
    for (const [i, cidr] of ['10.31.1.0/24', '10.31.2.0/24'].entries()) {
      const net = (await neutron('demo', 'POST', '/networks', { network: { name: `h-l3-net${i}` } })).body.network;
      const sub = (await neutron('demo', 'POST', '/subnets', { subnet: { network_id: net.id, cidr, ip_version: 4 } })).body.subnet;
      nets.push({ id: net.id, subnet: sub.id, gw: sub.gateway_ip });
    }
    const ext = (await neutron('admin', 'POST', '/networks', { network: { name: 'h-l3-public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } })).body.network;
    assert.ok(ext?.id, 'external network created');
    await neutron('admin', 'POST', '/subnets', { subnet: { network_id: ext.id, cidr: '172.24.9.0/24', gateway_ip: '172.24.9.1', enable_dhcp: false, ip_version: 4 } });
    const router = (await neutron('demo', 'POST', '/routers', { router: { name: 'h-l3-router', external_gateway_info: { network_id: ext.id } } })).body.router;
    routerIds.push(router.id);
    for (const n of nets) assert.equal((await neutron('demo', 'PUT', `/routers/${router.id}/add_router_interface`, { subnet_id: n.subnet })).status, 200);

    const a = await boot('h-l3-a', nets[0]!.id);
    const b = await boot('h-l3-b', nets[1]!.id);
    await configureGuestAddress(a.id, `${a.ip}/24`, nets[0]!.gw);
    await configureGuestAddress(b.id, `${b.ip}/24`, nets[1]!.gw);

    const ns = `qrouter-${router.id}`;
    await waitFor('the router namespace with its ports', async () => {
      const links = (await exec('ip', ['-n', ns, '-o', 'link', 'show'])).stdout;
      return (links.match(/qr-/g) ?? []).length === 2 && links.includes('qg-') ? true : undefined;
    });
    const nat = (await exec('ip', ['netns', 'exec', ns, 'iptables-save', '-t', 'nat'])).stdout;
    const gwIp = (await neutron('admin', 'GET', `/routers/${router.id}`)).body.router.external_gateway_info.external_fixed_ips[0].ip_address;
    assert.match(nat, new RegExp(`-A neutron-l3-agent-snat -o qg-[0-9a-f-]{11} -j SNAT --to-source ${gwIp.replace(/\./g, '\\.')}`));
    assert.match(nat, /-A neutron-l3-agent-snat -j neutron-l3-agent-float-snat/);
    // The OVS agent wired the router ports: each has a local VLAN tag.
    for (const dev of vsctl('list-ports', 'br-int').split('\n').filter((p) => /^q[rg]-/.test(p))) {
      assert.match(vsctl('get', 'Port', dev, 'tag').trim(), /^[1-9]\d*$/, `${dev} has a local VLAN`);
    }

    // The router ports are bound to the L3 agent's host and the OVS agent reported them up.
    const rports = (await neutron('admin', 'GET', `/ports?device_id=${router.id}`)).body.ports as { device_owner: string; status: string; 'binding:host_id': string }[];
    assert.equal(rports.length, 3);
    await waitFor('router ports ACTIVE', async () => {
      const ps = (await neutron('admin', 'GET', `/ports?device_id=${router.id}`)).body.ports as { status: string; 'binding:host_id': string }[];
      return ps.every((p) => p.status === 'ACTIVE' && p['binding:host_id'] === 'linux1') ? true : undefined;
    });
    const l3agents = (await neutron('admin', 'GET', '/agents?binary=neutron-l3-agent')).body.agents as { host: string; alive: boolean; agent_type: string }[];
    assert.deepEqual(l3agents.map((a) => [a.host, a.agent_type, a.alive]), [['linux1', 'L3 agent', true]]);

    // East-west through the router.
    await waitFor('guest A pings guest B through the router', async () => ((await pings(guestNamespace(a.id), b.ip)) ? true : undefined), 30_000, 200);

    // The outside world on br-ex.
    await exec('ip', ['netns', 'add', EXT_NS]);
    await exec('ip', ['link', 'add', EXT_PEER, 'type', 'veth', 'peer', 'name', EXT_VETH]);
    await exec('ip', ['link', 'set', EXT_VETH, 'netns', EXT_NS]);
    await exec('ip', ['link', 'set', EXT_PEER, 'up']);
    vsctl('add-port', 'br-ex', EXT_PEER);
    await exec('ip', ['-n', EXT_NS, 'addr', 'add', '172.24.9.1/24', 'dev', EXT_VETH]);
    await exec('ip', ['-n', EXT_NS, 'link', 'set', EXT_VETH, 'up']);
    await exec('ip', ['-n', EXT_NS, 'link', 'set', 'lo', 'up']);
    // The br-ex flat flows: strip the local VLAN toward the physical network.
    assert.match(ofctl('-O', 'OpenFlow13', 'dump-flows', 'br-ex'), new RegExp(`priority=4,in_port=${vsctl('get', 'Interface', 'phy-br-ex', 'ofport').trim()},dl_vlan=\\d+ actions=pop_vlan,NORMAL`));
    assert.match(ofctl('-O', 'OpenFlow13', 'dump-flows', 'br-int'), new RegExp(`priority=3,in_port=${vsctl('get', 'Interface', 'int-br-ex', 'ofport').trim()},vlan_tci=0x0000/0x1fff actions=push_vlan:0x8100,set_field:\\d+->vlan_vid,goto_table:59`));

    // SNAT: guest A reaches the outside through the router's gateway address.
    await waitFor('guest A pings the external network (SNAT)', async () => ((await pings(guestNamespace(a.id), '172.24.9.1')) ? true : undefined), 30_000, 200);

    const bPort = (await neutron('demo', 'GET', `/ports?device_id=${b.id}`)).body.ports[0];
    const fip = (await neutron('demo', 'POST', '/floatingips', { floatingip: { floating_network_id: ext.id, port_id: bPort.id } })).body.floatingip;
    assert.ok(fip?.id, JSON.stringify(fip));
    await waitFor('floating IP ACTIVE', async () => ((await neutron('demo', 'GET', `/floatingips/${fip.id}`)).body.floatingip.status === 'ACTIVE' ? true : undefined));
    // The iptables_hybrid firewall lets in only the group's members: the outside needs a rule, as on any cloud.
    const sg = (await neutron('demo', 'GET', '/security-groups?name=default')).body.security_groups[0];
    assert.equal((await neutron('demo', 'POST', '/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_ip_prefix: '0.0.0.0/0' } })).status, 201);
    await waitFor('the outside pings guest B through its floating IP', async () => ((await pings(EXT_NS, fip.floating_ip_address)) ? true : undefined), 30_000, 200);
    const nat2 = (await exec('ip', ['netns', 'exec', ns, 'iptables-save', '-t', 'nat'])).stdout;
    assert.ok(nat2.includes(`-A neutron-l3-agent-PREROUTING -d ${fip.floating_ip_address}/32 -j DNAT --to-destination ${b.ip}`), nat2);
    assert.ok(nat2.includes(`-A neutron-l3-agent-float-snat -s ${b.ip}/32 -j SNAT --to-source ${fip.floating_ip_address}`), nat2);

    // Delete everything.
    assert.equal((await neutron('demo', 'DELETE', `/floatingips/${fip.id}`)).status, 204);
    for (const s of [a, b]) assert.equal((await nova('DELETE', `/servers/${s.id}`)).status, 204);
    for (const s of [a, b]) await waitFor('server gone', async () => ((await nova('GET', `/servers/${s.id}`)).status === 404 ? true : undefined));
    for (const n of nets) assert.equal((await neutron('demo', 'PUT', `/routers/${router.id}/remove_router_interface`, { subnet_id: n.subnet })).status, 200);
    assert.equal((await neutron('demo', 'DELETE', `/routers/${router.id}`)).status, 204);
    await waitFor('router namespace gone', async () => ((await hostLinkNames()).namespaces.includes(ns) ? undefined : true));
    const ports = vsctl('list-ports', 'br-int').split('\n');
    assert.deepEqual(ports.filter((p) => /^q[rg]-/.test(p)), []);
    const left = await hostLinkNames();
    assert.deepEqual(left.links.filter((l) => /^q[rg]-/.test(l)), []);
    assert.deepEqual(left.namespaces.filter((n) => n.startsWith('qrouter-')), []);
    // The router's NAT lived in its namespace only: none in the root namespace either.
    assert.doesNotMatch((await exec('iptables-save', ['-t', 'nat'])).stdout, /neutron-l3-agent/);
  });
});

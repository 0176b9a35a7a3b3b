/**
 * Security groups enforced on a real host ([DEFAULT] host_driver = linux, a private Open
 * vSwitch, firewall_driver iptables_hybrid): two servers on one network ping each other
 * through their qbr bridges (bridge-nf → the agent's neutron-openvswi chains); removing
 * the rule that allows ICMP stops the ping within one agent loop, adding it back
 * restores it; deleting the servers leaves no per-port chain and no ipset. Skipped with
 * its reason where root or OVS is missing (never under CI=true as root).
 *
 * The chains live in the root namespace (bridge-nf-call-iptables sends every bridged
 * frame of the machine through them): they match only the servers' taps, and `after`
 * deletes every neutron-* chain and NIPv* ipset the test made.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { guestNamespace } from '../../src/compute/virt/vif.js';
import { createLogger } from '../../src/common/log.js';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { configureGuestAddress, pings } from '../helpers/guests.js';
import { neutronIptables, removeNeutronIptables } from '../helpers/iptables.js';
import { assertStatus } from '../helpers/neutron.js';
import { type OvsSandbox, hostLinkNames, linuxHostSkipReason, startOvsSandbox } from '../helpers/ovs.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
const skip = linuxHostSkipReason();
if (skip) console.log(`# linux host firewall test skipped: ${skip}`);

describe('security groups on a linux host (iptables_hybrid)', { skip: skip ?? false }, () => {
  let ovs: OvsSandbox;
  let cloud: TestCloud;
  let imageId: string;
  let netId: string;
  let sgId: string;
  const nova = (method: string, path: string, body?: unknown) => cloud.api('demo', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const neutron = (method: string, path: string, body?: unknown) => cloud.api('demo', method, `${cloud.urls.network}/v2.0${path}`, body);

  before(async () => {
    ovs = await startOvsSandbox();
    // Leftovers of an earlier crashed run would make the assertions below meaningless. Only
    // once the sandbox lock is held: another real-host test's chains are live until then.
    removeNeutronIptables();
    cloud = await startTestCloud(
      {
        DEFAULT: { host_driver: 'linux', hosts: ['linux1'] },
        linux_host: { ovsdb_socket: ovs.db },
        agent: { polling_interval: 0, datapath_type: 'netdev', firewall_driver: 'iptables_hybrid' },
        network: { send_events_interval: 0 },
      },
      undefined,
      process.env['DEBUG_LINUX_HOST'] ? createLogger('warn') : undefined,
    );
    netId = assertStatus(await neutron('POST', '/networks', { network: { name: 'fw-net' } }), 201).network.id;
    assertStatus(await neutron('POST', '/subnets', { subnet: { network_id: netId, cidr: '10.91.0.0/24', ip_version: 4 } }), 201);
    sgId = assertStatus(await neutron('POST', '/security-groups', { security_group: { name: 'fw-test' } }), 201).security_group.id;
    // TCP from members of the group (an ipset), but no ICMP yet.
    assertStatus(await neutron('POST', '/security-group-rules', { security_group_rule: { security_group_id: sgId, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', remote_group_id: sgId } }), 201);
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(async () => {
    await cloud?.stop();
    await ovs?.stop(); // removes the neutron-* chains and NIPv* ipsets too
    removeNeutronIptables();
  });

  async function boot(name: string): Promise<{ id: string; ip: string }> {
    const port = assertStatus(await neutron('POST', '/ports', { port: { network_id: netId, security_groups: [sgId] } }), 201).port;
    const r = await nova('POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ port: port.id }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id = r.body.server.id as string;
    await waitFor(`server ${id} ACTIVE`, async () => {
      const s = (await nova('GET', `/servers/${id}`)).body.server;
      if (s?.status === 'ERROR') throw new Error(`server went to ERROR: ${JSON.stringify(s.fault)}`);
      return s?.status === 'ACTIVE' ? s : undefined;
    });
    const ip = port.fixed_ips[0].ip_address as string;
    await configureGuestAddress(id, `${ip}/24`);
    return { id, ip };
  }

  /** Pings until `want` holds (each ping waits 1 s), for at most `ms`. */
  const pingBecomes = (from: string, ip: string, want: boolean, ms: number) =>
    waitFor(`ping ${ip} ${want ? 'answered' : 'dropped'}`, async () => ((await pings(guestNamespace(from), ip)) === want ? true : undefined), ms, 50);

  it('lets ICMP through only while a rule allows it, and cleans up with the ports', async () => {
    const a = await boot('fw-a');
    const b = await boot('fw-b');
    const short = (id: string) => id.slice(0, 10);
    const portOf = async (server: string) => (await neutron('GET', `/ports?device_id=${server}`)).body.ports[0].id as string;
    const [pa, pb] = [await portOf(a.id), await portOf(b.id)];
    const { chains, sets } = neutronIptables();
    for (const p of [pa, pb]) for (const k of ['i', 'o', 's']) assert.ok(chains.includes(`iptables-save:neutron-openvswi-${k}${short(p)}`), `${k} chain of ${p}: ${chains.join(' ')}`);
    assert.deepEqual(sets.sort(), [`NIPv4${sgId}`.slice(0, 29)]);

    // No ICMP rule yet: the echo request is dropped at the receiver's ingress chain.
    assert.equal(await pings(guestNamespace(a.id), b.ip), false);
    const icmp = assertStatus(await neutron('POST', '/security-group-rules', { security_group_rule: { security_group_id: sgId, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' } }), 201).security_group_rule;
    // polling_interval 0: the notification's iteration runs at once; 5 s is far more than one loop.
    await pingBecomes(a.id, b.ip, true, 5000);
    assert.equal(await pings(guestNamespace(b.id), a.ip), true);

    assertStatus(await neutron('DELETE', `/security-group-rules/${icmp.id}`), 204);
    await pingBecomes(a.id, b.ip, false, 5000);
    assert.equal(await pings(guestNamespace(b.id), a.ip), false);

    assertStatus(await neutron('POST', '/security-group-rules', { security_group_rule: { security_group_id: sgId, direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' } }), 201);
    await pingBecomes(a.id, b.ip, true, 5000);

    for (const s of [a, b]) assert.equal((await nova('DELETE', `/servers/${s.id}`)).status, 204);
    for (const s of [a, b]) await waitFor('server gone', async () => ((await nova('GET', `/servers/${s.id}`)).status === 404 ? true : undefined));
    const left = await hostLinkNames();
    assert.deepEqual(left.links.filter((l) => l.endsWith(pa.slice(0, 11)) || l.endsWith(pb.slice(0, 11))), []);
    assert.deepEqual(left.namespaces.filter((ns) => ns === guestNamespace(a.id) || ns === guestNamespace(b.id)), []);
    await waitFor('port chains and ipsets gone', async () => {
      const left = neutronIptables();
      return !left.chains.some((c) => c.includes(short(pa)) || c.includes(short(pb))) && !left.sets.length ? true : undefined;
    }, 10_000);
  });
});

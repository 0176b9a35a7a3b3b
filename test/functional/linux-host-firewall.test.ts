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
import { type LinuxCloud, assertIcmpRuleGovernsPing, startLinuxCloud } from '../helpers/linux-cloud.js';
import { configureGuestAddress } from '../helpers/guests.js';
import { neutronIptables, removeNeutronIptables } from '../helpers/iptables.js';
import { assertStatus } from '../helpers/neutron.js';
import { hostLinkNames, linuxHostSkipReason } from '../helpers/ovs.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
const skip = linuxHostSkipReason();
if (skip) console.log(`# linux host firewall test skipped: ${skip}`);

describe('security groups on a linux host (iptables_hybrid)', { skip: skip ?? false }, () => {
  let lc: LinuxCloud;
  let neutron: LinuxCloud['neutron'];
  let netId: string;
  let sgId: string;

  before(async () => {
    // Leftovers of an earlier crashed run would make the assertions below meaningless. Only
    // once the sandbox lock is held: another real-host test's chains are live until then.
    lc = await startLinuxCloud({ overrides: { agent: { firewall_driver: 'iptables_hybrid' } }, neutronUser: 'demo', afterOvs: () => removeNeutronIptables() });
    ({ neutron } = lc);
    netId = await lc.network('fw-net', '10.91.0.0/24');
    sgId = assertStatus(await neutron('POST', '/security-groups', { security_group: { name: 'fw-test' } }), 201).security_group.id;
    // TCP from members of the group (an ipset), but no ICMP yet.
    assertStatus(await neutron('POST', '/security-group-rules', { security_group_rule: { security_group_id: sgId, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', remote_group_id: sgId } }), 201);
  });
  after(async () => {
    await lc?.stop(); // removes the neutron-* chains and NIPv* ipsets too
    removeNeutronIptables();
  });

  async function boot(name: string): Promise<{ id: string; ip: string }> {
    const port = assertStatus(await neutron('POST', '/ports', { port: { network_id: netId, security_groups: [sgId] } }), 201).port;
    const { id } = await lc.boot(name, { portId: port.id });
    const ip = port.fixed_ips[0].ip_address as string;
    await configureGuestAddress(id, `${ip}/24`);
    return { id, ip };
  }

  /** Pings until `want` holds (each ping waits 1 s), for at most `ms`. */
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
    await assertIcmpRuleGovernsPing(neutron, sgId, a, b);

    await lc.deleteServers([a.id, b.id]);
    const left = await hostLinkNames();
    assert.deepEqual(left.links.filter((l) => l.endsWith(pa.slice(0, 11)) || l.endsWith(pb.slice(0, 11))), []);
    assert.deepEqual(left.namespaces.filter((ns) => ns === guestNamespace(a.id) || ns === guestNamespace(b.id)), []);
    await waitFor('port chains and ipsets gone', async () => {
      const left = neutronIptables();
      return !left.chains.some((c) => c.includes(short(pa)) || c.includes(short(pb))) && !left.sets.length ? true : undefined;
    }, 10_000);
  });
});

/**
 * Security groups enforced by the openvswitch firewall on a real host ([DEFAULT]
 * host_driver = linux, a private Open vSwitch with the netdev datapath, [agent]
 * firewall_driver = openvswitch): the binding reports ovs_hybrid_plug false, nova plugs
 * each tap straight into br-int (no qbr), two servers ping each other through the
 * conntrack flows of tables 71-94 while a rule allows ICMP; removing that rule stops the
 * ping within one agent loop, adding it back restores it; deleting the servers leaves no
 * flow matching their ofports. Skipped with its reason where root or OVS is missing
 * (never under CI=true as root).
 *
 * No iptables rule is made (no qbr bridge, so bridge-nf sees none of these frames).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { TestCloud } from '../helpers/cloud.js';
import { type LinuxCloud, assertIcmpRuleGovernsPing, startLinuxCloud } from '../helpers/linux-cloud.js';
import { configureGuestAddress } from '../helpers/guests.js';
import { assertStatus } from '../helpers/neutron.js';
import { type OvsSandbox, hostLinkNames, linuxHostSkipReason } from '../helpers/ovs.js';
import { waitFor } from '../helpers/wait.js';

const skip = linuxHostSkipReason();
if (skip) console.log(`# linux host OVS firewall test skipped: ${skip}`);

describe('security groups on a linux host (openvswitch firewall)', { skip: skip ?? false }, () => {
  let lc: LinuxCloud;
  let ovs: OvsSandbox;
  let cloud: TestCloud;
  let neutron: LinuxCloud['neutron'];
  let netId: string;
  let sgId: string;
  /** binding:* attributes are admin-only. */
  const adminNeutron = (method: string, path: string) => cloud.api('admin', method, `${cloud.urls.network}/v2.0${path}`);
  const ofctl = (...args: string[]) => execFileSync('ovs-ofctl', ['-O', 'OpenFlow13', ...args], { encoding: 'utf8', env: { ...process.env, OVS_RUNDIR: ovs.dir } });
  const vsctl = (...args: string[]) => execFileSync('ovs-vsctl', [`--db=${ovs.db}`, ...args], { encoding: 'utf8' }).trim();

  before(async () => {
    lc = await startLinuxCloud({ overrides: { agent: { firewall_driver: 'openvswitch' } }, neutronUser: 'demo' });
    ({ ovs, cloud, neutron } = lc);
    netId = await lc.network('ovsfw-net', '10.92.0.0/24');
    sgId = assertStatus(await neutron('POST', '/security-groups', { security_group: { name: 'ovsfw-test' } }), 201).security_group.id;
    // TCP from members of the group (expanded to their addresses), but no ICMP yet.
    assertStatus(await neutron('POST', '/security-group-rules', { security_group_rule: { security_group_id: sgId, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', remote_group_id: sgId } }), 201);
  });
  after(async () => {
    await lc?.stop();
  });

  async function boot(name: string): Promise<{ id: string; ip: string; port: string }> {
    const port = assertStatus(await neutron('POST', '/ports', { port: { network_id: netId, security_groups: [sgId] } }), 201).port;
    const { id } = await lc.boot(name, { portId: port.id });
    const ip = port.fixed_ips[0].ip_address as string;
    await configureGuestAddress(id, `${ip}/24`);
    return { id, ip, port: port.id as string };
  }

  it('plugs taps into br-int, lets ICMP through only while a rule allows it, and removes the ports\' flows', async () => {
    const a = await boot('ovsfw-a');
    const b = await boot('ovsfw-b');
    const ofports: number[] = [];
    for (const s of [a, b]) {
      const port = (await adminNeutron('GET', `/ports/${s.port}`)).body.port;
      assert.equal(port['binding:vif_details'].ovs_hybrid_plug, false);
      const short = s.port.slice(0, 11);
      assert.ok(!execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).includes(`qbr${short}`), 'no qbr bridge');
      assert.equal(vsctl('port-to-br', `tap${short}`), 'br-int');
      ofports.push(Number(vsctl('get', 'Interface', `tap${short}`, 'ofport')));
    }
    // ovs-ofctl prints registers in hex.
    const flows = ofctl('dump-flows', 'br-int');
    for (const o of ofports) assert.match(flows, new RegExp(`table=60, .*in_port=${o} actions=set_field:0x${o.toString(16)}->reg5`));
    assert.match(flows, /table=72, .*ct_state=\+new-est/);

    // No ICMP rule yet: the echo request is dropped in the receiver's ingress tables.
    await assertIcmpRuleGovernsPing(neutron, sgId, a, b);

    await lc.deleteServers([a.id, b.id]);
    const left = await hostLinkNames();
    assert.deepEqual(left.links.filter((l) => l.endsWith(a.port.slice(0, 11)) || l.endsWith(b.port.slice(0, 11))), []);
    await waitFor('per-port flows gone', async () => {
      const dump = ofctl('dump-flows', 'br-int');
      return ofports.every((o) => !new RegExp(`(in_port=${o}|reg5=0x${o.toString(16)})[, ]`).test(dump)) ? true : undefined;
    }, 10_000);
  });
});

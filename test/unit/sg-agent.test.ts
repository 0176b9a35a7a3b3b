/**
 * The OVS agent's security group hooks (firewall/sg-agent.ts) in its port loop, on a
 * simulated host whose iptables and ipset commands go to an in-memory iptables
 * (packetFilter set): a new port is filtered before it is reported up; a
 * security_groups_rule_updated cast re-filters it in the next iteration (one
 * security_group_info_for_devices call, the rule gone from iptables); a member update
 * of a group no rule names as remote group does nothing; a removed port loses its chains; a host without
 * packetFilter (the plain simulated host) never calls security_group_info_for_devices.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { rpcClient } from '../../src/bus/contract.js';
import { InprocBus } from '../../src/bus/inproc.js';
import { Topics } from '../../src/bus/topics.js';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/log.js';
import type { HostNetwork } from '../../src/hostnet/host-network.js';
import { type SimulatedHostNetwork, createSimulatedHostNetworks } from '../../src/hostnet/index.js';
import { OvsL2AgentLoop } from '../../src/network/agents/index.js';
import type { SecurityGroupInfoArgs, SecurityGroupInfoReply, SgRuleInfo } from '../../src/network/rpc/sg-wire.js';
import { AgentSecurityGroupUpdateTopicDef } from '../../src/network/rpc/topics.js';
import type { DevicesDetailsArgs, UpdateDeviceListArgs } from '../../src/network/rpc/wire.js';
import { FakeIptablesHost } from '../helpers/fake-iptables.js';

const log = silentLogger();
const PORT = '3b0e7d2a-1c4f-4e8b-9a6d-2f5e8c1b7a90';
const SG = '5f1c9b2e-8a1d-4c61-9f57-1d2c3b4a5e6f';

let loop: OvsL2AgentLoop | undefined;
let bus: InprocBus | undefined;
afterEach(async () => {
  loop?.stop();
  await bus?.close();
});

async function setup(packetFilter: boolean) {
  const cfg = loadConfig({ overrides: { DEFAULT: { hosts: ['compute1'] }, agent: { polling_interval: 2 } } });
  const clock = new FakeClock();
  bus = new InprocBus(clock, log);
  const calls: { method: string; args: any }[] = [];
  let rules: SgRuleInfo[] = [
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', stateful: true },
    { direction: 'egress', ethertype: 'IPv4', stateful: true },
  ];
  await bus.listen(Topics.plugin, 'neutron-server', {
    get_devices_details_list_and_failed_devices: (args: DevicesDetailsArgs) => {
      calls.push({ method: 'details', args });
      return {
        devices: args.devices.map((device) => ({
          device, network_id: 'net-a', port_id: device, mac_address: 'fa:16:3e:00:00:01', admin_state_up: true, network_type: 'vxlan', segmentation_id: 100,
          physical_network: null, mtu: 1450, fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.5' }], device_owner: 'compute:nova', allowed_address_pairs: [],
          port_security_enabled: true, qos_policy_id: null, qos_network_policy_id: null, profile: {}, propagate_uplink_status: false,
        })),
        failed_devices: [],
      };
    },
    update_device_list: (args: UpdateDeviceListArgs) => {
      calls.push({ method: 'update', args });
      return { devices_up: args.devices_up, failed_devices_up: [], devices_down: args.devices_down.map((device) => ({ device, exists: true })), failed_devices_down: [] };
    },
    security_group_info_for_devices: (args: SecurityGroupInfoArgs): SecurityGroupInfoReply => {
      calls.push({ method: 'sg_info', args });
      const devices: SecurityGroupInfoReply['devices'] = {};
      for (const device of args.devices) {
        devices[device] = {
          id: device, name: '', network_id: 'net-a', tenant_id: 'p', project_id: 'p', mac_address: 'fa:16:3e:00:00:01', admin_state_up: true, status: 'BUILD',
          device_id: 'i-1', device_owner: 'compute:nova', fixed_ips: ['10.0.0.5'], allowed_address_pairs: [], port_security_enabled: true,
          security_groups: [SG], security_group_rules: [], security_group_source_groups: [], security_group_remote_address_groups: [], device,
        };
      }
      return { devices, security_groups: { [SG]: rules }, sg_member_ips: {} };
    },
  });
  const hosts = createSimulatedHostNetworks(cfg, { random: seededRandom(4) });
  const sim = hosts.get('compute1');
  const fw = new FakeIptablesHost();
  // The simulated host for OVS and links; iptables and ipset to the in-memory iptables.
  const net: HostNetwork = {
    host: sim.host,
    packetFilter,
    execute: (argv, opts) => (/^(ip6?tables|ipset)/.test(argv[0]!) ? fw.execute(argv, opts) : sim.execute(argv, opts)),
    onInterfaceChange: (l) => sim.onInterfaceChange(l),
    snapshot: () => sim.snapshot(),
  };
  loop = new OvsL2AgentLoop({ bus, clock, log, cfg, hostnets: { get: () => net } });
  loop.addHost('compute1');
  await loop.start();
  await clock.advance(0);
  return { clock, calls, fw, sim, setRules: (r: SgRuleInfo[]) => (rules = r) };
}

async function plug(h: SimulatedHostNetwork, portId: string): Promise<void> {
  const qvo = `qvo${portId}`.slice(0, 14);
  const qvb = `qvb${portId}`.slice(0, 14);
  await h.execute(['ip', 'link', 'add', qvb, 'type', 'veth', 'peer', 'name', qvo]);
  await h.execute(['ovs-vsctl', '--', 'add-port', 'br-int', qvo, '--', 'set', 'Interface', qvo, `external-ids:iface-id=${portId}`, 'external-ids:iface-status=active', 'external-ids:attached-mac=fa:16:3e:00:00:01', 'external-ids:vm-uuid=i-1']);
}

const notify = (method: 'security_groups_rule_updated' | 'security_groups_member_updated', groups: string[]) =>
  rpcClient(bus!, AgentSecurityGroupUpdateTopicDef, { fanout: true }).cast(method, { security_groups: groups });

describe('the OVS agent security group hooks', () => {
  it('filters a new port before reporting it up, re-filters it one iteration after a rule update, unfilters it when removed', async () => {
    const { clock, calls, fw, sim, setRules } = await setup(true);
    await plug(sim, PORT);
    await clock.advance(2000);
    assert.deepEqual(calls.map((c) => c.method), ['details', 'sg_info', 'update']);
    assert.deepEqual(calls[1]!.args, { devices: [PORT], call_version: '1.3' });
    assert.match(fw.save(4), /-A neutron-openvswi-i3b0e7d2a-1 -p icmp -j RETURN/);

    // A member update of a group no rule of the port names as remote group: nothing to do.
    calls.length = 0;
    await notify('security_groups_member_updated', [SG]);
    await clock.advance(2000);
    assert.equal(calls.length, 0);

    setRules([{ direction: 'egress', ethertype: 'IPv4', stateful: true }]);
    await notify('security_groups_rule_updated', [SG]);
    await clock.advance(2000);
    assert.deepEqual(calls.map((c) => c.method), ['sg_info'], 'one iteration: one info call, no port report');
    assert.doesNotMatch(fw.save(4), /-p icmp/);

    calls.length = 0;
    await sim.execute(['ovs-vsctl', '--if-exists', 'del-port', 'br-int', `qvo${PORT}`.slice(0, 14)]);
    await clock.advance(2000);
    assert.deepEqual(calls.map((c) => c.method), ['update']);
    assert.doesNotMatch(fw.save(4) + fw.save(6), /3b0e7d2a/);
  });

  it('runs no firewall on a host without packetFilter (the simulated host)', async () => {
    const { clock, calls, fw, sim } = await setup(false);
    await plug(sim, PORT);
    await clock.advance(2000);
    await notify('security_groups_rule_updated', [SG]);
    await clock.advance(2000);
    assert.deepEqual(calls.map((c) => c.method), ['details', 'update']);
    assert.deepEqual(fw.calls, []);
  });
});

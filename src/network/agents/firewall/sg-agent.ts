/**
 * The OVS agent's SecurityGroupAgentRpc (agent/securitygroups_rpc.py) with
 * defer_refresh_firewall, over the firewall of one host: iptables_hybrid, or openvswitch
 * (ovs-firewall.ts, which also gets the devices the server did not describe as trusted
 * ports, process_trusted_ports / remove_trusted_ports):
 *
 * - setupPortFilters(new, updated), called by the port loop before it reports ports up:
 *   new devices are fetched with security_group_info_for_devices and filtered
 *   (prepare_devices_filter); updated ones, and those a notification marked, are fetched
 *   again and re-filtered (refresh_firewall); one apply (iptables-save/-restore per
 *   family) each time;
 * - security_groups_rule_updated / security_groups_member_updated mark the filtered
 *   devices in those groups (member: whose rules refer to them as remote group); the
 *   loop's next iteration re-filters them (firewall_refresh_needed);
 * - removeDevicesFilter: removed ports lose their chains.
 *
 * Which hosts get one: only those whose HostNetwork enforces packet filters (the linux
 * host). A simulated host has no packets to filter, and modelling iptables-save/restore
 * and ipset there would only cost CPU on every boot (the security_group_info call, rule
 * generation and a restore diff per port) with nothing to observe; its agent therefore
 * runs without a firewall (as Zed's noop driver), and the API's rules take effect on real
 * hosts only.
 */
import type { Bus } from '../../../bus/bus.js';
import { type RpcClient, rpcClient } from '../../../bus/contract.js';
import type { Logger } from '../../../common/log.js';
import type { HostNetwork } from '../../../hostnet/host-network.js';
import type { SecurityGroupInfoReply } from '../../rpc/sg-wire.js';
import { type PluginTopic, PluginTopicDef } from '../../rpc/topics.js';
import { HybridIptablesFirewall } from './iptables-firewall.js';
import type { OvsFirewall } from './ovs-firewall.js';

/** The firewall drivers whose rules the agent writes itself (firewall_driver = iptables_hybrid, or its class path). */
export const isHybridIptables = (driver: string) => driver === 'iptables_hybrid' || driver.endsWith('OVSHybridIptablesFirewallDriver');

/** SecurityGroupServerRpcApi: the agent's call for its devices' rules (a call: the firewall needs the answer). */
export class SecurityGroupServerApi {
  readonly #rpc: RpcClient<PluginTopic>;
  constructor(bus: Bus) {
    this.#rpc = rpcClient(bus, PluginTopicDef);
  }

  securityGroupInfoForDevices(devices: string[]): Promise<SecurityGroupInfoReply> {
    return this.#rpc.call('security_group_info_for_devices', { devices, call_version: '1.3' });
  }
}

/** The firewall drivers this agent drives: iptables_hybrid, or openvswitch (given ready-made by the agent). */
export type PortFirewall = HybridIptablesFirewall | OvsFirewall;

export class SecurityGroupAgent {
  readonly firewall: PortFirewall;
  #refilter = new Set<string>();

  /** `firewall`: an OvsFirewall for firewall_driver openvswitch; the hybrid iptables one when absent. */
  constructor(
    private readonly rpc: SecurityGroupServerApi,
    net: HostNetwork,
    private readonly log: Logger,
    reportInterval?: number,
    firewall?: OvsFirewall,
  ) {
    this.firewall = firewall ?? new HybridIptablesFirewall(net, reportInterval, log);
  }

  /** firewall_refresh_needed: a notification marked devices for the next iteration. */
  refreshNeeded(): boolean {
    return this.#refilter.size > 0;
  }

  /** security_groups_rule_updated; true when a device here was marked. */
  rulesUpdated(securityGroups: string[]): boolean {
    return this.#mark(securityGroups, 'security_groups');
  }

  /** security_groups_member_updated; true when a device here was marked. */
  membersUpdated(securityGroups: string[]): boolean {
    return this.#mark(securityGroups, 'security_group_source_groups');
  }

  #mark(securityGroups: string[], attribute: 'security_groups' | 'security_group_source_groups'): boolean {
    const set = new Set(securityGroups);
    let any = false;
    for (const port of this.firewall.ports.values()) {
      if ((port[attribute] ?? []).some((sg) => set.has(sg))) {
        this.#refilter.add(port.device);
        any = true;
      }
    }
    return any;
  }

  /** setup_port_filters. May throw (RPC or a host command): the loop retries the devices. */
  async setupPortFilters(newDevices: ReadonlySet<string>, updatedDevices: ReadonlySet<string>): Promise<void> {
    const refilter = this.#refilter;
    this.#refilter = new Set();
    try {
      if (newDevices.size) {
        this.log.debug({ host: this.firewall.host }, `Preparing device filters for ${newDevices.size} new devices`);
        await this.#applyPortFilter([...newDevices], false);
      }
      const updated = [...new Set([...updatedDevices, ...refilter])].filter((d) => !newDevices.has(d) && this.firewall.ports.has(d));
      if (updated.length) {
        this.log.info({ host: this.firewall.host }, 'Refresh firewall rules');
        await this.#applyPortFilter(updated, true);
      }
    } catch (e) {
      for (const d of refilter) this.#refilter.add(d);
      throw e;
    }
  }

  /** remove_devices_filter. */
  async removeDevicesFilter(deviceIds: Iterable<string>): Promise<void> {
    let any = false;
    const ids = [...deviceIds];
    for (const id of ids) any = this.firewall.unsetPort(id) || any;
    if ('removeTrustedPorts' in this.firewall) {
      this.firewall.removeTrustedPorts(ids);
      any = true;
    }
    if (any) await this.firewall.apply();
  }

  /** _apply_port_filter: one RPC for the devices, their groups' rules and members, one apply. */
  async #applyPortFilter(deviceIds: string[], update: boolean): Promise<void> {
    const info = await this.rpc.securityGroupInfoForDevices(deviceIds);
    for (const [sg, rules] of Object.entries(info.security_groups)) this.firewall.updateSecurityGroupRules(sg, rules);
    for (const [sg, members] of Object.entries(info.sg_member_ips)) await this.firewall.updateSecurityGroupMembers(sg, members);
    for (const device of Object.values(info.devices)) {
      // update_port_filter ignores a device it does not filter (it may have gone meanwhile).
      if (update && !this.firewall.ports.has(device.device)) continue;
      this.firewall.setPort(device);
    }
    if ('processTrustedPorts' in this.firewall) {
      // _get_trusted_devices: asked for, not described by the server (network:* owners), not filtered already.
      const described = new Set(Object.values(info.devices).map((d) => d.device));
      this.firewall.processTrustedPorts(deviceIds.filter((id) => !(id in info.devices) && !described.has(id) && !this.firewall.ports.has(id)));
    }
    await this.firewall.apply();
  }
}

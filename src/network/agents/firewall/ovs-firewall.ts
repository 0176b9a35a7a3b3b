/**
 * Zed's OVSFirewallDriver (`[agent] firewall_driver = openvswitch`) for one host: security
 * groups as OpenFlow conntrack flows on br-int (ovs-fw-flows.ts builds them), with no qbr
 * bridge (ovs_hybrid_plug false: nova plugs the tap into br-int).
 *
 * The agent's SecurityGroupAgent drives it as it drives the hybrid iptables firewall:
 * rules and members first, then setPort / unsetPort / trusted ports, then apply(), which
 * (re)writes the flows of every port touched since the last apply in one
 * `ovs-ofctl add-flows br-int -` (Zed's deferred bridge with use_bundle). A port already
 * filtered is re-programmed by deleting its flows and adding the new set in that same
 * batch (Zed adds the new set under a temporary cookie first; here the two are a few
 * flow-mods apart in one process).
 *
 * Where a port's VIF has no ofport or local VLAN yet, it gets no flows (Zed logs
 * OVSFWPortNotFound / OVSFWTagNotFound and goes on) but stays known, so that the
 * agent's update once OVS assigns the ofport filters it (a regression the linux host test
 * pins: OVS assigns ofports after the Interface insert there).
 */
import type { Logger } from '../../../common/log.js';
import type { HostNetwork } from '../../../hostnet/host-network.js';
import { BridgeFlows } from '../openflow/bridge-flows.js';
import type { MemberIp, SgDeviceInfo, SgRuleInfo } from '../../rpc/sg-wire.js';
import { linkLocalFromMac } from '../openflow/tables.js';
import {
  type FwPort,
  firewallBridgeFlows,
  portBaseFlows,
  portDeleteMatches,
  portRuleFlows,
  unfilteredPortDeleteMatches,
  unfilteredPortFlows,
} from './ovs-fw-flows.js';

/** firewall_driver values naming the OVS firewall (its alias or class path). */
export const isOvsFirewall = (driver: string) => driver === 'openvswitch' || driver.endsWith('openvswitch_firewall.OVSFirewallDriver');

/** What the agent knows of a VIF on br-int (ovs_lib.VifPort plus the port's other_config). */
export interface OvsVif {
  ofport: number;
  /** The network's local VLAN (the Port's tag). */
  vlanTag: number;
  /** external_ids attached-mac. */
  mac: string;
  networkType: string | null;
  segmentId: number | null;
}

type Members = Partial<Record<'IPv4' | 'IPv6', MemberIp[]>>;

const portSecurity = (p: SgDeviceInfo) => p.port_security_enabled !== false;

/** The OVS firewall of one host (one per agent). Not re-entrant: the agent calls it from its loop only. */
export class OvsFirewall {
  readonly #filtered = new Map<string, SgDeviceInfo>();
  readonly #sgRules = new Map<string, SgRuleInfo[]>();
  readonly #sgMembers = new Map<string, Members>();
  /** Device → the flows' port as last installed (delete_all_port_flows needs it after the VIF left). */
  readonly #installed = new Map<string, FwPort>();
  /** Trusted / no-port-security devices → their ofport (sg_port_map.unfiltered). */
  readonly #unfiltered = new Map<string, number>();
  /** Trusted devices with no ofport yet: retried at each apply (nothing re-filters a trusted device). */
  readonly #pendingTrusted = new Set<string>();
  /** Devices whose flows apply() must rewrite, or remove (null). */
  readonly #dirty = new Map<string, SgDeviceInfo | null>();
  readonly #br: BridgeFlows;
  #initialized = false;

  /**
   * @param vif the VIF of a device on br-int as the agent sees it now, or null
   * @param cookie the agent run's br-int cookie (its stale-flow cleanup keeps these)
   */
  constructor(
    private readonly net: HostNetwork,
    bridge: string,
    cookie: string,
    private readonly vif: (device: string) => OvsVif | null,
    private readonly log?: Logger,
  ) {
    this.#br = new BridgeFlows(net, bridge, cookie);
  }

  /** The host this firewall writes to. */
  get host(): string {
    return this.net.host;
  }

  /** The devices this firewall filters (port ids). */
  get ports(): ReadonlyMap<string, SgDeviceInfo> {
    return this.#filtered;
  }

  /** update_security_group_rules. */
  updateSecurityGroupRules(sgId: string, rules: SgRuleInfo[]): void {
    this.#sgRules.set(sgId, rules);
  }

  /** update_security_group_members (flows follow when the ports using them are re-filtered). */
  updateSecurityGroupMembers(sgId: string, members: Members): Promise<void> {
    this.#sgMembers.set(sgId, members);
    return Promise.resolve();
  }

  /** prepare_port_filter / update_port_filter. Call apply() after. */
  setPort(port: SgDeviceInfo): void {
    this.#dirty.set(port.device, port);
  }

  /** remove_port_filter. Call apply() after. */
  unsetPort(device: string): boolean {
    if (!this.#filtered.has(device) && !this.#installed.has(device)) return false;
    this.#dirty.set(device, null);
    return true;
  }

  /** process_trusted_ports: devices the server did not describe (network:* owners) pass unfiltered. */
  processTrustedPorts(devices: readonly string[]): void {
    for (const d of devices) {
      if (this.#unfiltered.has(d)) continue;
      const v = this.vif(d);
      if (!v) {
        this.#pendingTrusted.add(d);
        continue;
      }
      this.#pendingTrusted.delete(d);
      for (const f of unfilteredPortFlows(v.ofport, v.vlanTag)) this.#br.add(f);
      this.#unfiltered.set(d, v.ofport);
    }
  }

  /** remove_trusted_ports. */
  removeTrustedPorts(devices: Iterable<string>): void {
    for (const d of devices) {
      this.#pendingTrusted.delete(d);
      const ofport = this.#unfiltered.get(d);
      if (ofport === undefined) continue;
      for (const m of unfilteredPortDeleteMatches(ofport)) this.#br.del(m);
      this.#unfiltered.delete(d);
    }
  }

  /** filter_defer_apply_off: every touched port's flows, one ovs-ofctl. Throws CommandFailed as ovs-ofctl fails. */
  async apply(): Promise<void> {
    if (!this.#initialized) {
      // _initialize_firewall: the bridge-wide tables, once per agent run.
      for (const f of firewallBridgeFlows()) this.#br.add(f);
      this.#initialized = true;
    }
    for (const [device, port] of this.#dirty) this.#program(device, port);
    this.#dirty.clear();
    if (this.#pendingTrusted.size) this.processTrustedPorts([...this.#pendingTrusted]);
    await this.#br.flush();
  }

  #program(device: string, port: SgDeviceInfo | null): void {
    const old = this.#installed.get(device);
    if (old) {
      for (const m of portDeleteMatches(old)) this.#br.del(m);
      this.#installed.delete(device);
    }
    if (!port) {
      this.#filtered.delete(device);
      return;
    }
    if (!portSecurity(port)) {
      this.#filtered.delete(device);
      this.processTrustedPorts([device]);
      return;
    }
    const v = this.vif(device);
    if (!v) {
      // Kept as a filtered port: the agent processes it again as updated once OVS gives it
      // an ofport (a real host assigns it after the insert), and its flows follow then.
      this.log?.info({ host: this.host, port: device }, `port ${device} does not exist in ovsdb: no ofport or local VLAN yet`);
      this.#filtered.set(device, port);
      return;
    }
    this.removeTrustedPorts([device]);
    const pairs = port.allowed_address_pairs.map((p) => ({ ip_address: p.ip_address, mac_address: p.mac_address || v.mac }));
    // OFPort.update (a port filtered before): the link-local address joins the IPv6 pairs.
    if (old) pairs.push({ ip_address: linkLocalFromMac(v.mac), mac_address: v.mac });
    const fw: FwPort = { ...v, fixedIps: port.fixed_ips, allowedAddressPairs: pairs };
    for (const f of portBaseFlows(fw)) this.#br.add(f);
    const rules = port.security_groups.map((sg) => this.#sgRules.get(sg) ?? []);
    for (const f of portRuleFlows(fw, rules, (id) => this.#sgMembers.get(id))) this.#br.add(f);
    this.#installed.set(device, fw);
    this.#filtered.set(device, port);
  }
}

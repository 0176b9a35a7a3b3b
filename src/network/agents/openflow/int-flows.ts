/**
 * The OVS agent's br-int OpenFlow side for one host (what ovs_neutron_agent does to
 * int_br with the iptables_hybrid firewall): the default tables at start
 * (setup_integration_br), ARP/MAC spoofing protection of each bound port
 * (setup_arp_spoofing_protection, since the hybrid firewall does not provide it), the
 * drop flow of a dead port (port_dead/port_alive), the port's ofport rules removed when it
 * leaves (update_stale_ofport_rules), and the stale flows of a previous run removed after
 * the first iteration (cleanup_stale_flows). Changes are queued and sent once per
 * iteration (BridgeFlows.flush).
 */
import type { HostNetwork } from '../../../hostnet/host-network.js';
import type { DeviceDetails } from '../../rpc/wire.js';
import { BridgeFlows } from './bridge-flows.js';
import { arpSpoofingClearMatches, arpSpoofingFlows, dropPortFlow, dropPortMatch, intDefaultFlows, inPortMatch } from './tables.js';

/** n_const.DEVICE_OWNER_NETWORK_PREFIX: router, DHCP... ports get no spoofing protection. */
const NETWORK_OWNER_PREFIX = 'network:';

export class IntegrationFlows {
  readonly br: BridgeFlows;

  /** `spoofingProtection`: false where the firewall driver provides it (openvswitch). */
  constructor(
    net: HostNetwork,
    bridge: string,
    cookie: string,
    private readonly spoofingProtection = true,
  ) {
    this.br = new BridgeFlows(net, bridge, cookie);
  }

  /** setup_default_table (the canary and dead VLAN flows included). */
  setupDefault(): void {
    for (const f of intDefaultFlows()) this.br.add(f);
  }

  /**
   * A port wired to its network: its drop flow goes if it was dead (port_alive), and its
   * spoofing protection is (re)installed, or removed for a port without port security or
   * owned by the network (router, DHCP).
   */
  portBound(ofport: number, d: DeviceDetails, wasDead: boolean): void {
    if (ofport <= 0) return;
    if (wasDead) this.br.delStrict(dropPortMatch(ofport));
    if (!this.spoofingProtection) return;
    if (!d.port_security_enabled || d.device_owner.startsWith(NETWORK_OWNER_PREFIX)) {
      for (const m of arpSpoofingClearMatches(ofport, true)) this.br.del(m);
      return;
    }
    for (const m of arpSpoofingClearMatches(ofport, false)) this.br.del(m);
    const flows = arpSpoofingFlows({
      ofport,
      mac: d.mac_address,
      fixedIps: d.fixed_ips.map((x) => x.ip_address),
      allowedAddressPairs: d.allowed_address_pairs,
    });
    for (const f of flows) this.br.add(f);
  }

  /** port_dead: the port's traffic is dropped in table 0 (it is on VLAN 4095 too). */
  portDead(ofport: number): void {
    if (ofport > 0) this.br.add(dropPortFlow(ofport));
  }

  /** A port gone from br-int: every flow on its ofport (update_stale_ofport_rules). */
  portRemoved(ofport: number): void {
    if (ofport > 0) this.br.del(inPortMatch(ofport));
  }
}

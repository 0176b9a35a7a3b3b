/**
 * The 'openvswitch' mechanism driver (mech_openvswitch.py): binds through a live Open
 * vSwitch agent. vif_type 'ovs' (or 'vhostuser' for a netdev datapath offering
 * dpdkvhostuser ports); vif_details take ovs_hybrid_plug and datapath_type from what the
 * agent reported and bridge_name from its integration_bridge, so with the
 * iptables_hybrid firewall nova builds qbr/qvb/qvo and with 'openvswitch' it plugs
 * straight into br-int.
 */
import type { AgentView, VifType } from '../../types.js';
import { AgentMechanismDriver, asRecord, asStringList } from './agent-base.js';
import type { PortBindingContext } from './mech-driver.js';

const VHOST_USER = 'dpdkvhostuser';
const VHOST_USER_CLIENT = 'dpdkvhostuserclient';
const VHOST_USER_SOCKET_DIR = '/var/run/openvswitch';

export class OpenvswitchMechanismDriver extends AgentMechanismDriver {
  readonly name = 'openvswitch';
  readonly agentType = 'Open vSwitch agent';
  readonly agentBinary = 'neutron-openvswitch-agent';
  readonly supportedVnicTypes = ['normal', 'direct', 'smart-nic', 'vhost-vdpa'] as const;

  /** `portFilter` is securitygroup.enable_security_group (neutron's is_firewall_enabled), true by default. */
  constructor(private readonly portFilter = true) {
    super();
  }

  allowedNetworkTypes(agent: AgentView): string[] {
    return [...asStringList(agent.configurations['tunnel_types']), 'local', 'flat', 'vlan'];
  }

  mappings(agent: AgentView): Record<string, unknown> {
    return asRecord(agent.configurations['bridge_mappings']);
  }

  override vnicRefusal(context: PortBindingContext, agent?: AgentView): string | null {
    const { vnicType, profile, id } = context.current;
    if (!agent) {
      const caps = asStringList(profile['capabilities']);
      if (vnicType === 'direct' && !caps.includes('switchdev')) {
        return `Mechanism driver openvswitch binds port ${id} with vnic_type 'direct' only when binding:profile has the 'switchdev' capability.`;
      }
      return null;
    }
    if (vnicType === 'smart-nic' && !agent.configurations['baremetal_smartnic']) {
      return `The Open vSwitch agent on host '${agent.host}' cannot bind SmartNIC port ${id}: baremetal_smartnic is off.`;
    }
    return null;
  }

  #vifType(agent: AgentView, context: PortBindingContext): VifType {
    if (context.current.vnicType === 'direct') return 'ovs';
    const cfg = agent.configurations;
    const ifaceTypes = asStringList(asRecord(cfg['ovs_capabilities'])['iface_types']);
    if ((ifaceTypes.includes(VHOST_USER) || ifaceTypes.includes(VHOST_USER_CLIENT)) && cfg['datapath_type'] === 'netdev') {
      return 'vhostuser';
    }
    return 'ovs';
  }

  vif(agent: AgentView, context: PortBindingContext): { vifType: VifType; vifDetails: Record<string, unknown> } {
    const cfg = agent.configurations;
    const vifType = this.#vifType(agent, context);
    let details: Record<string, unknown>;
    if (vifType !== 'vhostuser') {
      details = { connectivity: 'l2', port_filter: this.portFilter, ovs_hybrid_plug: cfg['ovs_hybrid_plug'] ?? null };
    } else {
      const ifaceTypes = asStringList(asRecord(cfg['ovs_capabilities'])['iface_types']);
      const sockDir = typeof cfg['vhostuser_socket_dir'] === 'string' ? cfg['vhostuser_socket_dir'] : VHOST_USER_SOCKET_DIR;
      details = {
        port_filter: false,
        ovs_hybrid_plug: false,
        vhostuser_mode: ifaceTypes.includes(VHOST_USER_CLIENT) ? 'server' : 'client',
        vhostuser_ovs_plug: true,
        vhostuser_socket: `${sockDir}/${('vhu' + context.current.id).slice(0, 14)}`,
      };
    }
    details['datapath_type'] = cfg['datapath_type'] ?? 'system';
    if (cfg['integration_bridge']) details['bridge_name'] = cfg['integration_bridge'];
    return { vifType, vifDetails: details };
  }
}

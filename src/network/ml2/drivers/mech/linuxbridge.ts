/**
 * The 'linuxbridge' mechanism driver (mech_linuxbridge.py): binds through a live Linux
 * bridge agent whose interface_mappings or bridge_mappings name the segment's physnet;
 * vif_type 'bridge', vif_details {connectivity, port_filter}.
 */
import type { AgentView, VifType } from '../../types.js';
import { AgentMechanismDriver, asRecord, asStringList } from './agent-base.js';

export class LinuxbridgeMechanismDriver extends AgentMechanismDriver {
  readonly name = 'linuxbridge';
  readonly agentType = 'Linux bridge agent';
  readonly agentBinary = 'neutron-linuxbridge-agent';
  readonly supportedVnicTypes = ['normal'] as const;

  constructor(private readonly portFilter = true) {
    super();
  }

  allowedNetworkTypes(agent: AgentView): string[] {
    return [...asStringList(agent.configurations['tunnel_types']), 'local', 'flat', 'vlan'];
  }

  mappings(agent: AgentView): Record<string, unknown> {
    return { ...asRecord(agent.configurations['interface_mappings']), ...asRecord(agent.configurations['bridge_mappings']) };
  }

  vif(): { vifType: VifType; vifDetails: Record<string, unknown> } {
    return { vifType: 'bridge', vifDetails: { connectivity: 'l2', port_filter: this.portFilter } };
  }
}

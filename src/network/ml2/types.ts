/** ML2's domain types shared by the type and mechanism drivers, the binding and the facade. */

/** The network types Nimbus's type drivers know, as neutron_lib's TYPE_* constants. */
export const NetworkTypes = { local: 'local', flat: 'flat', vlan: 'vlan', vxlan: 'vxlan', gre: 'gre', geneve: 'geneve' } as const;
/** Types carried in tunnels: an L2 agent supports them only if it lists them in tunnel_types. */
export const TUNNEL_TYPES: readonly string[] = [NetworkTypes.vxlan, NetworkTypes.gre, NetworkTypes.geneve];

/** One segment of a network (neutron's segment dict, snake_case as on the wire and in the table). */
export interface Segment {
  id: string;
  network_id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  segment_index: number;
}

/** A segment before it is stored: what a type driver reserves or allocates. */
export interface SegmentSpec {
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

/** One provider segment as requested: an undefined (or null) field was not given. */
export interface ProviderSegmentRequest {
  network_type?: string | null;
  physical_network?: string | null;
  segmentation_id?: number | null;
}

/** The provider attributes of a network create (provider:* without the prefix), or the multi-provider `segments` list. */
export interface ProviderRequest extends ProviderSegmentRequest {
  segments?: ProviderSegmentRequest[];
}

/** provider:* attributes of a single-segment network (all null when it has none). */
export interface ProviderNetworkAttrs {
  'provider:network_type': string | null;
  'provider:physical_network': string | null;
  'provider:segmentation_id': number | null;
}

/** The multi-provider form of a network with several segments. */
export interface MultiSegmentAttrs {
  segments: ProviderNetworkAttrs[];
}

/** vif_types a binding can give (portbindings.VIF_TYPE_*). */
export type VifType = 'ovs' | 'bridge' | 'vhostuser';

/** Why a port could not be bound; a diagnosis tool explains each one to an operator. */
export type BindingFailureCause =
  | 'no_agent_on_host'
  | 'agent_down'
  | 'no_tunnel_types'
  | 'physnet_not_mapped'
  | 'unsupported_network_type'
  | 'vnic_type_unsupported';

/** The outcome of Ml2.bindPort: a binding to store, or binding_failed with its cause in words. */
export type BindingResult =
  | {
      ok: true;
      vifType: VifType;
      /** vif_details as neutron shows it, bound_drivers included ({"0": driver}). */
      vifDetails: Record<string, unknown>;
      boundSegment: Segment;
      boundDriver: string;
    }
  | { ok: false; vifType: 'binding_failed'; cause: BindingFailureCause; message: string };

/** What Ml2.bindPort needs to know about the port. */
export interface BindPortRequest {
  portId: string;
  host: string;
  /** binding:vnic_type ('normal' by default). */
  vnicType: string;
  /** binding:profile. */
  profile: Record<string, unknown>;
  segments: Segment[];
}

/** An agent as the mechanism drivers see it (neutron's agent dict, configurations parsed). */
export interface AgentView {
  id: string;
  agent_type: string;
  host: string;
  alive: boolean;
  admin_state_up: boolean;
  heartbeat_timestamp: string;
  configurations: Record<string, unknown>;
}

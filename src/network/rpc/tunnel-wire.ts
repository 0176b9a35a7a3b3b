/**
 * The tunnel RPC's kwargs and replies (neutron/plugins/ml2/drivers/type_tunnel.py):
 * an OVS agent's tunnel_sync call on q-plugin, and neutron-server's tunnel_update /
 * tunnel_delete fanout casts to every OVS agent.
 */

/** tunnel_sync's kwargs (TunnelRpcCallbackMixin.tunnel_sync): the agent's local_ip, one tunnel type, its host. */
export interface TunnelSyncArgs {
  tunnel_ip: string;
  tunnel_type: string;
  /** Absent from a legacy agent. */
  host?: string;
}

/** One endpoint as VxlanTypeDriver.get_endpoints returns it. */
export interface TunnelEndpoint {
  ip_address: string;
  udp_port: number;
  host: string | null;
}

/** tunnel_sync's reply: every endpoint of the type, this agent's included. */
export interface TunnelSyncReply {
  tunnels: TunnelEndpoint[];
}

/** tunnel_update / tunnel_delete's kwargs. */
export interface TunnelNotifyArgs {
  tunnel_ip: string;
  tunnel_type: string;
}

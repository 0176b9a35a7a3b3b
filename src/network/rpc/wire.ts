/**
 * The q-plugin RPC contract between L2 agents and neutron-server (ML2's RpcCallbacks,
 * API 1.9), for the methods the OVS agent's port loop uses. Argument and reply shapes
 * are oslo.messaging's kwargs and return values, key for key.
 */

/** get_devices_details_list_and_failed_devices's kwargs. */
export interface DevicesDetailsArgs {
  /** Port ids (external_ids:iface-id of the agent's VIF ports). */
  devices: string[];
  agent_id: string;
  host: string;
  /** True on the agent's first loop iteration (iter_num == 0). */
  agent_restarted?: boolean;
}

/** What get_device_details says of a bound port (RpcCallbacks._get_device_details), in Zed's key order. */
export interface DeviceDetails {
  device: string;
  network_id: string;
  port_id: string;
  mac_address: string;
  admin_state_up: boolean;
  network_type: string;
  segmentation_id: number | null;
  physical_network: string | null;
  mtu: number | null;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  device_owner: string;
  allowed_address_pairs: { ip_address: string; mac_address: string }[];
  port_security_enabled: boolean;
  qos_policy_id: string | null;
  qos_network_policy_id: string | null;
  profile: Record<string, unknown>;
  propagate_uplink_status: boolean;
  /** The host a live migration is taking the port to (the ACTIVE binding's profile migrating_to); absent when none. */
  migrating_to?: string;
}

/** A device the plugin does not know, or whose port is not bound: only its name. */
export interface UnknownDevice {
  device: string;
}

/** A compute port bound to another host (live migration): no_active_binding (n_const.NO_ACTIVE_BINDING). */
export interface InactiveBindingDevice {
  device: string;
  no_active_binding: true;
}

export type DeviceDetailsEntry = DeviceDetails | UnknownDevice | InactiveBindingDevice;

export interface DevicesDetailsReply {
  devices: DeviceDetailsEntry[];
  failed_devices: string[];
}

/** update_device_list's kwargs. */
export interface UpdateDeviceListArgs {
  devices_up: string[];
  devices_down: string[];
  agent_id: string;
  host: string;
  /** The agent's first iteration, or tunnels missing: l2pop refreshes tunnels. */
  refresh_tunnels?: boolean;
}

/** update_device_down's reply, also an element of update_device_list's devices_down. */
export interface DeviceDownReply {
  device: string;
  exists: boolean;
}

export interface UpdateDeviceListReply {
  devices_up: string[];
  failed_devices_up: string[];
  devices_down: DeviceDownReply[];
  failed_devices_down: string[];
}

/** update_device_up / update_device_down / get_device_details kwargs. */
export interface DeviceArgs {
  device: string;
  agent_id: string;
  host: string;
}

export const isDeviceDetails = (d: DeviceDetailsEntry): d is DeviceDetails => 'port_id' in d;

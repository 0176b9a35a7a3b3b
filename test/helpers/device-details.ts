/**
 * A bound compute port as the q-plugin's get_devices_details_list_and_failed_devices
 * answers the OVS agent for it (the agent tests' fake plugin): device and port id the
 * same, MAC fa:16:3e:00:00:01, VXLAN segment 100 of net-a, MTU 1450, one fixed IP
 * 10.0.0.5, port security on; `extra` overrides any field.
 */
import type { DeviceDetails } from '../../src/network/rpc/wire.js';

export function deviceDetails(portId: string, extra: Partial<DeviceDetails> = {}): DeviceDetails {
  return {
    device: portId,
    network_id: 'net-a',
    port_id: portId,
    mac_address: 'fa:16:3e:00:00:01',
    admin_state_up: true,
    network_type: 'vxlan',
    segmentation_id: 100,
    physical_network: null,
    mtu: 1450,
    fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.5' }],
    device_owner: 'compute:nova',
    allowed_address_pairs: [],
    port_security_enabled: true,
    qos_policy_id: null,
    qos_network_policy_id: null,
    profile: {},
    propagate_uplink_status: false,
    ...extra,
  };
}

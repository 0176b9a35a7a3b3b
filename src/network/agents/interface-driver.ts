/**
 * neutron's OVSInterfaceDriver (neutron/agent/linux/interface.py, ovs_use_veth off) as
 * the DHCP and L3 agents use it: plug_new makes an OVS internal port on the integration
 * bridge carrying the neutron port's external ids (iface-id, iface-status active,
 * attached-mac), so the OVS agent wires it like any VIF, gives the device the port's MAC
 * and MTU, moves it into the agent's namespace and sets it up; unplug deletes the port
 * from the bridge (an internal port's device goes with it).
 *
 * Addressing (init_l3 / init_router_port) and the namespace itself stay with the agents.
 * Every command goes through the host's HostNetwork; nothing here touches a database.
 */
import { CommandFailed, type HostNetwork } from '../../hostnet/host-network.js';

/**
 * What plug_new does when the bridge may already hold a port of the device's name. Zed's
 * plug_new always replaces it (ovs_lib replace_port, which also marks the new port dead
 * until the OVS agent tags it) and sets the MTU after the move into the namespace; the
 * two agents here each keep their own older way, which their tests pin:
 * - `replace`: `--if-exists del-port` and `add-port` in one ovs-vsctl call, so the device
 *   is always new in the root namespace: MAC and MTU are set there, then it moves into
 *   the namespace. The L3 agent plugs qr-/qg- ports so.
 * - `keep`: `--may-exist add-port`, so a device an earlier run left in the namespace is
 *   kept: MAC and move only while `ip link show` still finds it in the root namespace,
 *   the MTU then set inside the namespace. The DHCP agent plugs its tap so, surviving
 *   its own restart.
 */
export type ExistingPort = 'replace' | 'keep';

export interface OvsInterfaceDriverOptions {
  net: HostNetwork;
  /** [OVS] integration_bridge. */
  bridge: string;
  existingPort: ExistingPort;
}

/** The neutron port a device is plugged for (plug_new's arguments). */
export interface PlugNewArgs {
  /** external_ids:iface-id. */
  portId: string;
  /** external_ids:attached-mac and the device's address. */
  macAddress: string;
  /** The device and OVS port name (tap…, qr-…, qg-…; at most 14 characters). */
  device: string;
  /** The namespace the device ends in; the caller has made it. */
  namespace: string;
  /** The device's MTU; none (0) leaves the kernel's default, as plug_new does without one. */
  mtu: number;
}

/** OVSInterfaceDriver over one host: plug_new and unplug on one integration bridge. */
export class OvsInterfaceDriver {
  readonly bridge: string;
  readonly #net: HostNetwork;
  readonly #existing: ExistingPort;

  constructor(o: OvsInterfaceDriverOptions) {
    this.#net = o.net;
    this.bridge = o.bridge;
    this.#existing = o.existingPort;
  }

  /** plug_new: the internal port with its external ids, MAC, namespace, MTU, up. Throws CommandFailed as the host's commands do. */
  async plugNew(a: PlugNewArgs): Promise<void> {
    const { device, namespace: ns } = a;
    const addPort = this.#existing === 'replace'
      ? ['--', '--if-exists', 'del-port', device, '--', 'add-port', this.bridge, device]
      : ['--', '--may-exist', 'add-port', this.bridge, device];
    await this.#net.execute([
      'ovs-vsctl', ...addPort,
      '--', 'set', 'Interface', device, 'type=internal',
      `external_ids:iface-id=${a.portId}`, 'external_ids:iface-status=active', `external_ids:attached-mac=${a.macAddress}`,
    ]);
    if (this.#existing === 'replace') {
      await this.#net.execute(['ip', 'link', 'set', device, 'address', a.macAddress]);
      if (a.mtu > 0) await this.#net.execute(['ip', 'link', 'set', device, 'mtu', String(a.mtu)]);
      await this.#net.execute(['ip', 'link', 'set', device, 'netns', ns]);
    } else {
      // The device is in the root namespace until moved (or already in the namespace after a restart).
      const inRoot = await this.#net.execute(['ip', 'link', 'show', device]).catch((e: unknown) => {
        if (e instanceof CommandFailed) return '';
        throw e;
      });
      if (inRoot) {
        await this.#net.execute(['ip', 'link', 'set', device, 'address', a.macAddress]);
        await this.#net.execute(['ip', 'link', 'set', device, 'netns', ns]);
      }
      if (a.mtu > 0) await this.#net.execute(['ip', '-n', ns, 'link', 'set', device, 'mtu', String(a.mtu)]);
    }
    await this.#net.execute(['ip', '-n', ns, 'link', 'set', device, 'up']);
  }

  /** unplug: the port off the bridge (`--if-exists`: a port already gone is no error). */
  async unplug(device: string): Promise<void> {
    await this.#net.execute(['ovs-vsctl', '--', '--if-exists', 'del-port', this.bridge, device]);
  }
}

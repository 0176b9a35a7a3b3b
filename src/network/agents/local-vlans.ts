/**
 * The OVS agent's local VLANs (vlanmanager.LocalVlanManager plus available_local_vlans):
 * on br-int every network (network id + segmentation id) present on the host gets its
 * own VLAN tag from 1..4094; the tag is given back when the network's last port leaves.
 * 4095 is the dead VLAN for ports the agent will not wire.
 */

/** ovs_const.DEAD_VLAN_TAG. */
export const DEAD_VLAN_TAG = 4095;
const MIN_VLAN = 1;
const MAX_VLAN = 4094;

/** One network's mapping on this host. */
export interface LocalVlanMapping {
  vlan: number;
  networkId: string;
  networkType: string;
  physicalNetwork: string | null;
  segmentationId: number | null;
  /** Port ids on this VLAN. */
  ports: Set<string>;
}

export class LocalVlanManager {
  readonly #byKey = new Map<string, LocalVlanMapping>();
  readonly #used = new Set<number>();
  #next = MIN_VLAN;

  static key(networkId: string, segmentationId: number | null): string {
    return `${networkId}/${segmentationId ?? ''}`;
  }

  get(networkId: string, segmentationId: number | null): LocalVlanMapping | undefined {
    return this.#byKey.get(LocalVlanManager.key(networkId, segmentationId));
  }

  /** The mapping under a key() (what a port's VLAN membership records). */
  byKey(key: string): LocalVlanMapping | undefined {
    return this.#byKey.get(key);
  }

  /** The network's mapping, provisioning a VLAN for it when it has none; undefined when all 4094 are taken. */
  provision(networkId: string, networkType: string, physicalNetwork: string | null, segmentationId: number | null): LocalVlanMapping | undefined {
    const key = LocalVlanManager.key(networkId, segmentationId);
    const existing = this.#byKey.get(key);
    if (existing) return existing;
    const vlan = this.#take();
    if (vlan === undefined) return undefined;
    const m: LocalVlanMapping = { vlan, networkId, networkType, physicalNetwork, segmentationId, ports: new Set() };
    this.#byKey.set(key, m);
    return m;
  }

  /** Removes a port from its mapping; reclaims the VLAN when it was the last one. Returns the reclaimed mapping. */
  release(key: string, portId: string): LocalVlanMapping | undefined {
    const m = this.#byKey.get(key);
    if (!m) return undefined;
    m.ports.delete(portId);
    if (m.ports.size) return undefined;
    this.#byKey.delete(key);
    this.#used.delete(m.vlan);
    if (m.vlan < this.#next) this.#next = m.vlan;
    return m;
  }

  /** Networks mapped now. */
  get size(): number {
    return this.#byKey.size;
  }

  #take(): number | undefined {
    while (this.#next <= MAX_VLAN && this.#used.has(this.#next)) this.#next++;
    if (this.#next > MAX_VLAN) return undefined;
    this.#used.add(this.#next);
    return this.#next++;
  }
}

/**
 * The devices nova's VIF driver (src/compute/virt/vif.ts) makes for one VIF, derived
 * from the NetworkInfo entry with the driver's own name and external-id builders, so the
 * tool and the driver cannot disagree.
 */
import { VIF_TYPE_OVS, type VIF, isHybridPlug } from '../network/model.js';
import { type VifDeviceNames, integrationBridge, ovsExternalIds, tapName, vifDeviceNames, vifMtu } from '../virt/vif.js';

export interface ExpectedVif {
  portId: string;
  instanceUuid: string;
  mac: string;
  /** Hybrid plug: qbr + qvb/qvo veth, qvo on the integration bridge; else the tap on it. */
  hybrid: boolean;
  names: VifDeviceNames;
  integrationBridge: string;
  /** The device that is the OVS port: qvoX (hybrid) or the tap. */
  ovsPort: string;
  /** external_ids of the OVS interface (iface-id, iface-status, attached-mac, vm-uuid). */
  externalIds: Record<string, string>;
  /** The ovs-vsctl `external-ids:k=v` arguments, in the order nova writes them. */
  externalIdArgs: string[];
  mtu: number | null;
}

/**
 * What the VIF driver would have made for `vif` of instance `instanceUuid`, or null when
 * the driver plugs nothing for its vif_type (binding_failed, unbound, unsupported).
 */
export function expectedDevices(vif: VIF, instanceUuid: string): ExpectedVif | null {
  if (vif.type !== VIF_TYPE_OVS) return null;
  const names = { ...vifDeviceNames(vif.id), tap: tapName(vif) };
  const hybrid = isHybridPlug(vif);
  const externalIdArgs = ovsExternalIds(vif, instanceUuid);
  return {
    portId: vif.id,
    instanceUuid,
    mac: vif.address,
    hybrid,
    names,
    integrationBridge: integrationBridge(vif),
    ovsPort: hybrid ? names.qvo : names.tap,
    externalIds: parseExternalIdArgs(externalIdArgs),
    externalIdArgs,
    mtu: vifMtu(vif),
  };
}

/** `external-ids:k=v` arguments as a map. */
export function parseExternalIdArgs(args: readonly string[]): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const a of args) {
    const m = /^external-ids:([^=]+)=(.*)$/.exec(a);
    if (m) ids[m[1]!] = m[2]!;
  }
  return ids;
}

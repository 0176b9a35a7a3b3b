/**
 * What the port-recovery tool (`nimbus repair-vifs`, DESIGN §7, seed §4.1) finds wrong
 * with a host's VIF devices, and the commands that fix each finding. Pure data: the
 * commands are printed as the seed's `sudo nova-rootwrap` lines and replayed by the
 * caller on the host with runHostCommand.
 */
import type { HostCommand } from '../virt/vif.js';

/** A command of a repair: what to run and the line an operator would type for it. */
export interface RepairCommand extends HostCommand {
  /** `sudo nova-rootwrap /etc/nova/rootwrap.conf ARGV...`, as nova's log and the seed's script print it. */
  line: string;
}

export const ROOTWRAP_PREFIX = 'sudo nova-rootwrap /etc/nova/rootwrap.conf';

export function repairCommand(cmd: HostCommand): RepairCommand {
  return { ...cmd, line: `${ROOTWRAP_PREFIX} ${cmd.argv.join(' ')}` };
}

export const DifferenceKinds = {
  /** The per-VIF Linux bridge qbrX is missing. */
  missingBridge: 'missing-bridge',
  /** The qvbX/qvoX veth pair is missing (or one end of it). */
  missingVeth: 'missing-veth',
  /** qvbX is not enslaved to qbrX. */
  vethNotInBridge: 'veth-not-in-bridge',
  /** The guest's tap exists but is not in qbrX. */
  tapNotInBridge: 'tap-not-in-bridge',
  /** The VIF's OVS port (qvoX, or the tap for a plain OVS VIF) is not on the integration bridge. */
  missingOvsPort: 'missing-ovs-port',
  /** The OVS interface's external ids the OVS agent reads are not the VIF's. */
  wrongExternalIds: 'wrong-external-ids',
  /** A device's MTU is not the network's. */
  wrongMtu: 'wrong-mtu',
  /** A device nova sets up is down. */
  linkDown: 'link-down',
  /** A veth end nova sets promiscuous is not. */
  notPromisc: 'not-promisc',
  /** nova cannot plug this vif_type (binding_failed, unbound...): nothing to build, see the binding. */
  unpluggableVif: 'unpluggable-vif',
  /** Devices of a port that no VIF on the host has (left by a crash). */
  staleDevices: 'stale-devices',
} as const;
export type DifferenceKind = (typeof DifferenceKinds)[keyof typeof DifferenceKinds];

interface DifferenceBase {
  /** The commands that repair just this, in the order to run them. */
  commands: RepairCommand[];
}

export type Difference = DifferenceBase &
  (
    | { kind: 'missing-bridge'; device: string }
    | { kind: 'missing-veth'; device: string; peer: string }
    | { kind: 'veth-not-in-bridge'; device: string; bridge: string; actualMaster: string | null }
    | { kind: 'tap-not-in-bridge'; device: string; bridge: string; actualMaster: string | null }
    | { kind: 'missing-ovs-port'; device: string; bridge: string; actualBridge: string | null }
    | { kind: 'wrong-external-ids'; device: string; expected: Record<string, string>; actual: Record<string, string> }
    | { kind: 'wrong-mtu'; device: string; expected: number; actual: number }
    | { kind: 'link-down'; device: string }
    | { kind: 'not-promisc'; device: string }
    | { kind: 'unpluggable-vif'; portId: string; vifType: string }
    | { kind: 'stale-devices'; portIdPrefix: string; devices: string[]; ovsPorts: string[] }
  );

/** A one-line description of a difference, for the report. */
export function describeDifference(d: Difference): string {
  switch (d.kind) {
    case 'missing-bridge':
      return `bridge ${d.device} is missing`;
    case 'missing-veth':
      return `veth pair ${d.device}/${d.peer} is missing`;
    case 'veth-not-in-bridge':
    case 'tap-not-in-bridge':
      return `${d.device} is not in ${d.bridge}${d.actualMaster ? ` (it is in ${d.actualMaster})` : ''}`;
    case 'missing-ovs-port':
      return `${d.device} is not a port of ${d.bridge}${d.actualBridge ? ` (it is on ${d.actualBridge})` : ''}`;
    case 'wrong-external-ids':
      return `${d.device} external-ids ${fmtIds(d.actual)}, expected ${fmtIds(d.expected)}`;
    case 'wrong-mtu':
      return `${d.device} has MTU ${d.actual}, expected ${d.expected}`;
    case 'link-down':
      return `${d.device} is down`;
    case 'not-promisc':
      return `${d.device} is not promiscuous`;
    case 'unpluggable-vif':
      return `port ${d.portId} has vif_type=${d.vifType}: nova cannot plug it (fix the port binding)`;
    case 'stale-devices':
      return `devices of unknown port ${d.portIdPrefix}…: ${[...d.devices, ...d.ovsPorts.map((p) => `ovs:${p}`)].join(', ')}`;
  }
}

const fmtIds = (ids: Record<string, string>): string =>
  Object.entries(ids)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ') || '(none)';

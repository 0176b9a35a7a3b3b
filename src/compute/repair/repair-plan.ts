/**
 * The port-recovery plan for one host (`nimbus repair-vifs`, DESIGN §7): every VIF of
 * every instance on it compared with the host, plus the devices no VIF owns. Pure: the
 * caller gathers the instances' NetworkInfo (and neutron's ports) and the host's
 * snapshot, prints the plan and, with --apply, runs its commands in order.
 */
import type { HostDevices } from '../../hostnet/host-network.js';
import type { NetworkInfo } from '../network/model.js';
import { compareVif } from './compare-vif.js';
import { type Difference, type RepairCommand, describeDifference } from './differences.js';
import { expectedDevices } from './expected-devices.js';
import { staleDevices } from './stale-devices.js';

export interface InstanceVifs {
  uuid: string;
  networkInfo: NetworkInfo;
}

export interface VifRepair {
  instanceUuid: string;
  portId: string;
  differences: Difference[];
}

export interface RepairPlan {
  host: string;
  /** VIFs with at least one difference. */
  vifs: VifRepair[];
  /** Devices of ports no VIF here has. */
  stale: Difference[];
}

export interface RepairPlanOptions {
  /** Further port ids whose devices are not stale (e.g. every port neutron binds to the host). */
  knownPortIds?: Iterable<string>;
  /** Leave stale devices out (when only one server or port was asked for). */
  skipStale?: boolean;
}

export function repairPlan(host: HostDevices, instances: readonly InstanceVifs[], opts: RepairPlanOptions = {}): RepairPlan {
  const vifs: VifRepair[] = [];
  const known = new Set(opts.knownPortIds ?? []);
  for (const inst of instances) {
    for (const vif of inst.networkInfo) {
      known.add(vif.id);
      const expected = expectedDevices(vif, inst.uuid);
      const differences: Difference[] = expected ? compareVif(expected, host) : [{ kind: 'unpluggable-vif', portId: vif.id, vifType: vif.type, commands: [] }];
      if (differences.length) vifs.push({ instanceUuid: inst.uuid, portId: vif.id, differences });
    }
  }
  return { host: host.host, vifs, stale: opts.skipStale ? [] : staleDevices(host, known) };
}

/** Every command of the plan, in the order to run them. */
export function planCommands(plan: RepairPlan): RepairCommand[] {
  return [...plan.vifs.flatMap((v) => v.differences), ...plan.stale].flatMap((d) => d.commands);
}

export function isEmptyPlan(plan: RepairPlan): boolean {
  return plan.vifs.length === 0 && plan.stale.length === 0;
}

/** The plan as the tool prints it: each finding, then the commands that fix it. */
export function formatPlan(plan: RepairPlan): string {
  const out: string[] = [];
  for (const v of plan.vifs) {
    out.push(`instance ${v.instanceUuid} port ${v.portId} on ${plan.host}:`);
    for (const d of v.differences) out.push(`  ${describeDifference(d)}`, ...d.commands.map((c) => `    ${c.line}`));
  }
  if (plan.stale.length) out.push(`devices on ${plan.host} that belong to no instance:`);
  for (const d of plan.stale) out.push(`  ${describeDifference(d)}`, ...d.commands.map((c) => `    ${c.line}`));
  if (!out.length) out.push(`${plan.host}: every VIF matches, nothing stale`);
  return out.join('\n') + '\n';
}

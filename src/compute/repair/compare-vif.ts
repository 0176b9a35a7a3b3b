/**
 * One VIF's expected devices against what is on the host: every difference with the
 * commands that repair just it. The differences come in an order whose commands, run
 * one after the other, work: the bridge, the veth pair, the bridge up, memberships,
 * the OVS port, then settings of devices that were already there. For a VIF missing
 * everything that is exactly the VIF driver's plug sequence (vif.ts), with the guest's
 * `brctl addif qbrX tapX` after the veth's, as the seed's §4.1 script has it.
 *
 * The guest's tap is libvirt's: a missing tap is a stopped guest, not a fault, so only
 * an existing tap outside its qbr is reported.
 */
import type { HostDevices, LinkInfo, OvsPortInfo } from '../../hostnet/host-network.js';
import { type HostCommand, addBridgeCommands, addVethPairCommands, ovsAddPortArgv, setMtuArgv } from '../virt/vif.js';
import { type Difference, repairCommand } from './differences.js';
import type { ExpectedVif } from './expected-devices.js';

/** The OVS port named `name` and the bridge it is on. */
export function findOvsPort(host: HostDevices, name: string): { bridge: string; port: OvsPortInfo } | null {
  for (const br of host.ovsBridges) {
    const port = br.ports.find((p) => p.name === name);
    if (port) return { bridge: br.name, port };
  }
  return null;
}

const cmds = (...cs: HostCommand[]) => cs.map(repairCommand);
const run = (argv: string[]): HostCommand => ({ argv });

export function compareVif(expected: ExpectedVif, host: HostDevices): Difference[] {
  const links = new Map(host.links.map((l) => [l.name, l]));
  const out: Difference[] = [];
  const { names, mtu } = expected;
  const tap = links.get(names.tap);

  if (!expected.hybrid) {
    compareOvsPort(expected, host, links, false, out);
    if (tap && mtu && tap.mtu !== mtu) out.push({ kind: 'wrong-mtu', device: tap.name, expected: mtu, actual: tap.mtu, commands: cmds(run(setMtuArgv(tap.name, mtu))) });
    return out;
  }

  const qbr = links.get(names.qbr);
  const bridgeOk = !!qbr && host.linuxBridges.some((b) => b.name === names.qbr);
  if (!bridgeOk) {
    // A non-bridge device holding the name must go before brctl can make the bridge.
    out.push({ kind: 'missing-bridge', device: names.qbr, commands: cmds(...(qbr ? [run(['ip', 'link', 'delete', names.qbr])] : []), ...addBridgeCommands(names.qbr)) });
  }

  const qvb = links.get(names.qvb);
  const qvo = links.get(names.qvo);
  const vethOk = !!qvb && !!qvo && qvb.kind === 'veth' && qvb.peer === names.qvo && qvo.peer === names.qvb;
  if (!vethOk) {
    // Deleting what is left of a broken pair (one end deletes its peer) before re-making it.
    const leftovers = [qvb, qvo].filter((l): l is LinkInfo => !!l);
    const del = leftovers.length ? [run(['ip', 'link', 'delete', leftovers[0]!.name])] : [];
    if (leftovers.length === 2 && leftovers[0]!.peer !== leftovers[1]!.name) del.push(run(['ip', 'link', 'delete', leftovers[1]!.name]));
    out.push({ kind: 'missing-veth', device: names.qvb, peer: names.qvo, commands: cmds(...del, ...addVethPairCommands(names.qvb, names.qvo, mtu)) });
  }

  if (!bridgeOk || !qbr!.up) out.push({ kind: 'link-down', device: names.qbr, commands: cmds(run(['ip', 'link', 'set', names.qbr, 'up'])) });

  const qvbMaster = vethOk ? qvb!.master : null;
  if (!bridgeOk || qvbMaster !== names.qbr) {
    out.push({ kind: 'veth-not-in-bridge', device: names.qvb, bridge: names.qbr, actualMaster: qvbMaster, commands: cmds(...release(names.qvb, qvbMaster), run(['brctl', 'addif', names.qbr, names.qvb])) });
  }
  if (tap && (!bridgeOk || tap.master !== names.qbr)) {
    out.push({ kind: 'tap-not-in-bridge', device: names.tap, bridge: names.qbr, actualMaster: tap.master, commands: cmds(...release(names.tap, tap.master), run(['brctl', 'addif', names.qbr, names.tap])) });
  }

  compareOvsPort(expected, host, links, !vethOk, out);

  if (vethOk) {
    for (const l of [qvb!, qvo!]) {
      if (!l.up) out.push({ kind: 'link-down', device: l.name, commands: cmds(run(['ip', 'link', 'set', l.name, 'up'])) });
      if (!l.promisc) out.push({ kind: 'not-promisc', device: l.name, commands: cmds(run(['ip', 'link', 'set', l.name, 'promisc', 'on'])) });
      if (mtu && l.mtu !== mtu) out.push({ kind: 'wrong-mtu', device: l.name, expected: mtu, actual: l.mtu, commands: cmds(run(setMtuArgv(l.name, mtu))) });
    }
  }
  return out;
}

/** Taking a device out of whatever holds it: a Linux bridge, or OVS ("ovs-system"). */
function release(dev: string, master: string | null): HostCommand[] {
  if (!master) return [];
  if (master === 'ovs-system') return [run(['ovs-vsctl', '--if-exists', 'del-port', dev])];
  return [run(['brctl', 'delif', master, dev])];
}

/**
 * The VIF's OVS port: re-made (nova's del-port/add-port/set line) when it is missing, on
 * another bridge, or its device is being re-made; else only its wrong external ids set.
 */
function compareOvsPort(expected: ExpectedVif, host: HostDevices, links: Map<string, LinkInfo>, deviceRemade: boolean, out: Difference[]): void {
  const dev = expected.ovsPort;
  const br = expected.integrationBridge;
  const found = findOvsPort(host, dev);
  // A plain VIF's tap exists only while the guest runs; its OVS port waits for it regardless.
  const hasDevice = !expected.hybrid || links.has(dev);
  if (!found || found.bridge !== br || deviceRemade || !hasDevice) {
    const mtuCmd = expected.hybrid && expected.mtu ? [run(setMtuArgv(dev, expected.mtu))] : [];
    out.push({ kind: 'missing-ovs-port', device: dev, bridge: br, actualBridge: found?.bridge ?? null, commands: cmds(run(ovsAddPortArgv(br, dev, expected.externalIdArgs)), ...mtuCmd) });
    return;
  }
  const actualAll = found.port.interfaces.find((i) => i.name === dev)?.externalIds ?? {};
  const expectedWrong: Record<string, string> = {};
  const actualWrong: Record<string, string> = {};
  for (const [k, v] of Object.entries(expected.externalIds)) {
    if (actualAll[k] === v) continue;
    expectedWrong[k] = v;
    if (actualAll[k] !== undefined) actualWrong[k] = actualAll[k]!;
  }
  if (Object.keys(expectedWrong).length === 0) return;
  const setArgs = Object.entries(expectedWrong).map(([k, v]) => `external-ids:${k}=${v}`);
  out.push({ kind: 'wrong-external-ids', device: dev, expected: expectedWrong, actual: actualWrong, commands: cmds(run(['ovs-vsctl', 'set', 'Interface', dev, ...setArgs])) });
}

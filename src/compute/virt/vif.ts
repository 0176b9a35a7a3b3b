/**
 * nova's VIF driver for vif_type "ovs" (nova/virt/libvirt/vif.py handing the VIF to
 * os-vif's vif_plug_ovs), run as commands on the host's HostNetwork (DESIGN §3, §4).
 *
 * Hybrid plug (binding:vif_details.ovs_hybrid_plug, the iptables_hybrid firewall): a
 * per-VIF Linux bridge qbrX for the security-group iptables rules, a veth pair qvbX
 * (in qbrX) / qvoX (in br-int) and the OVS port carrying the neutron port id in
 * external_ids:iface-id, which is what the OVS agent looks for. The commands are the
 * ones DESIGN §3 lists (nova's linux_net before os-vif moved them to pyroute2 and the
 * native OVSDB API; same devices, same order, same columns):
 *
 *   brctl addbr qbrX; brctl setfd qbrX 0; brctl stp qbrX off;
 *   tee /sys/class/net/qbrX/bridge/multicast_snooping  (stdin "0")
 *   ip link add qvbX type veth peer name qvoX;
 *   ip link set qvbX up; ip link set qvbX promisc on; [ip link set qvbX mtu N]
 *   ip link set qvoX up; ip link set qvoX promisc on; [ip link set qvoX mtu N]
 *   ip link set qbrX up; brctl addif qbrX qvbX;
 *   ovs-vsctl -- --if-exists del-port qvoX -- add-port br-int qvoX -- set Interface qvoX
 *     external-ids:iface-id=PORT external-ids:iface-status=active
 *     external-ids:attached-mac=MAC external-ids:vm-uuid=INSTANCE
 *   [ip link set qvoX mtu N]
 *
 * The bridge is only made when missing and the veth pair only when qvoX is missing
 * (a re-plug after a compute restart changes nothing); existence is asked with
 * `ip link show DEV`. MTU is set when the network carries one (network.meta.mtu).
 *
 * Plain OVS plug (no hybrid): the OVS port for the tap, `ovs-vsctl -- --if-exists
 * del-port tapX -- add-port br-int tapX -- set Interface tapX external-ids:...` with
 * the same external ids (libvirt's part for <virtualport type='openvswitch'>; Nimbus
 * has no libvirt, so the driver does it).
 *
 * Unplug (DESIGN §4), as os-vif decides it: when qbrX exists, `brctl delif qbrX qvbX;
 * ip link set qbrX down; brctl delbr qbrX; ovs-vsctl --if-exists del-port br-int qvoX;
 * ip link delete qvoX`; otherwise `ovs-vsctl --if-exists del-port br-int tapX` and
 * the tap deleted if present. Whatever is already gone is skipped, never an error.
 *
 * Failures: an unknown, unbound or binding_failed vif_type raises
 * VirtualInterfacePlugException("Plug VIF failed because of unexpected vif_type=X") as
 * libvirt's driver does; a failing command raises VirtualInterfacePlugException /
 * VirtualInterfaceUnplugException with nova's os-vif wrapper text (in Zed those two
 * surface as nova's InternalError; Nimbus keeps one typed error per direction).
 */
import { CommandFailed, type HostNetwork, type SequencedCommand } from '../../hostnet/host-network.js';
import { VIF_TYPE_OVS, type VIF, devName, isHybridPlug } from '../network/model.js';
import { InternalError } from '../errors.js';
import { VirtualInterfacePlugException, VirtualInterfaceUnplugException } from './errors.js';

/** A device name: prefix + port id, cut to NIC_NAME_LEN (nova's and os-vif's gen_port_name). */
export { devName };

/** The four device names of a port's hybrid wiring. */
export interface VifDeviceNames {
  tap: string;
  qbr: string;
  qvb: string;
  qvo: string;
}

export function vifDeviceNames(portId: string): VifDeviceNames {
  return { tap: devName(portId, 'tap'), qbr: devName(portId, 'qbr'), qvb: devName(portId, 'qvb'), qvo: devName(portId, 'qvo') };
}

/** The tap name nova uses: the VIF's devname, else tap + port id. */
export function tapName(vif: Pick<VIF, 'id' | 'devname'>): string {
  return vif.devname || devName(vif.id, 'tap');
}

/** The integration bridge a VIF plugs into. */
export const integrationBridge = (vif: VIF): string => vif.network.bridge || 'br-int';

/** The external_ids the OVS agent reads (iface-id) and os-vif writes with it. */
export function ovsExternalIds(vif: VIF, instanceUuid: string): string[] {
  return [
    `external-ids:iface-id=${vif.ovs_interfaceid ?? vif.id}`,
    'external-ids:iface-status=active',
    `external-ids:attached-mac=${vif.address}`,
    `external-ids:vm-uuid=${instanceUuid}`,
  ];
}

interface VifPlugger {
  plug(host: HostNetwork, instanceUuid: string, vif: VIF): Promise<void>;
  unplug(host: HostNetwork, instanceUuid: string, vif: VIF): Promise<void>;
}

/** Whether a device exists (`ip link show DEV` succeeds). */
async function exists(host: HostNetwork, dev: string): Promise<boolean> {
  return (await show(host, dev)) !== null;
}

/** `ip link show DEV`'s line, or null when there is no such device. */
async function show(host: HostNetwork, dev: string): Promise<string | null> {
  try {
    return await host.execute(['ip', 'link', 'show', dev]);
  } catch (e) {
    if (e instanceof CommandFailed && e.exitCode === 1) return null;
    throw e;
  }
}

/** The MTU the VIF's devices get: the network's (network.meta.mtu), when it has one. */
export function vifMtu(vif: VIF): number | null {
  const mtu = vif.network.meta.mtu;
  return typeof mtu === 'number' && mtu > 0 ? mtu : null;
}

/** One host command as the VIF driver runs it; the port-recovery tool prints and replays these. */
export type HostCommand = SequencedCommand;

/** Runs one HostCommand, accepting its okExitCodes. */
export async function runHostCommand(host: HostNetwork, cmd: HostCommand): Promise<void> {
  try {
    await host.execute(cmd.argv, cmd.input === undefined ? undefined : { input: cmd.input });
  } catch (e) {
    if (!(e instanceof CommandFailed && cmd.okExitCodes?.includes(e.exitCode))) throw e;
  }
}

/** Runs HostCommands in order, batched where the host can (executeAll), one by one otherwise. */
export async function runHostCommandList(host: HostNetwork, cmds: readonly HostCommand[]): Promise<void> {
  if (host.executeAll) return host.executeAll(cmds);
  for (const cmd of cmds) await runHostCommand(host, cmd);
}

/** Making the per-VIF Linux bridge (os-vif's ensure_bridge, as nova's linux_net ran it). */
export function addBridgeCommands(qbr: string): HostCommand[] {
  return [
    { argv: ['brctl', 'addbr', qbr] },
    { argv: ['brctl', 'setfd', qbr, '0'] },
    { argv: ['brctl', 'stp', qbr, 'off'] },
    // nova runs it with check_exit_code=[0, 1]: kernels without the knob are fine.
    { argv: ['tee', `/sys/class/net/${qbr}/bridge/multicast_snooping`], input: '0', okExitCodes: [1] },
  ];
}

/** Making the qvb/qvo veth pair, both ends up and promiscuous, with the network's MTU. */
export function addVethPairCommands(qvb: string, qvo: string, mtu: number | null): HostCommand[] {
  const cmds: HostCommand[] = [{ argv: ['ip', 'link', 'add', qvb, 'type', 'veth', 'peer', 'name', qvo] }];
  for (const dev of [qvb, qvo]) {
    cmds.push({ argv: ['ip', 'link', 'set', dev, 'up'] }, { argv: ['ip', 'link', 'set', dev, 'promisc', 'on'] });
    if (mtu) cmds.push({ argv: setMtuArgv(dev, mtu) });
  }
  return cmds;
}

export const setMtuArgv = (dev: string, mtu: number): string[] => ['ip', 'link', 'set', dev, 'mtu', String(mtu)];

/** (Re)creating a VIF's OVS port with its external ids (nova's create_ovs_vif_port). */
export function ovsAddPortArgv(bridge: string, dev: string, externalIds: string[]): string[] {
  return ['ovs-vsctl', '--', '--if-exists', 'del-port', dev, '--', 'add-port', bridge, dev, '--', 'set', 'Interface', dev, ...externalIds];
}

/** Removing a VIF's OVS port from its bridge (nova's delete_ovs_vif_port). */
export function ovsDelPortArgv(bridge: string, dev: string): string[] {
  return ['ovs-vsctl', '--if-exists', 'del-port', bridge, dev];
}

const ovsPlugger: VifPlugger = {
  async plug(host, instanceUuid, vif) {
    const br = integrationBridge(vif);
    const mtu = vifMtu(vif);
    if (!isHybridPlug(vif)) {
      const tap = tapName(vif);
      await host.execute(ovsAddPortArgv(br, tap, ovsExternalIds(vif, instanceUuid)));
      if (mtu && (await exists(host, tap))) await host.execute(setMtuArgv(tap, mtu));
      return;
    }
    const { qbr, qvb, qvo } = vifDeviceNames(vif.id);
    if (!(await exists(host, qbr))) await runHostCommandList(host, addBridgeCommands(qbr));
    if (!(await exists(host, qvo))) {
      await runHostCommandList(host, [
        ...addVethPairCommands(qvb, qvo, mtu),
        { argv: ['ip', 'link', 'set', qbr, 'up'] },
        { argv: ['brctl', 'addif', qbr, qvb] },
        { argv: ovsAddPortArgv(br, qvo, ovsExternalIds(vif, instanceUuid)) },
        ...(mtu ? [{ argv: setMtuArgv(qvo, mtu) }] : []),
      ]);
    } else if (mtu) {
      // os-vif's update_veth_pair: an existing pair only gets the network's MTU again.
      for (const dev of [qvb, qvo]) await host.execute(setMtuArgv(dev, mtu));
    }
  },

  async unplug(host, _instanceUuid, vif) {
    const br = integrationBridge(vif);
    const { qbr, qvb, qvo } = vifDeviceNames(vif.id);
    if (await exists(host, qbr)) {
      const qvbLine = await show(host, qvb);
      // One sequence, so a host that batches (the linux one) runs it at fewer processes; the argv are the same.
      await runHostCommandList(host, [
        ...(qvbLine?.includes(` master ${qbr} `) ? [{ argv: ['brctl', 'delif', qbr, qvb] }] : []),
        { argv: ['ip', 'link', 'set', qbr, 'down'] },
        { argv: ['brctl', 'delbr', qbr] },
        { argv: ovsDelPortArgv(br, qvo) },
      ]);
      if (await exists(host, qvo)) await host.execute(['ip', 'link', 'delete', qvo]);
      return;
    }
    const tap = tapName(vif);
    await host.execute(ovsDelPortArgv(br, tap));
    if (await exists(host, tap)) await host.execute(['ip', 'link', 'delete', tap]);
    // A hybrid VIF whose bridge is already gone may still have its OVS port and veth.
    if (isHybridPlug(vif)) {
      await host.execute(ovsDelPortArgv(br, qvo));
      if (await exists(host, qvo)) await host.execute(['ip', 'link', 'delete', qvo]);
    }
  },
};

/** VIF drivers by vif_type; the compiler checks every supported type has one. */
type SupportedVifType = typeof VIF_TYPE_OVS;
const VIF_PLUGGERS: { readonly [T in SupportedVifType]: VifPlugger } = {
  [VIF_TYPE_OVS]: ovsPlugger,
};

function pluggerFor(vif: VIF): VifPlugger | undefined {
  return Object.hasOwn(VIF_PLUGGERS, vif.type) ? VIF_PLUGGERS[vif.type as SupportedVifType] : undefined;
}

/** os-vif's repr of the VIF object it was given, as its PlugException prints it. */
function osVifRepr(vif: VIF): string {
  const common = `active=${vif.active ? 'True' : 'False'},address=${vif.address},has_traffic_filtering=${vif.details['port_filter'] ? 'True' : 'False'},id=${vif.id},network=Network(${vif.network.id}),plugin='ovs',port_profile=VIFPortProfileOpenVSwitch,preserve_on_delete=${vif.preserve_on_delete ? 'True' : 'False'},vif_name='${tapName(vif)}'`;
  return isHybridPlug(vif) ? `VIFBridge(${common},bridge_name='${devName(vif.id, 'qbr')}')` : `VIFOpenVSwitch(${common},bridge_name='${integrationBridge(vif)}')`;
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Plugs one VIF of an instance on the host (LibvirtGenericVIFDriver.plug). Idempotent.
 * Throws VirtualInterfacePlugException for a vif_type it cannot plug or a failing command.
 */
export async function plugVif(host: HostNetwork, instanceUuid: string, vif: VIF): Promise<void> {
  const plugger = pluggerFor(vif);
  if (!plugger) throw new VirtualInterfacePlugException(`Plug VIF failed because of unexpected vif_type=${vif.type}`);
  try {
    await plugger.plug(host, instanceUuid, vif);
  } catch (e) {
    throw plugFailure(vif, e);
  }
}

/** The exception os-vif's failing plug becomes in nova (also for an injected plug-failure fault). */
export function plugFailure(vif: VIF, e: unknown): VirtualInterfacePlugException {
  return new VirtualInterfacePlugException(`Failure running os_vif plugin plug method: Failed to plug VIF ${osVifRepr(vif)}. Got error: ${errText(e)}`);
}

/**
 * libvirt's get_config for the guest XML: a VIF type with neither an os-vif conversion
 * nor a legacy config (binding_failed, unbound) raises InternalError
 * "Unexpected vif_type=X" — before anything is plugged, as the XML is built first.
 */
export function checkGuestVifConfig(vif: VIF): void {
  if (!pluggerFor(vif)) throw new InternalError(`Unexpected vif_type=${vif.type}`);
}

/**
 * Unplugs one VIF (LibvirtGenericVIFDriver.unplug). Devices already gone are skipped, so
 * unplugging twice, or a VIF never plugged, succeeds. Throws VirtualInterfaceUnplugException
 * for a vif_type it does not know or a command that fails on a device that is there.
 */
export async function unplugVif(host: HostNetwork, instanceUuid: string, vif: VIF): Promise<void> {
  const plugger = pluggerFor(vif);
  if (!plugger) throw new VirtualInterfaceUnplugException(`Unplug VIF failed because of unexpected vif_type=${vif.type}`);
  try {
    await plugger.unplug(host, instanceUuid, vif);
  } catch (e) {
    throw new VirtualInterfaceUnplugException(`Failure running os_vif plugin unplug method: Failed to unplug VIF ${osVifRepr(vif)}. Got error: ${errText(e)}`);
  }
}

/** Which guest and which of its NICs a tap belongs to (the linux host's guest namespace and ethN). */
export interface GuestNic {
  instanceUuid: string;
  /** The NIC's position in the guest: eth0, eth1... */
  index: number;
}

/** The network namespace of a guest on a host with guestNamespaces (the linux host). */
export const guestNamespace = (instanceUuid: string): string => `nimbus-${instanceUuid}`;

async function namespaceExists(host: HostNetwork, ns: string): Promise<boolean> {
  const out = await host.execute(['ip', 'netns', 'list']);
  return out.split('\n').some((l) => l.split(' ')[0] === ns);
}

/**
 * The guest's side, which libvirt does when the domain starts: the tap device (MAC
 * fe:… of the VIF's MAC, like libvirt's), up, in qbrX for a hybrid VIF (a plain VIF's
 * OVS port already waits for it and gets its ofport now). Idempotent.
 *
 * On a host whose guests are namespaces (the linux host, with `guest` given) the tap is
 * one end of a veth pair; the other end is the guest's NIC ethN in the namespace
 * nimbus-<instance uuid>, with the port's MAC and the network's MTU, up.
 */
export async function attachGuestTap(host: HostNetwork, vif: VIF, guest?: GuestNic): Promise<void> {
  const tap = tapName(vif);
  const mtu = vifMtu(vif);
  if (!(await exists(host, tap))) {
    if (host.guestNamespaces && guest) {
      const ns = guestNamespace(guest.instanceUuid);
      const nic = `eth${guest.index}`;
      if (!(await namespaceExists(host, ns))) {
        await host.execute(['ip', 'netns', 'add', ns]);
        await host.execute(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      }
      await host.execute(['ip', 'link', 'add', tap, 'type', 'veth', 'peer', 'name', nic, 'netns', ns]);
      await host.execute(['ip', '-n', ns, 'link', 'set', nic, 'address', vif.address]);
      if (mtu) await host.execute(['ip', '-n', ns, 'link', 'set', nic, 'mtu', String(mtu)]);
      await host.execute(['ip', '-n', ns, 'link', 'set', nic, 'up']);
    } else {
      await host.execute(['ip', 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
    }
    await host.execute(['ip', 'link', 'set', tap, 'address', `fe${vif.address.slice(2)}`]);
    if (mtu) await host.execute(['ip', 'link', 'set', tap, 'mtu', String(mtu)]);
  }
  await host.execute(['ip', 'link', 'set', tap, 'up']);
  if (isHybridPlug(vif)) {
    const qbr = devName(vif.id, 'qbr');
    const line = await show(host, tap);
    if (!line?.includes(` master ${qbr} `)) await host.execute(['brctl', 'addif', qbr, tap]);
  }
}

/** The guest's tap going away with the domain (libvirt on destroy); a veth tap takes the guest's NIC with it. Missing is fine. */
export async function detachGuestTap(host: HostNetwork, vif: VIF): Promise<void> {
  const tap = tapName(vif);
  if (await exists(host, tap)) await host.execute(['ip', 'link', 'delete', tap]);
}

/** The guest's namespace going away with the domain (hosts with guestNamespaces). Missing is fine. */
export async function deleteGuestNamespace(host: HostNetwork, instanceUuid: string): Promise<void> {
  if (!host.guestNamespaces) return;
  const ns = guestNamespace(instanceUuid);
  if (await namespaceExists(host, ns)) await host.execute(['ip', 'netns', 'delete', ns]);
}

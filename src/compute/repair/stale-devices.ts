/**
 * Devices on a host that belong to no known VIF — what a crash between plug and
 * unplug leaves: qbr/qvb/qvo/tap links named for a port no instance has, and OVS ports
 * of guests (named so, or carrying a vm-uuid) whose port is unknown. Each port's
 * leftovers are one finding, removed with nova's unplug sequence (vif.ts).
 *
 * Devices are matched by the 11 characters of port id after their 3-letter prefix,
 * the same cut nova makes names with. Agent-owned devices (OVS internal ports such as
 * the DHCP agent's tap, patch ports, bridges' local ports) are never touched.
 */
import type { HostDevices, LinkInfo } from '../../hostnet/host-network.js';
import { NIC_NAME_LEN } from '../network/model.js';
import { type HostCommand, ovsDelPortArgv } from '../virt/vif.js';
import { type Difference, repairCommand } from './differences.js';

const PREFIX_LEN = NIC_NAME_LEN - 3;
const VIF_DEVICE = new RegExp(`^(tap|qbr|qvb|qvo)(.{${PREFIX_LEN}})$`);
const GUEST_LINK_KINDS = new Set(['tap', 'veth', 'bridge']);

interface Group {
  links: Map<string, LinkInfo>;
  ovsPorts: { bridge: string; name: string }[];
}

export function staleDevices(host: HostDevices, knownPortIds: Iterable<string>): Difference[] {
  const known = new Set([...knownPortIds].map((id) => id.slice(0, PREFIX_LEN)));
  const groups = new Map<string, Group>();
  const group = (prefix: string): Group => {
    let g = groups.get(prefix);
    if (!g) groups.set(prefix, (g = { links: new Map(), ovsPorts: [] }));
    return g;
  };

  for (const link of host.links) {
    const m = VIF_DEVICE.exec(link.name);
    if (!m || !GUEST_LINK_KINDS.has(link.kind) || known.has(m[2]!)) continue;
    group(m[2]!).links.set(m[1]!, link);
  }
  for (const br of host.ovsBridges) {
    for (const port of br.ports) {
      const iface = port.interfaces.find((i) => i.name === port.name);
      if (!iface || iface.type !== '' || port.name === br.name) continue;
      const m = VIF_DEVICE.exec(port.name);
      // Named like a VIF device: its name says whose it is (a wrong iface-id is compareVif's).
      const prefix = m ? m[2]! : iface.externalIds['vm-uuid'] && iface.externalIds['iface-id'] ? iface.externalIds['iface-id'].slice(0, PREFIX_LEN) : null;
      if (prefix === null || known.has(prefix)) continue;
      group(prefix).ovsPorts.push({ bridge: br.name, name: port.name });
    }
  }

  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([prefix, g]) => ({
      kind: 'stale-devices' as const,
      portIdPrefix: prefix,
      devices: ['qbr', 'qvb', 'qvo', 'tap'].flatMap((p) => (g.links.has(p) ? [g.links.get(p)!.name] : [])),
      ovsPorts: g.ovsPorts.map((p) => p.name),
      commands: removalCommands(g).map(repairCommand),
    }));
}

/** nova's unplug order: the bridge (qvb out, down, deleted), the OVS port, the veth, then the tap. */
function removalCommands(g: Group): HostCommand[] {
  const out: HostCommand[] = [];
  const qbr = g.links.get('qbr');
  const qvb = g.links.get('qvb');
  const qvo = g.links.get('qvo');
  const tap = g.links.get('tap');
  if (qbr) {
    if (qvb && qvb.master === qbr.name) out.push({ argv: ['brctl', 'delif', qbr.name, qvb.name] });
    out.push({ argv: ['ip', 'link', 'set', qbr.name, 'down'] }, { argv: ['brctl', 'delbr', qbr.name] });
  }
  for (const p of g.ovsPorts) out.push({ argv: ovsDelPortArgv(p.bridge, p.name) });
  // One end of a veth takes its peer with it.
  if (qvo) out.push({ argv: ['ip', 'link', 'delete', qvo.name] });
  if (qvb && qvb.peer !== qvo?.name) out.push({ argv: ['ip', 'link', 'delete', qvb.name] });
  if (tap) out.push({ argv: ['ip', 'link', 'delete', tap.name] });
  return out;
}

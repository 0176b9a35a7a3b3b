/** Parsing of ml2's range options, with neutron_lib.plugins.utils's checks and messages. */
import { NetworkTunnelRangeError, NetworkVlanRangeError, PhysicalNetworkNameError } from '../../errors.js';

export const MIN_VLAN_TAG = 1;
export const MAX_VLAN_TAG = 4094;
export const MAX_VXLAN_VNI = 2 ** 24 - 1;

/** True for an integer in [1, 4094] (plugin_utils.is_valid_vlan_tag). */
export const isValidVlanTag = (v: number): boolean => Number.isInteger(v) && v >= MIN_VLAN_TAG && v <= MAX_VLAN_TAG;

/** Parses network_vlan_ranges ("physnet[:min:max]"); a bare physnet gets the whole 1-4094 range, as this neutron_lib does. */
export function parseVlanRanges(entries: string[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry.includes(':')) {
      out.set(entry, [[MIN_VLAN_TAG, MAX_VLAN_TAG]]);
      continue;
    }
    const parts = entry.split(':');
    if (parts.length !== 3) throw new NetworkVlanRangeError(entry, 'Need exactly two values for VLAN range');
    const [network, lo, hi] = parts as [string, string, string];
    if (!network) throw new PhysicalNetworkNameError();
    const range: [number, number] = [tag(lo, entry), tag(hi, entry)];
    for (const t of range) {
      if (!isValidVlanTag(t)) throw new NetworkVlanRangeError(entry, `${t} is not a valid VLAN tag`);
    }
    if (range[1] < range[0]) throw new NetworkVlanRangeError(entry, 'End of VLAN range is less than start of VLAN range');
    const existing = out.get(network);
    if (existing && existing.length === 1 && existing[0]![0] === MIN_VLAN_TAG && existing[0]![1] === MAX_VLAN_TAG) continue;
    out.set(network, [...(existing ?? []), range]);
  }
  return out;
}

function tag(s: string, entry: string): number {
  const n = Number(s.trim());
  if (s.trim() === '' || !Number.isInteger(n)) throw new NetworkVlanRangeError(entry, `${s} is not a valid VLAN tag`);
  return n;
}

/** Parses vni_ranges ("min:max") for a tunnel type (type_tunnel._parse_tunnel_ranges + verify_tunnel_range). */
export function parseTunnelRanges(entries: string[], type: string, max = MAX_VXLAN_VNI): [number, number][] {
  return entries.map((raw) => {
    const entry = raw.trim();
    const parts = entry.split(':');
    const nums = parts.map((p) => Number(p.trim()));
    if (parts.length !== 2 || parts.some((p) => p.trim() === '') || nums.some((n) => !Number.isInteger(n))) {
      throw new NetworkTunnelRangeError(entry, `invalid literal for int() in '${entry}'`);
    }
    const [lo, hi] = nums as [number, number];
    for (const id of [lo, hi]) {
      if (id < 1 || id > max) throw new NetworkTunnelRangeError(`${lo}:${hi}`, `${id} is not a valid ${type} identifier`);
    }
    if (hi < lo) throw new NetworkTunnelRangeError(`${lo}:${hi}`, 'End of tunnel range is less than start of tunnel range');
    return [lo, hi];
  });
}

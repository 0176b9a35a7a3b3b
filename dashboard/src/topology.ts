/**
 * The dashboard's topology model, computed from what the standard APIs return (nova's
 * servers and hypervisors, neutron's ports, networks, subnets and agents) and, for an
 * admin, each host's devices (GET /nimbus/v1/hosts/{host}/devices). Pure: no DOM, no
 * fetch, so node's tests check it as they check the server code.
 *
 * The expected devices of a port follow nova's hybrid plug (nova/network/model.py
 * VIF.get_*_name): tap, qbr, qvb and qvo + the first 11 characters of the port id; with
 * the openvswitch firewall (ovs_hybrid_plug false) the tap itself is on br-int.
 */

/** The subset of an OpenStack resource the model reads (the APIs send more). */
export type Row = Record<string, any>;

/** What one host reported (the shape of src/hostnet/host-network.ts HostDevices). */
export interface HostDevicesRow {
  host: string;
  links: { name: string; up: boolean; master: string | null; peer: string | null }[];
  linuxBridges: { name: string; ports: string[] }[];
  ovsBridges: { name: string; ports: { name: string; externalIds: Record<string, string> }[] }[];
}

/** Everything one poll read, as the APIs returned it. */
export interface TopologyInput {
  servers: Row[];
  ports: Row[];
  networks: Row[];
  subnets: Row[];
  /** Host names from os-hypervisors (admin); empty for a member. */
  hypervisors: string[];
  /** neutron's agents (admin); empty for a member. */
  agents: Row[];
  /** Devices by host; a host absent here was not readable (member, or host down). */
  devices: Record<string, HostDevicesRow>;
}

/** One device the VIF should have, and whether the host has it. */
export interface DeviceState {
  kind: 'tap' | 'qbr' | 'qvb' | 'qvo';
  name: string;
  /** undefined when the host's devices are not known (member, or not readable). */
  present: boolean | undefined;
  /**
   * The hybrid plug's tap is libvirt's, there only while the guest runs (the simulated
   * guest has none): its absence is no fault, as repair-vifs (src/compute/repair/) holds.
   */
  optional: boolean;
}

/** One port as the dashboard shows it: server, status, binding, network, devices, problems. */
export interface VifView {
  portId: string;
  portName: string;
  status: string;
  adminUp: boolean;
  host: string;
  vifType: string;
  /** False when the API hid the binding (neutron shows binding:* to admins only). */
  bindingVisible: boolean;
  hybrid: boolean;
  mac: string;
  ips: string[];
  network: { id: string; name: string };
  subnets: { id: string; name: string; cidr: string }[];
  server: { id: string; name: string; status: string } | undefined;
  devices: DeviceState[];
  /** What is wrong, in words; non-empty means the VIF is flagged. */
  problems: string[];
}

/** One hypervisor host: its agent, br-int, qbr bridges, VIFs and stale devices. */
export interface HostView {
  name: string;
  /** The OVS agent on the host: undefined when agents are not visible (member). */
  agent: { alive: boolean; adminUp: boolean } | undefined | null;
  devicesKnown: boolean;
  /** br-int's ports, as the host lists them. */
  brInt: string[];
  /** qbr bridges with their members. */
  qbrs: { name: string; ports: string[] }[];
  vifs: VifView[];
  /** qbr/qvb/qvo/tap devices of no port this user can see (stale after a crash, or another project's). */
  stale: string[];
  problems: number;
}

/** One network with its subnets and how many ports it has. */
export interface NetworkView {
  id: string;
  name: string;
  status: string;
  type: string;
  subnets: { id: string; name: string; cidr: string }[];
  ports: number;
}

/** What the topology view draws. */
export interface Topology {
  hosts: HostView[];
  /** Ports with no host (unbound: DHCP-less networks, ports made but not attached). */
  unbound: VifView[];
  networks: NetworkView[];
  problems: number;
}

/** nova's device names for a port (nova/network/model.py, NIC_NAME_LEN 14). */
export function expectedDevices(portId: string): Record<DeviceState['kind'], string> {
  const s = portId.slice(0, 11);
  return { tap: `tap${s}`, qbr: `qbr${s}`, qvb: `qvb${s}`, qvo: `qvo${s}` };
}

const DEVICE_PREFIX = /^(tap|qbr|qvb|qvo)[0-9a-f-]{11}$/;

function vifView(port: Row, input: TopologyInput, serversById: Map<string, Row>, netById: Map<string, Row>, subnetById: Map<string, Row>): VifView {
  const host: string = port['binding:host_id'] ?? '';
  const vifType: string = port['binding:vif_type'] ?? '';
  const hybrid = port['binding:vif_details']?.ovs_hybrid_plug !== false;
  const names = expectedDevices(port.id);
  const dev = host ? input.devices[host] : undefined;
  const isVm = String(port.device_owner ?? '').startsWith('compute:');
  const problems: string[] = [];
  const devices: DeviceState[] = [];
  const plugged = isVm && host !== '' && vifType !== 'unbound' && vifType !== 'binding_failed';
  if (plugged) {
    const links = new Set(dev?.links.map((l) => l.name) ?? []);
    const brInt = new Set(dev?.ovsBridges.find((b) => b.name === 'br-int')?.ports.map((p) => p.name) ?? []);
    const qbr = dev?.linuxBridges.find((b) => b.name === names.qbr);
    const known = dev !== undefined;
    const want: DeviceState['kind'][] = hybrid ? ['tap', 'qbr', 'qvb', 'qvo'] : ['tap'];
    for (const kind of want) {
      const name = names[kind];
      let present: boolean | undefined;
      if (known) {
        if (kind === 'qbr') present = qbr !== undefined;
        else if (kind === 'qvo' || (kind === 'tap' && !hybrid)) present = brInt.has(name);
        else if (kind === 'tap') present = links.has(name);
        else present = links.has(name) && (qbr?.ports.includes(name) ?? false);
      }
      devices.push({ kind, name, present, optional: hybrid && kind === 'tap' });
    }
    for (const d of devices) {
      if (d.present !== false || d.optional) continue;
      if (d.kind === 'qvo' || !hybrid) problems.push(`${d.name} is missing from br-int on ${host}`);
      else if (d.kind === 'qbr') problems.push(`${d.name} is missing on ${host}`);
      else problems.push(`${d.name} is not in ${names.qbr} on ${host}`);
    }
  }
  const tap = devices.find((d) => d.kind === 'tap' && d.optional && d.present);
  if (tap && dev && !dev.linuxBridges.find((b) => b.name === names.qbr)?.ports.includes(tap.name)) problems.push(`${tap.name} is not in ${names.qbr} on ${host}`);
  if (vifType === 'binding_failed') problems.push(`binding failed on ${host || 'no host'}`);
  const net = netById.get(port.network_id);
  const fixed: Row[] = port.fixed_ips ?? [];
  const subnetIds = [...new Set(fixed.map((f) => f.subnet_id as string))];
  const server = isVm ? serversById.get(port.device_id) : undefined;
  return {
    portId: port.id,
    portName: port.name ?? '',
    status: port.status ?? '',
    adminUp: port.admin_state_up !== false,
    host,
    vifType,
    bindingVisible: 'binding:vif_type' in port,
    hybrid,
    mac: port.mac_address ?? '',
    ips: fixed.map((f) => f.ip_address as string),
    network: { id: port.network_id, name: net?.name ?? port.network_id },
    subnets: subnetIds.map((id) => {
      const s = subnetById.get(id);
      return { id, name: s?.name ?? '', cidr: s?.cidr ?? '' };
    }),
    server: server ? { id: server.id, name: server.name, status: server.status } : isVm ? { id: port.device_id, name: port.device_id, status: '' } : undefined,
    devices,
    problems,
  };
}

/** Builds the topology; hosts sorted by name, VIFs by server name then port id. */
export function buildTopology(input: TopologyInput): Topology {
  const serversById = new Map(input.servers.map((s) => [s.id as string, s]));
  const netById = new Map(input.networks.map((n) => [n.id as string, n]));
  const subnetById = new Map(input.subnets.map((s) => [s.id as string, s]));
  const hostNames = new Set<string>(input.hypervisors);
  for (const p of input.ports) if (p['binding:host_id']) hostNames.add(p['binding:host_id']);
  for (const s of input.servers) if (s['OS-EXT-SRV-ATTR:host']) hostNames.add(s['OS-EXT-SRV-ATTR:host']);
  const vifs = input.ports.map((p) => vifView(p, input, serversById, netById, subnetById));
  const order = (a: VifView, b: VifView) => (a.server?.name ?? '\uffff').localeCompare(b.server?.name ?? '\uffff') || a.portId.localeCompare(b.portId);
  const agentsVisible = input.agents.length > 0;
  const hosts: HostView[] = [...hostNames].sort().map((name) => {
    const dev = input.devices[name];
    const mine = vifs.filter((v) => v.host === name).sort(order);
    const agent = input.agents.find((a) => a.host === name && a.agent_type === 'Open vSwitch agent');
    const owned = new Set(mine.flatMap((v) => Object.values(expectedDevices(v.portId))));
    // Another project's ports are not listed to a member, so only an admin can call a device stale.
    const all = new Set(input.ports.filter((p) => p['binding:host_id'] === name).flatMap((p) => Object.values(expectedDevices(p.id))));
    const deviceNames = dev ? [...dev.links.map((l) => l.name), ...dev.linuxBridges.map((b) => b.name), ...(dev.ovsBridges.find((b) => b.name === 'br-int')?.ports.map((p) => p.name) ?? [])] : [];
    const stale = [...new Set(deviceNames.filter((d) => DEVICE_PREFIX.test(d) && !owned.has(d) && !all.has(d)))].sort();
    return {
      name,
      agent: agentsVisible ? (agent ? { alive: agent.alive !== false, adminUp: agent.admin_state_up !== false } : null) : undefined,
      devicesKnown: dev !== undefined,
      brInt: dev?.ovsBridges.find((b) => b.name === 'br-int')?.ports.map((p) => p.name) ?? [],
      qbrs: dev?.linuxBridges.filter((b) => b.name.startsWith('qbr')).map((b) => ({ name: b.name, ports: [...b.ports] })) ?? [],
      vifs: mine,
      stale,
      problems: mine.filter((v) => v.problems.length > 0).length + (agentsVisible && (!agent || agent.alive === false) ? 1 : 0),
    };
  });
  const unbound = vifs.filter((v) => !v.host).sort(order);
  const networks: NetworkView[] = input.networks
    .map((n) => ({
      id: n.id as string,
      name: (n.name as string) || n.id,
      status: n.status ?? '',
      type: n['provider:network_type'] ?? '',
      subnets: input.subnets.filter((s) => s.network_id === n.id).map((s) => ({ id: s.id, name: s.name ?? '', cidr: s.cidr ?? '' })),
      ports: input.ports.filter((p) => p.network_id === n.id).length,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { hosts, unbound, networks, problems: hosts.reduce((n, h) => n + h.problems, 0) + unbound.filter((v) => v.problems.length > 0).length };
}

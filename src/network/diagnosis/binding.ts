/**
 * Why a port is (or would be) binding_failed, and which configuration line fixes it
 * (DESIGN §7, seed §3.3). Pure: the caller reads the port, its segments, the agents on
 * its host and the server's [ml2] options. The checks are ML2's own (the mechanism
 * drivers' vnic, agent and check_segment_for_agent predicates, reused rather than
 * re-stated), so "no findings" holds exactly when decideBinding would bind.
 */
import { isAlive } from '../agents/db/agents-db.js';
import { AgentMechanismDriver, asRecord, asStringList } from '../ml2/drivers/mech/agent-base.js';
import type { PortBindingContext } from '../ml2/drivers/mech/mech-driver.js';
import { MECHANISM_DRIVERS } from '../ml2/drivers/mech/registry.js';
import { TUNNEL_TYPES, type AgentView, type Segment } from '../ml2/types.js';

export const BindingCauses = {
  noHost: 'no-host',
  noSegments: 'no-segments',
  mechanismDriverNotEnabled: 'mechanism-driver-not-enabled',
  vnicTypeNotSupported: 'vnic-type-not-supported',
  noAgentOnHost: 'no-agent-on-host',
  agentDead: 'agent-dead',
  tunnelTypeNotConfigured: 'tunnel-type-not-configured',
  physnetNotMapped: 'physnet-not-mapped',
  networkTypeNotSupportedByAgent: 'network-type-not-supported-by-agent',
  tenantNetworkTypeNotConfigured: 'tenant-network-type-not-configured',
} as const;
export type BindingCause = (typeof BindingCauses)[keyof typeof BindingCauses];

/** One configuration line to change; `suggested` is the whole line as it should read. */
export interface ConfigFix {
  file: 'openvswitch_agent.ini' | 'linuxbridge_agent.ini' | 'ml2_conf.ini' | 'neutron.conf';
  section: string;
  option: string;
  suggested: string;
}

export interface BindingFinding {
  cause: BindingCause;
  /** Plain English naming the port, host, agent and segment. */
  message: string;
  /** null when the remedy is an action (restart an agent, set a profile), not a config line. */
  fix: ConfigFix | null;
}

export interface PortFacts {
  id: string;
  /** binding:host_id ('' or null when unbound). */
  host_id: string | null;
  vnic_type?: string;
  vif_type?: string;
  admin_state_up?: boolean;
  profile?: Record<string, unknown>;
}

export interface SegmentFacts {
  id?: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

/** An agent on the port's host: `alive` as the API shows it, or a heartbeat judged with `now` and agent_down_time. */
export interface AgentFacts {
  id?: string;
  agent_type: string;
  host?: string;
  alive?: boolean;
  heartbeat_timestamp?: string;
  configurations: Record<string, unknown>;
}

/** The server's [ml2] options that bear on binding. */
export interface Ml2Facts {
  type_drivers: readonly string[];
  tenant_network_types: readonly string[];
  mechanism_drivers: readonly string[];
  flat_networks: readonly string[];
  network_vlan_ranges: readonly string[];
}

export interface BindingDiagnosisInput {
  port: PortFacts;
  segments: readonly SegmentFacts[];
  agents: readonly AgentFacts[];
  ml2: Ml2Facts;
  /** ms since the epoch; needed only for agents given by heartbeat. */
  now?: number;
  /** Seconds ([DEFAULT] agent_down_time, 75 by default). */
  agentDownTime?: number;
}

/** Where each agent-based driver's agent keeps the options a fix changes. */
const AGENT_FILES: Record<string, { file: ConfigFix['file']; tunnels: (types: string[]) => ConfigFix; mappings: (m: string[]) => ConfigFix }> = {
  openvswitch: {
    file: 'openvswitch_agent.ini',
    tunnels: (t) => ({ file: 'openvswitch_agent.ini', section: 'agent', option: 'tunnel_types', suggested: `tunnel_types = ${t.join(',')}` }),
    mappings: (m) => ({ file: 'openvswitch_agent.ini', section: 'ovs', option: 'bridge_mappings', suggested: `bridge_mappings = ${m.join(',')}` }),
  },
  linuxbridge: {
    file: 'linuxbridge_agent.ini',
    tunnels: () => ({ file: 'linuxbridge_agent.ini', section: 'vxlan', option: 'enable_vxlan', suggested: 'enable_vxlan = true' }),
    mappings: (m) => ({
      file: 'linuxbridge_agent.ini',
      section: 'linux_bridge',
      option: 'physical_interface_mappings',
      suggested: `physical_interface_mappings = ${m.join(',')}`,
    }),
  },
};

const DEFAULT_AGENT_DOWN_TIME = 75;

/** The binding:host_id value, empty when unset. */
const hostOf = (port: PortFacts): string => port.host_id ?? '';

/** ML2's segment dicts from the facts (ids filled in when the caller has none). */
export function toSegments(facts: readonly SegmentFacts[]): Segment[] {
  return facts.map((s, i) => ({
    id: s.id ?? `segment-${i}`,
    network_id: '',
    network_type: s.network_type,
    physical_network: s.physical_network,
    segmentation_id: s.segmentation_id,
    segment_index: i,
  }));
}

/** The AgentView the binder sees: alive from the flag, else from the heartbeat. */
export function toAgentViews(input: Pick<BindingDiagnosisInput, 'agents' | 'port' | 'now' | 'agentDownTime'>): AgentView[] {
  const downTime = input.agentDownTime ?? DEFAULT_AGENT_DOWN_TIME;
  return input.agents.map((a, i) => ({
    id: a.id ?? `agent-${i}`,
    agent_type: a.agent_type,
    host: a.host ?? hostOf(input.port),
    alive: a.alive ?? (a.heartbeat_timestamp !== undefined && input.now !== undefined && isAlive({ heartbeat_timestamp: a.heartbeat_timestamp }, input.now, downTime)),
    admin_state_up: true,
    heartbeat_timestamp: a.heartbeat_timestamp ?? '',
    configurations: a.configurations,
  }));
}

/** The mechanism drivers ML2 would load from mechanism_drivers (unknown names are skipped: neutron-server would not start). */
export function enabledDrivers(ml2: Pick<Ml2Facts, 'mechanism_drivers'>): AgentMechanismDriver[] {
  return [...new Set(ml2.mechanism_drivers)]
    .filter((n) => n in MECHANISM_DRIVERS)
    .map((n) => MECHANISM_DRIVERS[n]!())
    .filter((d): d is AgentMechanismDriver => d instanceof AgentMechanismDriver);
}

/** The read-only PortBindingContext the drivers' predicates take; binding calls are ignored. */
function contextFor(port: PortFacts, segments: Segment[], agents: AgentView[], downTime: number): PortBindingContext {
  return {
    current: { id: port.id, host: hostOf(port), vnicType: port.vnic_type || 'normal', profile: { ...(port.profile ?? {}) } },
    segmentsToBind: segments,
    agentDownTime: downTime,
    hostAgents: (t) => agents.filter((a) => a.agent_type === t),
    setBinding: () => {},
    refuse: () => {},
  };
}

const describeSegment = (s: Segment): string =>
  `${s.network_type}${s.physical_network ? ` segment on physical network '${s.physical_network}'` : ' segment'}` +
  `${s.segmentation_id !== null ? ` (segmentation id ${s.segmentation_id})` : ''}`;

/** The bridge a new physnet mapping should name: br-ex for the first, br-<physnet> beside others. */
const bridgeFor = (physnet: string, mapped: number): string => (mapped === 0 ? 'br-ex' : `br-${physnet}`);

/**
 * The findings for `input.port` on its host, most fundamental first; [] exactly when
 * ML2 with these mechanism drivers would bind it. Every enabled driver that has an agent
 * on the host is explained; drivers with none are summed up as no-agent-on-host.
 */
export function diagnoseBinding(input: BindingDiagnosisInput): BindingFinding[] {
  const { port, ml2 } = input;
  const host = hostOf(port);
  const downTime = input.agentDownTime ?? DEFAULT_AGENT_DOWN_TIME;
  const segments = toSegments(input.segments);
  const agents = toAgentViews(input);
  if (!host) {
    return [{ cause: 'no-host', message: `Port ${port.id} has no binding:host_id: it is bound only once nova (or an admin) sets the host.`, fix: null }];
  }
  if (segments.length === 0) {
    return [{ cause: 'no-segments', message: `Port ${port.id} is on a network with no segments; there is nothing to bind.`, fix: null }];
  }
  const drivers = enabledDrivers(ml2);
  const hostTypes = [...new Set(agents.map((a) => a.agent_type))];
  const unused = Object.entries(MECHANISM_DRIVERS)
    .map(([name, make]) => ({ name, driver: make() }))
    .filter(({ name, driver }) => driver instanceof AgentMechanismDriver && hostTypes.includes(driver.agentType) && !drivers.some((d) => d.name === name));
  const notEnabled = (): BindingFinding[] =>
    unused.map(({ name, driver }) => ({
      cause: 'mechanism-driver-not-enabled',
      message:
        `Host '${host}' runs a ${(driver as AgentMechanismDriver).agentType}, but mechanism driver ${name} is not in ` +
        `[ml2] mechanism_drivers (${ml2.mechanism_drivers.join(', ') || 'empty'}), so nothing binds through it.`,
      fix: { file: 'ml2_conf.ini', section: 'ml2', option: 'mechanism_drivers', suggested: `mechanism_drivers = ${[...ml2.mechanism_drivers, name].join(',')}` },
    }));
  if (drivers.length === 0) {
    const found = notEnabled();
    if (found.length) return found;
    return [
      {
        cause: 'mechanism-driver-not-enabled',
        message: `No mechanism driver is configured in [ml2] mechanism_drivers, so port ${port.id} cannot be bound anywhere.`,
        fix: { file: 'ml2_conf.ini', section: 'ml2', option: 'mechanism_drivers', suggested: 'mechanism_drivers = openvswitch' },
      },
    ];
  }

  const context = contextFor(port, segments, agents, downTime);
  const perDriver = drivers.map((d) => explainDriver(d, context, ml2));
  if (perDriver.some((r) => r.binds)) return [];
  const withAgents = perDriver.filter((r) => r.hasAgents || r.vnicRefused);
  const findings: BindingFinding[] = withAgents.flatMap((r) => r.findings);
  if (withAgents.length === 0) {
    findings.push(...notEnabled());
    const expected = drivers.map((d) => d.agentType);
    findings.push({
      cause: 'no-agent-on-host',
      message:
        `No ${expected.join(' or ')} is registered on host '${host}', so port ${port.id} cannot be bound there` +
        `${hostTypes.length ? ` (the host has only: ${hostTypes.join(', ')})` : ''}. Start ${drivers.map((d) => d.agentBinary).join(' or ')} ` +
        `on that host, and make sure the agent reports the same host name nova uses as binding:host_id.`,
      fix: { file: 'neutron.conf', section: 'DEFAULT', option: 'host', suggested: `host = ${host}` },
    });
  }
  return findings;
}

interface DriverExplanation {
  binds: boolean;
  hasAgents: boolean;
  vnicRefused: boolean;
  findings: BindingFinding[];
}

/** AgentMechanismDriver.bindPort, step by step, keeping every refusal as a finding. */
function explainDriver(driver: AgentMechanismDriver, context: PortBindingContext, ml2: Ml2Facts): DriverExplanation {
  const { id, host, vnicType } = context.current;
  const agents = context.hostAgents(driver.agentType);
  const out: DriverExplanation = { binds: false, hasAgents: agents.length > 0, vnicRefused: false, findings: [] };
  const vnic = (message: string, fix: ConfigFix | null = null): void => {
    out.vnicRefused = true;
    out.findings.push({ cause: 'vnic-type-not-supported', message, fix });
  };
  if (!driver.supportedVnicTypes.includes(vnicType)) {
    vnic(`Mechanism driver ${driver.name} cannot bind port ${id} with binding:vnic_type '${vnicType}'; it supports ${driver.supportedVnicTypes.join(', ')}.`);
    return out;
  }
  const early = driver.vnicRefusal(context);
  if (early) {
    vnic(early);
    return out;
  }
  const files = AGENT_FILES[driver.name];
  for (const agent of agents) {
    if (!agent.alive) {
      out.findings.push({
        cause: 'agent-dead',
        message:
          `The ${driver.agentType} on host '${host}' (id ${agent.id}) is down: no heartbeat for more than agent_down_time (${context.agentDownTime} s)` +
          `${agent.heartbeat_timestamp ? `, the last at ${agent.heartbeat_timestamp}` : ''}. ` +
          `Restart ${driver.agentBinary} there or repair its connection to neutron-server, then rebind port ${id}.`,
        fix: null,
      });
      continue;
    }
    const agentVnic = driver.vnicRefusal(context, agent);
    if (agentVnic) {
      vnic(agentVnic, driver.name === 'openvswitch' ? { file: 'openvswitch_agent.ini', section: 'agent', option: 'baremetal_smartnic', suggested: 'baremetal_smartnic = True' } : null);
      continue;
    }
    for (const segment of context.segmentsToBind) {
      const check = driver.checkSegmentForAgent(segment, agent);
      if (!check) {
        out.binds = true;
        out.findings = [];
        return out;
      }
      out.findings.push(...segmentFindings(driver, agent, segment, check.cause, ml2, files));
    }
  }
  return out;
}

/** The finding for one refused (agent, segment) pair, with the tenant-network alternative when there is one. */
function segmentFindings(
  driver: AgentMechanismDriver,
  agent: AgentView,
  segment: Segment,
  cause: 'no_tunnel_types' | 'physnet_not_mapped' | 'unsupported_network_type',
  ml2: Ml2Facts,
  files: (typeof AGENT_FILES)[string] | undefined,
): BindingFinding[] {
  const who = `the ${driver.agentType} on host '${agent.host}' (id ${agent.id})`;
  const type = segment.network_type;
  if (cause === 'physnet_not_mapped') {
    const physnet = segment.physical_network ?? '';
    const mapped = Object.entries(driver.mappings(agent)).map(([p, b]) => `${p}:${String(b)}`);
    return [
      {
        cause: 'physnet-not-mapped',
        message:
          `The port's ${describeSegment(segment)} needs '${physnet}' mapped to a bridge, but ${who} maps ` +
          `${mapped.length ? `only ${mapped.join(', ')}` : 'no physical network'}.`,
        fix: files?.mappings([...mapped, `${physnet}:${bridgeFor(physnet, mapped.length)}`]) ?? null,
      },
    ];
  }
  if (cause === 'unsupported_network_type') {
    return [
      {
        cause: 'network-type-not-supported-by-agent',
        message: `The port's ${describeSegment(segment)} has type ${type}, which ${who} cannot serve (it serves ${driver.allowedNetworkTypes(agent).join(', ')}).`,
        fix: null,
      },
    ];
  }
  const tunnels = asStringList(agent.configurations['tunnel_types']);
  const out: BindingFinding[] = [
    {
      cause: 'tunnel-type-not-configured',
      message:
        `The port's ${describeSegment(segment)} is a ${type} tunnel, but ${who} reports tunnel_types ` +
        `${tunnels.length ? `[${tunnels.join(', ')}]` : '[] (no tunnelling configured)'}. Add ${type} to its tunnel_types ` +
        `and give it a local_ip (its tunnel endpoint address).`,
      fix: files?.tunnels([...tunnels, type]) ?? null,
    },
  ];
  // Seed §3.3 cause 1: project networks get a type the agent does not run; either side can change.
  if (ml2.tenant_network_types.includes(type)) {
    const alt = servedTenantTypes(driver, agent, ml2);
    if (alt.length) {
      out.push({
        cause: 'tenant-network-type-not-configured',
        message:
          `Project networks are allocated as ${ml2.tenant_network_types.join(', ')} ([ml2] tenant_network_types), which ${who} ` +
          `does not serve; it could serve ${alt.join(', ')}. Either configure ${type} on the agent (above) or allocate project networks as ${alt[0]}.`,
        fix: { file: 'ml2_conf.ini', section: 'ml2', option: 'tenant_network_types', suggested: `tenant_network_types = ${alt.join(',')}` },
      });
    }
  }
  return out;
}

/** Types the server could allocate for projects that this agent would bind (loaded, with a range the agent can serve). */
function servedTenantTypes(driver: AgentMechanismDriver, agent: AgentView, ml2: Ml2Facts): string[] {
  const allowed = driver.allowedNetworkTypes(agent);
  const mapped = Object.keys(asRecord(driver.mappings(agent)));
  return ml2.type_drivers.filter((t) => {
    if (!allowed.includes(t)) return false;
    if (TUNNEL_TYPES.includes(t)) return true;
    // Only vlan has project ranges; they must name a physnet the agent maps.
    if (t === 'vlan') return ml2.network_vlan_ranges.some((r) => r.includes(':') && mapped.includes(r.split(':')[0]!));
    return false;
  });
}

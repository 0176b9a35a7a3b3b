/**
 * What `nimbus diagnose` answers (GET /nimbus/v1/diagnose/{servers,ports,hosts}/{id}),
 * and the pure functions deciding each cause from facts already gathered (gather.ts
 * reads them). The shape is stable; scripts and the dashboard rely on it:
 *
 *   { object: { kind: 'server'|'port'|'host', id },
 *     status: 'ok' | 'problem',            // 'problem' iff some finding has severity 'problem'
 *     findings: [{ cause, severity: 'problem'|'warning'|'info', detail, fix? , subject? }],
 *     facts: { ... } }                     // what the findings were judged on (per kind)
 *
 * `cause` is one of CAUSES (kebab-case, stable); `fix` is a config line
 * ("openvswitch_agent.ini [agent] tunnel_types = vxlan"), a command, or an action;
 * `subject` names the port or host a finding is about when the object has several.
 */
import type { Difference } from '../repair/differences.js';
import { describeDifference } from '../repair/differences.js';
import type { FilterResult } from '../scheduler/filters.js';

export const Severities = { problem: 'problem', warning: 'warning', info: 'info' } as const;
export type Severity = (typeof Severities)[keyof typeof Severities];

/** Causes decided here; binding and port-status causes come from neutron's diagnosis under their own names. */
export const CAUSES = {
  healthy: 'healthy',
  instanceError: 'instance-error',
  noValidHost: 'no-valid-host',
  hostFiltered: 'host-filtered',
  /** A port's bindings so far (informational). */
  bindingHistory: 'binding-history',
  hostsFitNow: 'hosts-fit-now',
  vifPlugTimeout: 'vif-plug-timeout',
  notifierDisabled: 'nova-notifier-disabled',
  deviceNotOnBridge: 'device-not-on-br-int',
  deviceDifference: 'device-difference',
  hostUnreachable: 'host-unreachable',
  computeServiceMissing: 'compute-service-missing',
  computeServiceDown: 'compute-service-down',
  computeServiceDisabled: 'compute-service-disabled',
  noL2Agent: 'no-l2-agent',
  l2AgentDead: 'l2-agent-dead',
  portNotActive: 'port-not-active',
  portBindingFailed: 'port-binding-failed',
  portMissing: 'port-missing',
  staleDevices: 'stale-devices',
} as const;

export interface Finding {
  cause: string;
  severity: Severity;
  detail: string;
  fix?: string;
  subject?: string;
}

export interface Diagnosis<F = Record<string, unknown>> {
  object: { kind: 'server' | 'port' | 'host'; id: string };
  status: 'ok' | 'problem';
  findings: Finding[];
  facts: F;
}

/** The answer: status from the findings; an empty list becomes one 'healthy' finding so a table is never blank. */
export function conclude<F>(kind: Diagnosis['object']['kind'], id: string, findings: Finding[], facts: F): Diagnosis<F> {
  const problem = findings.some((f) => f.severity === 'problem');
  const out = findings.length ? findings : [{ cause: CAUSES.healthy, severity: Severities.info, detail: `Nothing wrong found with ${kind} ${id}.` }];
  return { object: { kind, id }, status: problem ? 'problem' : 'ok', findings: out, facts };
}

/** neutron's binding finding (src/network/diagnosis, over REST): its fix as one config line. */
export interface NeutronBindingFinding {
  cause: string;
  message: string;
  fix: { file: string; section: string; option: string; suggested: string } | null;
}

/** neutron's answer to GET /nimbus/v1/diagnosis/ports/{id} (src/network/api/ops-diagnosis.ts). */
export interface NeutronPortDiagnosis {
  port: Record<string, unknown> & { id: string; status: string; admin_state_up: boolean };
  segments: { network_type: string; physical_network: string | null; segmentation_id: number | null }[];
  agents: { id: string; agent_type: string; host: string; alive: boolean; configurations: Record<string, unknown> }[];
  binding_findings: NeutronBindingFinding[];
  status_findings: { cause: string; message: string }[];
  /** Each binding ML2 made of the port under its current device, oldest first (from the trace). */
  binding_history?: { at: string; host: string | null; vif_type: string | null; vnic_type: string | null; request_id: string }[];
}

/**
 * A port's findings from neutron's diagnosis: every binding cause (with its config line),
 * then why it is not ACTIVE — except the status finding that only points at the binding.
 */
export function portFindings(n: NeutronPortDiagnosis): Finding[] {
  const subject = n.port.id;
  const out: Finding[] = n.binding_findings.map((f) => ({
    cause: f.cause,
    severity: Severities.problem,
    detail: f.message,
    ...(f.fix ? { fix: `${f.fix.file} [${f.fix.section}] ${f.fix.suggested}` } : {}),
    subject,
  }));
  for (const s of n.status_findings) {
    if (s.cause === 'binding-failed' && out.length) continue;
    // Waiting for a live agent is normal for a moment; down for good is the chain's break.
    const severity = s.cause === 'awaiting-agent' ? Severities.warning : Severities.problem;
    const fix = s.cause === 'admin-state-down' ? `openstack port set --enable ${subject}` : s.cause === 'agent-dead' ? 'restart neutron-openvswitch-agent on the host' : undefined;
    out.push({ cause: s.cause, severity, detail: s.message, ...(fix ? { fix } : {}), subject });
  }
  return out;
}

/** A port's bindings so far, as one informational finding (the port's own diagnosis shows it). */
export function bindingHistoryFindings(n: NeutronPortDiagnosis): Finding[] {
  const history = n.binding_history ?? [];
  if (!history.length) return [];
  const each = history.map((h) => `${h.at} ${h.host || '(no host)'} ${h.vif_type ?? '?'} (${h.request_id})`);
  return [{ cause: CAUSES.bindingHistory, severity: Severities.info, subject: n.port.id, detail: `Bound ${history.length} time(s): ${each.join('; ')}` }];
}

/** The "Hosts tried:" lines of a build fault's details (conductor's faultFromError): each host and why it failed. */
export function hostsTried(details: string | null): { host: string; reason: string }[] {
  const lines = (details ?? '').split('\n');
  const start = lines.indexOf('Hosts tried:');
  if (start < 0) return [];
  const out: { host: string; reason: string }[] = [];
  for (const l of lines.slice(start + 1)) {
    const m = /^ {2}(\S+): (.*)$/.exec(l);
    if (!m) break;
    out.push({ host: m[1]!, reason: m[2]! });
  }
  return out;
}

/** The hosts where a build failed binding its ports: the tried hosts whose reason says so, else the fault's host. */
export function bindingFailedHosts(fault: { message: string; details: string | null; host: string | null }): string[] {
  const binding = /Binding failed for port|PortBindingFailed/;
  const tried = hostsTried(fault.details).filter((t) => binding.test(t.reason)).map((t) => t.host);
  if (tried.length) return [...new Set(tried)];
  return binding.test(fault.message) && fault.host ? [fault.host] : [];
}

/**
 * Why a new port of `networkId` would not bind on `host` now (neutron's diagnosis of a
 * would-be port), for a build whose ports are gone: labelled "now", subject the host.
 */
export function bindingNowFindings(host: string, networkId: string, found: readonly NeutronBindingFinding[]): Finding[] {
  return found.map((f) => ({
    cause: f.cause,
    severity: Severities.problem,
    subject: host,
    detail: `now, a port of network ${networkId} on ${host}: ${f.message}`,
    ...(f.fix ? { fix: `${f.fix.file} [${f.fix.section}] ${f.fix.suggested}` } : {}),
  }));
}

/**
 * "No valid host": for each host, the filter that removed it and its numbers, from the
 * filters re-run NOW against the instance's flavor (the state at the failure is gone:
 * usage and services change), so each detail says so.
 */
export function noValidHostFindings(fault: { message: string; details: string | null }, now: FilterResult, flavor: { name: string; vcpus: number; memory_mb: number; root_gb: number }): Finding[] {
  const want = `${flavor.vcpus} VCPU, ${flavor.memory_mb} MB RAM, ${flavor.root_gb} GB disk`;
  const out: Finding[] = [{ cause: CAUSES.noValidHost, severity: Severities.problem, detail: `The build failed: ${fault.message} (flavor ${flavor.name}: ${want}).` }];
  for (const r of now.removed) {
    out.push({
      cause: CAUSES.hostFiltered,
      severity: Severities.problem,
      subject: r.host,
      detail: `now: ${r.filter} removes ${r.host}: ${r.reason}`,
      fix: fixForFilter(r.filter, flavor.name),
    });
  }
  if (now.hosts.length) {
    out.push({
      cause: CAUSES.hostsFitNow,
      severity: Severities.info,
      detail: `now: ${now.hosts.map((h) => h.host).join(', ')} would pass every filter; capacity or services changed since the failure, a rebuild may succeed.`,
    });
  }
  return out;
}

function fixForFilter(filter: string, flavor: string): string {
  switch (filter) {
    case 'VCPU':
    case 'MEMORY_MB':
    case 'DISK_GB':
      return `use a smaller flavor than ${flavor}, free capacity, or raise the allocation ratio in nova.conf [DEFAULT]`;
    case 'ComputeFilter':
      return 'start or enable nova-compute on the host (openstack compute service set --enable HOST nova-compute)';
    case 'AvailabilityZoneFilter':
      return 'boot in an availability zone that has hosts';
    default:
      return `see the ${filter} policy of the request`;
  }
}

/** What gather.ts knows about a build that waited for network-vif-plugged. */
export interface VifPlugFacts {
  fault: { message: string; details: string | null } | null;
  host: string | null;
  /** [network] notify_nova_on_port_status_changes (neutron's nova notifier). */
  notifierEnabled: boolean;
  vifPluggingTimeout: number;
  /** The L2 agents on the instance's host; null when the instance has no host. */
  agents: { agent_type: string; alive: boolean }[] | null;
  /** The instance's ports now, with their devices on the host (null: the host could not be read, or not plugged). */
  ports: { id: string; status: string; admin_state_up: boolean; vif_type: string; onIntegrationBridge: boolean | null }[];
}

const VIF_TIMEOUT = /Failed to allocate the network\(s\)|Virtual Interface creation failed|VirtualInterfaceCreateException|network-vif-plugged/;

/** True when the fault is a build that gave up waiting for network-vif-plugged. */
export function isVifPlugFailure(fault: { message: string; details: string | null } | null): boolean {
  return !!fault && (VIF_TIMEOUT.test(fault.message) || VIF_TIMEOUT.test(fault.details ?? ''));
}

/**
 * Where the network-vif-plugged chain stopped (port bound → device on br-int → the
 * agent reports it up → the port ACTIVE → neutron's notifier posts the event → nova):
 * the first link found broken. When every link holds now, the break was transient
 * (or the ports went with the failed build) and the finding says so.
 */
export function vifPlugFindings(f: VifPlugFacts): Finding[] {
  const out: Finding[] = [];
  if (isVifPlugFailure(f.fault)) {
    out.push({
      cause: CAUSES.vifPlugTimeout,
      severity: Severities.problem,
      detail: `The build waited vif_plugging_timeout (${f.vifPluggingTimeout} s) for network-vif-plugged and gave up: ${f.fault!.message}`,
    });
  }
  for (const p of f.ports) {
    if (p.admin_state_up === false) {
      out.push({ cause: 'admin-state-down', severity: Severities.problem, subject: p.id, detail: `Port ${p.id} is admin-down: the agent never reports it up, so no network-vif-plugged.`, fix: `openstack port set --enable ${p.id}` });
    }
    if (p.onIntegrationBridge === false && p.vif_type !== 'binding_failed') {
      out.push({
        cause: CAUSES.deviceNotOnBridge,
        severity: Severities.problem,
        subject: p.id,
        detail: `Port ${p.id}'s device is not on br-int of ${f.host}: the OVS agent cannot see it, so the port stays ${p.status}.`,
        fix: `nimbus repair-vifs --port ${p.id}`,
      });
    }
  }
  if (f.agents !== null && f.host) {
    if (f.agents.length === 0) out.push({ cause: CAUSES.noL2Agent, severity: Severities.problem, subject: f.host, detail: `No L2 agent is registered on ${f.host}: nothing wires its ports.`, fix: 'start neutron-openvswitch-agent on the host' });
    else if (!f.agents.some((a) => a.alive)) out.push({ cause: CAUSES.l2AgentDead, severity: Severities.problem, subject: f.host, detail: `The L2 agent on ${f.host} is down (no heartbeat within agent_down_time): it reports no device up.`, fix: 'restart neutron-openvswitch-agent on the host' });
  }
  const active = f.ports.filter((p) => p.status === 'ACTIVE');
  if (!f.notifierEnabled) {
    out.push({
      cause: CAUSES.notifierDisabled,
      severity: out.length || active.length || isVifPlugFailure(f.fault) ? Severities.problem : Severities.warning,
      detail: `neutron does not tell nova of port status changes (notify_nova_on_port_status_changes = false): ports go ACTIVE but network-vif-plugged is never posted.`,
      fix: 'neutron.conf [DEFAULT] notify_nova_on_port_status_changes = true',
    });
  } else if (isVifPlugFailure(f.fault) && out.length === 1) {
    out.push({
      cause: CAUSES.vifPlugTimeout,
      severity: Severities.warning,
      detail: active.length
        ? `Its ports are ACTIVE now and the notifier is on: the event was lost or late (nova-api unreachable from neutron, or the port went ACTIVE after the timeout).`
        : `Every link holds now (agent alive, notifier on); the failed build removed its ports, so the break was transient.`,
    });
  }
  return out;
}

/** One VIF's differences between what nova's VIF driver makes and the host (repair's compareVif). */
export function deviceFindings(portId: string, host: string, diffs: readonly Difference[]): Finding[] {
  return diffs.map((d) => ({
    cause: d.kind === 'missing-ovs-port' ? CAUSES.deviceNotOnBridge : CAUSES.deviceDifference,
    severity: Severities.problem,
    subject: portId,
    detail: `on ${host}: ${describeDifference(d)}`,
    ...(d.commands.length ? { fix: d.commands.map((c) => c.line).join('\n') } : {}),
  }));
}

/** What gather.ts knows about a compute host. */
export interface HostFacts {
  host: string;
  service: { up: boolean; disabled: boolean; disabledReason: string | null; forcedDown: boolean } | null;
  agents: { id: string; agent_type: string; alive: boolean; configurations: Record<string, unknown> }[];
  ports: { id: string; status: string; vif_type: string; device_id: string }[];
  devicesReadable: boolean;
  stale: { portIdPrefix: string; devices: string[] }[];
}

/** A host's health: its nova-compute, its L2 agent, the ports bound to it, stale devices. */
export function hostFindings(f: HostFacts): Finding[] {
  const out: Finding[] = [];
  if (!f.service) {
    out.push({ cause: CAUSES.computeServiceMissing, severity: Severities.problem, subject: f.host, detail: `No nova-compute service is registered on ${f.host}.` });
  } else {
    if (!f.service.up) {
      out.push({
        cause: CAUSES.computeServiceDown,
        severity: Severities.problem,
        subject: f.host,
        detail: `nova-compute on ${f.host} is down${f.service.forcedDown ? ' (forced down)' : ' (no report within service_down_time)'}: the scheduler's ComputeFilter skips it.`,
        fix: 'start nova-compute on the host',
      });
    }
    if (f.service.disabled) {
      out.push({
        cause: CAUSES.computeServiceDisabled,
        severity: Severities.warning,
        subject: f.host,
        detail: `nova-compute on ${f.host} is disabled${f.service.disabledReason ? ` (${f.service.disabledReason})` : ''}: no new instances go there.`,
        fix: `openstack compute service set --enable ${f.host} nova-compute`,
      });
    }
  }
  const l2 = f.agents.filter((a) => /Open vSwitch agent|Linux bridge agent/.test(a.agent_type));
  if (l2.length === 0) out.push({ cause: CAUSES.noL2Agent, severity: Severities.problem, subject: f.host, detail: `No L2 agent is registered on ${f.host}: every port bound there fails to bind.`, fix: 'start neutron-openvswitch-agent on the host' });
  for (const a of l2.filter((x) => !x.alive)) {
    out.push({ cause: CAUSES.l2AgentDead, severity: Severities.problem, subject: f.host, detail: `The ${a.agent_type} on ${f.host} (id ${a.id}) is down: no heartbeat within agent_down_time.`, fix: 'restart neutron-openvswitch-agent on the host' });
  }
  for (const p of f.ports) {
    if (p.vif_type === 'binding_failed') {
      out.push({ cause: CAUSES.portBindingFailed, severity: Severities.problem, subject: p.id, detail: `Port ${p.id} (device ${p.device_id || 'none'}) is binding_failed on ${f.host}.`, fix: `nimbus diagnose port ${p.id}` });
    } else if (p.status !== 'ACTIVE' && p.device_id) {
      out.push({ cause: CAUSES.portNotActive, severity: Severities.warning, subject: p.id, detail: `Port ${p.id} (device ${p.device_id}) is ${p.status} on ${f.host}.`, fix: `nimbus diagnose port ${p.id}` });
    }
  }
  if (!f.devicesReadable) out.push({ cause: CAUSES.hostUnreachable, severity: Severities.warning, subject: f.host, detail: `The devices of ${f.host} could not be read from its nova-compute.` });
  for (const s of f.stale) {
    out.push({ cause: CAUSES.staleDevices, severity: Severities.warning, subject: f.host, detail: `Devices of no known port ${s.portIdPrefix}…: ${s.devices.join(', ')}.`, fix: `nimbus repair-vifs --host ${f.host}` });
  }
  return out;
}

/**
 * Gathers the facts `nimbus diagnose` judges (nova-api side) and hands them to the pure
 * deciders of findings.ts: nova's instance, fault and actions; neutron's view over REST
 * as nova's admin client (ports, agents, port bindings, and neutron-server's own binding
 * diagnosis at /nimbus/v1/diagnosis/ports/{id}, since the ML2 causes are neutron's code);
 * the host's devices over compute.<host> (host_devices); and the scheduler's filters
 * re-run now. neutron's [DEFAULT] notify_nova_on_port_status_changes is read from the
 * shared config: every process of a deployment reads the same one.
 */
import { type ServiceRow, findServiceByHostAndBinary } from '../db/services.js';
import type { ComputeApiDeps } from '../compute-api.js';
import type { NovaContext } from '../context.js';
import { ComputeHostNotFound, PortNotFound } from '../errors.js';
import type { HostDevices } from '../../hostnet/host-network.js';
import { type NeutronClient, hasStatus } from '../network/neutron-client.js';
import { faultCause } from '../objects/faults.js';
import type { NetworkRequest } from '../objects/instance.js';
import { serviceIsUp } from '../objects/services.js';
import { compareVif, expectedDevices, findOvsPort, staleDevices } from '../repair/index.js';
import { runFilters } from '../scheduler/filters.js';
import { loadHostStates } from '../scheduler/host-state.js';
import {
  CAUSES,
  type Diagnosis,
  type Finding,
  type HostFacts,
  type NeutronBindingFinding,
  type NeutronPortDiagnosis,
  Severities,
  bindingFailedHosts,
  bindingNowFindings,
  conclude,
  deviceFindings,
  hostFindings,
  isVifPlugFailure,
  noValidHostFindings,
  bindingHistoryFindings,
  portFindings,
  vifPlugFindings,
} from './findings.js';

type Port = { id: string; status: string; admin_state_up: boolean; device_id: string; 'binding:host_id'?: string; 'binding:vif_type'?: string; 'binding:vif_details'?: unknown };

/** Keeps the first finding of each (cause, subject): the server view meets the same break from several sides. */
function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.cause}\u0000${f.subject ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export class Diagnoser {
  constructor(private readonly d: ComputeApiDeps) {}

  #admin(ctx: NovaContext): NeutronClient {
    return this.d.network.client(ctx, true);
  }

  /** The host's devices, or null when nova-compute there is down or does not answer. */
  async #devices(ctx: NovaContext, host: string): Promise<HostDevices | null> {
    const svc = await findServiceByHostAndBinary(this.d.db, host, 'nova-compute');
    if (!svc || !serviceIsUp(svc, this.d.clock.now(), this.d.cfg.compute.service_down_time)) return null;
    try {
      return await this.d.compute.hostDevices(host, ctx);
    } catch {
      return null;
    }
  }

  async #neutronPort(ctx: NovaContext, portId: string): Promise<NeutronPortDiagnosis> {
    try {
      return await this.#admin(ctx).portDiagnosis<NeutronPortDiagnosis>(portId);
    } catch (e) {
      if (hasStatus(e, 404)) throw new PortNotFound(portId);
      throw e;
    }
  }

  /** GET /nimbus/v1/diagnose/servers/{id}. */
  async server(ctx: NovaContext, uuid: string): Promise<Diagnosis> {
    const instance = await this.d.instances.get(uuid);
    const fault = (await this.d.instances.latestFaults([uuid])).get(uuid) ?? null;
    const actions = await Promise.all(
      (await this.d.actions.list(uuid)).map(async (a) => ({
        action: a.action,
        request_id: a.request_id,
        start_time: a.start_time,
        message: a.message,
        events: (await this.d.actions.events(a.id)).map((e) => ({ event: e.event, result: e.result, host: e.host, start_time: e.start_time, finish_time: e.finish_time })),
      })),
    );
    const admin = this.#admin(ctx);
    const ports = (await admin.listPorts({ device_id: uuid })) as unknown as Port[];
    const host = instance.host ?? fault?.host ?? null;
    const findings: Finding[] = [];
    if (fault && instance.vmState === 'error') {
      findings.push({ cause: CAUSES.instanceError, severity: Severities.problem, detail: `Instance is ERROR: ${fault.message} (${faultCause(fault)}, code ${fault.code}${fault.host ? `, on ${fault.host}` : ''}).` });
    }
    const vifs: Record<string, unknown>[] = [];
    for (const p of ports) {
      const n = await this.#neutronPort(ctx, p.id);
      findings.push(...portFindings(n));
      vifs.push({ port: p.id, status: p.status, admin_state_up: p.admin_state_up, binding: bindingOf(p) });
    }
    let scheduler: unknown = null;
    // Re-run with the instance's flavor and zone; server-group and same/different_host hints are not
    // re-applied (the request spec is not kept), so those filters pass here.
    if (fault && faultCause(fault) === 'NoValidHost') {
      const c = this.d.cfg.compute;
      const hosts = await loadHostStates(this.d.db, { now: this.d.clock.now(), serviceDownTimeS: c.service_down_time, defaultAz: c.default_availability_zone, ratios: { cpu: c.cpu_allocation_ratio, ram: c.ram_allocation_ratio, disk: c.disk_allocation_ratio } }, false);
      const result = runFilters(hosts, { instanceUuid: uuid, projectId: instance.projectId, flavor: instance.flavor, availabilityZone: instance.availabilityZone, ignoreHosts: [], numInstances: 1 });
      findings.push(...noValidHostFindings(fault, result, instance.flavor));
      scheduler = { run: 'now', counts: result.counts, removed: result.removed, passing: result.hosts.map((h) => h.host) };
    }
    // A build that failed binding: its ports are gone (or unbound), so judge its networks on those hosts now.
    if (fault) {
      for (const h of bindingFailedHosts(fault)) {
        for (const netId of await this.#requestedNetworks(admin, instance.requestedNetworks)) {
          const n = await admin.networkBindingDiagnosis<{ binding_findings: NeutronBindingFinding[] }>(netId, h).catch(() => null);
          if (n) findings.push(...bindingNowFindings(h, netId, n.binding_findings));
        }
      }
    }
    // The devices each VIF should have on the host, and the chain to network-vif-plugged.
    const devices = host ? await this.#devices(ctx, host) : null;
    const onBridge = new Map<string, boolean>();
    if (host && devices) {
      for (const vif of await this.d.instances.networkInfo(uuid)) {
        const expected = expectedDevices(vif, uuid);
        if (!expected || !ports.some((p) => p.id === vif.id)) continue;
        onBridge.set(vif.id, findOvsPort(devices, expected.ovsPort)?.bridge === expected.integrationBridge);
        findings.push(...deviceFindings(vif.id, host, compareVif(expected, devices)));
      }
    }
    const waited = isVifPlugFailure(fault) || ports.some((p) => p.status !== 'ACTIVE');
    if (waited) {
      const agents = host && ports.length === 0 ? ((await admin.list('agents', { host })) as { agent_type: string; alive: boolean }[]) : null;
      findings.push(
        ...vifPlugFindings({
          fault,
          host,
          notifierEnabled: this.d.cfg.network.notify_nova_on_port_status_changes,
          vifPluggingTimeout: this.d.cfg.compute.vif_plugging_timeout,
          agents,
          ports: ports.map((p) => ({ id: p.id, status: p.status, admin_state_up: p.admin_state_up, vif_type: p['binding:vif_type'] ?? 'unbound', onIntegrationBridge: onBridge.get(p.id) ?? null })),
        }),
      );
    }
    // The health of its host (nova-compute, the L2 agent): an ACTIVE server's port stays ACTIVE when its agent dies.
    if (instance.host) findings.push(...(await this.#hostHealth(ctx, instance.host)));
    return conclude('server', uuid, dedupe(findings), {
      name: instance.displayName,
      status: { vm_state: instance.vmState, task_state: instance.taskState, host: instance.host },
      flavor: { name: instance.flavor.name, vcpus: instance.flavor.vcpus, memory_mb: instance.flavor.memory_mb, root_gb: instance.flavor.root_gb },
      fault,
      actions,
      vifs,
      scheduler,
      devices_read: !!devices,
    });
  }

  /** The networks a build asked for: network ids as given, a port's network when the port still exists. */
  async #requestedNetworks(admin: NeutronClient, requested: NetworkRequest[]): Promise<string[]> {
    const ids = new Set<string>();
    for (const r of requested) {
      if (r.networkId && r.networkId !== 'auto' && r.networkId !== 'none') ids.add(r.networkId);
      else if (r.portId) {
        const port = await admin.showPort(r.portId).catch(() => null);
        if (port?.network_id) ids.add(port.network_id);
      }
    }
    return [...ids];
  }

  /** A host's service and agent findings alone (no ports, no devices), for the objects on it. */
  async #hostHealth(ctx: NovaContext, host: string): Promise<Finding[]> {
    const svc = await findServiceByHostAndBinary(this.d.db, host, 'nova-compute');
    const agents = (await this.#admin(ctx).list('agents', { host })) as HostFacts['agents'];
    return hostFindings({ host, service: svc ? serviceFacts(svc, this.d.clock.now(), this.d.cfg.compute.service_down_time) : null, agents, ports: [], devicesReadable: true, stale: [] });
  }

  /** GET /nimbus/v1/diagnose/ports/{id}. */
  async port(ctx: NovaContext, portId: string): Promise<Diagnosis> {
    const n = await this.#neutronPort(ctx, portId);
    const port = n.port as unknown as Port;
    const findings = [...portFindings(n), ...bindingHistoryFindings(n)];
    // binding-extended keeps one binding per host (ACTIVE, INACTIVE during a migration): the history neutron has.
    let bindings: unknown[] = [];
    try {
      bindings = await this.#admin(ctx).list(`ports/${encodeURIComponent(portId)}/bindings`, {}, 'bindings');
    } catch {
      /* no binding-extended: only the port's own binding is known */
    }
    const host = port['binding:host_id'] ?? '';
    let expected: unknown = null;
    let devicesRead = false;
    if (host && port.device_id) {
      const nwInfo = await this.d.instances.networkInfo(port.device_id).catch(() => []);
      const vif = nwInfo.find((v) => v.id === portId);
      const exp = vif ? expectedDevices(vif, port.device_id) : null;
      const devices = exp ? await this.#devices(ctx, host) : null;
      if (exp && devices) {
        devicesRead = true;
        const names = exp.hybrid ? [exp.names.qbr, exp.names.qvb, exp.names.qvo] : [exp.names.tap];
        expected = { hybrid: exp.hybrid, integration_bridge: exp.integrationBridge, devices: names.map((name) => ({ name, present: devices.links.some((l) => l.name === name) })), ovs_port: { name: exp.ovsPort, bridge: findOvsPort(devices, exp.ovsPort)?.bridge ?? null } };
        findings.push(...deviceFindings(portId, host, compareVif(exp, devices)));
      } else if (exp) {
        findings.push({ cause: CAUSES.hostUnreachable, severity: Severities.warning, subject: host, detail: `The devices of ${host} could not be read (nova-compute down or not answering).` });
      }
    }
    return conclude('port', portId, dedupe(findings), {
      status: port.status,
      admin_state_up: port.admin_state_up,
      device_id: port.device_id,
      binding: bindingOf(port),
      bindings,
      binding_history: n.binding_history ?? [],
      segments: n.segments,
      agents: n.agents.map((a) => ({ id: a.id, agent_type: a.agent_type, alive: a.alive, bridge_mappings: a.configurations['bridge_mappings'], tunnel_types: a.configurations['tunnel_types'] })),
      expected_devices: expected,
      devices_read: devicesRead,
    });
  }

  /** GET /nimbus/v1/diagnose/hosts/{host}. */
  async host(ctx: NovaContext, host: string): Promise<Diagnosis> {
    const admin = this.#admin(ctx);
    const svc = await findServiceByHostAndBinary(this.d.db, host, 'nova-compute');
    const agents = (await admin.list('agents', { host })) as { id: string; agent_type: string; alive: boolean; configurations: Record<string, unknown> }[];
    if (!svc && agents.length === 0) throw new ComputeHostNotFound(host);
    const ports = ((await admin.listPorts({ 'binding:host_id': host })) as unknown as Port[]).map((p) => ({ id: p.id, status: p.status, vif_type: p['binding:vif_type'] ?? 'unbound', device_id: p.device_id }));
    const instances = await this.d.instances.listByHost(host);
    const devices = await this.#devices(ctx, host);
    const known = new Set(ports.map((p) => p.id));
    for (const info of (await this.d.instances.networkInfos(instances.map((i) => i.uuid))).values()) for (const v of info) known.add(v.id);
    const stale = devices
      ? staleDevices(devices, known).flatMap((d) => (d.kind === 'stale-devices' ? [{ portIdPrefix: d.portIdPrefix, devices: [...d.devices, ...d.ovsPorts.map((p) => `ovs:${p}`)] }] : []))
      : [];
    const service = svc ? serviceFacts(svc, this.d.clock.now(), this.d.cfg.compute.service_down_time) : null;
    const findings = hostFindings({ host, service, agents, ports, devicesReadable: !!devices || !service?.up, stale });
    return conclude('host', host, findings, {
      compute_service: service,
      agents: agents.map((a) => ({ id: a.id, agent_type: a.agent_type, alive: a.alive, bridge_mappings: a.configurations['bridge_mappings'] ?? null, tunnel_types: a.configurations['tunnel_types'] ?? null })),
      instances: instances.map((i) => ({ id: i.uuid, name: i.displayName, vm_state: i.vmState, task_state: i.taskState })),
      ports,
      devices: devices ? { links: devices.links.map((l) => l.name), ovs_bridges: devices.ovsBridges.map((b) => ({ name: b.name, ports: b.ports.map((p) => p.name) })) } : null,
    });
  }
}

function serviceFacts(svc: ServiceRow, now: number, downTimeS: number): NonNullable<HostFacts['service']> {
  return { up: serviceIsUp(svc, now, downTimeS), disabled: svc.disabled === 1, disabledReason: svc.disabled_reason, forcedDown: !!svc.forced_down };
}

function bindingOf(p: Port): Record<string, unknown> {
  return { host: p['binding:host_id'] ?? '', vif_type: p['binding:vif_type'] ?? 'unbound', vif_details: p['binding:vif_details'] ?? {} };
}

/**
 * neutron-server's q-plugin endpoint for L2 agents (ML2's RpcCallbacks): the device
 * details an agent needs to wire its ports, and its reports that ports are up or down.
 *
 * Batched: get_devices_details_list_and_failed_devices reads all its ports with one
 * query per table and writes their BUILD/DOWN statuses in one transaction;
 * update_device_list writes all ACTIVE/DOWN statuses of a report in one transaction.
 * The rules are ML2's (Zed):
 * - details: an unknown port, or one not bound (unbound / binding_failed), is answered
 *   with `{device}` only (the agent puts it on the dead VLAN), not as a failure; a compute
 *   port bound to another host gets `{device, no_active_binding: true}` — unless its
 *   ACTIVE binding's profile names a `migrating_to` host (nova's live migration sets it
 *   in pre_live_migration): then the full details with migrating_to, so the destination
 *   wires the VIF and its report tells nova network-vif-plugged (Zed's agent-side
 *   get_device_details, which the OVS agent uses); a port bound to
 *   the asking host moves to BUILD (DOWN when admin_state_up is false) as it is fetched;
 * - update_device_up: a port bound to the reporting host becomes ACTIVE (provisioning
 *   complete; not when binding_failed/unbound or admin_state_up is false); a compute
 *   port bound elsewhere only makes the notifier tell nova network-vif-plugged
 *   (notify_port_active_direct); an unknown port is ignored;
 * - update_device_down: a port bound to the reporting host becomes DOWN; any other answers
 *   `exists: true` unchanged, as ML2 does;
 * - failed_devices are devices whose processing raised (here: the batch's transaction).
 * tunnel_sync is type_tunnel's (tunnel-rpc.ts).
 * Differences: devices are full port ids (no prefix matching of truncated ids), a port
 * is not re-bound while fetching its details, and a network with several segments
 * reports the segment the mechanism drivers would bind now (Nimbus keeps no binding levels).
 */
import type { NeutronTrace } from '../trace.js';
import type { Kysely } from 'kysely';
import type { Bus, Listener } from '../../bus/bus.js';
import { listen } from '../../bus/contract.js';
import { PluginTopicDef } from './topics.js';
import { TunnelRpcCallback } from './tunnel-rpc.js';
import type { Logger } from '../../common/log.js';
import type { Dict } from '../api/resource.js';
import { selectNetworkMtus } from '../db/networks.js';
import { selectPortsByIds } from '../db/ports.js';
import type { NeutronDB } from '../db/schema.js';
import type { Ml2, Segment } from '../ml2/index.js';
import { type PortStatus, PortStatuses } from '../plugin/port-events.js';
import type { Ports } from '../plugin/ports.js';
import type {
  DeviceDetails,
  DeviceDetailsEntry,
  DeviceDownReply,
  DevicesDetailsArgs,
  DevicesDetailsReply,
  UpdateDeviceListArgs,
  UpdateDeviceListReply,
} from './wire.js';

/** What a port bound elsewhere tells nova when its VIF comes up here (the nova notifier's notify_port_active_direct). */
export type PortActiveDirect = (port: { id: string; device_id: string; device_owner: string }) => void;

export interface PluginEndpointDeps {
  db: Kysely<NeutronDB>;
  ports: Ports;
  ml2: Ml2;
  log: Logger;
  /** Tells nova about a compute port wired on a host it is not bound to (live migration). */
  portActiveDirect?: PortActiveDirect;
  /** The server name this neutron-server listens as (default 'neutron-server'). */
  server?: string;
  /** Records the agents seeing and reporting devices, for `nimbus trace`. */
  trace?: NeutronTrace;
  /** [ml2] type_drivers, for tunnel_sync (default: vxlan only). */
  typeDrivers?: readonly string[];
}

const COMPUTE_PREFIX = 'compute:';
const NOT_BOUND = new Set(['unbound', 'binding_failed']);

/** Starts serving q-plugin; stop the returned listener on shutdown. */
export async function registerPluginEndpoint(bus: Bus, deps: PluginEndpointDeps): Promise<Listener> {
  const callbacks = new PluginRpcCallbacks(deps);
  const tunnels = new TunnelRpcCallback({ db: deps.db, bus, log: deps.log, typeDrivers: deps.typeDrivers ?? ['vxlan'] });
  const trace = deps.trace;
  // The trace sees what the agents ask and report, whichever of the methods they use.
  const rpc = {
    getDevicesDetailsListAndFailedDevices: (args: Parameters<PluginRpcCallbacks['getDevicesDetailsListAndFailedDevices']>[0]) => {
      trace?.agentAskedDetails(args.host, args.devices);
      return callbacks.getDevicesDetailsListAndFailedDevices(args);
    },
    updateDeviceList: async (args: Parameters<PluginRpcCallbacks['updateDeviceList']>[0]) => {
      trace?.agentReported(args.host, args.devices_up, args.devices_down);
      return callbacks.updateDeviceList(args);
    },
  };
  return listen(bus, PluginTopicDef, deps.server ?? 'neutron-server', {
    get_devices_details_list_and_failed_devices: (args) => rpc.getDevicesDetailsListAndFailedDevices(args),
    get_devices_details_list: async (args) => (await rpc.getDevicesDetailsListAndFailedDevices(args)).devices,
    get_device_details: async (args) => (await rpc.getDevicesDetailsListAndFailedDevices({ ...args, devices: [args.device] })).devices[0] ?? { device: args.device },
    update_device_list: (args) => rpc.updateDeviceList(args),
    update_device_up: async (args) => {
      const r = await rpc.updateDeviceList({ devices_up: [args.device], devices_down: [], agent_id: args.agent_id, host: args.host });
      if (r.failed_devices_up.length) throw new Error(`Failed to update device ${args.device} up`);
      return null;
    },
    update_device_down: async (args) => {
      const r = await rpc.updateDeviceList({ devices_up: [], devices_down: [args.device], agent_id: args.agent_id, host: args.host });
      if (r.failed_devices_down.length) throw new Error(`Failed to update device ${args.device} down`);
      return r.devices_down[0]!;
    },
    tunnel_sync: (args) => tunnels.tunnelSync(args),
  });
}

/** One loaded port: its wire dict (binding included) and its network's MTU and segments. */
interface PortContext {
  port: Dict;
  mtu: number | null;
  segments: Segment[];
}

/**
 * The segment a port is bound on (ML2's bottom bound segment), or null when it is not
 * bound. With one segment it is that one; with several, the one the mechanism drivers
 * would bind now (Nimbus keeps no ml2_port_binding_levels).
 */
export async function boundSegment(ml2: Ml2, db: Kysely<NeutronDB>, port: Dict, segments: Segment[]): Promise<Segment | null> {
  if (NOT_BOUND.has(port['binding:vif_type'] as string) || !segments.length) return null;
  if (segments.length === 1) return segments[0]!;
  const r = await ml2.bindPort(db, {
    portId: port.id as string,
    host: port['binding:host_id'] as string,
    vnicType: port['binding:vnic_type'] as string,
    profile: port['binding:profile'] as Record<string, unknown>,
    segments,
  });
  return r.ok ? r.boundSegment : segments[0]!;
}

/** agent/rpc.py's migrating_to_host over the ACTIVE binding: the profile's migrating_to, if any. */
export function migratingToHost(profile: unknown): string | null {
  const m = profile && typeof profile === 'object' ? (profile as Record<string, unknown>).migrating_to : undefined;
  return typeof m === 'string' && m ? m : null;
}

export class PluginRpcCallbacks {
  constructor(private readonly d: PluginEndpointDeps) {}

  /** Ports (with bindings), their networks' MTUs and segments, for many ids at once. */
  async #load(ids: readonly string[]): Promise<Map<string, PortContext>> {
    const { db, ports, ml2 } = this.d;
    const out = new Map<string, PortContext>();
    const unique = [...new Set(ids)];
    if (!unique.length) return out;
    const rows = [];
    for (let i = 0; i < unique.length; i += 500) rows.push(...(await selectPortsByIds(db, unique.slice(i, i + 500))));
    if (!rows.length) return out;
    const dicts = await ports.toDicts(db, rows);
    const netIds = [...new Set(rows.map((r) => r.network_id))];
    const mtus = await selectNetworkMtus(db, netIds);
    const segments = await ml2.getSegments(db, netIds);
    for (const port of dicts) {
      const net = port.network_id as string;
      out.set(port.id as string, { port, mtu: mtus.get(net) ?? null, segments: segments.get(net) ?? [] });
    }
    return out;
  }

  #boundSegment(ctx: PortContext): Promise<Segment | null> {
    return boundSegment(this.d.ml2, this.d.db, ctx.port, ctx.segments);
  }

  async getDevicesDetailsListAndFailedDevices(args: DevicesDetailsArgs): Promise<DevicesDetailsReply> {
    const { log } = this.d;
    const host = args.host;
    const ctxs = await this.#load(args.devices);
    let devices: DeviceDetailsEntry[] = [];
    let failed: string[] = [];
    for (const device of args.devices) {
      const ctx = ctxs.get(device);
      if (!ctx) {
        log.debug({ device, agent_id: args.agent_id }, `Device ${device} requested by agent ${args.agent_id} not found in database`);
        devices.push({ device });
        continue;
      }
      try {
        devices.push(await this.#details(ctx, device, args.agent_id, host));
      } catch (e) {
        log.error({ err: e, device }, `Failed to get details for device ${device}`);
        failed.push(device);
      }
    }
    const newStatus = new Map<string, PortStatus>();
    for (const { port } of ctxs.values()) {
      if (host && host !== port['binding:host_id']) continue;
      const want = port.admin_state_up ? PortStatuses.build : PortStatuses.down;
      if (port.status !== want) newStatus.set(port.id as string, want);
    }
    try {
      await this.d.ports.setStatuses(newStatus);
    } catch (e) {
      log.error({ err: e }, 'Failure updating statuses, retrying all');
      failed = [...args.devices];
      devices = [];
    }
    return { devices, failed_devices: failed };
  }

  async #details(ctx: PortContext, device: string, agentId: string, host: string): Promise<DeviceDetailsEntry> {
    const p = ctx.port;
    const segment = await this.#boundSegment(ctx);
    if (!segment) {
      this.d.log.warn(
        { device, agent_id: agentId, network_id: p.network_id, vif_type: p['binding:vif_type'] },
        `Device ${device} requested by agent ${agentId} on network ${p.network_id as string} not bound, vif_type: ${p['binding:vif_type'] as string}`,
      );
      return { device };
    }
    const migratingTo = migratingToHost(p['binding:profile']);
    if (!migratingTo && (p.device_owner as string).startsWith(COMPUTE_PREFIX) && p['binding:host_id'] !== host) {
      this.d.log.debug({ device, host }, `Device ${device} has no active binding in host ${host}`);
      return { device, no_active_binding: true };
    }
    const details: DeviceDetails = {
      device,
      network_id: p.network_id as string,
      port_id: p.id as string,
      mac_address: p.mac_address as string,
      admin_state_up: p.admin_state_up as boolean,
      network_type: segment.network_type,
      segmentation_id: segment.segmentation_id,
      physical_network: segment.physical_network,
      mtu: ctx.mtu,
      fixed_ips: p.fixed_ips as DeviceDetails['fixed_ips'],
      device_owner: p.device_owner as string,
      allowed_address_pairs: p.allowed_address_pairs as DeviceDetails['allowed_address_pairs'],
      port_security_enabled: (p.port_security_enabled as boolean | undefined) ?? true,
      qos_policy_id: null,
      qos_network_policy_id: null,
      profile: p['binding:profile'] as Record<string, unknown>,
      propagate_uplink_status: false,
    };
    if (migratingTo) details.migrating_to = migratingTo;
    return details;
  }

  async updateDeviceList(args: UpdateDeviceListArgs): Promise<UpdateDeviceListReply> {
    const { log } = this.d;
    const host = args.host;
    const up = args.devices_up ?? [];
    const down = args.devices_down ?? [];
    const ctxs = await this.#load([...up, ...down]);
    const statuses = new Map<string, PortStatus>();
    const devicesUp: string[] = [];
    const devicesDown: DeviceDownReply[] = [];
    /** Devices whose status this report changes, by direction, to fail them together if the write fails. */
    const writingUp: string[] = [];
    const writingDown: string[] = [];

    for (const device of up) {
      const ctx = ctxs.get(device);
      const p = ctx?.port;
      if (host && (!p || p['binding:host_id'] !== host)) {
        log.debug({ device, host }, `Device ${device} not bound to the agent host ${host}`);
        if (!p) log.debug({ port: device }, `Port ${device} not found, will not notify nova.`);
        else if ((p.device_owner as string).startsWith(COMPUTE_PREFIX)) {
          this.d.portActiveDirect?.({ id: p.id as string, device_id: p.device_id as string, device_owner: p.device_owner as string });
        }
        devicesUp.push(device);
        continue;
      }
      if (p && !NOT_BOUND.has(p['binding:vif_type'] as string) && p.admin_state_up) {
        statuses.set(device, PortStatuses.active);
        writingUp.push(device);
      } else if (p) {
        log.debug({ port: device, vif_type: p['binding:vif_type'], admin_state_up: p.admin_state_up }, `Port ${device} cannot update to ACTIVE`);
      }
      devicesUp.push(device);
    }
    for (const device of down) {
      const p = ctxs.get(device)?.port;
      if (host && (!p || p['binding:host_id'] !== host)) {
        log.debug({ device, host }, `Device ${device} not bound to the agent host ${host}`);
        devicesDown.push({ device, exists: true });
        continue;
      }
      if (p) {
        statuses.set(device, PortStatuses.down);
        writingDown.push(device);
      }
      devicesDown.push({ device, exists: !!p });
    }

    let failedUp: string[] = [];
    let failedDown: string[] = [];
    try {
      await this.d.ports.setStatuses(statuses);
    } catch (e) {
      for (const d of writingUp) log.error({ err: e, device: d }, `Failed to update device ${d} up`);
      for (const d of writingDown) log.error({ err: e, device: d }, `Failed to update device ${d} down`);
      failedUp = writingUp;
      failedDown = writingDown;
    }
    const failedUpSet = new Set(failedUp);
    const failedDownSet = new Set(failedDown);
    return {
      devices_up: devicesUp.filter((d) => !failedUpSet.has(d)),
      failed_devices_up: failedUp,
      devices_down: devicesDown.filter((d) => !failedDownSet.has(d.device)),
      failed_devices_down: failedDown,
    };
  }
}

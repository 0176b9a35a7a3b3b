/**
 * nova's network API for neutron (nova/network/neutron.py, class API): what nova-api and
 * nova-compute ask of neutron, over neutron's REST API only. Calls on the user's behalf
 * use the user's token; the privileged ones — reading the requested ports with their
 * binding:*, binding ports (binding:host_id, device_id/device_owner), reading the
 * binding:* fields to build the network info — use nova's admin client, the `neutron`
 * service user in project `service` as nova.conf [neutron] configures it.
 *
 * The call order is nova's (transcripts 92 and 95): ports are created as the user
 * (POST /ports), then bound as admin (PUT /ports/<id>), then read back. The reads that
 * build the model are batched — one list each of ports, floating IPs, subnets, DHCP
 * ports and network provider data, whatever the number of ports — where nova reads per
 * port. Every method may throw nova's exceptions (errors.ts) or, for a neutron error nova
 * does not map, the NeutronClientException neutronclient would raise.
 */
import type { TraceRecorder } from '../../common/trace.js';
import { type Clock, systemClock } from '../../common/clock.js';
import { type Config, servicePassword } from '../../common/config.js';
import type { Logger } from '../../common/log.js';
import { ServiceSession } from '../../common/rest-client.js';
import type { NovaContext } from '../context.js';
import {
  ExternalNetworkAttachForbidden,
  FixedIpAlreadyInUse,
  InterfaceAttachFailedNoNetwork,
  InvalidInput,
  NetworkAmbiguous,
  NetworkNotFound,
  NetworkRequiresSubnet,
  NoUniqueMatch,
  PortBindingDeletionFailed,
  PortBindingFailed,
  PortInUse,
  PortLimitExceeded,
  PortNotFound,
  PortNotFree,
  PortNotUsable,
  PortRequiresFixedIP,
  SecurityGroupCannotBeApplied,
  SecurityGroupNotFound,
  Unauthorized,
  UnableToAutoAllocateNetwork,
} from '../errors.js';
import type { Instance, NetworkRequest } from '../objects/instance.js';
import { type NetworkInfo, VIF_TYPE_BINDING_FAILED, VIF_TYPE_UNBOUND } from './model.js';
import { type NetworkDict, NeutronClient, type PortDict, type Query, clientException, hasStatus, isNeutronError } from './neutron-client.js';
import type { FaultBook } from '../../common/faults.js';
import type { NeutronClientException } from '../errors.js';
import { ensureNoBindingFailure, mapCreatePortError, mapShowPortError, mapUpdatePortError, withMessage } from './neutron-errors.js';
import { type NwInfoSources, buildVif, physnetTunneled } from './nw-info.js';

export interface AllocateOptions {
  /** [] means "all networks available to the project" (exactly one, else NetworkAmbiguous). */
  requestedNetworks: NetworkRequest[];
  /** Names or ids; [] (or ['default']) = neutron's default group. */
  securityGroups: string[];
  /** The compute host: binding:host_id. */
  bindHostId: string;
  /** available_macs from the driver (null = any). */
  macs?: string[] | null;
  dhcpOptions?: { opt_name: string; opt_value: string }[] | null;
  /** device_owner compute:<az>. */
  availabilityZone: string;
}

export interface NeutronAPIDeps {
  cfg: Config;
  log: Logger;
  /** Keystone's …/v3 URL, for the admin client's session. */
  authUrl: string;
  /** The [neutron] service session; one is made for user `neutron` when not given. */
  session?: ServiceSession;
  clock?: Clock;
  /** Fault injection: neutron-call-fail faults make matching calls fail before they are sent. */
  faults?: FaultBook;
  /** Records every neutron call (method, path, status, duration) for `nimbus trace`. */
  trace?: TraceRecorder;
}

/** What neutron answers for an unexpected failure (neutron's FaultWrapper). */
const INTERNAL_ERROR = 'Request Failed: internal server error while processing your request.';

/** The error an injected neutron-call-fail makes a call of `call` fail with, when one is due. */
function injectedNeutronError(faults: FaultBook, call: string): NeutronClientException | undefined {
  const f = faults.take('neutron-call-fail', { match: (p) => p.call === call });
  if (!f) return undefined;
  const status = typeof f.params.status === 'number' ? f.params.status : 500;
  const type = typeof f.params.error === 'string' ? f.params.error : 'HTTPInternalServerError';
  const message = type === 'HTTPInternalServerError' ? INTERNAL_ERROR : `Injected fault ${f.id}: ${type} on ${call}.`;
  return clientException(status, { NeutronError: { type, message, detail: '' } });
}

/** nova.conf [neutron] extension_sync_interval: how long the extension list is trusted. */
const EXTENSION_SYNC_INTERVAL_MS = 600_000;
/** binding:profile keys _unbind_ports removes (the host-side details of a binding). */
const PROFILE_KEYS_CLEARED_ON_UNBIND = ['pci_vendor_info', 'pci_slot', 'allocation', 'arq_uuid', 'physical_network', 'card_serial_number', 'vf_num', 'pf_mac_address', 'device_mac_address'];

/** NetworkRequestList.no_allocate: networks "none" (2.37+). */
function isNoAllocate(requested: NetworkRequest[]): boolean {
  return requested.length === 1 && requested[0]!.networkId === 'none';
}
/** NetworkRequestList.auto_allocate: networks "auto" (2.37+). */
function isAutoAllocate(requested: NetworkRequest[]): boolean {
  return requested.length === 1 && requested[0]!.networkId === 'auto';
}
/** NetworkRequestList.is_single_unspecified: one request naming nothing. */
function isSingleUnspecified(requested: NetworkRequest[]): boolean {
  const r = requested[0];
  return requested.length === 1 && !r!.networkId && !r!.portId && !r!.address && !r!.tag;
}

function unique<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

/** A network request once its port (if any) has been read: the network it lands on is known. */
interface OrderedRequest {
  networkId: string;
  portId: string | null;
  address: string | null;
}

/** What allocateForInstance made or changed so far: exactly what its rollback undoes. */
interface AllocationTrail {
  /** Ports POSTed for the instance: deleted on failure. */
  created: string[];
  /** The user's ports a PUT changed: unbound on failure. */
  bound: string[];
}

/** nova's neutron API class. */
export class NeutronAPI {
  readonly #session: ServiceSession;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #faults: FaultBook | undefined;
  readonly #trace: TraceRecorder | undefined;
  #extensions: { at: number; aliases: Set<string> } | null = null;

  constructor(deps: NeutronAPIDeps) {
    this.#log = deps.log;
    this.#clock = deps.clock ?? systemClock;
    this.#faults = deps.faults;
    this.#trace = deps.trace;
    this.#session =
      deps.session ??
      new ServiceSession({ authUrl: deps.authUrl, username: 'neutron', password: servicePassword(deps.cfg, 'neutron'), projectName: 'service', region: deps.cfg.DEFAULT.region });
  }

  /**
   * nova's get_client: the user's token, or the admin client (also for an admin context
   * without a token, as nova's _get_auth_plugin). No token and no admin: Unauthorized.
   */
  #client(ctx: NovaContext, admin: boolean, traced = true): NeutronClient {
    const useAdmin = admin || (ctx.isAdmin && !ctx.authToken);
    if (!useAdmin && !ctx.authToken) throw new Unauthorized();
    const session = this.#session;
    return new NeutronClient({
      endpoint: () => session.endpoint('network'),
      token: useAdmin ? () => session.token() : async () => ctx.authToken,
      invalidate: useAdmin
        ? () => {
            session.invalidate();
            return true;
          }
        : undefined,
      admin: useAdmin || ctx.isAdmin,
      requestId: ctx.requestId,
      log: this.#log,
      ...(this.#faults ? { injected: (call: string) => injectedNeutronError(this.#faults!, call) } : {}),
      ...(traced && this.#trace?.enabled ? { trace: { recorder: this.#trace, scope: { requestId: ctx.requestId, parentId: ctx.spanId ?? null } } } : {}),
    });
  }

  /** nova's get_client(context, admin) for the API's network proxies (os-security-groups, os-floating-ips ...); `traced` false keeps a call out of the traces (the operator API reading them). */
  client(ctx: NovaContext, admin = false, traced = true): NeutronClient {
    return this.#client(ctx, admin, traced);
  }

  #instanceLog(ctx: NovaContext, instance: Instance): Logger {
    return this.#log.child({ instance: instance.uuid, req: ctx.requestId });
  }

  async #hasExtension(client: NeutronClient, alias: string): Promise<boolean> {
    const now = this.#clock.now();
    if (!this.#extensions || now - this.#extensions.at >= EXTENSION_SYNC_INTERVAL_MS) {
      this.#extensions = { at: now, aliases: new Set((await client.listExtensions()).map((e) => e.alias)) };
    }
    return this.#extensions.aliases.has(alias);
  }

  /** A neutron client with the user's token (nova's get_client(context)), for modules that speak to neutron themselves. */
  userClient(ctx: NovaContext): NeutronClient {
    return this.#client(ctx, false);
  }

  /** GET a port as the user; PortNotFound when absent or invisible. */
  async showPort(ctx: NovaContext, portId: string): Promise<Record<string, unknown>> {
    return this.#showPort(this.#client(ctx, false), portId);
  }

  /**
   * security_group_api.validate_name (the boot's _check_requested_secgroups): neutronclient's
   * find_resourceid_by_name_or_id — an id the user sees, else a name in the project. None:
   * SecurityGroupNotFound with neutronclient's text; several: NoUniqueMatch.
   */
  async validateSecurityGroupName(ctx: NovaContext, name: string): Promise<string> {
    const client = this.#client(ctx, false);
    if (/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(name)) {
      const byId = await client.listSecurityGroups({ fields: ['id'], id: name });
      if (byId.length === 1) return byId[0]!.id;
    }
    const byName = await client.listSecurityGroups({ fields: ['id'], name, tenant_id: ctx.projectId });
    if (byName.length > 1) throw new NoUniqueMatch(`Multiple security_group matches found for name '${name}', use an ID to be more specific.`);
    if (byName.length === 0) throw new SecurityGroupNotFound(name, `Unable to find security_group with name or id '${name}'`);
    return byName[0]!.id;
  }

  /** has_substr_port_filtering_extension: does neutron filter fixed IPs by substring? */
  async hasSubstrPortFilteringExtension(ctx: NovaContext): Promise<boolean> {
    return this.#hasExtension(this.#client(ctx, false), 'ip-substring-filtering');
  }

  /**
   * compute/api.py _ip_filter_using_neutron: the device ids of the ports the user sees
   * whose fixed IPs contain each given address; a failing lookup is logged and skipped.
   */
  async instanceUuidsByIpSubstr(ctx: NovaContext, addresses: (string | undefined)[]): Promise<string[]> {
    const uuids: string[] = [];
    for (const address of addresses) {
      if (!address) continue;
      try {
        const ports = await this.#client(ctx, false).listPorts({ fixed_ips: [`ip_address_substr=${address}`], fields: ['device_id'] });
        for (const p of ports) uuids.push(p.device_id as string);
      } catch (e) {
        this.#log.error(`An error occurred while listing ports with an ip_address filter value of "${address}". Error: ${(e as Error).message}`);
      }
    }
    return uuids;
  }

  /** nova's list_ports: the ports the user sees matching the filters (e.g. device_id for os-interface). */
  async listPorts(ctx: NovaContext, query: Query = {}): Promise<Record<string, unknown>[]> {
    return this.#client(ctx, false).listPorts(query);
  }

  async #showPort(client: NeutronClient, portId: string, fields?: string[]): Promise<PortDict> {
    try {
      return await client.showPort(portId, fields);
    } catch (e) {
      throw mapShowPortError(e, portId);
    }
  }

  /**
   * nova's _get_available_networks: the requested ones (in request order), or the
   * project's own unshared networks then every shared one.
   */
  async #availableNetworks(client: NeutronClient, projectId: string, netIds: string[] = [], autoAllocate = false): Promise<NetworkDict[]> {
    if (netIds.length > 0) {
      const nets = await client.listNetworks({ id: netIds });
      return nets.sort((a, b) => netIds.indexOf(a.id) - netIds.indexOf(b.id));
    }
    const own = await client.listNetworks({ tenant_id: projectId, shared: false, admin_state_up: autoAllocate ? true : undefined });
    return [...own, ...(await client.listNetworks({ shared: true }))];
  }

  // --- API side --------------------------------------------------------------------

  /**
   * nova's validate_networks (the API's boot check): the networks exist and have subnets,
   * the ports exist, are free and have an IP, requested fixed IPs are free; then the port
   * quota. Returns how many of maxCount instances the port quota allows.
   */
  async validateNetworks(ctx: NovaContext, requested: NetworkRequest[], maxCount: number): Promise<number> {
    this.#log.debug({ req: ctx.requestId }, 'validate_networks() for %s', JSON.stringify(requested));
    if (isNoAllocate(requested)) return maxCount;
    const neutron = this.#client(ctx, false);
    const perInstance = await this.#portsNeededPerInstance(ctx, neutron, requested);
    if (perInstance === 0) return maxCount;
    const quota = await neutron.showQuota(ctx.projectId);
    const limit = quota['port'] ?? -1;
    if (limit === -1) return maxCount;
    const ports = await neutron.listPorts({ tenant_id: ctx.projectId, fields: ['id'] });
    const free = limit - ports.length;
    if (free < 0) throw withMessage(new PortLimitExceeded(), `The number of defined ports: ${ports.length} is over the limit: ${limit}`);
    return free >= perInstance * maxCount ? maxCount : Math.floor(free / perInstance);
  }

  async #portsNeededPerInstance(ctx: NovaContext, neutron: NeutronClient, requested: NetworkRequest[]): Promise<number> {
    if (requested.length === 0 || isAutoAllocate(requested) || isSingleUnspecified(requested)) {
      const nets = await this.#availableNetworks(neutron, ctx.projectId);
      if (nets.length > 1) throw withMessage(new NetworkAmbiguous(), 'Multiple possible networks found, use a Network ID to be more specific.');
      // Nimbus's neutron has no auto-allocated-topology: "auto" with nothing to use cannot work.
      if (nets.length === 0 && isAutoAllocate(requested)) throw new UnableToAutoAllocateNetwork(ctx.projectId);
      return 1;
    }
    let needed = 0;
    const netIds: string[] = [];
    for (const r of requested) {
      if (r.portId) {
        const port = await this.#showPort(neutron, r.portId);
        if (port.device_id) throw new PortInUse(r.portId);
        const allocation = port['ip_allocation'];
        if (allocation !== 'deferred' && allocation !== 'none' && port.fixed_ips.length === 0) throw new PortRequiresFixedIP(r.portId);
        continue;
      }
      needed++;
      if (r.networkId) netIds.push(r.networkId);
      if (r.address && r.networkId) {
        const existing = await neutron.listPorts({ network_id: r.networkId, fixed_ips: `ip_address=${r.address}`, fields: 'device_id' });
        if (existing.length > 0) throw new FixedIpAlreadyInUse(r.address, existing[0]!.device_id);
      }
    }
    if (netIds.length > 0) {
      const nets = await this.#availableNetworks(neutron, ctx.projectId, netIds);
      for (const n of nets) if (!n.subnets?.length) throw new NetworkRequiresSubnet(n.id);
      const found = new Set(nets.map((n) => n.id));
      const lost = unique(netIds).filter((id) => !found.has(id));
      if (lost.length > 0) throw new NetworkNotFound(lost.join(', '));
    }
    return needed;
  }

  // --- compute side: allocate ------------------------------------------------------

  /**
   * nova's allocate_for_instance: check the requested ports and networks, resolve the
   * security groups, create the missing ports as the user, bind every port to
   * bindHostId as admin, and return the model of the ports handled in this call.
   * On any failure the ports created here are deleted and the user's ports bound here are
   * unbound before the error propagates.
   */
  async allocateForInstance(ctx: NovaContext, instance: Instance, opts: AllocateOptions): Promise<NetworkInfo> {
    const log = this.#instanceLog(ctx, instance);
    log.debug('allocate_for_instance()');
    if (!instance.projectId) throw new InvalidInput(`empty project id for instance ${instance.uuid}`);
    const requested = opts.requestedNetworks;
    if (isNoAllocate(requested)) return [];
    const neutron = this.#client(ctx, false);
    // nova reads the requested ports with the admin client so that binding:profile (and
    // resource_request) come back (bug 1849657).
    const admin = this.#client(ctx, true);

    const { ports: requestedPorts, ordered } = await this.#validateRequestedPortIds(admin, instance, requested, opts.macs ?? null);
    const nets = await this.#validateRequestedNetworkIds(ctx, neutron, instance, requested, ordered);
    if (nets.size === 0) {
      log.debug('No network configured');
      return [];
    }
    const sgIds = await this.#processSecurityGroups(neutron, instance, opts.securityGroups);

    const trail: AllocationTrail = { created: [], bound: [] };
    try {
      const pairs = await this.#createPortsForInstance(neutron, instance, ordered, nets, sgIds, opts, requestedPorts, trail, log);
      const { orderedNets, portIds, preexisting } = await this.#updatePortsForInstance(admin, instance, pairs, nets, requestedPorts, opts, trail, log);
      return await this.#buildNwInfo(admin, instance, portIds, orderedNets, false, new Set(preexisting), log);
    } catch (e) {
      await this.#unbindPorts(neutron, admin, trail.bound, log);
      await this.#deletePorts(neutron, trail.created, log, false);
      throw e;
    }
  }

  /**
   * nova's _validate_requested_port_ids: each requested port must be the instance's
   * project's (PortNotUsable), free (PortInUse), not binding_failed (PortBindingFailed)
   * and, with driver MACs, have one of them (PortNotUsable); its network becomes the
   * request's.
   */
  async #validateRequestedPortIds(
    admin: NeutronClient,
    instance: Instance,
    requested: NetworkRequest[],
    macs: string[] | null,
  ): Promise<{ ports: Map<string, PortDict>; ordered: OrderedRequest[] }> {
    const ports = new Map<string, PortDict>();
    const ordered: OrderedRequest[] = [];
    if (isAutoAllocate(requested)) return { ports, ordered };
    for (const r of requested) {
      let networkId = r.networkId ?? null;
      if (r.portId) {
        const port = await this.#showPort(admin, r.portId);
        if (port.tenant_id !== instance.projectId) throw new PortNotUsable(r.portId, instance.uuid);
        if (port.device_id) throw new PortInUse(r.portId);
        ensureNoBindingFailure(port);
        if (macs && !macs.includes(port.mac_address)) throw new PortNotUsable(r.portId, instance.uuid);
        networkId = port.network_id;
        ports.set(r.portId, port);
      }
      if (networkId) ordered.push({ networkId, portId: r.portId ?? null, address: r.address ?? null });
    }
    return { ports, ordered };
  }

  /**
   * nova's _validate_requested_network_ids: the networks to use, by id. Nothing requested:
   * the only available network (NetworkAmbiguous with several, none at all: no network).
   * Non-admins may not use an external network that is not shared.
   */
  async #validateRequestedNetworkIds(
    ctx: NovaContext,
    neutron: NeutronClient,
    instance: Instance,
    requested: NetworkRequest[],
    ordered: OrderedRequest[],
  ): Promise<Map<string, NetworkDict>> {
    const auto = isAutoAllocate(requested);
    const nets = await this.#availableNetworks(
      neutron,
      instance.projectId,
      ordered.map((o) => o.networkId),
      auto,
    );
    if (nets.length === 0) {
      if (requested.length === 0) return new Map();
      if (auto) throw new UnableToAutoAllocateNetwork(instance.projectId);
      for (const r of requested) {
        if (!r.portId && r.networkId) {
          // Real Zed's attach meets the missing network earlier, in create_resource_requests'
          // show_network, whose NetworkNotFoundClient no handler maps: a 500 (transcript 47).
          // Nimbus never answers client input with a 5xx, so an attach gets NetworkNotFound
          // too, which attach_interfaces maps to 404 and boot to 400.
          throw new NetworkNotFound(r.networkId);
        }
      }
    }
    if (requested.length === 0 || isSingleUnspecified(requested) || auto) {
      if (nets.length === 0) throw new InterfaceAttachFailedNoNetwork(instance.projectId);
      if (nets.length > 1) throw withMessage(new NetworkAmbiguous(), 'Multiple possible networks found, use a Network ID to be more specific.');
      ordered.push({ networkId: nets[0]!.id, portId: null, address: null });
    }
    // network:attach_external_network is admin-only by default; checked after the
    // ambiguity check (bug 1364344), on every available network.
    if (!ctx.isAdmin) {
      for (const n of nets) if (n['router:external'] && !n.shared) throw new ExternalNetworkAttachForbidden(n.id);
    }
    return new Map(nets.map((n) => [n.id, n]));
  }

  /**
   * nova's _process_security_groups: names or ids among the project's groups. A name
   * matching two groups is NoUniqueMatch, an unknown one SecurityGroupNotFound; a name
   * wins over another group's id. [] and ['default'] send none (neutron applies default).
   */
  async #processSecurityGroups(neutron: NeutronClient, instance: Instance, requested: string[]): Promise<string[]> {
    const wanted = requested.length === 1 && requested[0] === 'default' ? [] : requested;
    if (wanted.length === 0) return [];
    const groups = await neutron.listSecurityGroups({ fields: ['id', 'name'], tenant_id: instance.projectId });
    return wanted.map((sg) => {
      let byName: string | null = null;
      let byId: string | null = null;
      for (const g of groups) {
        if (g.name === sg) {
          if (byName) throw new NoUniqueMatch(`Multiple security groups found matching '${sg}'. Use an ID to be more specific.`);
          byName = g.id;
        }
        if (g.id === sg) byId = g.id;
      }
      const id = byName ?? byId;
      if (!id) throw new SecurityGroupNotFound(sg);
      return id;
    });
  }

  /**
   * nova's _create_ports_for_instance: a network with port security needs a subnet, one
   * without it takes no security groups (SecurityGroupCannotBeApplied); a port is created
   * as the user for every request without one.
   */
  async #createPortsForInstance(
    neutron: NeutronClient,
    instance: Instance,
    ordered: OrderedRequest[],
    nets: Map<string, NetworkDict>,
    sgIds: string[],
    opts: AllocateOptions,
    requestedPorts: Map<string, PortDict>,
    trail: AllocationTrail,
    log: Logger,
  ): Promise<{ req: OrderedRequest; createdId: string | null }[]> {
    // The driver's MACs left once the given ports' own are set aside (nova's available_macs).
    const taken = new Set([...requestedPorts.values()].map((p) => p.mac_address));
    const available = opts.macs ? unique(opts.macs).filter((m) => !taken.has(m)) : null;
    const pairs: { req: OrderedRequest; createdId: string | null }[] = [];
    for (const req of ordered) {
      const network = nets.get(req.networkId);
      if (!network) continue;
      if (network.port_security_enabled ?? true) {
        if (!network.subnets?.length) {
          log.debug('Network with port security enabled does not have subnets so security groups cannot be applied: %s', JSON.stringify(network));
          throw new SecurityGroupCannotBeApplied();
        }
      } else if (sgIds.length > 0) {
        log.debug('Network has port security disabled so security groups cannot be applied: %s', JSON.stringify(network));
        throw new SecurityGroupCannotBeApplied();
      }
      let createdId: string | null = null;
      if (!req.portId) {
        const port = await this.#createPortMinimal(neutron, instance, req, sgIds, available, opts.dhcpOptions ?? null, log);
        createdId = port.id;
        trail.created.push(port.id);
      }
      pairs.push({ req, createdId });
    }
    return pairs;
  }

  /**
   * nova's _create_port_minimal: POST /ports as the user with device_id (so nobody else
   * takes it), the fixed IP, network, tenant and security groups — plus, as nova did
   * while drivers supplied them, a MAC from the driver's (PortNotFree when none is left)
   * and extra_dhcp_opts. neutron's errors map to nova's; a port that came back
   * binding_failed is deleted and PortBindingFailed raised.
   */
  async #createPortMinimal(
    neutron: NeutronClient,
    instance: Instance,
    req: OrderedRequest,
    sgIds: string[],
    available: string[] | null,
    dhcpOptions: { opt_name: string; opt_value: string }[] | null,
    log: Logger,
  ): Promise<PortDict> {
    const body: Record<string, unknown> = { device_id: instance.uuid };
    if (req.address) body['fixed_ips'] = [{ ip_address: req.address }];
    body['network_id'] = req.networkId;
    body['admin_state_up'] = true;
    body['tenant_id'] = instance.projectId;
    if (sgIds.length > 0) body['security_groups'] = sgIds;
    let mac: string | null = null;
    if (available) {
      mac = available.shift() ?? null;
      if (!mac) throw new PortNotFree(instance.uuid);
      body['mac_address'] = mac;
    }
    if (dhcpOptions) body['extra_dhcp_opts'] = dhcpOptions;
    let port: PortDict;
    try {
      port = await neutron.createPort(body);
    } catch (e) {
      const mapped = mapCreatePortError(e, { networkId: req.networkId, fixedIp: req.address, tenantId: instance.projectId, mac });
      if (mapped.warning) log.warn(mapped.warning);
      else log.error({ err: e }, 'Neutron error creating port on network %s', req.networkId);
      throw mapped.error;
    }
    if (port['binding:vif_type'] === VIF_TYPE_BINDING_FAILED) {
      await neutron.deletePort(port.id);
      ensureNoBindingFailure(port);
    }
    log.debug('Successfully created port: %s', port.id);
    return port;
  }

  /**
   * nova's _update_ports_for_instance: PUT each port as admin with device_id,
   * device_owner compute:<az>, the given port's binding:profile and binding:host_id, in
   * request order. A port neutron could not bind is PortBindingFailed.
   */
  async #updatePortsForInstance(
    admin: NeutronClient,
    instance: Instance,
    pairs: { req: OrderedRequest; createdId: string | null }[],
    nets: Map<string, NetworkDict>,
    requestedPorts: Map<string, PortDict>,
    opts: AllocateOptions,
    trail: AllocationTrail,
    log: Logger,
  ): Promise<{ orderedNets: NetworkDict[]; portIds: string[]; preexisting: string[] }> {
    const orderedNets: NetworkDict[] = [];
    const portIds: string[] = [];
    const preexisting: string[] = [];
    for (const { req, createdId } of pairs) {
      const network = nets.get(req.networkId);
      if (!network) continue;
      orderedNets.push(network);
      const body: Record<string, unknown> = { device_id: instance.uuid, device_owner: `compute:${opts.availabilityZone}` };
      const profile = req.portId ? requestedPorts.get(req.portId)?.['binding:profile'] : null;
      if (profile && Object.keys(profile).length > 0) body['binding:profile'] = profile;
      body['binding:host_id'] = opts.bindHostId;
      const portId = createdId ?? req.portId!;
      portIds.push(portId);
      let port: PortDict;
      try {
        port = await admin.updatePort(portId, body);
      } catch (e) {
        const mapped = mapUpdatePortError(e, { portId, mac: body['mac_address'] as string | undefined, networkId: req.networkId });
        if (mapped.warning) log.warn(mapped.warning);
        throw mapped.error;
      }
      // nova unbinds only the user's ports updated successfully and leaves one that failed
      // to bind to the manager's cleanup; here every user port the PUT changed is undone.
      if (!createdId) trail.bound.push(portId);
      ensureNoBindingFailure(port);
      log.debug('Successfully updated port: %s', portId);
      if (!createdId) preexisting.push(portId);
    }
    return { orderedNets, portIds, preexisting };
  }

  // --- compute side: the model -----------------------------------------------------

  /**
   * The model of the instance's ports `portIds`, in that order (nova's
   * _build_network_info_model): the ports by device_id as admin, then their floating IPs,
   * subnets, the DHCP ports of those subnets and the networks' provider data, one list
   * each. `networks` are the ports' networks; when they are an admin's full view their
   * provider attributes are used as they are.
   */
  async #buildNwInfo(
    admin: NeutronClient,
    instance: Instance,
    portIds: string[],
    networks: NetworkDict[],
    networksAdminView: boolean,
    preexisting: Set<string>,
    log: Logger,
    current?: PortDict[],
  ): Promise<NetworkInfo> {
    const ports = current ?? (await admin.listPorts({ tenant_id: instance.projectId, device_id: instance.uuid }));
    const byId = new Map(ports.map((p) => [p.id, p]));
    const chosen = portIds.map((id) => byId.get(id)).filter((p): p is PortDict => p !== undefined);
    if (chosen.length === 0) return [];
    const src = await this.#readSources(admin, chosen, networks, networksAdminView);
    const warn = (msg: string) => log.warn(msg);
    return chosen.map((p) => buildVif(p, src, preexisting.has(p.id), warn));
  }

  async #readSources(admin: NeutronClient, ports: PortDict[], networks: NetworkDict[], networksAdminView: boolean): Promise<NwInfoSources> {
    const withIps = ports.filter((p) => p.fixed_ips.length > 0);
    let floatingIps: NwInfoSources['floatingIps'] = [];
    if (withIps.length > 0) {
      try {
        floatingIps = await admin.listFloatingIps({ port_id: withIps.map((p) => p.id) });
      } catch (e) {
        // nova's _safe_get_floating_ips: a neutron without the L3 API answers 404.
        if (!hasStatus(e, 404)) throw e;
      }
    }
    const subnetIds = unique(withIps.flatMap((p) => p.fixed_ips.map((f) => f.subnet_id)));
    const subnets = subnetIds.length > 0 ? await admin.listSubnets({ id: subnetIds }) : [];
    const dhcpNets = unique(subnets.map((s) => s.network_id));
    const dhcpPorts = dhcpNets.length > 0 ? await admin.listPorts({ network_id: dhcpNets, device_owner: 'network:dhcp' }) : [];
    const netIds = unique(ports.map((p) => p.network_id));
    const provider = networksAdminView
      ? networks
      : await admin.listNetworks({ id: netIds, fields: ['id', 'segments', 'provider:physical_network', 'provider:network_type'] });
    const providers = new Map(
      netIds.map((id) => [
        id,
        physnetTunneled(
          provider.find((n) => n.id === id),
          id,
        ),
      ]),
    );
    return { networks, subnets, dhcpPorts, floatingIps, providers };
  }

  /**
   * get_instance_nw_info: the instance's model rebuilt from neutron. Ports keep the order
   * of `previous` (the info cache); ports neutron has for the instance beyond it follow,
   * and cached ones neutron no longer has are dropped. preserve_on_delete comes from
   * `previous`.
   */
  async getInstanceNwInfo(ctx: NovaContext, instance: Instance, previous?: NetworkInfo): Promise<NetworkInfo> {
    const log = this.#instanceLog(ctx, instance);
    log.debug('Building network info cache for instance');
    if (!previous || previous.length === 0) log.debug('Instance cache missing network info.');
    const admin = this.#client(ctx, true);
    const ports = await admin.listPorts({ tenant_id: instance.projectId, device_id: instance.uuid });
    const byId = new Map(ports.map((p) => [p.id, p]));
    const cached = (previous ?? []).map((v) => v.id);
    for (const id of cached) {
      if (!byId.has(id)) log.info('Port %s from network info_cache is no longer associated with instance in Neutron. Removing from network info_cache.', id);
    }
    const order = [...cached.filter((id) => byId.has(id)), ...ports.map((p) => p.id).filter((id) => !cached.includes(id))];
    if (order.length === 0) return [];
    const netIds = unique(order.map((id) => byId.get(id)!.network_id));
    const networks = await admin.listNetworks({ id: netIds });
    const preexisting = new Set((previous ?? []).filter((v) => v.preserve_on_delete).map((v) => v.id));
    return this.#buildNwInfo(admin, instance, order, networks, true, preexisting, log, ports);
  }

  // --- compute side: deallocate ----------------------------------------------------

  /**
   * deallocate_for_instance: unbind the user's ports (preserve_on_delete in nwInfo, and
   * requestedNetworks' ports after a failed build) and delete the instance's other ports.
   * Ports already gone are fine; a delete that fails otherwise is raised after the rest.
   */
  async deallocateForInstance(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo, extra: { requestedNetworks?: NetworkRequest[] } = {}): Promise<void> {
    const log = this.#instanceLog(ctx, instance);
    log.debug('deallocate_for_instance()');
    const neutron = this.#client(ctx, false);
    const ports = await neutron.listPorts({ device_id: instance.uuid });
    if (nwInfo.length === 0) log.debug('Instance cache missing network info.');
    const skip = unique([
      ...(extra.requestedNetworks ?? []).map((r) => r.portId).filter((id): id is string => !!id),
      ...nwInfo.filter((v) => v.preserve_on_delete).map((v) => v.id),
    ]);
    const toDelete = ports.map((p) => p.id).filter((id) => !skip.includes(id));
    if (skip.length > 0) await this.#unbindPorts(neutron, this.#client(ctx, true), skip, log);
    await this.#deletePorts(neutron, toDelete, log, true);
  }

  /**
   * deallocate_port_for_instance (interface detach): unbind the port if the user gave it,
   * else delete it; returns the instance's remaining model.
   */
  async deallocatePortForInstance(ctx: NovaContext, instance: Instance, portId: string, nwInfo: NetworkInfo): Promise<NetworkInfo> {
    const log = this.#instanceLog(ctx, instance);
    const neutron = this.#client(ctx, false);
    const preexisting = nwInfo.some((v) => v.id === portId && v.preserve_on_delete);
    if (preexisting) await this.#unbindPorts(neutron, this.#client(ctx, true), [portId], log);
    else await this.#deletePorts(neutron, [portId], log, true);
    return this.getInstanceNwInfo(ctx, instance, nwInfo);
  }

  /**
   * nova's _unbind_ports: read each port's binding:profile as the user, then as admin
   * clear device_id, device_owner and binding:host_id and drop the host-side keys of the
   * profile. A port already gone is skipped; other failures are logged, never raised.
   * (nova also resets dns_name with dns-integration; Nimbus's neutron has none.)
   */
  async #unbindPorts(neutron: NeutronClient, admin: NeutronClient, portIds: string[], log: Logger): Promise<void> {
    for (const portId of portIds) {
      log.debug('Unbinding port %s', portId);
      let profile: Record<string, unknown> = {};
      try {
        const port = await this.#showPort(neutron, portId, ['binding:profile', 'network_id']);
        profile = { ...(port['binding:profile'] ?? {}) };
      } catch (e) {
        if (e instanceof PortNotFound) {
          log.debug('Unable to show port %s as it no longer exists.', portId);
          continue;
        }
        log.error({ err: e }, "Unable to get binding:profile for port '%s'", portId);
      }
      for (const k of PROFILE_KEYS_CLEARED_ON_UNBIND) delete profile[k];
      try {
        await admin.updatePort(portId, { device_id: '', device_owner: '', 'binding:host_id': null, 'binding:profile': profile });
      } catch (e) {
        if (isNeutronError(e, 'PortNotFound')) log.debug('Unable to unbind port %s as it no longer exists.', portId);
        else log.error({ err: e }, "Unable to clear device ID for port '%s'", portId);
      }
    }
  }

  /** nova's _delete_ports: as the user; a 404 is only a warning; with raiseIfFail the first other failure is raised at the end. */
  async #deletePorts(neutron: NeutronClient, portIds: string[], log: Logger, raiseIfFail: boolean): Promise<void> {
    const failures: unknown[] = [];
    for (const portId of portIds) {
      try {
        await neutron.deletePort(portId);
      } catch (e) {
        if (hasStatus(e, 404)) {
          log.warn('Port %s does not exist', portId);
        } else {
          failures.push(e);
          log.warn({ err: e }, 'Failed to delete port %s for instance.', portId);
        }
      }
    }
    if (failures.length > 0 && raiseIfFail) throw failures[0];
  }

  // --- compute side: host changes --------------------------------------------------

  /**
   * setup_instance_network_on_host (nova's _update_port_binding_for_instance): every
   * port of the instance not bound to `host` — or unbound, or binding_failed — gets
   * binding:host_id = host and device_owner compute:<az> (the AZ may differ on another
   * host), as admin. `availabilityZone` is the host's zone (default: the instance's, else nova).
   */
  async setupInstanceNetworkOnHost(ctx: NovaContext, instance: Instance, host: string, availabilityZone?: string): Promise<void> {
    const log = this.#instanceLog(ctx, instance);
    const admin = this.#client(ctx, true);
    const ports = await admin.listPorts({ device_id: instance.uuid, tenant_id: instance.projectId });
    const updates: [string, Record<string, unknown>][] = [];
    for (const p of ports) {
      const vifType = p['binding:vif_type'];
      if (p['binding:host_id'] === host && vifType !== VIF_TYPE_UNBOUND && vifType !== VIF_TYPE_BINDING_FAILED) continue;
      const u: Record<string, unknown> = { 'binding:host_id': host, device_owner: `compute:${availabilityZone ?? instance.availabilityZone ?? 'nova'}` };
      const profile = p['binding:profile'] ?? {};
      if (profile['migrating_to']) {
        const { migrating_to: _drop, ...rest } = profile;
        u['binding:profile'] = rest;
      }
      updates.push([p.id, u]);
    }
    for (const [portId, u] of updates) {
      log.info('Updating port %s with attributes %s', portId, JSON.stringify(u));
      try {
        await admin.updatePort(portId, u);
      } catch (e) {
        log.error({ err: e }, 'Unable to update binding details for port %s', portId);
        throw e;
      }
    }
  }

  /**
   * setup_networks_on_host. With a `host` other than instance.host (a move under way) each
   * port still bound to instance.host gets binding:profile migrating_to=<host>, unless it
   * already says so. With `teardown` the migrating_to key is removed again, and with a
   * host other than instance.host and neutron's binding-extended, that host's port
   * bindings are deleted. nova lists the ports with the user's token; here the admin
   * client reads them, since filtering on binding:host_id is an admin attribute.
   */
  async setupNetworksOnHost(ctx: NovaContext, instance: Instance, host: string | null, teardown: boolean): Promise<void> {
    const portMigrating = host !== null && instance.host !== host;
    if (!portMigrating && !teardown) return;
    const log = this.#instanceLog(ctx, instance);
    const admin = this.#client(ctx, true);
    const ports = await admin.listPorts({ device_id: instance.uuid, tenant_id: instance.projectId, 'binding:host_id': instance.host ?? '' });
    if (teardown) {
      // _clear_migration_port_profile
      for (const p of ports) {
        const profile = { ...(p['binding:profile'] ?? {}) };
        if (!('migrating_to' in profile)) continue;
        delete profile['migrating_to'];
        log.debug('Removing port %s migration profile', p.id);
        await admin.updatePort(p.id, { 'binding:profile': profile });
      }
      if (portMigrating && (await this.#hasExtension(admin, 'binding-extended'))) {
        const failed: string[] = [];
        for (const p of ports) {
          await admin.deletePortBinding(p.id, host).catch((e: unknown) => {
            if (!hasStatus(e, 404)) failed.push(p.id);
          });
        }
        if (failed.length > 0) throw new PortBindingDeletionFailed(failed.join(','), host);
      }
      return;
    }
    // _setup_migration_port_profile
    for (const p of ports) {
      if (p['binding:host_id'] === host) continue;
      const profile = { ...(p['binding:profile'] ?? {}) };
      if (profile['migrating_to'] === host) continue;
      profile['migrating_to'] = host;
      await admin.updatePort(p.id, { 'binding:profile': profile });
      log.debug('Port %s updated with migration profile %s successfully', p.id, JSON.stringify(profile));
    }
  }

  /** has_port_binding_extension: neutron offers binding-extended (multiple port bindings). */
  async hasPortBindingExtension(ctx: NovaContext): Promise<boolean> {
    return this.#hasExtension(this.#client(ctx, true), 'binding-extended');
  }

  /**
   * bind_ports_to_host (live migration's conductor): an INACTIVE binding on `host` for
   * each port in `nwInfo` (its vnic_type and profile), as admin. When one fails the
   * bindings made here are deleted (404s ignored) and PortBindingFailed names the port.
   * Returns the new bindings by port id.
   */
  async bindPortsToHost(ctx: NovaContext, instance: Instance, nwInfo: NetworkInfo, host: string): Promise<Record<string, Record<string, unknown>>> {
    const log = this.#instanceLog(ctx, instance);
    if (nwInfo.length === 0) {
      log.debug('Instance does not have any ports.');
      return {};
    }
    const admin = this.#client(ctx, true);
    const made: Record<string, Record<string, unknown>> = {};
    for (const vif of nwInfo) {
      try {
        made[vif.id] = await admin.createPortBinding(vif.id, { host, vnic_type: vif.vnic_type, profile: vif.profile ?? {} });
      } catch (e) {
        log.error({ err: (e as Error).message }, 'Binding failed for port %s and host %s.', vif.id, host);
        for (const portId of Object.keys(made)) {
          await admin.deletePortBinding(portId, host).catch((err: unknown) => {
            if (!hasStatus(err, 404)) log.warn('Failed to remove binding for port %s on host %s.', portId, host);
          });
        }
        throw new PortBindingFailed(vif.id);
      }
    }
    return made;
  }

  /**
   * migrate_instance_start: with binding-extended, each port of the instance that has an
   * INACTIVE binding on `destCompute` (made by a live migration's conductor) gets it
   * activated. A cold move made none (404): its binding moves in migrate_instance_finish.
   * An activation refused as already active (409) is only logged, as nova does.
   */
  async migrateInstanceStart(ctx: NovaContext, instance: Instance, destCompute: string): Promise<void> {
    const log = this.#instanceLog(ctx, instance);
    const admin = this.#client(ctx, true);
    if (!(await this.#hasExtension(admin, 'binding-extended'))) {
      log.debug('Neutron is not new enough to perform early destination host port binding activation. Port bindings will be updated later.');
      return;
    }
    const ports = await admin.listPorts({ device_id: instance.uuid, tenant_id: instance.projectId, fields: ['id'] });
    for (const p of ports) {
      let binding: Record<string, unknown>;
      try {
        binding = await admin.showPortBinding(p.id, destCompute);
      } catch (e) {
        if (!hasStatus(e, 404)) log.warn({ err: (e as Error).message }, 'Unexpected error trying to get binding info for port %s and destination host %s.', p.id, destCompute);
        else log.debug('No inactive port binding for port %s on host %s; it is updated in migrate_instance_finish.', p.id, destCompute);
        continue;
      }
      if (binding['status'] !== 'INACTIVE') continue;
      try {
        await admin.activatePortBinding(p.id, destCompute);
      } catch (e) {
        if (hasStatus(e, 409)) log.warn('Binding for port %s and host %s is already active.', p.id, destCompute);
        else if (hasStatus(e, 404)) log.debug('Port %s is gone; no binding to activate on %s.', p.id, destCompute);
        else throw e;
      }
    }
  }

  /**
   * migrate_instance_finish (_update_port_binding_for_instance): every port not bound to
   * `destCompute` is bound there, device_owner compute:<az>, migrating_to dropped.
   */
  async migrateInstanceFinish(ctx: NovaContext, instance: Instance, destCompute: string): Promise<void> {
    await this.setupInstanceNetworkOnHost(ctx, instance, destCompute);
  }

  /**
   * cleanup_instance_network_on_host: the ports stay. With neutron's binding-extended
   * extension (Nimbus's neutron has it) the port bindings on `host` are deleted (404s
   * ignored); without it nova only logs.
   */
  async cleanupInstanceNetworkOnHost(ctx: NovaContext, instance: Instance, host: string): Promise<void> {
    const log = this.#instanceLog(ctx, instance);
    const neutron = this.#client(ctx, false);
    if (!(await this.#hasExtension(neutron, 'binding-extended'))) {
      log.info("Neutron extension 'binding-extended' is not supported; not cleaning up port bindings for host %s.", host);
      return;
    }
    const ports = await neutron.listPorts({ device_id: instance.uuid, tenant_id: instance.projectId, fields: ['id'] });
    const admin = this.#client(ctx, true);
    const failed: string[] = [];
    for (const p of ports) {
      try {
        await admin.deletePortBinding(p.id, host);
      } catch (e) {
        if (hasStatus(e, 404)) continue;
        failed.push(p.id);
        log.error({ err: e }, 'Failed to delete binding for port %s on host %s', p.id, host);
      }
    }
    if (failed.length > 0) throw new PortBindingDeletionFailed(failed.join(','), host);
  }
}

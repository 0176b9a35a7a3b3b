/**
 * Ports: neutron's create_port/update_port/delete_port with ML2's binding step.
 *
 * Everything a request changes is written in one transaction (the port, its addresses,
 * groups, pairs, DHCP options and binding), so a failure leaves nothing behind; the
 * (network_id, mac_address) unique key and the (subnet_id, ip_address) primary key
 * make concurrent requests for one MAC or one address have exactly one winner.
 */
import type { Kysely } from 'kysely';
import type { RequestContext } from '../../common/auth.js';
import { NamedError } from '../../common/errors.js';
import { fromBool, isUniqueViolation, toBool } from '../../db/database.js';
import type { Dict } from '../api/resource.js';
import { specifiedKeys } from '../api/resource.js';
import { deleteIpAllocation, portHoldsAddresses, selectIpAllocationsOfPort } from '../db/ipam.js';
import { selectNetworkIdsOfProject, selectNetworkOrThrow, selectNetworkProject } from '../db/networks.js';
import {
  type PortChildren,
  type PortFilters,
  deletePort,
  deletePortSecurityGroups,
  disassociateFloatingIpsOfPort,
  insertPort,
  insertPortSecurityGroups,
  l3DeviceExists,
  macInUse,
  portHasSecurityGroups,
  replaceAllowedAddressPairs,
  replaceExtraDhcpOpts,
  selectDeviceRouterProject,
  selectPort,
  selectPortChildren,
  selectPortOrThrow,
  selectPorts,
  selectPortsByIds,
  updatePort,
  updatePortsStatus,
} from '../db/ports.js';
import type { NeutronDB, NetworkRow, PortBindingRow, PortRow } from '../db/schema.js';
import {
  AddressPairAndPortSecurityRequired,
  DeviceIDNotOwnedByTenant,
  InvalidInput,
  MacAddressInUse,
  NetworkMacAddressGenerationFailure,
  PolicyNotAuthorized,
  PortNotFound,
  PortBound,
  PortSecurityAndIPRequiredForSecurityGroups,
  ServicePortInUse,
  UnsupportedPortDeviceOwner,
  badRequest,
} from '../errors.js';
import { isAutoAddressSubnet, validateIpAddress } from '../ipam/index.js';
import type { BindingResult } from '../ml2/index.js';
import { BindingStatuses, deletePortBinding, insertPortBinding, selectActiveBinding, selectPortBinding, updatePortBinding } from '../ml2/db/port-bindings.js';
import { type PluginDeps, ROUTER_INTERFACE_OWNERS, isNetworkOwned, nowIso } from './deps.js';
import { type FixedIpRequest, IpamBackend, ROUTER_INTERFACE_OWNERS_SNAT, validateFixedIps } from './ipam-backend.js';
import { generateUniqueMac } from './mac.js';
import type { Networks } from './networks.js';
import { PortEvents, type PortStatus, type PortStatusChange } from './port-events.js';
import { checkQuota } from './quotas.js';
import type { SecurityGroups } from './security-groups.js';
import type { Subnets } from './subnets.js';
import { deleteTagsOf } from '../db/tags.js';

/** What a port's binding looks like before any host is set. */
const UNBOUND = { vif_type: 'unbound', vif_details: '{}' };

export class Ports {
  readonly #ipam: IpamBackend;
  /** What this plugin tells others after a commit (the nova notifier, agents). */
  readonly events: PortEvents;

  constructor(
    private readonly d: PluginDeps,
    private readonly networks: Networks,
    private readonly subnets: Subnets,
    private readonly groups: SecurityGroups,
  ) {
    this.#ipam = new IpamBackend(d.random);
    this.events = new PortEvents(d.log);
  }

  /** The wire form of ports, children loaded in bulk. */
  async toDicts(db: Kysely<NeutronDB>, rows: PortRow[], all = false): Promise<Dict[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const chunks = all ? [ids] : chunk(ids, 500);
    const { ips, sgs, binds, pairs, opts, tags: tagRows }: PortChildren = { ips: [], sgs: [], binds: [], pairs: [], opts: [], tags: [] };
    for (const c of chunks) {
      const got = await selectPortChildren(db, all ? 'all' : c);
      ips.push(...got.ips);
      sgs.push(...got.sgs);
      binds.push(...got.binds);
      pairs.push(...got.pairs);
      opts.push(...got.opts);
      tagRows.push(...got.tags);
    }
    const group = <T extends { port_id: string }>(list: T[]) => {
      const m = new Map<string, T[]>();
      for (const x of list) (m.get(x.port_id) ?? m.set(x.port_id, []).get(x.port_id)!).push(x);
      return m;
    };
    const ipBy = group(ips);
    const sgBy = group(sgs);
    const pairBy = group(pairs);
    const optBy = group(opts);
    // The port dict shows its ACTIVE binding; INACTIVE ones are binding-extended's.
    const bindBy = new Map(binds.filter((b) => b.status === BindingStatuses.active).map((b) => [b.port_id, b]));
    const tags = new Map<string, string[]>();
    for (const [id, list] of group(tagRows)) tags.set(id, list.map((t) => t.tag).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    return rows.map((r) =>
      portDict(r, ipBy.get(r.id) ?? [], (sgBy.get(r.id) ?? []).map((x) => x.security_group_id), bindBy.get(r.id), pairBy.get(r.id) ?? [], optBy.get(r.id) ?? [], tags.get(r.id) ?? []),
    );
  }

  /** Whether a non-admin may see the port: theirs, or on their network. */
  async #visible(ctx: RequestContext, db: Kysely<NeutronDB>, row: PortRow): Promise<boolean> {
    if (ctx.isAdmin || row.project_id === ctx.projectId) return true;
    const net = await selectNetworkProject(db, row.network_id);
    return net?.project_id === ctx.projectId;
  }

  async getRow(ctx: RequestContext, id: string, db: Kysely<NeutronDB> = this.d.db): Promise<PortRow> {
    const row = await selectPort(db, id);
    if (!row || !(await this.#visible(ctx, db, row))) throw new PortNotFound(id);
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Dict> {
    return (await this.toDicts(this.d.db, [await this.getRow(ctx, id)]))[0]!;
  }

  async list(ctx: RequestContext, filters: Map<string, unknown[]>): Promise<Dict[]> {
    const sqlFilters: PortFilters = {};
    let narrowed = false;
    for (const k of ['id', 'network_id', 'device_id', 'device_owner', 'name', 'mac_address', 'status'] as const) {
      const v = filters.get(k) as string[] | undefined;
      if (v) {
        sqlFilters[k] = v;
        narrowed = true;
      }
    }
    const projects = (filters.get('project_id') ?? filters.get('tenant_id')) as string[] | undefined;
    if (projects) {
      sqlFilters.project_id = projects;
      narrowed = true;
    }
    let rows = await selectPorts(this.d.db, sqlFilters);
    if (!ctx.isAdmin) {
      const own = new Set(await selectNetworkIdsOfProject(this.d.db, ctx.projectId));
      rows = rows.filter((r) => r.project_id === ctx.projectId || own.has(r.network_id));
    }
    return this.toDicts(this.d.db, rows, !narrowed && ctx.isAdmin);
  }

  /**
   * _enforce_device_owner_not_router_intf_or_device_id: a non-admin may not make a port
   * a router interface of another project's router (an unknown device_id is allowed).
   */
  async #checkDeviceOwner(ctx: RequestContext, db: Kysely<NeutronDB>, deviceOwner: string, deviceId: string, projectId: string) {
    if (ctx.isAdmin || !deviceId || !ROUTER_INTERFACE_OWNERS.includes(deviceOwner)) return;
    const router = await selectDeviceRouterProject(db, deviceId);
    if (router && router.project_id !== projectId) throw new DeviceIDNotOwnedByTenant(deviceId);
  }

  /**
   * Creates a port neutron makes for itself (a router's gateway or interface) inside the
   * caller's transaction: no policy checks, no security groups (network-owned), unbound.
   * `fixedIps` undefined allocates as for any port. Returns the port's wire form.
   */
  async createServicePort(
    trx: Kysely<NeutronDB>,
    spec: { projectId: string; networkId: string; deviceId: string; deviceOwner: string; fixedIps?: FixedIpRequest[] },
  ): Promise<Dict> {
    const d = this.d;
    const net = await selectNetworkOrThrow(trx, spec.networkId);
    const now = nowIso(d.clock.now());
    const row: PortRow = {
      id: d.random.uuid(),
      project_id: spec.projectId,
      network_id: net.id,
      name: '',
      mac_address: await this.#pickMac(trx, net.id, undefined),
      admin_state_up: 1,
      status: 'DOWN',
      device_id: spec.deviceId,
      device_owner: spec.deviceOwner,
      port_security_enabled: net.port_security_enabled,
      description: '',
      created_at: now,
      updated_at: now,
      revision_number: 1,
    };
    await insertPort(trx, row);
    const ips = await this.#ipam.allocateForPort(trx, row.id, net.id, await this.subnets.ofNetwork(trx, net.id), spec.fixedIps, spec.deviceOwner);
    const binding: PortBindingRow = { port_id: row.id, host: '', vnic_type: 'normal', profile: '{}', ...UNBOUND, status: 'ACTIVE' };
    await insertPortBinding(trx, binding);
    return portDict(row, ips, [], binding, [], [], []);
  }

  /** Replaces a service port's fixed IPs (a router gateway's external_fixed_ips) in the caller's transaction. */
  async updateServicePortIps(trx: Kysely<NeutronDB>, portId: string, fixedIps: FixedIpRequest[]): Promise<void> {
    const row = await selectPortOrThrow(trx, portId);
    await this.#updateIps(trx, row, fixedIps);
    await updatePort(trx, portId, { revision_number: row.revision_number + 1, updated_at: nowIso(this.d.clock.now()) });
  }

  /**
   * l3_db's prevent_l3_port_deletion: a router's gateway or interface, or a floating IP's
   * port, whose router or floating IP still exists and which holds addresses, is
   * deleted through the router/floating IP API only.
   */
  async #preventL3PortDeletion(trx: Kysely<NeutronDB>, row: PortRow): Promise<void> {
    const owners = [...ROUTER_INTERFACE_OWNERS, 'network:router_gateway', 'network:floatingip'];
    if (!owners.includes(row.device_owner)) return;
    if (!(await portHoldsAddresses(trx, row.id))) return;
    const table = row.device_owner === 'network:floatingip' ? 'floatingips' : 'routers';
    if (!(await l3DeviceExists(trx, table, row.device_id))) return;
    throw new ServicePortInUse(row.id, `has device owner ${row.device_owner}`);
  }

  async create(ctx: RequestContext, body: Dict): Promise<Dict> {
    const d = this.d;
    const keys = specifiedKeys(body);
    const requestedIps = keys.has('fixed_ips') ? validateFixedIps(body.fixed_ips as unknown[]) : undefined;
    if (requestedIps && requestedIps.length > d.cfg.network.max_fixed_ips_per_port) throw new InvalidInput('Exceeded maximum amount of fixed ips per port');
    const deviceOwner = body.device_owner as string;
    const deviceId = body.device_id as string;
    const id = d.random.uuid();
    const now = nowIso(d.clock.now());
    const projectId = body.project_id as string;
    let bound: Dict | null = null;
    const port = await d.db.transaction().execute(async (trx) => {
      await this.#checkDeviceOwner(ctx, trx, deviceOwner, deviceId, projectId);
      const net = await this.networks.getRow(ctx, body.network_id as string, trx);
      if (!ctx.isAdmin && net.project_id !== projectId && !toBool(net.shared)) {
        throw new NamedError(403, 'HTTPForbidden', `Tenant ${projectId} not allowed to create port on this network`);
      }
      await checkQuota(trx, d.cfg, projectId, 'port');
      const mac = await this.#pickMac(trx, net.id, body.mac_address as string | undefined);
      const portSecurity = body.port_security_enabled === undefined ? toBool(net.port_security_enabled) : (body.port_security_enabled as boolean);
      const row: PortRow = {
        id,
        project_id: projectId,
        network_id: net.id,
        name: body.name as string,
        mac_address: mac,
        admin_state_up: fromBool(body.admin_state_up as boolean),
        status: 'DOWN',
        device_id: deviceId,
        device_owner: deviceOwner,
        port_security_enabled: fromBool(portSecurity),
        description: body.description as string,
        created_at: now,
        updated_at: now,
        revision_number: 1,
      };
      try {
        await insertPort(trx, row);
      } catch (e) {
        if (isUniqueViolation(e)) throw new MacAddressInUse(net.id, mac);
        throw e;
      }
      const subnets = await this.subnets.ofNetwork(trx, net.id);
      const ips = await this.#ipam.allocateForPort(trx, id, net.id, subnets, requestedIps, deviceOwner, mac);
      const sgs = await this.#writeSecurityGroups(ctx, trx, row, portSecurity, ips.length > 0, keys.has('security_groups') ? (body.security_groups as unknown[]) : undefined, true);
      const pairs = await this.#writePairs(trx, row, portSecurity, keys.has('allowed_address_pairs') ? (body.allowed_address_pairs as unknown[]) : undefined);
      const opts = await this.#writeDhcpOpts(trx, id, keys.has('extra_dhcp_opts') ? (body.extra_dhcp_opts as unknown[]) : undefined);
      const binding: PortBindingRow = {
        port_id: id,
        host: (body['binding:host_id'] as string | undefined) ?? '',
        vnic_type: body['binding:vnic_type'] as string,
        profile: JSON.stringify(body['binding:profile'] ?? {}),
        ...UNBOUND,
        status: 'ACTIVE',
      };
      if (binding.host) {
        await this.bind(trx, binding, net);
        row.revision_number += 1;
        await updatePort(trx, id, { revision_number: row.revision_number });
      }
      await insertPortBinding(trx, binding);
      return portDict(row, ips, sgs ?? [], binding, pairs ?? [], opts ?? [], []);
    });
    if (port['binding:host_id']) bound = port;
    this.events.emit('afterCreate', port);
    if (bound) this.events.emit('afterUpdate', bound, null);
    return port;
  }

  /** The MAC for a new port: the requested one if free, else a generated unique one. */
  async #pickMac(trx: Kysely<NeutronDB>, networkId: string, requested: string | undefined): Promise<string> {
    const inUse = (mac: string) => macInUse(trx, networkId, mac);
    if (requested !== undefined) {
      const mac = requested.toLowerCase().replace(/-/g, ':');
      if (await inUse(mac)) throw new MacAddressInUse(networkId, mac);
      return mac;
    }
    const mac = await generateUniqueMac(this.d.cfg.network.base_mac, this.d.random, this.d.cfg.network.mac_generation_retries, async (m) => !(await inUse(m)));
    if (!mac) throw new NetworkMacAddressGenerationFailure(networkId);
    return mac;
  }

  /** Security groups of a port: the given ones (checked), or the project's default group. */
  async #writeSecurityGroups(ctx: RequestContext, trx: Kysely<NeutronDB>, row: PortRow, portSecurity: boolean, hasIps: boolean, requested: unknown[] | undefined, creating: boolean): Promise<string[] | undefined> {
    let ids: string[];
    if (requested === undefined) {
      if (!creating) return undefined;
      if (!portSecurity || isNetworkOwned(row.device_owner)) return [];
      ids = [await this.groups.ensureDefault(trx, row.project_id)];
    } else {
      ids = [...new Set(requested.map(String))];
      if (ids.length && (!portSecurity || !hasIps)) {
        if (!portSecurity) throw new PortSecurityAndIPRequiredForSecurityGroups();
      }
      for (const sg of ids) await this.groups.getRowForPort(ctx, trx, sg, row.project_id);
    }
    if (!creating) await deletePortSecurityGroups(trx, row.id);
    await insertPortSecurityGroups(trx, row.id, ids);
    return ids;
  }

  async #writePairs(trx: Kysely<NeutronDB>, row: PortRow, portSecurity: boolean, requested: unknown[] | undefined) {
    if (requested === undefined) return undefined;
    if (requested.length && !portSecurity) throw new AddressPairAndPortSecurityRequired();
    const pairs = requested.map((p) => {
      const pair = p as { ip_address?: unknown; mac_address?: unknown };
      if (!pair || typeof pair !== 'object' || pair.ip_address === undefined) {
        throw badRequest(`Invalid input for allowed_address_pairs. Reason: AllowedAddressPair must contain ip_address.`);
      }
      const ip = String(pair.ip_address);
      if (validateIpAddress(ip.split('/')[0]) !== null) throw badRequest(`Invalid input for allowed_address_pairs. Reason: '${ip}' is not a valid IP address.`);
      return { port_id: row.id, ip_address: ip, mac_address: (pair.mac_address as string | undefined) ?? row.mac_address };
    });
    await replaceAllowedAddressPairs(trx, row.id, pairs);
    return pairs;
  }

  async #writeDhcpOpts(trx: Kysely<NeutronDB>, portId: string, requested: unknown[] | undefined) {
    if (requested === undefined) return undefined;
    const opts = requested.map((o) => {
      const opt = o as { opt_name?: unknown; opt_value?: unknown; ip_version?: unknown };
      if (!opt || typeof opt.opt_name !== 'string' || opt.opt_value === undefined) {
        throw badRequest(`Invalid input for extra_dhcp_opts. Reason: Invalid data format for extra-dhcp-opt: ${JSON.stringify(o)}.`);
      }
      return { id: this.d.random.uuid(), port_id: portId, opt_name: opt.opt_name, opt_value: String(opt.opt_value), ip_version: Number(opt.ip_version ?? 4) };
    });
    await replaceExtraDhcpOpts(trx, portId, opts);
    return opts;
  }

  /**
   * ML2's bind step: asks the mechanism drivers for binding.host and records the outcome
   * (vif_type/vif_details, binding_failed when nobody binds) on the row; writes nothing.
   */
  async bind(trx: Kysely<NeutronDB>, binding: PortBindingRow, net: NetworkRow): Promise<BindingResult> {
    const segments = (await this.d.ml2.getSegments(trx, [net.id])).get(net.id) ?? [];
    const result = await this.d.ml2.bindPort(trx, {
      portId: binding.port_id,
      host: binding.host,
      vnicType: binding.vnic_type,
      profile: JSON.parse(binding.profile),
      segments,
    });
    if (result.ok) {
      binding.vif_type = result.vifType;
      binding.vif_details = JSON.stringify(result.vifDetails);
    } else {
      binding.vif_type = 'binding_failed';
      binding.vif_details = '{}';
      this.d.log.warn({ port: binding.port_id, host: binding.host, cause: result.cause }, `Failed to bind port ${binding.port_id} on host ${binding.host}: ${result.message}`);
    }
    return result;
  }

  async update(ctx: RequestContext, id: string, body: Dict): Promise<Dict> {
    const d = this.d;
    const keys = specifiedKeys(body);
    let original: Dict | null = null;
    let statusChange: PortStatusChange | null = null;
    const port = await d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      if (!ctx.isAdmin && row.project_id !== ctx.projectId) throw new PolicyNotAuthorized('rule:update_port');
      original = (await this.toDicts(trx, [row]))[0]!;
      const net = await selectNetworkOrThrow(trx, row.network_id);
      const set: Partial<PortRow> = {};
      for (const k of ['name', 'description', 'device_id', 'device_owner'] as const) if (keys.has(k)) set[k] = body[k] as string;
      if (keys.has('admin_state_up')) set.admin_state_up = fromBool(body.admin_state_up as boolean);
      if (keys.has('device_owner') || keys.has('device_id')) await this.#checkDeviceOwner(ctx, trx, set.device_owner ?? row.device_owner, set.device_id ?? row.device_id, row.project_id);
      const found = await selectActiveBinding(trx, id);
      // Zed's delete_port_binding may remove the ACTIVE binding too: a later rebind starts afresh.
      const binding: PortBindingRow = found ?? { port_id: id, host: '', vnic_type: 'normal', profile: '{}', ...UNBOUND, status: BindingStatuses.active };
      const boundHost = binding.host;
      if (keys.has('mac_address')) {
        const mac = (body.mac_address as string).toLowerCase();
        if (mac !== row.mac_address) {
          if (isNetworkOwned(row.device_owner)) throw new UnsupportedPortDeviceOwner('mac_address update', id, row.device_owner);
          if (binding.vif_type !== 'unbound' && binding.vif_type !== 'binding_failed') {
            throw new PortBound(id, binding.vif_type, row.mac_address, mac);
          }
          if (await macInUse(trx, row.network_id, mac)) {
            throw new MacAddressInUse(row.network_id, mac);
          }
          set.mac_address = mac;
        }
      }
      if (keys.has('port_security_enabled')) set.port_security_enabled = fromBool(body.port_security_enabled as boolean);
      const portSecurity = toBool(set.port_security_enabled ?? row.port_security_enabled);
      if (keys.has('fixed_ips')) await this.#updateIps(trx, row, validateFixedIps(body.fixed_ips as unknown[]));
      const hasIps = await portHoldsAddresses(trx, id);
      if (keys.has('security_groups')) {
        await this.#writeSecurityGroups(ctx, trx, row, portSecurity, hasIps, body.security_groups as unknown[], false);
      } else if (keys.has('port_security_enabled') && !portSecurity) {
        if (await portHasSecurityGroups(trx, id)) throw new PortSecurityAndIPRequiredForSecurityGroups();
      }
      await this.#writePairs(trx, { ...row, ...set }, portSecurity, keys.has('allowed_address_pairs') ? (body.allowed_address_pairs as unknown[]) : undefined);
      await this.#writeDhcpOpts(trx, id, keys.has('extra_dhcp_opts') ? (body.extra_dhcp_opts as unknown[]) : undefined);
      let revision = row.revision_number + 1;
      const bindingChanged = keys.has('binding:host_id') || keys.has('binding:profile') || keys.has('binding:vnic_type');
      if (bindingChanged) {
        if (keys.has('binding:host_id')) binding.host = body['binding:host_id'] as string;
        // The active binding moving onto a host that holds an INACTIVE one (a live
        // migration's, never activated) takes its place: (port_id, host) is the key.
        if (binding.host !== boundHost && (await selectPortBinding(trx, id, binding.host))) await deletePortBinding(trx, id, binding.host);
        if (keys.has('binding:profile')) binding.profile = JSON.stringify(body['binding:profile']);
        if (keys.has('binding:vnic_type')) binding.vnic_type = body['binding:vnic_type'] as string;
        if (binding.host) {
          await this.bind(trx, binding, net);
          revision += 1;
          // _process_port_binding: a binding that changes host unbinds the port, DOWN until
          // the new host's agent reports its device up (and nova hears network-vif-plugged,
          // which an evacuation's spawn waits for). Only an instance's port here: the
          // network-owned ones' agents do not report them up again.
          if (boundHost && binding.host !== boundHost && (set.device_owner ?? row.device_owner).startsWith('compute:')) set.status = 'DOWN';
        } else {
          Object.assign(binding, UNBOUND);
          set.status = 'DOWN';
        }
        if (found) await updatePortBinding(trx, id, boundHost, binding);
        else await insertPortBinding(trx, binding);
      }
      set.updated_at = nowIso(d.clock.now());
      set.revision_number = revision;
      await updatePort(trx, id, set);
      if (set.status !== undefined && set.status !== row.status) statusChange = statusChangeOf({ ...row, ...set }, row.status);
      return (await this.toDicts(trx, [{ ...row, ...set }]))[0]!;
    });
    if (statusChange) this.events.emit('statusChanged', statusChange);
    this.events.emit('afterUpdate', port, original);
    return port;
  }

  /** Replaces a port's addresses: keeps those still asked for, frees the rest, allocates the new. */
  async #updateIps(trx: Kysely<NeutronDB>, row: PortRow, requested: FixedIpRequest[]) {
    if (requested.length > this.d.cfg.network.max_fixed_ips_per_port) throw new InvalidInput('Exceeded maximum amount of fixed ips per port');
    const current = await selectIpAllocationsOfPort(trx, row.id);
    const keep = new Set<string>();
    const toAdd: FixedIpRequest[] = [];
    for (const f of requested) {
      const match = current.find(
        (c) => !keep.has(`${c.subnet_id}|${c.ip_address}`) && (f.ip_address === undefined || c.ip_address === f.ip_address) && (f.subnet_id === undefined || c.subnet_id === f.subnet_id),
      );
      if (match && (f.ip_address !== undefined || f.subnet_id !== undefined)) keep.add(`${match.subnet_id}|${match.ip_address}`);
      else toAdd.push(f);
    }
    // _get_changed_ips_for_port: addresses of SLAAC/DHCPv6-stateless subnets are not the
    // user's to drop, and asking for such a subnet by id adds nothing (the address is automatic).
    const subnets = await this.subnets.ofNetwork(trx, row.network_id);
    const auto = new Set(subnets.filter((s) => s.ip_version === 6 && isAutoAddressSubnet(s)).map((s) => s.id));
    for (const c of current) if (auto.has(c.subnet_id)) keep.add(`${c.subnet_id}|${c.ip_address}`);
    const routerIntf = ROUTER_INTERFACE_OWNERS_SNAT.includes(row.device_owner);
    toAdd.splice(0, toAdd.length, ...toAdd.filter((f) => routerIntf || f.ip_address !== undefined || !auto.has(f.subnet_id ?? '')));
    for (const c of current) {
      if (!keep.has(`${c.subnet_id}|${c.ip_address}`)) await deleteIpAllocation(trx, c.subnet_id, c.ip_address);
    }
    for (const f of toAdd) await this.#ipam.allocateOne(trx, row.id, row.network_id, subnets, f, row.device_owner);
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    let gone: Dict | null = null;
    await this.d.db.transaction().execute(async (trx) => {
      const row = await this.getRow(ctx, id, trx);
      if (!ctx.isAdmin && row.project_id !== ctx.projectId) throw new PolicyNotAuthorized('rule:delete_port');
      await this.#preventL3PortDeletion(trx, row);
      gone = (await this.toDicts(trx, [row]))[0]!;
      await disassociateFloatingIpsOfPort(trx, id);
      await deleteTagsOf(trx, 'ports', [id]);
      await deletePort(trx, id);
    });
    if (gone) this.events.emit('afterDelete', gone);
  }

  /** Sets a port's status (agents report up/down); bumps the revision like neutron. */
  async setStatus(id: string, status: PortStatus): Promise<Dict | null> {
    const row = (await this.setStatuses(new Map([[id, status]]))).get(id);
    return row ? (await this.toDicts(this.d.db, [row]))[0]! : null;
  }

  /**
   * ML2's update_port_statuses: many ports' statuses in one transaction (an agent's whole
   * batch). Ports whose status changes get revision + 1 and updated_at now; each change
   * is emitted as statusChanged after the commit. Returns each id's row after the update,
   * or null when there is no such port.
   */
  async setStatuses(statuses: ReadonlyMap<string, PortStatus>): Promise<Map<string, PortRow | null>> {
    const out = new Map<string, PortRow | null>();
    if (!statuses.size) return out;
    const now = nowIso(this.d.clock.now());
    const changes: PortStatusChange[] = [];
    await this.d.db.transaction().execute(async (trx) => {
      const rows = new Map<string, PortRow>();
      for (const c of chunk([...statuses.keys()], 500)) {
        for (const r of await selectPortsByIds(trx, c)) rows.set(r.id, r);
      }
      const byStatus = new Map<PortStatus, string[]>();
      for (const [id, status] of statuses) {
        const row = rows.get(id);
        if (!row) {
          out.set(id, null);
          continue;
        }
        if (row.status === status) {
          out.set(id, row);
          continue;
        }
        const after = { ...row, status, revision_number: row.revision_number + 1, updated_at: now };
        out.set(id, after);
        changes.push(statusChangeOf(after, row.status));
        (byStatus.get(status) ?? byStatus.set(status, []).get(status)!).push(id);
      }
      for (const [status, ids] of byStatus) {
        for (const c of chunk(ids, 500)) await updatePortsStatus(trx, c, status, now);
      }
    });
    for (const c of changes) this.events.emit('statusChanged', c);
    return out;
  }
}

export function statusChangeOf(row: PortRow, previous: string): PortStatusChange {
  return { id: row.id, device_id: row.device_id, device_owner: row.device_owner, network_id: row.network_id, previous, current: row.status };
}

function chunk<T>(list: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

/** One port's wire form from its row and children (neutron's port dict, key order as Zed). */
function portDict(
  r: PortRow,
  ips: { subnet_id: string; ip_address: string }[],
  sgs: string[],
  b: Pick<PortBindingRow, 'vnic_type' | 'profile' | 'host' | 'vif_type' | 'vif_details'> | undefined,
  pairs: { mac_address: string; ip_address: string }[],
  opts: { opt_name: string; opt_value: string; ip_version: number }[],
  tags: string[],
): Dict {
  return {
    id: r.id,
    name: r.name,
    network_id: r.network_id,
    tenant_id: r.project_id,
    mac_address: r.mac_address,
    admin_state_up: toBool(r.admin_state_up),
    status: r.status,
    device_id: r.device_id,
    device_owner: r.device_owner,
    fixed_ips: ips.map((i) => ({ subnet_id: i.subnet_id, ip_address: i.ip_address })),
    project_id: r.project_id,
    port_security_enabled: toBool(r.port_security_enabled),
    security_groups: sgs,
    'binding:vnic_type': b?.vnic_type ?? 'normal',
    'binding:profile': JSON.parse(b?.profile ?? '{}'),
    'binding:host_id': b?.host ?? '',
    'binding:vif_type': b?.vif_type ?? 'unbound',
    'binding:vif_details': JSON.parse(b?.vif_details ?? '{}'),
    allowed_address_pairs: pairs.map((p) => ({ ip_address: p.ip_address, mac_address: p.mac_address })),
    extra_dhcp_opts: opts.map((o) => ({ opt_name: o.opt_name, opt_value: o.opt_value, ip_version: o.ip_version })),
    description: r.description,
    tags,
    created_at: r.created_at,
    updated_at: r.updated_at,
    revision_number: r.revision_number,
  };
}

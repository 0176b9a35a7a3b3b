/**
 * /servers: create (nova's servers.py create with its request checks and its mapping of
 * each exception to a status), list and detail with filters, show, delete. A member
 * sees only their project's servers (404 otherwise); admins see all with all_tenants.
 */
import { diskConfigFromApi } from '../disk-config.js';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RemoteError } from '../../bus/bus.js';
import type { ComputeApiDeps } from './app.js';
import { type NovaContext, novaContext } from '../context.js';
import { InstanceInvalidState } from '../errors.js';
import { ServerActionsAPI } from '../server-actions.js';
import {
  AmbiguousHostnameForMultipleInstances,
  ComputeHostNotFound,
  FixedIpAlreadyInUse,
  AutoDiskConfigDisabledByImage,
  FlavorDiskTooSmall,
  FlavorMemoryTooSmall,
  FlavorNotFound,
  ImageNotActive,
  ImageNotFound,
  ImageUnacceptable,
  InstanceNotFound,
  InvalidFixedIpAndMaxCountRequest,
  InvalidInput,
  InvalidRequest,
  KeypairNotFound,
  InstanceGroupNotFound,
  MultiplePortsNotApplicable,
  NetworkAmbiguous,
  NetworkNotFound,
  NetworkRequiresSubnet,
  NoUniqueMatch,
  OverQuota,
  PortInUse,
  PortLimitExceeded,
  PortNotFound,
  PortRequiresFixedIP,
  SecurityGroupNotFound,
  ExternalNetworkAttachForbidden,
} from '../errors.js';
import type { Instance, InstanceChanges, NetworkRequest } from '../objects/instance.js';
import { getFlavorForBoot } from '../objects/flavors.js';
import { HttpFault, badRequest } from './faults.js';
import { atLeast } from './microversion.js';
import { authorize } from './policy.js';
import { checkInjectedFiles } from './personality.js';
import { P, type JsonSchema, descriptionPattern, isUuidLike, validateBody } from './validation.js';
import { ServerGroupStore } from '../objects/server-groups.js';
import { createView, showView, showsFault } from './views.js';
import { canonicalIPv6 } from './ip-time.js';
import { listServers } from './server-list.js';
import { MAX_TAG_COUNT, TAG } from './server-tags.js';

function createSchema(req: FastifyRequest): JsonSchema {
  const networks: JsonSchema = {
    type: 'array',
    items: {
      type: 'object',
      properties: { fixed_ip: { type: 'string' }, port: { oneOf: [{ type: 'string' }, { type: 'null' }] }, uuid: { type: 'string' }, ...(atLeast(req.mv, '2.32') ? { tag: { type: 'string', pattern: '^[^,/]*$', maxLength: 60 } } : {}) },
      additionalProperties: false,
    },
  };
  const server: Record<string, unknown> = {
    name: P.name,
    // parameter_types.image_id_or_empty_string: only a uuid (or nothing) reaches glance.
    imageRef: { oneOf: [{ type: 'string', format: 'uuid' }, { type: 'string', maxLength: 0 }] },
    flavorRef: { type: ['string', 'integer'], minLength: 1 },
    adminPass: { type: 'string' },
    metadata: P.metadata(),
    networks: atLeast(req.mv, '2.37') ? { oneOf: [networks, { type: 'string', enum: ['none', 'auto'] }] } : networks,
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: { type: 'string', format: 'ipv4' },
    accessIPv6: { type: 'string', format: 'ipv6' },
    // parameter_types.personality; 2.57 drops it (below).
    personality: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, contents: { type: 'string', format: 'base64' } }, additionalProperties: false } },
    block_device_mapping: { type: 'array' },
    block_device_mapping_v2: { type: 'array' },
    config_drive: P.boolean,
    key_name: P.name,
    user_data: { type: 'string', format: 'base64', maxLength: 65535 },
    availability_zone: P.name,
    security_groups: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false } },
    min_count: P.positiveInteger,
    max_count: P.positiveInteger,
    return_reservation_id: P.boolean,
  };
  if (atLeast(req.mv, '2.19')) server.description = { type: ['string', 'null'], minLength: 0, maxLength: 255, pattern: descriptionPattern() };
  if (atLeast(req.mv, '2.52')) server.tags = { type: 'array', items: TAG, maxItems: MAX_TAG_COUNT };
  if (atLeast(req.mv, '2.74')) {
    server.host = P.fqdn;
    server.hypervisor_hostname = P.fqdn;
  }
  if (atLeast(req.mv, '2.90')) server.hostname = HOSTNAME;
  if (atLeast(req.mv, '2.57')) delete server.personality;
  const required = atLeast(req.mv, '2.37') ? ['name', 'flavorRef', 'networks'] : ['name', 'flavorRef'];
  return {
    type: 'object',
    properties: { server: { type: 'object', properties: server, required, additionalProperties: false }, 'os:scheduler_hints': SCHEDULER_HINTS, 'OS-SCH-HNT:scheduler_hints': SCHEDULER_HINTS },
    required: ['server'],
    additionalProperties: true,
  };
}

/** parameter_types.hostname (2.90's create and update). */
const HOSTNAME: JsonSchema = { type: 'string', minLength: 2, maxLength: 63, pattern: '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$' };

/** schemas/servers.py update, update_v219 (description), update_v290 (hostname). */
function updateSchema(req: FastifyRequest): JsonSchema {
  const server: Record<string, unknown> = {
    name: P.name,
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: { type: 'string', format: 'ipv4' },
    accessIPv6: { type: 'string', format: 'ipv6' },
  };
  if (atLeast(req.mv, '2.19')) server.description = { type: ['string', 'null'], minLength: 0, maxLength: 255, pattern: descriptionPattern() };
  if (atLeast(req.mv, '2.90')) server.hostname = HOSTNAME;
  return {
    type: 'object',
    properties: { server: { type: 'object', properties: server, additionalProperties: false } },
    required: ['server'],
    additionalProperties: false,
  };
}
/** schemas/servers.py _hints: the hints nova checks; any other is accepted (additionalProperties). */
const SCHEDULER_HINTS: JsonSchema = {
  type: 'object',
  properties: {
    group: { type: 'string', format: 'uuid' },
    different_host: { oneOf: [{ type: 'string', format: 'uuid' }, { type: 'array', items: { type: 'string', format: 'uuid' } }] },
    same_host: { type: ['string', 'array'], items: { type: 'string', format: 'uuid' } },
    query: { type: ['string', 'object'] },
    target_cell: P.name,
    different_cell: { type: ['string', 'array'], items: { type: 'string' } },
    cidr: { type: 'string', pattern: '^/[0-9a-f.:]+$' },
  },
  additionalProperties: true,
};

/** _get_requested_networks with nova's exact texts. */
export function parseRequestedNetworks(networks: unknown): NetworkRequest[] {
  if (typeof networks === 'string') return [{ networkId: networks }];
  if (!Array.isArray(networks)) return [];
  const out: NetworkRequest[] = [];
  const ports: string[] = [];
  for (const n of networks as Record<string, unknown>[]) {
    const address = (n.fixed_ip as string | undefined) ?? null;
    const portId = (n.port as string | null | undefined) ?? null;
    const tag = (n.tag as string | undefined) ?? null;
    if (address !== null && !isIP(address)) throw badRequest(`Invalid input for field/attribute fixed_ip. Value: ${address}. '${address}' is not a 'ip-address'`);
    if (portId) {
      if (!isUuidLike(portId)) throw badRequest(`Invalid input for field/attribute port. Value: ${portId}. '${portId}' is not a 'uuid'`);
      if (ports.includes(portId)) throw badRequest(`Port ID '${portId}' was specified twice: you cannot attach a port multiple times.`);
      if (address !== null) throw badRequest(`Specified Fixed IP '${address}' cannot be used with port '${portId}': the two cannot be specified together.`);
      ports.push(portId);
      out.push({ networkId: null, portId, address: null, tag });
      continue;
    }
    if (!('uuid' in n)) throw badRequest("Bad network format: missing 'uuid'");
    const netId = n.uuid as string;
    if (!isUuidLike(netId)) throw badRequest(`Bad networks format: network uuid is not in proper format (${netId})`);
    out.push({ networkId: netId, portId: null, address, tag });
  }
  return out;
}

/**
 * compute/api.py parse_availability_zone: the legacy `zone:host`, `zone::node` and
 * `zone:host:node` forms an admin uses to force a host; an empty zone is
 * default_schedule_zone (unset: none).
 */
export function parseAvailabilityZone(az: string | undefined): { zone: string | null; host: string | null; node: string | null } {
  let zone = az ?? null;
  let host: string | null = null;
  let node: string | null = null;
  if (zone && zone.includes(':')) {
    const parts = zone.split(':');
    if (parts.length === 2) [zone, host] = parts as [string, string];
    else if (parts.length === 3 && zone.includes('::')) [zone, node] = zone.split('::') as [string, string];
    else if (parts.length === 3) [zone, host, node] = parts as [string, string, string];
    else throw badRequest(new InvalidInput('Unable to parse availability_zone').message);
  }
  return { zone: zone || null, host, node };
}

/**
 * servers.py _validate_host_availability_zone without aggregates: every host is in the
 * default zone, so a request naming that zone keeps it and any other is dropped (nova
 * logs a warning and lets the host decide, bug #1934770).
 */
function hostAvailabilityZone(d: ComputeApiDeps, zone: string | null): string | null {
  const dflt = d.cfg.compute.default_availability_zone;
  if (zone !== dflt) d.log.warn(`Requested availability zone '${zone ?? 'None'}' but forced host does not belong to any availability zones; ignoring requested availability zone to avoid bug #1934770`);
  return zone === dflt ? zone : null;
}

/** servers.py create's except-clauses: each nova exception's status on boot. */
export function createFault(e: unknown): unknown {
  if (e instanceof KeypairNotFound) return badRequest('Invalid key_name provided.');
  if (e instanceof InstanceGroupNotFound) return badRequest(e.message);
  if (e instanceof ImageNotFound) return badRequest('Can not find requested image');
  if (e instanceof FlavorNotFound) return badRequest('Invalid flavorRef provided.');
  if (e instanceof OverQuota && !(e instanceof PortLimitExceeded)) return new HttpFault(403, e.message);
  if (e instanceof PortLimitExceeded) return new HttpFault(403, e.message);
  if (e instanceof ExternalNetworkAttachForbidden) return new HttpFault(403, e.message);
  if (e instanceof PortInUse || e instanceof NetworkAmbiguous || e instanceof NoUniqueMatch) return new HttpFault(409, e.message);
  if (
    e instanceof ImageNotActive ||
    e instanceof ImageUnacceptable ||
    e instanceof FlavorMemoryTooSmall ||
    e instanceof FlavorDiskTooSmall ||
    e instanceof PortNotFound ||
    e instanceof FixedIpAlreadyInUse ||
    e instanceof SecurityGroupNotFound ||
    e instanceof PortRequiresFixedIP ||
    e instanceof NetworkRequiresSubnet ||
    e instanceof NetworkNotFound ||
    e instanceof InvalidInput ||
    e instanceof MultiplePortsNotApplicable ||
    e instanceof InvalidFixedIpAndMaxCountRequest ||
    e instanceof AmbiguousHostnameForMultipleInstances ||
    e instanceof ComputeHostNotFound ||
    e instanceof InvalidRequest ||
    e instanceof AutoDiskConfigDisabledByImage
  ) {
    return badRequest((e as Error).message);
  }
  if (e instanceof RemoteError) return badRequest(`${e.excType}: ${e.value}`);
  return e;
}

/** The instance if the caller may see it, else InstanceNotFound (404), as nova's policy + project filter. */
export async function getInstance(d: ComputeApiDeps, req: FastifyRequest, id: string, opts: { readDeleted?: boolean } = {}): Promise<Instance> {
  const i = isUuidLike(id) ? await d.instances.find(id, opts) : null;
  if (!i || (!req.ctx.isAdmin && i.projectId !== req.ctx.projectId)) throw new HttpFault(404, new InstanceNotFound(id).message);
  return i;
}

export function registerServers(app: FastifyInstance, d: ComputeApiDeps): void {
  app.post('/v2.1/servers', async (req, reply) => {
    validateBody(createSchema(req), req.body);
    const s = (req.body as { server: Record<string, unknown> }).server;
    const minCount = Number(s.min_count ?? 1);
    const maxCount = Number(s.max_count ?? minCount);
    if (minCount > maxCount) throw badRequest('min_count must be <= max_count');
    const target = { project_id: req.ctx.projectId, user_id: req.ctx.userId };
    const forced = parseAvailabilityZone(s.availability_zone as string | undefined);
    let availabilityZone = forced.zone;
    // nova tests these for truth: "nova:" forces nothing (but still skips the zone check).
    if (forced.host || forced.node) {
      authorize(req.ctx, 'os_compute_api:servers:create:forced_host', target);
      availabilityZone = hostAvailabilityZone(d, availabilityZone);
    }
    const requestedHost = atLeast(req.mv, '2.74') ? ((s.host as string | undefined) ?? null) : null;
    const requestedNode = atLeast(req.mv, '2.74') ? ((s.hypervisor_hostname as string | undefined) ?? null) : null;
    if (requestedHost || requestedNode) {
      authorize(req.ctx, 'compute:servers:create:requested_destination', target);
      if (forced.host || forced.node) {
        throw badRequest('One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.');
      }
    }
    const requestedNetworks = parseRequestedNetworks(s.networks);
    const ctx = novaContext(req.ctx);
    const sgs = Array.isArray(s.security_groups) ? [...new Set((s.security_groups as { name?: string }[]).map((g) => g.name).filter((n): n is string => !!n))] : ['default'];
    try {
      const imageRef = typeof s.imageRef === 'string' ? s.imageRef : '';
      // _image_from_req_data: no image and no block device to boot from.
      if (!imageRef) throw badRequest(s.block_device_mapping || s.block_device_mapping_v2 ? 'Can not find requested image' : 'Missing imageRef attribute');
      const flavor = await getFlavorForBoot(d.db, String(s.flavorRef).replace(/^.*\//, ''), req.ctx);
      await checkInjectedFiles(d, req.ctx.projectId, s.personality);
      const { instances, reservationId } = await d.compute.create(ctx, {
        name: (s.name as string).trim(),
        description: atLeast(req.mv, '2.19') ? ((s.description as string | null | undefined) ?? null) : (s.name as string).trim(),
        hostname: (s.hostname as string | undefined) ?? null,
        flavor,
        imageRef,
        requestedNetworks,
        securityGroups: sgs.length ? sgs : ['default'],
        availabilityZone,
        forcedHost: forced.host,
        forcedNode: forced.node,
        // nova tests these for truth: an empty string requests nothing.
        requestedHost: requestedHost || null,
        requestedNode: requestedNode || null,
        metadata: (s.metadata as Record<string, string>) ?? {},
        keyName: (s.key_name as string | undefined) ?? null,
        userData: (s.user_data as string | undefined) ?? null,
        configDrive: s.config_drive === true || /^(true|1|on|yes)$/i.test(String(s.config_drive ?? '')),
        autoDiskConfig: diskConfigFromApi(s['OS-DCF:diskConfig']),
        accessIpV4: (s.accessIPv4 as string | undefined) ?? null,
        // An IPv6AddressField: stored (and shown) as netaddr prints it.
        accessIpV6: typeof s.accessIPv6 === 'string' ? canonicalIPv6(s.accessIPv6) : null,
        minCount,
        maxCount,
        tags: (s.tags as string[] | undefined) ?? [],
        schedulerHints: ((req.body as Record<string, unknown>)['os:scheduler_hints'] ?? (req.body as Record<string, unknown>)['OS-SCH-HNT:scheduler_hints'] ?? {}) as Record<string, unknown>,
      });
      reply.code(202);
      if (s.return_reservation_id === true || /^(true|1|on|yes)$/i.test(String(s.return_reservation_id ?? ''))) return { reservation_id: reservationId };
      const requestedSgs = Array.isArray(s.security_groups) ? (s.security_groups as { name: string }[]) : [{ name: 'default' }];
      const password = typeof s.adminPass === 'string' ? s.adminPass : generatePassword(d);
      return createView(req, instances[0]!, requestedSgs, password);
    } catch (e) {
      throw createFault(e);
    }
  });

  app.get('/v2.1/servers', (req) => listServers(d, req, false));
  app.get('/v2.1/servers/detail', (req) => listServers(d, req, true));

  app.get('/v2.1/servers/:id', async (req) => {
    const id = (req.params as { id: string }).id;
    // The instance and its info cache in one statement: clients poll this while they wait.
    const found = isUuidLike(id) ? await d.instances.findWithNetworkInfo(id) : null;
    if (!found || (!req.ctx.isAdmin && found.instance.projectId !== req.ctx.projectId)) throw new HttpFault(404, new InstanceNotFound(id).message);
    const { instance: i, nwInfo } = found;
    const faults = await d.instances.latestFaults(showsFault(i) ? [i.uuid] : []);
    let hostStatus: string | undefined;
    if (req.ctx.isAdmin && atLeast(req.mv, '2.16')) hostStatus = i.host ? ((await d.compute.hostIsUp(i.host)) ? 'UP' : 'DOWN') : '';
    const serverGroups = atLeast(req.mv, '2.71') ? await new ServerGroupStore(d.db).groupsOf(i.uuid) : undefined;
    return { server: showView(req, i, { nwInfo, fault: faults.get(i.uuid), now: d.clock.now(), isAdmin: req.ctx.isAdmin, hostStatus, serverGroups }) };
  });

  app.put('/v2.1/servers/:id', async (req) => {
    validateBody(updateSchema(req), req.body);
    const i = await getInstance(d, req, (req.params as { id: string }).id);
    authorize(req.ctx, 'os_compute_api:servers:update', { project_id: i.projectId, user_id: i.userId });
    const s = (req.body as { server: Record<string, unknown> }).server;
    const changes: InstanceChanges = {};
    if ('name' in s) changes.displayName = (s.name as string).trim();
    if ('description' in s) changes.displayDescription = s.description as string | null;
    if ('hostname' in s) changes.hostname = s.hostname as string;
    if ('accessIPv4' in s) changes.accessIpV4 = s.accessIPv4 as string;
    if ('accessIPv6' in s) changes.accessIpV6 = canonicalIPv6(s.accessIPv6 as string);
    // translate_attributes(UPDATE): OS-DCF:diskConfig is the instance's auto_disk_config.
    if ('OS-DCF:diskConfig' in s) changes.autoDiskConfig = diskConfigFromApi(s['OS-DCF:diskConfig']) ?? false;
    const updated = Object.keys(changes).length ? await d.instances.save(i.uuid, changes) : i;
    const [nwInfo, faults] = await Promise.all([d.instances.networkInfo(i.uuid), d.instances.latestFaults(showsFault(updated) ? [i.uuid] : [])]);
    // Before 2.75 the answer leaves out the extended attributes (views/servers.py show flags).
    const full = atLeast(req.mv, '2.75');
    let hostStatus: string | undefined;
    if (full && req.ctx.isAdmin && updated.host) hostStatus = (await d.compute.hostIsUp(updated.host)) ? 'UP' : 'DOWN';
    else if (full && req.ctx.isAdmin) hostStatus = '';
    const server = showView(req, updated, { nwInfo, fault: faults.get(i.uuid), now: d.clock.now(), isAdmin: req.ctx.isAdmin, hostStatus, minimal: !full });
    if (!atLeast(req.mv, '2.71')) delete server.server_groups;
    return { server };
  });

  app.delete('/v2.1/servers/:id', async (req, reply) => {
    const i = await getInstance(d, req, (req.params as { id: string }).id);
    if (i.locked && !req.ctx.isAdmin) throw new HttpFault(409, `Instance ${i.uuid} is locked`);
    await deleteServer(d, novaContext(req.ctx), i);
    reply.code(204);
    return reply.send();
  });
}

/** servers.py _delete: with reclaim_instance_interval a soft delete, or a real one for a server never launched. */
async function deleteServer(d: ComputeApiDeps, ctx: NovaContext, i: Instance): Promise<void> {
  if (d.cfg.compute.reclaim_instance_interval > 0) {
    try {
      await new ServerActionsAPI(d.compute).softDelete(ctx, i);
      return;
    } catch (e) {
      if (!(e instanceof InstanceInvalidState)) throw e;
    }
  }
  await d.compute.delete(ctx, i);
}

/** nova's utils.generate_password: 12 characters without look-alikes. */
export function generatePassword(d: ComputeApiDeps): string {
  const symbols = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  let out = '';
  for (let i = 0; i < 12; i++) out += symbols[d.random.int(symbols.length)];
  return out;
}

